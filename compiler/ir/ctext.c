/*
 * ctext.c - the one place that turns compiler values into C source text:
 * float literals, identifiers, string literals, comment text, upper-case
 * macro names, and the weights blob as string-literal lines.
 *
 * Everything the emitters (backend/emit.c, ops/, train/) write into generated
 * C goes through here, so a float reads back bit for bit everywhere, a tensor
 * name becomes the same identifier everywhere, and no name from a model can
 * end a comment or a string early.  Results live in the arena (xalloc).
 */
#include "ir.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- float literals --------------------------------------------------- */

const char *c_float(float x)
{
	if (isnan(x))
		return "NAN";
	if (isinf(x))
		return x > 0 ? "INFINITY" : "(-INFINITY)";
	char buf[64];
	/* the shortest %g that reads back as the same float (9 digits always do) */
	for (int p = 6; p <= 9; p++) {
		snprintf(buf, sizeof buf, "%.*g", p, (double)x);
		if (strtof(buf, NULL) == x)
			break;
	}
	/* "2" must become "2.0f": an integer constant takes no f suffix */
	if (!strpbrk(buf, ".e"))
		strcat(buf, ".0");
	/* negatives in parentheses, so the literal is one operand after any operator ("x - (-1.0f)") */
	return xsprintf(signbit(x) ? "(%sf)" : "%sf", buf);
}

/* ---- identifiers ------------------------------------------------------ */

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool c_is_ident(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!ident_char(*s))
			return false;
	return true;
}

char *c_ident(const char *prefix, const char *s)
{
	size_t np = strlen(prefix);
	char *p = xalloc(np + strlen(s) + 3), *q = p;
	memcpy(q, prefix, np);
	q += np;
	bool gap = false;
	for (; *s; s++) {
		if (!ident_char(*s)) {
			gap = q > p + np; /* no '_' before the first kept character */
			continue;
		}
		if (gap)
			*q++ = '_';
		gap = false;
		*q++ = *s;
	}
	*q = 0;
	if (!*p || (*p >= '0' && *p <= '9')) {
		memmove(p + 2, p, strlen(p) + 1);
		p[0] = 'x';
		p[1] = '_';
	}
	return p;
}

char *c_upper(const char *s)
{
	char *p = xstrdup(s);
	for (char *q = p; *q; q++)
		if (*q >= 'a' && *q <= 'z')
			*q = (char)(*q - 'a' + 'A');
	return p;
}

char *c_lower(const char *s)
{
	char *p = xstrdup(s);
	for (char *q = p; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	return p;
}

/* A set of identifiers in use in one generated file: an open-addressing
 * hash of strings, grown by doubling. */
struct CNames {
	const char **slot;
	size_t cap, n;
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

CNames *cnames_new(void)
{
	CNames *s = xalloc(sizeof *s);
	s->cap = 64;
	s->slot = xalloc(s->cap * sizeof *s->slot);
	return s;
}

bool cnames_add(CNames *s, const char *name)
{
	if (2 * (s->n + 1) > s->cap) {
		CNames big = { xalloc(2 * s->cap * sizeof *s->slot), 2 * s->cap, 0 };
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i])
				cnames_add(&big, s->slot[i]);
		*s = big;
	}
	size_t j = name_hash(name) & (s->cap - 1);
	for (; s->slot[j]; j = (j + 1) & (s->cap - 1))
		if (!strcmp(s->slot[j], name))
			return false;
	s->slot[j] = xstrdup(name);
	s->n++;
	return true;
}

bool cnames_has(const CNames *s, const char *name)
{
	for (size_t j = name_hash(name) & (s->cap - 1); s->slot[j]; j = (j + 1) & (s->cap - 1))
		if (!strcmp(s->slot[j], name))
			return true;
	return false;
}

