/*
 * ops/einsum.c - Einsum in the forms that are a (batched) matrix product:
 * two operands, every letter of the equation either in both operands (a
 * batch letter when the output keeps it, a contracted one when it does not)
 * or in one operand and the output.  "ij,jk->ik", "bij,bjk->bik" and
 * attention's "bhid,bhjd->bhij" are such forms; the implicit form without
 * "->" (output: the letters that occur once, in alphabetical order) is too.
 *
 * Refused, naming the node and the equation: one or three operands,
 * ellipsis, a letter repeated within an operand (a diagonal), a letter in one
 * operand only that the output drops (a sum), sizes that disagree.
 *
 * The kernel is a loop over the output in its own order, each element the
 * dot product over the contracted letters, read through each operand's
 * strides: no copy, any letter order.
 */
#include "elem.h"
#include "move.h"

#include <ctype.h>
#include <string.h>

typedef struct {
	int nout, nsum;
	int64_t on[MAX_RANK], oa[MAX_RANK], ob[MAX_RANK];  /* output letters: extent, stride in A, in B */
	int64_t sn[MAX_RANK], sa[MAX_RANK], sb[MAX_RANK];  /* contracted letters */
	Shape out;
} EinsumP;

/* Splits "ab,bc->ac" into the operand and output letter strings. */
static void split_eq(const Node *n, const char *eq, char term[3][MAX_RANK + 1], bool *explicit_out)
{
	int t = 0, len = 0;
	*explicit_out = false;
	for (const char *c = eq; *c; c++) {
		if (isspace((unsigned char)*c))
			continue;
		if (*c == '.')
			fatal_unsupported(n, "equation '%s': ellipsis is not supported", eq);
		if (*c == ',' || (*c == '-' && c[1] == '>')) {
			if (t >= 2 || (*c == ',' && t != 0) || (*c == '-' && *explicit_out))
				fatal_unsupported(n, "equation '%s': only two operands are supported", eq);
			term[t++][len] = 0;
			len = 0;
			if (*c == '-') {
				*explicit_out = true;
				c++;
				t = 2;
			}
			continue;
		}
		if (!isalpha((unsigned char)*c))
			fatal_node(n, "equation '%s': '%c' is not a letter", eq, *c);
		if (len >= MAX_RANK)
			fatal_unsupported(n, "equation '%s': more than %d letters in a term", eq, MAX_RANK);
		term[t][len++] = *c;
	}
	term[t][len] = 0;
	if (!*explicit_out && t != 1)
		fatal_unsupported(n, "equation '%s': only two operands are supported", eq);
	if (*explicit_out && t != 2)
		fatal_unsupported(n, "equation '%s': only two operands are supported", eq);
}

void einsum_parse(Graph *g, Node *n)
{
	(void)g;
	const char *eq = attr_string(n, "equation", NULL);
	if (!eq)
		fatal_node(n, "attribute 'equation' is required");
	if (n->nin != 2 || !n->in[0] || !n->in[1])
		fatal_unsupported(n, "equation '%s' has %d operand%s; only matrix products of two are supported", eq,
		                  n->nin, n->nin == 1 ? "" : "s");
	char term[3][MAX_RANK + 1] = { "", "", "" };
	bool explicit_out;
	split_eq(n, eq, term, &explicit_out);
	const Tensor *ab[2] = { n->in[0], n->in[1] };
	int64_t ext[128] = { 0 };
	int cnt[2][128] = { { 0 } };
	for (int k = 0; k < 2; k++) {
		if ((int)strlen(term[k]) != ab[k]->shape.rank)
			fatal_node(n, "equation '%s': term '%s' has %d letters but input '%s' has rank %d", eq, term[k],
			           (int)strlen(term[k]), ab[k]->name, ab[k]->shape.rank);
		for (int i = 0; term[k][i]; i++) {
			int c = term[k][i];
			if (cnt[k][c]++)
				fatal_unsupported(n, "equation '%s': letter '%c' repeats within one operand (a diagonal)", eq, c);
			int64_t d = ab[k]->shape.d[i];
			if (ext[c] && ext[c] != d)
				fatal_node(n, "equation '%s': letter '%c' has sizes %lld and %lld", eq, c, (long long)ext[c],
				           (long long)d);
			ext[c] = d;
		}
	}
	if (!explicit_out) { /* letters that occur once, in alphabetical order */
		int len = 0;
		for (int c = 'A'; c <= 'z'; c++)
			if (cnt[0][c] + cnt[1][c] == 1)
				term[2][len++] = (char)c;
		term[2][len] = 0;
	}
	EinsumP *p = xalloc(sizeof *p);
	int64_t st[2][MAX_RANK];
	move_strides(&ab[0]->shape, st[0]);
	move_strides(&ab[1]->shape, st[1]);
	bool in_out[128] = { false };
	for (int i = 0; term[2][i]; i++) {
		int c = term[2][i];
		if (in_out[c])
			fatal_unsupported(n, "equation '%s': letter '%c' repeats in the output", eq, c);
		if (!cnt[0][c] && !cnt[1][c])
			fatal_node(n, "equation '%s': output letter '%c' is in no operand", eq, c);
		in_out[c] = true;
		p->on[p->nout] = ext[c];
		p->oa[p->nout] = cnt[0][c] ? st[0][strchr(term[0], c) - term[0]] : 0;
		p->ob[p->nout] = cnt[1][c] ? st[1][strchr(term[1], c) - term[1]] : 0;
		p->out.d[p->nout++] = ext[c];
	}
	p->out.rank = p->nout;
	for (int c = 0; c < 128; c++) {
		if (in_out[c] || !(cnt[0][c] || cnt[1][c]))
			continue;
		if (!(cnt[0][c] && cnt[1][c]))
			fatal_unsupported(n, "equation '%s': letter '%c' of one operand is summed away; only matrix "
			                     "products are supported", eq, c);
		p->sn[p->nsum] = ext[c];
		p->sa[p->nsum] = st[0][strchr(term[0], c) - term[0]];
		p->sb[p->nsum++] = st[1][strchr(term[1], c) - term[1]];
	}
	/* batch: every batched operand's first letter must be the output's first, and an unbatched operand
	 * may hold that letter only with extent 1 */
	bool batched = ab[0]->batched || ab[1]->batched;
	for (int k = 0; k < 2 && batched; k++) {
		int c0 = term[2][0];
		if (ab[k]->batched && term[k][0] != c0)
			fatal_node(n, "equation '%s' moves axis 0 of '%s', which is the run-time batch; fix the batch with "
			              "--dim to compile this", eq, ab[k]->name);
		if (!ab[k]->batched && c0 && cnt[k][c0] && ext[c0] != 1)
			fatal_node(n, "equation '%s': input '%s' has %lld entries on the run-time batch letter '%c'; fix the "
			              "batch with --dim to compile this", eq, ab[k]->name, (long long)ext[c0], c0);
	}
	n->p = p;
}

