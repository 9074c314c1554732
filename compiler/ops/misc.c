/*
 * ops/misc.c - operators that (at inference) do not change values:
 * Dropout and Identity, which are views of their input, and Cast.  Dropout
 * in training mode is accepted only with a constant ratio of 0.
 *
 * Cast matters mostly at compile time: exporters cast int64 shape values
 * to int32/float and back, and those constants fold here for any numeric
 * type.  At run time only float -> float is possible (a copy), since every
 * run-time tensor is float.
 */
#include "elem.h"

/* ---- Dropout: identity at inference ------------------------------------ */

/* True when the ratio input is a constant 0: then even training mode keeps
 * every element and scales by 1/(1-0), the identity.  torchvision's Swin
 * exports its attention dropout so (F.dropout(p=0.0) with the default
 * training=True). */
static bool zero_ratio(const Node *n)
{
	const Tensor *r = n->nin > 1 ? n->in[1] : NULL;
	if (!r || !tensor_is_const(r) || shape_numel(&r->shape) != 1)
		return false;
	if (r->dtype == DT_FLOAT)
		return ((const float *)r->data)[0] == 0.0f;
	if (r->dtype == DT_DOUBLE)
		return ((const double *)r->data)[0] == 0.0;
	return false;
}

void dropout_parse(Graph *g, Node *n)
{
	if (n->nout > 1 && tensor_used(g, n->out[1]))
		fatal_unsupported(n, "the mask output '%s' is used; only inference (no mask) is compiled",
		                  n->out[1]->name);
	if (n->nin > 2 && n->in[2]) { /* training_mode, opset 12 on */
		const Tensor *t = n->in[2];
		if (!tensor_is_const(t))
			fatal_unsupported(n, "training_mode '%s' is computed at run time; only inference is compiled",
			                  t->name);
		if (shape_numel(&t->shape) != 1 || !dtype_size(t->dtype))
			fatal_node(n, "training_mode '%s' must be a boolean scalar", t->name);
		const unsigned char *b = t->data;
		for (size_t i = 0; i < dtype_size(t->dtype); i++)
			if (b[i] && !zero_ratio(n))
				fatal_unsupported(n, "training_mode is true; only inference is compiled (or a constant "
				                     "ratio of 0, which drops nothing)");
	}
}

void dropout_infer(Graph *g, Node *n)
{
	(void)g;
	if (!tensor_is_const(n->in[0]))
		require_float(n, 0);
	infer_same(n);
	if (n->nout > 1) /* unused (dropout_parse checked): typed but never computed */
		set_out(n, 1, DT_BOOL, &n->in[0]->shape, n->in[0]->batched);
}

/* Folding a view is sharing the input's data. */
static bool fold_copy(Node *n)
{
	n->out[0]->data = n->in[0]->data;
	for (int j = 1; j < n->nout; j++)
		if (n->out[j])
			n->out[j]->data = xalloc((size_t)shape_numel(&n->out[j]->shape) * dtype_size(n->out[j]->dtype) + 1);
	return true;
}

bool dropout_fold(Graph *g, Node *n)
{
	(void)g;
	return fold_copy(n);
}

void dropout_emit(Emit *e, Node *n) { emit_none(e, n); }

/* ---- Identity ---------------------------------------------------------- */

void identity_parse(Graph *g, Node *n) { parse_none(g, n); }

void identity_infer(Graph *g, Node *n)
{
	(void)g;
	if (!tensor_is_const(n->in[0]))
		require_float(n, 0);
	infer_same(n);
}

bool identity_fold(Graph *g, Node *n)
{
	(void)g;
	return fold_copy(n);
}

void identity_emit(Emit *e, Node *n) { emit_none(e, n); }

/* ---- Cast -------------------------------------------------------------- */

static bool dtype_is_int(DType t)
{
	return t == DT_UINT8 || t == DT_INT8 || t == DT_UINT16 || t == DT_INT16 || t == DT_INT32 || t == DT_INT64 ||
	       t == DT_UINT32 || t == DT_UINT64 || t == DT_BOOL;
}

static bool cast_type_ok(DType t)
{
	return t == DT_FLOAT || t == DT_DOUBLE || dtype_is_int(t);
}

void cast_parse(Graph *g, Node *n)
{
	(void)g;
	const Attr *a = attr_find(n, "to");
	if (!a || a->type != AT_INT)
		fatal_node(n, "attribute 'to' (an integer data type) is required");
	DType *to = xalloc(sizeof *to);
	*to = (DType)a->i;
	n->p = to;
}