void c_idents(CNames *s, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		if (p + 1 < end && p[0] == '/' && p[1] == '*') {
			const char *q = p + 2;
			while (q + 1 < end && !(q[0] == '*' && q[1] == '/'))
				q++;
			p = q + 2;
		} else if (p + 1 < end && p[0] == '/' && p[1] == '/') {
			while (p < end && *p != '\n')
				p++;
		} else if (*p == '"' || *p == '\'') {
			const char quote = *p++;
			while (p < end && *p != quote)
				p += *p == '\\' ? 2 : 1;
			p++;
		} else if (ident_char(*p) && !(*p >= '0' && *p <= '9')) {
			const char *q = p;
			while (q < end && ident_char(*q))
				q++;
			cnames_add(s, xsprintf("%.*s", (int)(q - p), p));
			p = q;
		} else if (*p >= '0' && *p <= '9') { /* a number, suffix and exponent included ("1e-5f") */
			while (p < end && (ident_char(*p) || *p == '.' ||
			                   ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E' || p[-1] == 'p' || p[-1] == 'P'))))
				p++;
		} else {
			p++;
		}
	}
}

const char *cnames_make(CNames *s, const char *prefix, const char *text)
{
	const char *base = c_ident(prefix, text), *name = base;
	for (int k = 2; !cnames_add(s, name); k++)
		name = xsprintf("%s_%d", base, k);
	return name;
}

/* ---- string literals and comments ------------------------------------- */

/* Writes byte c of a string literal at q; returns the new end.  prev: the
 * byte before it, for trigraphs: a '?' after a '?' is written "\?" ("??/"
 * is a backslash under -std=c99).  readable: '"' and '\\' as \" and \\
 * rather than octal. */
static char *put_literal_byte(char *q, unsigned char c, unsigned char prev, bool readable)
{
	if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
		*q++ = (char)c;
	} else if (readable && (c == '"' || c == '\\')) {
		*q++ = '\\';
		*q++ = (char)c;
	} else if (readable && c == '?') {
		if (prev == '?')
			*q++ = '\\';
		*q++ = '?';
	} else {
		/* 3 octal digits, always: a following digit can never join the escape */
		*q++ = '\\';
		*q++ = (char)('0' + ((c >> 6) & 7));
		*q++ = (char)('0' + ((c >> 3) & 7));
		*q++ = (char)('0' + (c & 7));
	}
	return q;
}

static char *string_literal(const char *s, const char *split_indent)
{
	size_t n = strlen(s), ni = split_indent ? strlen(split_indent) : 0;
	char *p = xalloc(4 * n + (ni + 4) * n + 3), *q = p;
	unsigned char prev = 0;
	*q++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n') {
			*q++ = '\\';
			*q++ = 'n';
			if (split_indent && s[1]) { /* the next line of text on the next line of C */
				q += sprintf(q, "\"\n%s\"", split_indent);
			}
		} else {
			q = put_literal_byte(q, c, prev, true);
		}
		prev = c;
	}
	*q++ = '"';
	*q = 0;
	return p;
}

char *c_string(const char *s)
{
	return string_literal(s, NULL);
}

char *c_string_lines(const char *s, const char *indent)
{
	return string_literal(s, indent);
}

char *c_comment(const char *s)
{
	char *p = xstrdup(s);
	for (char *q = p; *q; q++) {
		unsigned char c = (unsigned char)*q;
		if ((q[0] == '*' && q[1] == '/') || (q[0] == '/' && q[1] == '*'))
			q[0] = '_'; /* would end the comment, or start one (-Wcomment) */
		else if (c < 0x20 || c == 0x7f)
			q[0] = '_'; /* a line break would put the rest outside the comment */
		else if (q[0] == '?' && q[1] == '?')
			q[1] = '_'; /* no trigraph: "??/" at a line end splices lines */
		else if (q[0] == '\\' && !q[1])
			q[0] = '_'; /* a final backslash could meet the line end */
	}
	return p;
}

/* Bytes as string literal lines of about 64 KB: gcc keeps a copy of every
 * token, and 64 KB lines need 20% less of its memory than 4 KB ones (a 30 MB
 * blob: 315 MB against 400 MB peak, gcc 12).  An escape is as short as the
 * next character allows ("\0" unless a digit 0-7 follows): a third of the
 * bytes of float weights are escaped. */
void write_c_bytes(FILE *f, const unsigned char *b, size_t n)
{
	enum { LINE = 65536 };
	static char line[LINE + 64];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k == 0)
			line[k++] = '"';
		unsigned char c = b[i];
		bool last = k > LINE || i + 1 == n;
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
			line[k++] = (char)c;
		} else {
			/* a raw digit 0-7 next would join a short escape */
			bool digit_next = !last && b[i + 1] >= '0' && b[i + 1] <= '7';
			int nd = digit_next || c >= 0100 ? 3 : c >= 010 ? 2 : 1;
			line[k++] = '\\';
			for (int d = nd - 1; d >= 0; d--)
				line[k++] = (char)('0' + ((c >> (3 * d)) & 7));
		}
		if (last) {
			line[k++] = '"';
			line[k++] = '\n';
			fwrite(line, 1, k, f);
			k = 0;
		}
	}
}
