/*
 * test_arena.c - CUnit tests of what lets a caller run the compiler many
 * times in one process (the fuzz harness, tests/fuzz/fuzz_compiler.c):
 * g_fatal_hook receives every fatal error's exit code instead of exit(),
 * arena_release gives back everything allocated since a mark (big one-off
 * chunks included) and hands out zeroed memory again, and the cleanups
 * registered with on_release run exactly once unless cleanup_done cancelled
 * them.  A model that fails half way through loading frees its protobuf
 * message (checked by LeakSanitizer in the sanitizer build).
 */
#include <CUnit/Basic.h>
#include <setjmp.h>
#include <string.h>

#include "ir.h"

static jmp_buf back;
static void hook(int code)
{
	longjmp(back, code);
}

static void test_hook(void)
{
	g_fatal_hook = hook;
	int code = setjmp(back);
	if (code == 0)
		fatal("one %d", 1);
	CU_ASSERT_EQUAL(code, EXIT_ERROR);
	code = setjmp(back);
	if (code == 0)
		fatal_unsupported(NULL, "two");
	CU_ASSERT_EQUAL(code, EXIT_UNSUPPORTED);
	code = setjmp(back);
	if (code == 0) {
		g_errors = 0;
		die_if_errors(EXIT_ERROR); /* no error: returns */
		error_node(NULL, "three");
		die_if_errors(EXIT_UNSUPPORTED);
	}
	CU_ASSERT_EQUAL(code, EXIT_UNSUPPORTED);
	g_errors = 0;
	code = setjmp(back);
	if (code == 0)
		ASSERT(1 == 2);
	CU_ASSERT_EQUAL(code, EXIT_INTERNAL);
	g_fatal_hook = NULL;
}

static int freed;
static void count_free(void *p)
{
	freed += *(int *)p;
}

static void test_release(void)
{
	char *before = xstrdup("kept");
	ArenaMark m = arena_mark();
	for (int round = 0; round < 3; round++) {
		/* small ones, a new chunk's worth, and big one-off chunks */
		unsigned char *small = xalloc(100);
		for (int i = 0; i < 100; i++)
			CU_ASSERT_EQUAL_FATAL(small[i], 0);
		memset(small, 0xab, 100);
		for (int i = 0; i < 40; i++)
			memset(xalloc(64 << 10), 0xcd, 64 << 10);
		unsigned char *big = xalloc(3 << 20);
		CU_ASSERT_EQUAL(big[(3 << 20) - 1], 0);
		memset(big, 0xef, 3 << 20);
		static int one = 1;
		on_release(count_free, &one);
		Cleanup *c = on_release(count_free, &one);
		cleanup_done(c);
		freed = 0;
		arena_release(m);
		CU_ASSERT_EQUAL(freed, 1); /* the cancelled one did not run */
		CU_ASSERT_STRING_EQUAL(before, "kept");
		/* the same bytes come back zeroed */
		CU_ASSERT_PTR_EQUAL(xalloc(100), small);
		arena_release(m);
	}
	freed = 0;
	arena_release(m); /* nothing registered since: nothing runs twice */
	CU_ASSERT_EQUAL(freed, 0);
}

/* A model whose load fails after the protobuf was unpacked: the hook returns
 * here, and releasing the arena frees the message (no leak under ASan). */
static void test_load_failure(void)
{
	/* ModelProto{ graph: GraphProto{} } with no opset_import: refused after unpacking */
	static const uint8_t model[] = { 0x3a, 0x00 };
	g_fatal_hook = hook;
	ArenaMark m = arena_mark();
	int code = setjmp(back);
	if (code == 0)
		onnx_load_buffer("mem.onnx", model, sizeof model);
	CU_ASSERT_EQUAL(code, EXIT_ERROR);
	arena_release(m);
	g_fatal_hook = NULL;
}

int main(void)
{
	g_model_path = "test";
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("arena", NULL, NULL);
	CU_add_test(s, "fatal hook", test_hook);
	CU_add_test(s, "release", test_release);
	CU_add_test(s, "load failure", test_load_failure);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