void cast_infer(Graph *g, Node *n)
{
	(void)g;
	DType to = *(const DType *)n->p;
	const Tensor *x = n->in[0];
	if (!tensor_is_const(x)) {
		require_float(n, 0);
		if (to != DT_FLOAT)
			fatal_unsupported(n, "cast of a run-time tensor to %s (only float tensors at run time)",
			                  dtype_name(to));
	} else if (!cast_type_ok(x->dtype) || !cast_type_ok(to)) {
		fatal_unsupported(n, "cast of a constant from %s to %s", dtype_name(x->dtype), dtype_name(to));
	}
	set_out(n, 0, to, &x->shape, x->batched);
}

/* Element i of a constant as an integer (is_int) or a double. */
static void get_elem(const Tensor *t, int64_t i, int64_t *iv, double *dv, bool *is_int)
{
	const void *d = t->data;
	*is_int = true;
	switch (t->dtype) {
	case DT_FLOAT: *dv = ((const float *)d)[i]; *is_int = false; break;
	case DT_DOUBLE: *dv = ((const double *)d)[i]; *is_int = false; break;
	case DT_UINT8: case DT_BOOL: *iv = ((const uint8_t *)d)[i]; break;
	case DT_INT8: *iv = ((const int8_t *)d)[i]; break;
	case DT_UINT16: *iv = ((const uint16_t *)d)[i]; break;
	case DT_INT16: *iv = ((const int16_t *)d)[i]; break;
	case DT_INT32: *iv = ((const int32_t *)d)[i]; break;
	case DT_UINT32: *iv = ((const uint32_t *)d)[i]; break;
	case DT_INT64: *iv = ((const int64_t *)d)[i]; break;
	case DT_UINT64: *iv = (int64_t)((const uint64_t *)d)[i]; break;
	default: UNREACHABLE();
	}
}

bool cast_fold(Graph *g, Node *n)
{
	(void)g;
	const Tensor *x = n->in[0];
	Tensor *y = n->out[0];
	DType to = y->dtype;
	int64_t cnt = shape_numel(&x->shape);
	void *d = y->data = xalloc((size_t)cnt * dtype_size(to) + 1);
	for (int64_t i = 0; i < cnt; i++) {
		int64_t iv = 0;
		double dv = 0;
		bool is_int;
		get_elem(x, i, &iv, &dv, &is_int);
		if (is_int && x->dtype == DT_INT64 && iv == SYM_BATCH && to != DT_INT64)
			fatal_node(n, "casts the run-time batch size (from Shape of a batched input) to %s; fix the "
			              "batch with --dim to compile this", dtype_name(to));
		if (to == DT_FLOAT || to == DT_DOUBLE) {
			double v = is_int ? (double)iv : dv;
			if (to == DT_FLOAT)
				((float *)d)[i] = (float)v;
			else
				((double *)d)[i] = v;
			continue;
		}
		if (to == DT_BOOL) {
			((uint8_t *)d)[i] = is_int ? iv != 0 : dv != 0;
			continue;
		}
		if (!is_int) {
			/* float -> integer truncates toward zero; out-of-range values have no defined result */
			if (!(dv > -9.2e18 && dv < 9.2e18))
				fatal_node(n, "value %g cannot be cast to %s", dv, dtype_name(to));
			iv = (int64_t)dv;
		}
		switch (to) { /* integer narrowing wraps, as numpy's astype does */
		case DT_UINT8: ((uint8_t *)d)[i] = (uint8_t)iv; break;
		case DT_INT8: ((int8_t *)d)[i] = (int8_t)iv; break;
		case DT_UINT16: ((uint16_t *)d)[i] = (uint16_t)iv; break;
		case DT_INT16: ((int16_t *)d)[i] = (int16_t)iv; break;
		case DT_INT32: ((int32_t *)d)[i] = (int32_t)iv; break;
		case DT_UINT32: ((uint32_t *)d)[i] = (uint32_t)iv; break;
		case DT_INT64: ((int64_t *)d)[i] = iv; break;
		case DT_UINT64: ((uint64_t *)d)[i] = (uint64_t)iv; break;
		default: UNREACHABLE();
		}
	}
	return true;
}

void cast_emit(Emit *e, Node *n)
{
	EltOperand x = elt_input(e, n, 0);
	emit_eltwise(e, n, &n->out[0]->shape, 1, &x, "x0");
}