void einsum_infer(Graph *g, Node *n)
{
	(void)g;
	const EinsumP *p = n->p;
	require_float(n, 0);
	require_float(n, 1);
	set_out(n, 0, DT_FLOAT, &p->out, n->in[0]->batched || n->in[1]->batched);
}

bool einsum_fold(Graph *g, Node *n)
{
	(void)g;
	const EinsumP *p = n->p;
	const float *a = tensor_f32(n->in[0]), *b = tensor_f32(n->in[1]);
	float *y = move_alloc(n->out[0]);
	int64_t ny = shape_numel(&p->out), ns = 1;
	for (int s = 0; s < p->nsum; s++)
		ns *= p->sn[s];
	for (int64_t i = 0; i < ny; i++) {
		int64_t ao = 0, bo = 0, r = i;
		for (int d = p->nout - 1; d >= 0; d--) {
			ao += r % p->on[d] * p->oa[d];
			bo += r % p->on[d] * p->ob[d];
			r /= p->on[d];
		}
		double acc = 0;
		for (int64_t k = 0; k < ns; k++) {
			int64_t ak = ao, bk = bo, q = k;
			for (int s = p->nsum - 1; s >= 0; s--) {
				ak += q % p->sn[s] * p->sa[s];
				bk += q % p->sn[s] * p->sb[s];
				q /= p->sn[s];
			}
			acc += (double)a[ak] * b[bk];
		}
		y[i] = (float)acc;
	}
	return true;
}

static const char *offset(char v, int n, const int64_t *st)
{
	const char *s = "0";
	for (int d = 0; d < n; d++)
		if (st[d])
			s = xsprintf("%s + %c%d * %lld", s, v, d, (long long)st[d]);
	return s;
}

void einsum_emit(Emit *e, Node *n)
{
	const EinsumP *p = n->p;
	const char *a = move_input(e, n, 0), *b = move_input(e, n, 1);
	emitf(e, "\tconst float *restrict a = %s, *restrict b = %s;\n", a, b);
	emitf(e, "\tfloat *restrict y = out0;\n");
	int64_t ny = shape_numel(&p->out);
	if (ny * (p->nsum ? p->sn[0] : 1) >= ELT_PAR_MIN && p->nout > 0 && p->on[0] > 1) {
		emit_team(e);
		emitf(e, "\tO2C_OMP(for nowait)\n");
	}
	for (int d = 0; d < p->nout; d++)
		emitf(e, "\t%*sfor (ptrdiff_t o%d = 0; o%d < %lld; o%d++)%s\n", d, "", d, d, (long long)p->on[d], d,
		      d == p->nout - 1 ? " {" : "");
	if (!p->nout)
		emitf(e, "\t{\n");
	int in = p->nout;
	emitf(e, "\t%*s\tconst float *ra = a + %s, *rb = b + %s;\n", in, "", offset('o', p->nout, p->oa),
	      offset('o', p->nout, p->ob));
	emitf(e, "\t%*s\tfloat s = 0.0f;\n", in, "");
	for (int d = 0; d < p->nsum; d++)
		emitf(e, "\t%*s\t%*sfor (ptrdiff_t k%d = 0; k%d < %lld; k%d++)\n", in, "", d, "", d, d,
		      (long long)p->sn[d], d);
	emitf(e, "\t%*s\t%*ss += ra[%s] * rb[%s];\n", in, "", p->nsum, "", offset('k', p->nsum, p->sa),
	      offset('k', p->nsum, p->sb));
	/* the output is written in its own order: its flat index is the loop count */
	int64_t ost[MAX_RANK];
	move_strides(&p->out, ost);
	emitf(e, "\t%*s\ty[%s] = s;\n", in, "", offset('o', p->nout, ost));
	emitf(e, "\t%*s}\n", in ? in - 1 : 0, "");
}
