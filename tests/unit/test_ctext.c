/*
 * test_ctext.c - CUnit tests of ir/ctext.c, the one place C text is written:
 * float literals read back bit for bit (checked with strtof, which is how a
 * C compiler reads them), identifiers are valid and unique, and no name from
 * a model can end a string literal or a comment early.
 */
#define _GNU_SOURCE /* open_memstream */
#include <CUnit/Basic.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

/* The float a literal from c_float denotes, read the way a C compiler does. */
static float read_literal(const char *lit)
{
	if (!strcmp(lit, "NAN"))
		return NAN;
	if (!strcmp(lit, "INFINITY"))
		return INFINITY;
	if (!strcmp(lit, "(-INFINITY)"))
		return -INFINITY;
	char buf[64];
	size_t n = strlen(lit);
	CU_ASSERT_FATAL(n > 1 && n < sizeof buf);
	if (lit[0] == '(') { /* "(-...f)" */
		CU_ASSERT(lit[1] == '-' && lit[n - 1] == ')');
		memcpy(buf, lit + 1, n - 2);
		buf[n - 2] = 0;
	} else {
		CU_ASSERT(lit[0] != '-'); /* a negative literal always comes in parentheses */
		memcpy(buf, lit, n + 1);
	}
	n = strlen(buf);
	CU_ASSERT(buf[n - 1] == 'f');
	buf[n - 1] = 0;
	CU_ASSERT(strpbrk(buf, ".e") != NULL); /* "2f" would not be C */
	char *end;
	float v = strtof(buf, &end);
	CU_ASSERT(*end == 0);
	return v;
}

static bool same_bits(float a, float b)
{
	return !memcmp(&a, &b, sizeof a);
}

static void test_float_special(void)
{
	CU_ASSERT_STRING_EQUAL(c_float(0.0f), "0.0f");
	CU_ASSERT_STRING_EQUAL(c_float(-0.0f), "(-0.0f)");
	CU_ASSERT_STRING_EQUAL(c_float(2.0f), "2.0f");
	CU_ASSERT_STRING_EQUAL(c_float(-1.5f), "(-1.5f)");
	CU_ASSERT_STRING_EQUAL(c_float(0.1f), "0.1f"); /* the shortest that reads back, not 0.100000001f */
	CU_ASSERT_STRING_EQUAL(c_float(1e-5f), "1e-05f");
	CU_ASSERT_STRING_EQUAL(c_float(INFINITY), "INFINITY");
	CU_ASSERT_STRING_EQUAL(c_float(-INFINITY), "(-INFINITY)"); /* one form everywhere */
	CU_ASSERT_STRING_EQUAL(c_float(NAN), "NAN");
	CU_ASSERT(isnan(read_literal(c_float(-NAN))));
	CU_ASSERT(same_bits(read_literal(c_float(-0.0f)), -0.0f));
	const float edge[] = { FLT_MAX, -FLT_MAX, FLT_MIN, -FLT_MIN, FLT_EPSILON, 1.0f / 3.0f, 16777217.0f,
		1e-45f /* smallest subnormal */, 1.17549421e-38f /* largest subnormal */, -3e-40f, 123456789.0f };
	for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
		CU_ASSERT(same_bits(read_literal(c_float(edge[i])), edge[i]));
}

