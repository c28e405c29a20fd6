/*
** xmlout.c: see xmlout.h. One byte loop does it all: ASCII is escaped or
** copied, a byte >= 0x80 starts a UTF-8 sequence that is copied whole when
** it is valid and a character XML 1.0 allows, anything else is U+FFFD.
*/
#include "run/xmlout.h"

#include <string.h>

/*
** The length of the valid UTF-8 sequence of a character XML 1.0 allows at
** p[0..n), or 0: overlong forms, surrogates, U+FFFE/U+FFFF and code points
** past U+10FFFF are invalid.
*/
static size_t utf8_valid(const unsigned char *p, size_t n)
{
	size_t len = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	unsigned long cp = p[0] & (0x7f >> len);
	static const unsigned long least[5] = { 0, 0, 0x80, 0x800, 0x10000 };

	if (p[0] < 0xc2 || p[0] > 0xf4 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp == 0xfffe || cp == 0xffff)
		return 0;
	return len;
}

/* text[0..n) as character data; attr: inside an attribute value. */
static void put(FILE *out, const char *text, size_t n, int attr)
{
	const unsigned char *p = (const unsigned char *)text;

	for (size_t i = 0; i < n; i++) {
		size_t len;

		switch (p[i]) {
		case '&': fputs("&amp;", out); continue;
		case '<': fputs("&lt;", out); continue;
		case '>': fputs("&gt;", out); continue;
		case '"': fputs(attr ? "&quot;" : "\"", out); continue;
		case '\t': fputs(attr ? "&#9;" : "\t", out); continue;
		case '\n': fputs(attr ? "&#10;" : "\n", out); continue;
		case '\r': fputs("&#13;", out); continue;
		default: break;
		}
		if (p[i] >= 0x20 && p[i] < 0x80) {
			fputc(p[i], out);
		} else if (p[i] >= 0x80 && (len = utf8_valid(p + i, n - i)) > 0) {
			fwrite(p + i, 1, len, out);
			i += len - 1;
		} else {
			fputs("\xef\xbf\xbd", out);
		}
	}
}

void xmlout_prolog(FILE *out)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
}

void xmlout_text(FILE *out, const char *text, size_t n)
{
	put(out, text, n, 0);
}

void xmlout_value(FILE *out, const char *text, size_t n)
{
	put(out, text, n, 1);
}

void xmlout_attr(FILE *out, const char *key, const char *value)
{
	fprintf(out, " %s=\"", key);
	put(out, value, strlen(value), 1);
	fputc('"', out);
}

void xmlout_lines(FILE *out, const char *text, size_t n, size_t indent)
{
	size_t off = 0;

	while (off < n) {
		const char *line = text + off, *nl = memchr(line, '\n', n - off);
		size_t len = nl ? (size_t)(nl - line) : n - off, skip = 0;

		off += len + 1;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		while (skip < len && skip < indent && line[skip] == ' ')
			skip++;
		put(out, line + skip, len - skip, 0);
		fputc('\n', out);
	}
}
