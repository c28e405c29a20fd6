/*
** Unit tests for xmlout.c, on its own: markup escaped in content and in
** attribute values (whitespace as references only there), valid UTF-8 kept,
** what XML 1.0 cannot carry (controls, invalid or overlong UTF-8,
** surrogates, U+FFFE, past U+10FFFF, a cut sequence) as U+FFFD, and
** xmlout_lines' "\r" and indent handling.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/xmlout.h"
#include "unit.h"

static char *buf;
static size_t buflen;

static FILE *open_buf(void)
{
	free(buf);
	buf = NULL;
	return open_memstream(&buf, &buflen);
}

static void check_text(const char *in, size_t n, int attr, const char *want, const char *what)
{
	FILE *f = open_buf();

	if (attr)
		xmlout_value(f, in, n);
	else
		xmlout_text(f, in, n);
	fclose(f);
	is_str(buf, want, what);
}

#define T(in, attr, want, what) check_text(in, sizeof(in) - 1, attr, want, what)

int main(void)
{
	FILE *f;

	T("a&b<c>d\"e", 0, "a&amp;b&lt;c&gt;d\"e", "content: & < > escaped, quote kept");
	T("a&b<c>d\"e", 1, "a&amp;b&lt;c&gt;d&quot;e", "attribute: quote escaped too");
	T("x\ty\nz\r", 0, "x\ty\nz&#13;", "content: tab and newline kept, CR a reference");
	T("x\ty\nz\r", 1, "x&#9;y&#10;z&#13;", "attribute: tab, newline, CR as references");
	T("\x01\x7f", 0, "\xef\xbf\xbd\x7f", "control -> U+FFFD, DEL kept");
	T("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 0, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "valid 2-, 3-, 4-byte UTF-8 kept");
	T("\xc0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd", "overlong NUL: U+FFFD per byte");
	T("\xed\xa0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "surrogate U+D800 -> U+FFFD");
	T("\xef\xbf\xbe", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "U+FFFE -> U+FFFD");
	T("\xf4\x90\x80\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "past U+10FFFF -> U+FFFD");
	T("a\xe2\x82", 0, "a\xef\xbf\xbd\xef\xbf\xbd", "a sequence cut by the end -> U+FFFD");
	check_text("a\0b", 3, 0, "a\xef\xbf\xbd" "b", "NUL inside the length -> U+FFFD");

	f = open_buf();
	xmlout_attr(f, "name", "a \"b\"\n");
	fclose(f);
	is_str(buf, " name=\"a &quot;b&quot;&#10;\"", "xmlout_attr: key, quoted escaped value");

	f = open_buf();
	xmlout_lines(f, "    one\r\n  two\n      three <", strlen("    one\r\n  two\n      three <"), 4);
	fclose(f);
	is_str(buf, "one\ntwo\n  three &lt;\n", "xmlout_lines: up to indent spaces stripped, CR dropped, last line ended");

	f = open_buf();
	xmlout_prolog(f);
	fclose(f);
	is_str(buf, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", "xmlout_prolog");
	free(buf);
	return unit_done();
}