/* Every finite float pattern class: random bits, a few hundred thousand of them. */
static void test_float_round_trip(void)
{
	uint64_t s = 0x9E3779B97F4A7C15ull;
	int bad = 0;
	for (int i = 0; i < 300000; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t bits = (uint32_t)(s >> 32);
		float x;
		memcpy(&x, &bits, sizeof x);
		if (isnan(x))
			continue;
		if (!same_bits(read_literal(c_float(x)), x) && bad++ < 5)
			fprintf(stderr, "0x%08x -> %s\n", bits, c_float(x));
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_ident(void)
{
	CU_ASSERT_STRING_EQUAL(c_ident("t_", "/stem/stem.2/Relu_output_0"), "t_stem_stem_2_Relu_output_0");
	CU_ASSERT_STRING_EQUAL(c_ident("in_", "image"), "in_image");
	CU_ASSERT_STRING_EQUAL(c_ident("in_", "input.1"), "in_input_1");
	CU_ASSERT_STRING_EQUAL(c_ident("", "a__b"), "a__b");
	CU_ASSERT_STRING_EQUAL(c_ident("", "tiny-model"), "tiny_model");
	CU_ASSERT_STRING_EQUAL(c_ident("", "1abc"), "x_1abc");
	CU_ASSERT_STRING_EQUAL(c_ident("", ""), "x_");
	CU_ASSERT_STRING_EQUAL(c_ident("", "\xe6\x97\xa5"), "x_"); /* UTF-8 only */
	CU_ASSERT_STRING_EQUAL(c_ident("w_", "::"), "w_");
	CU_ASSERT(c_is_ident("_a1"));
	CU_ASSERT(c_is_ident("tiny_cnn"));
	CU_ASSERT(!c_is_ident(""));
	CU_ASSERT(!c_is_ident("1abc"));
	CU_ASSERT(!c_is_ident("a-b"));
	CU_ASSERT(!c_is_ident("a b"));
	CU_ASSERT_STRING_EQUAL(c_upper("tiny_cnn2"), "TINY_CNN2");
	CU_ASSERT_STRING_EQUAL(c_lower("GlobalAveragePool"), "globalaveragepool");

	CNames *s = cnames_new();
	CU_ASSERT(cnames_add(s, "m_run"));
	CU_ASSERT(!cnames_add(s, "m_run"));
	CU_ASSERT_STRING_EQUAL(cnames_make(s, "w_", "a.b"), "w_a_b");
	CU_ASSERT_STRING_EQUAL(cnames_make(s, "w_", "a_b"), "w_a_b_2"); /* two ONNX names, one C name */
	CU_ASSERT_STRING_EQUAL(cnames_make(s, "w_", "a/b"), "w_a_b_3");
	CU_ASSERT_STRING_EQUAL(cnames_make(s, "m_", "run"), "m_run_2"); /* a reserved name */
	for (int i = 0; i < 500; i++) /* past the table's first sizes */
		cnames_add(s, xsprintf("n%d", i));
	CU_ASSERT(cnames_has(s, "n0") && cnames_has(s, "n499") && cnames_has(s, "w_a_b_2"));
	CU_ASSERT(!cnames_has(s, "n500"));
}

static void test_string(void)
{
	CU_ASSERT_STRING_EQUAL(c_string("plain"), "\"plain\"");
	CU_ASSERT_STRING_EQUAL(c_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
	CU_ASSERT_STRING_EQUAL(c_string("?" "?="), "\"?\\?=\""); /* no trigraph under -std=c99 */
	CU_ASSERT_STRING_EQUAL(c_string("why?"), "\"why?\"");
	CU_ASSERT_STRING_EQUAL(c_string("a\nb"), "\"a\\nb\"");
	CU_ASSERT_STRING_EQUAL(c_string("\x01" "2"), "\"\\0012\""); /* fixed-width octal: the 2 stays a 2 */
	CU_ASSERT_STRING_EQUAL(c_string("\xc3\xa9"), "\"\\303\\251\"");
	CU_ASSERT_STRING_EQUAL(c_string_lines("k=v\nx=y\n", "\t"), "\"k=v\\n\"\n\t\"x=y\\n\"");
}

static void test_comment(void)
{
	CU_ASSERT_STRING_EQUAL(c_comment("/stem/conv"), "/stem/conv");
	CU_ASSERT_STRING_EQUAL(c_comment("a*/b"), "a_/b");
	CU_ASSERT_STRING_EQUAL(c_comment("a/*b"), "a_*b");
	CU_ASSERT_STRING_EQUAL(c_comment("a\nb\r"), "a_b_");
	CU_ASSERT_STRING_EQUAL(c_comment("x?" "?/"), "x?_/");
	CU_ASSERT_STRING_EQUAL(c_comment("x\\"), "x_");
	CU_ASSERT_STRING_EQUAL(c_comment("a\\b"), "a\\b");
	/* no way out of a comment, whatever the text */
	const char *nasty = "*/*/ /**/ ?" "?/\n\\";
	const char *safe = c_comment(nasty);
	CU_ASSERT(!strstr(safe, "*/") && !strstr(safe, "/*") && !strstr(safe, "?" "?") && !strchr(safe, '\n'));
	CU_ASSERT(safe[strlen(safe) - 1] != '\\');
}

static void test_idents_in_text(void)
{
	const char *text = "int x1 = a_b /* c2 */ + \"d3 \\\" e4\" + 'f' + 1e-5f + 0x1Fu; // g5\nreturn y;";
	CNames *s = cnames_new();
	c_idents(s, text, strlen(text));
	const char *in[] = { "int", "x1", "a_b", "return", "y" };
	const char *out[] = { "c2", "d3", "e4", "f", "e", "u", "x1F", "g5", "1e" };
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
		CU_ASSERT(cnames_has(s, in[i]));
	for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
		CU_ASSERT(!cnames_has(s, out[i]));
}

static void test_bytes(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CU_ASSERT_FATAL(f != NULL);
	const unsigned char b[] = { '"', '\\', '?', 'a', 0, '1', 0xff };
	write_c_bytes(f, b, sizeof b);
	fclose(f);
	/* short escapes, except before a digit 0-7 ("\\0001", not "\\01") */
	CU_ASSERT_STRING_EQUAL(buf, "\"\\42\\134\\77a\\0001\\377\"\n");
	free(buf);
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	CU_pSuite s = CU_add_suite("ctext", NULL, NULL);
	CU_add_test(s, "float literals: special values", test_float_special);
	CU_add_test(s, "float literals: round trip", test_float_round_trip);
	CU_add_test(s, "identifiers", test_ident);
	CU_add_test(s, "string literals", test_string);
	CU_add_test(s, "comments", test_comment);
	CU_add_test(s, "identifiers in C text", test_idents_in_text);
	CU_add_test(s, "bytes", test_bytes);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
