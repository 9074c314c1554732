/*
 * ops/mod.c - Mod (opset 10/13) with numpy broadcasting.
 *
 * Integers: fmod=0 is Python's %, the remainder taking the divisor's sign
 * (-4 mod 3 = 2); fmod=1 is C's, taking the dividend's (-4 fmod 3 = -1).
 * Floats need fmod=1 (ONNX requires it) and use C fmod.  Exporters compute
 * window shifts and paddings this way on int64 shapes (Swin's
 * (pad - shift) % window), so constants fold for every integer type, float
 * and double; a divisor of zero in a constant is an error, as it is in ONNX
 * Runtime.  At run time only float data exists: out = fmodf(a, b).
 */
#include "elem.h"
#include "move.h"

#include <math.h>

void mod_parse(Graph *g, Node *n)
{
	(void)g;
	int64_t f = attr_int(n, "fmod", 0);
	if (f != 0 && f != 1)
		fatal_node(n, "attribute fmod=%lld is not 0 or 1", (long long)f);
	int *p = xalloc(sizeof *p);
	*p = (int)f;
	n->p = p;
}

static bool is_signed_int(DType t) { return t == DT_INT8 || t == DT_INT16 || t == DT_INT32 || t == DT_INT64; }
static bool is_unsigned_int(DType t)
{
	return t == DT_UINT8 || t == DT_UINT16 || t == DT_UINT32 || t == DT_UINT64;
}

void mod_infer(Graph *g, Node *n)
{
	(void)g;
	const Tensor *a = n->in[0], *b = n->in[1];
	int fmod_attr = *(const int *)n->p;
	if (a->dtype != b->dtype)
		fatal_node(n, "inputs '%s' and '%s' have different types (%s and %s)", a->name, b->name,
		           dtype_name(a->dtype), dtype_name(b->dtype));
	DType dt = a->dtype;
	bool fl = dt == DT_FLOAT || dt == DT_DOUBLE;
	if (!fl && !is_signed_int(dt) && !is_unsigned_int(dt))
		fatal_unsupported(n, "Mod on %s", dtype_name(dt));
	if (fl && !fmod_attr)
		fatal_node(n, "Mod on %s needs fmod=1 (ONNX defines fmod=0 for integers only)", dtype_name(dt));
	bool all_const = tensor_is_const(a) && tensor_is_const(b);
	if (!all_const && dt != DT_FLOAT)
		fatal_unsupported(n, "Mod on run-time %s data (integer and double tensors exist only as compile-time "
		                     "constants; run-time data is float)", dtype_name(dt));
	Shape s;
	bool batched;
	bcast_batched(n, 0, 2, &s, &batched);
	set_out(n, 0, dt, &s, batched);
}

/* Element i of a signed or unsigned integer constant, widened. */
static int64_t get_s(const Tensor *t, int64_t i)
{
	const void *d = t->data;
	switch (t->dtype) {
	case DT_INT8: return ((const int8_t *)d)[i];
	case DT_INT16: return ((const int16_t *)d)[i];
	case DT_INT32: return ((const int32_t *)d)[i];
	case DT_INT64: return ((const int64_t *)d)[i];
	default: UNREACHABLE();
	}
}

static uint64_t get_u(const Tensor *t, int64_t i)
{
	const void *d = t->data;
	switch (t->dtype) {
	case DT_UINT8: return ((const uint8_t *)d)[i];
	case DT_UINT16: return ((const uint16_t *)d)[i];
	case DT_UINT32: return ((const uint32_t *)d)[i];
	case DT_UINT64: return ((const uint64_t *)d)[i];
	default: UNREACHABLE();
	}
}

/* Stores v (in range for t's type: a remainder is never larger than its operands) at element i. */
static void put(Tensor *t, int64_t i, int64_t s, uint64_t u)
{
	void *d = t->data;
	switch (t->dtype) {
	case DT_INT8: ((int8_t *)d)[i] = (int8_t)s; break;
	case DT_INT16: ((int16_t *)d)[i] = (int16_t)s; break;
	case DT_INT32: ((int32_t *)d)[i] = (int32_t)s; break;
	case DT_INT64: ((int64_t *)d)[i] = s; break;
	case DT_UINT8: ((uint8_t *)d)[i] = (uint8_t)u; break;
	case DT_UINT16: ((uint16_t *)d)[i] = (uint16_t)u; break;
	case DT_UINT32: ((uint32_t *)d)[i] = (uint32_t)u; break;
	case DT_UINT64: ((uint64_t *)d)[i] = u; break;
	default: UNREACHABLE();
	}
}

/* a mod b on signed integers: C's remainder (fmod=1), or moved to the divisor's sign (fmod=0). */
static int64_t mod_s(const Node *n, int64_t a, int64_t b, int fmod_attr)
{
	check_not_batch(n, a);
	check_not_batch(n, b);
	if (b == 0)
		fatal_node(n, "integer Mod by zero in a constant");
	int64_t r = b == -1 ? 0 : a % b; /* INT64_MIN % -1 overflows in C; the remainder is 0 */
	if (!fmod_attr && r != 0 && (r < 0) != (b < 0))
		r += b;
	return r;
}

bool mod_fold(Graph *g, Node *n)
{
	(void)g;
	const Tensor *a = n->in[0], *b = n->in[1];
	Tensor *y = n->out[0];
	int fmod_attr = *(const int *)n->p;
	int64_t cnt = shape_numel(&y->shape), sa[MAX_RANK], sb[MAX_RANK];
	bcast_strides(&a->shape, &y->shape, sa);
	bcast_strides(&b->shape, &y->shape, sb);
	move_alloc(y);
	for (int64_t i = 0; i < cnt; i++) {
		int64_t ia = bcast_offset(sa, &y->shape, i), ib = bcast_offset(sb, &y->shape, i);
		switch (y->dtype) {
		case DT_FLOAT:
			((float *)y->data)[i] = fmodf(tensor_f32(a)[ia], tensor_f32(b)[ib]);
			break;
		case DT_DOUBLE:
			((double *)y->data)[i] = fmod(((const double *)a->data)[ia], ((const double *)b->data)[ib]);
			break;
		default:
			if (is_signed_int(y->dtype)) {
				put(y, i, mod_s(n, get_s(a, ia), get_s(b, ib), fmod_attr), 0);
			} else {
				uint64_t ua = get_u(a, ia), ub = get_u(b, ib);
				if (ub == 0)
					fatal_node(n, "integer Mod by zero in a constant");
				put(y, i, 0, ua % ub); /* both signs agree: fmod 0 and 1 are the same */
			}
		}
	}
	return true;
}

void mod_emit(Emit *e, Node *n)
{
	EltOperand ops[2] = { elt_input(e, n, 0), elt_input(e, n, 1) };
	emit_eltwise(e, n, &n->out[0]->shape, 2, ops, "fmodf(x0, x1)");
}
