/*
 * util.c - the compiler's arena allocator, string helpers and error reporting.
 *
 * All compiler memory comes from one arena reachable from a global, so it is
 * never "leaked" in LeakSanitizer's sense and never freed piecemeal.  Errors
 * name the model file, then the node and its op type, then what is wrong.
 *
 * The command exits on the first fatal error and never frees the arena.  A
 * caller that runs the pipeline many times in one process (the fuzz harness,
 * tests/fuzz/) sets g_fatal_hook to longjmp back to itself, and between runs
 * releases the arena to a mark; memory outside the arena (protobuf-c
 * messages, malloc'd buffers, open files) is registered with on_release by
 * its owner so a fatal error in between does not leak it.
 */
#include "ir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct Chunk { struct Chunk *next; size_t used, cap; max_align_t data[]; } Chunk;
static Chunk *arena;

struct Cleanup { struct Cleanup *prev; void (*fn)(void *); void *p; };
static Cleanup *cleanups; /* newest first */

void *xalloc(size_t n)
{
	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (n == 0)
		n = sizeof(max_align_t);
	if (!arena || arena->cap - arena->used < n) {
		size_t cap = n > (1u << 20) ? n : (1u << 20);
		Chunk *c = calloc(1, sizeof(Chunk) + cap);
		if (!c)
			fatal("out of memory (allocating %zu bytes)", n);
		c->cap = cap;
		c->next = arena;
		/* a big one-off allocation goes behind the current chunk so the
		 * current chunk's free space is not wasted */
		if (arena && n > (1u << 19)) {
			c->next = arena->next;
			arena->next = c;
			c->used = n;
			return c->data;
		}
		arena = c;
	}
	void *p = (char *)arena->data + arena->used;
	arena->used += n;
	return p;
}

ArenaMark arena_mark(void)
{
	return (ArenaMark){ arena, arena ? arena->next : NULL, arena ? arena->used : 0, cleanups };
}

/* Chunks newer than the mark sit in front of it; a big one-off allocation
 * made while the marked chunk was current sits right behind it, in front of
 * the chunk that was behind it at the mark. */
void arena_release(ArenaMark m)
{
	for (; cleanups && cleanups != m.cleanups; cleanups = cleanups->prev)
		if (cleanups->fn)
			cleanups->fn(cleanups->p);
	Chunk *mc = m.chunk;
	while (arena && arena != mc) {
		Chunk *next = arena->next;
		free(arena);
		arena = next;
	}
	if (!mc)
		return;
	ASSERT(arena == mc);
	while (mc->next && mc->next != m.next) {
		Chunk *big = mc->next;
		mc->next = big->next;
		free(big);
	}
	memset((char *)mc->data + m.used, 0, mc->used - m.used); /* xalloc hands out zeroed memory */
	mc->used = m.used;
}

Cleanup *on_release(void (*fn)(void *), void *p)
{
	Cleanup *c = xalloc(sizeof *c);
	*c = (Cleanup){ cleanups, fn, p };
	cleanups = c;
	return c;
}

void cleanup_done(Cleanup *c)
{
	if (c)
		c->fn = NULL;
}

void *xrealloc_arr(void *p, size_t old_n, size_t new_n, size_t elem)
{
	if (new_n <= old_n)
		return p;
	if (elem && new_n > SIZE_MAX / elem)
		fatal("out of memory (array of %zu elements)", new_n);
	void *q = xalloc(new_n * elem);
	if (p && old_n)
		memcpy(q, p, old_n * elem);
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xalloc(n);
	memcpy(p, s, n);
	return p;
}

char *xsprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = xalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int64_t checked_mul(int64_t a, int64_t b, const char *what)
{
	int64_t r;
	if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r) || r > ((int64_t)1 << 53))
		fatal("%s: %s is too large (%lld x %lld overflows)", g_model_path, what,
		      (long long)a, (long long)b);
	return r;
}

const char *g_model_path = "onnx2c";
int g_errors;

int g_winograd = 2;
Limits g_limits = { .weights = (int64_t)4 << 30, .arena = (int64_t)16 << 30, .source = (int64_t)16 << 30 };

