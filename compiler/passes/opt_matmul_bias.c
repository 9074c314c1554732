/*
 * opt_matmul_bias.c - MatMul(A, B) followed by Add(., bias) with B and bias
 * constant becomes one Gemm(A, B, bias), so the bias is added in the GEMM
 * epilogue (and a following activation can join it, see opt_fuse_act).
 * For a 2-D A ([M,K], per sample [1,K] in a batched graph) and a bias that
 * broadcasts along the rows ([N] or [1,N]): the cases Gemm expresses.  An A
 * of higher rank ([1,H,W,C] x [C,N]: ConvNeXt's channels-last Linear) keeps
 * its MatMul, which takes the bias as a third input (ops/gemm.c); ConvNeXt
 * then ran each bias Add, with its GELU, as an elementwise loop of its own
 * (scalar erfcf: 7.6 ms of a 3 ms MatMul at 56x56x384, one thread).
 */
#include "ir.h"

static bool row_bias(const Tensor *c, int64_t N)
{
	if (!tensor_is_const(c) || c->dtype != DT_FLOAT)
		return false;
	if (c->shape.rank == 1)
		return c->shape.d[0] == N;
	return c->shape.rank == 2 && c->shape.d[0] == 1 && c->shape.d[1] == N;
}

/* A constant bias of shape [N] (or [1,..,1,N]) as the [N] the MatMul reads. */
static Tensor *row_vector(Graph *g, Tensor *c, int64_t N)
{
	if (!tensor_is_const(c) || c->dtype != DT_FLOAT || c->shape.rank < 1 || c->shape.d[c->shape.rank - 1] != N ||
	    shape_numel(&c->shape) != N)
		return NULL;
	if (c->shape.rank == 1)
		return c;
	Shape s = { .rank = 1, .d = { N } };
	return graph_const(g, xsprintf("%s_row", c->name), DT_FLOAT, &s, tensor_f32(c));
}

/* MatMul(A, B) + c with A of rank > 2: c becomes the MatMul's third input. */
static bool bias_into_matmul(Graph *g, Node *mm, Node *add, Tensor *c)
{
	const Tensor *A = mm->in[0], *B = mm->in[1];
	if (A->shape.rank <= 2 || B->shape.rank != 2 || !tensor_is_const(B) || mm->nin != 2)
		return false;
	Tensor *row = row_vector(g, c, B->shape.d[1]);
	if (!row)
		return false;
	Tensor **in = xalloc(3 * sizeof *in);
	in[0] = mm->in[0];
	in[1] = mm->in[1];
	in[2] = row;
	mm->in = in;
	mm->nin = 3;
	node_absorb(mm, add);
	op_table[OP_MatMul].parse(g, mm);
	op_table[OP_MatMul].infer(g, mm);
	return true;
}

void opt_matmul_bias(Graph *g)
{
	int done = 0;
	for (int i = 0; i < g->nnodes; i++) {
		Node *add = g->nodes[i];
		if (add->dead || add->op != OP_Add || !add->in[0] || !add->in[1])
			continue;
		for (int side = 0; side < 2; side++) {
			Tensor *y = add->in[side], *c = add->in[1 - side];
			Node *mm = y->producer;
			if (!mm || mm->dead || mm->op != OP_MatMul || mm->act.kind || mm->residual)
				continue;
			if (y->nuses != 1 || y->kind == T_OUTPUT || y->alias)
				continue;
			if (!shape_eq(&add->out[0]->shape, &y->shape))
				continue;
			if (bias_into_matmul(g, mm, add, c)) {
				done++;
				break;
			}
			const Tensor *A = mm->in[0], *B = mm->in[1];
			if (A->shape.rank != 2 || B->shape.rank != 2 || !tensor_is_const(B))
				continue;
			if (!row_bias(c, B->shape.d[1]) || !shape_eq(&add->out[0]->shape, &y->shape))
				continue;
			/* rewrite the MatMul node into a Gemm with C = bias */
			Node *gm = mm;
			Tensor **in = xalloc(3 * sizeof *in);
			in[0] = mm->in[0];
			in[1] = mm->in[1];
			in[2] = c;
			gm->in = in;
			gm->nin = 3;
			node_add_cover(gm, gm); /* "MatMul 'name'": the kernel's comment says what it was */
			gm->op = OP_Gemm;
			gm->op_type = "Gemm";
			gm->nattrs = 0; /* MatMul has none; Gemm's defaults: alpha=beta=1, no transposes */
			node_absorb(gm, add);
			op_table[OP_Gemm].parse(g, gm);
			op_table[OP_Gemm].infer(g, gm);
			done++;
			break;
		}
	}
	graph_recount(g);
	progress("matmul-bias: %d MatMul + Add pairs became Gemm or MatMul with a bias", done);
}