void check_limit(int64_t bytes, int64_t limit, const char *what, const char *option)
{
	if (bytes > limit)
		fatal("%s would take %lld bytes, over the limit of %lld (%s=BYTES sets it)", what, (long long)bytes,
		      (long long)limit, option);
}

bool parse_bytes(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	int shift = 0;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (end == s || *end || errno || v < 0 || v > (INT64_MAX >> shift))
		return false;
	*out = (int64_t)v << shift;
	return true;
}
int g_verbose;
void (*g_fatal_hook)(int code);

void fatal_exit(int code)
{
	if (g_fatal_hook)
		g_fatal_hook(code);
	exit(code);
}

__attribute__((format(printf, 3, 0))) static void vreport(const char *kind, const Node *n, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s: ", g_model_path, kind);
	if (n)
		fprintf(stderr, "node '%s' (%s): ", n->name ? n->name : "", n->op_type ? n->op_type : "?");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("error", NULL, fmt, ap);
	va_end(ap);
	fatal_exit(EXIT_ERROR);
}

void fatal_node(const Node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("error", n, fmt, ap);
	va_end(ap);
	fatal_exit(EXIT_ERROR);
}

void fatal_unsupported(const Node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("unsupported", n, fmt, ap);
	va_end(ap);
	fatal_exit(EXIT_UNSUPPORTED);
}

void error_node(const Node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("error", n, fmt, ap);
	va_end(ap);
	g_errors++;
}

void warn_node(const Node *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("warning", n, fmt, ap);
	va_end(ap);
}

void die_if_errors(int exit_code)
{
	if (g_errors) {
		fprintf(stderr, "%s: %d error%s\n", g_model_path, g_errors, g_errors == 1 ? "" : "s");
		fatal_exit(exit_code);
	}
}

void internal_error(const char *file, int line, const char *msg)
{
	fprintf(stderr, "%s: internal compiler error at %s:%d: %s\n", g_model_path, file, line, msg);
	if (g_fatal_hook)
		g_fatal_hook(EXIT_INTERNAL);
	abort();
}

void progress(const char *fmt, ...)
{
	if (!g_verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "onnx2c: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

const char *dtype_name(DType t)
{
	static const char *names[] = { "undefined", "float", "uint8", "int8", "uint16", "int16",
		"int32", "int64", "string", "bool", "float16", "double", "uint32", "uint64" };
	if ((unsigned)t < sizeof names / sizeof names[0])
		return names[t];
	return "unknown";
}

size_t dtype_size(DType t)
{
	switch (t) {
	case DT_FLOAT: case DT_INT32: case DT_UINT32: return 4;
	case DT_INT64: case DT_DOUBLE: case DT_UINT64: return 8;
	case DT_UINT8: case DT_INT8: case DT_BOOL: return 1;
	case DT_UINT16: case DT_INT16: case DT_FLOAT16: return 2;
	default: return 0;
	}
}

int64_t shape_numel(const Shape *s)
{
	/* the non-zero dims' product must fit even when another dim is 0: strides
	 * and loop bounds are computed from it for an empty tensor too */
	int64_t span = 1;
	bool empty = false;
	for (int i = 0; i < s->rank; i++) {
		if (s->d[i] == 0)
			empty = true;
		else
			span = checked_mul(span, s->d[i], "tensor size");
	}
	return empty ? 0 : span;
}

char *shape_str(const Shape *s)
{
	char buf[32 * MAX_RANK + 4];
	int k = 0;
	buf[k++] = '[';
	for (int i = 0; i < s->rank; i++)
		k += snprintf(buf + k, sizeof buf - (size_t)k, i ? ",%lld" : "%lld", (long long)s->d[i]);
	buf[k++] = ']';
	buf[k] = 0;
	return xstrdup(buf);
}

bool shape_eq(const Shape *a, const Shape *b)
{
	if (a->rank != b->rank)
		return false;
	for (int i = 0; i < a->rank; i++)
		if (a->d[i] != b->d[i])
			return false;
	return true;
}
