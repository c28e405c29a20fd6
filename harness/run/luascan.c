/*
** luascan.c: see luascan.h. Tokens are names, strings, punctuation (a
** number is one punctuation token with its digits, letters and dots) and
** the end; a declaration is `vpnlab` `.` `tags`|`requires` and a literal
** argument, unless `vpnlab` is itself a field (after `.` or `:`).
*/
#include "run/luascan.h"

#include <stdlib.h>
#include <string.h>

/* ---- the strings of one declaration --------------------------------------- */

struct words {
	char **v;
	size_t n;
};

/* Append a copy of s (len bytes) unless it is there already. 0 or -1. */
static int words_add(struct words *w, const char *s, size_t len)
{
	char **nv, *copy;
	for (size_t i = 0; i < w->n; i++)
		if (strlen(w->v[i]) == len && memcmp(w->v[i], s, len) == 0)
			return 0;
	if ((copy = strndup(s, len)) == NULL)
		return -1;
	if ((nv = realloc(w->v, (w->n + 1) * sizeof(*nv))) == NULL) {
		free(copy);
		return -1;
	}
	w->v = nv;
	w->v[w->n++] = copy;
	return 0;
}

static void words_free(struct words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
}

/* ---- a Lua lexer, just enough to find literal declarations --------------- */

enum tok_kind { TOK_END, TOK_NAME, TOK_STRING, TOK_PUNCT };

struct lexer {
	const char *text;
	size_t len, pos;
};

struct token {
	enum tok_kind kind;
	size_t start, len;            /* the token's bytes in the text (NAME, PUNCT) */
	char str[LUASCAN_MAX_WORD];   /* a STRING's value, when plain */
	size_t slen;
	int plain;                    /* a STRING short enough, without numeric or \z escapes */
};

static int lex_peek(const struct lexer *lx, size_t ahead)
{
	return lx->pos + ahead < lx->len ? (unsigned char)lx->text[lx->pos + ahead] : -1;
}

/* At "[" "="* "[": its level (count of '='), else -1. Does not move. */
static int long_bracket_level(const struct lexer *lx)
{
	size_t i = 1;
	if (lex_peek(lx, 0) != '[')
		return -1;
	while (lex_peek(lx, i) == '=')
		i++;
	return lex_peek(lx, i) == '[' ? (int)(i - 1) : -1;
}

/* Past a long bracket of this level and its closing "]" "="* "]" (or the end). */
static void skip_long(struct lexer *lx, int level)
{
	lx->pos += (size_t)level + 2;
	while (lx->pos < lx->len) {
		if (lx->text[lx->pos++] != ']')
			continue;
		int i = 0;
		while (i < level && lex_peek(lx, (size_t)i) == '=')
			i++;
		if (i == level && lex_peek(lx, (size_t)i) == ']') {
			lx->pos += (size_t)level + 1;
			return;
		}
	}
}

static void str_put(struct token *t, int c)
{
	if (t->slen + 1 < sizeof(t->str))
		t->str[t->slen++] = (char)c;
	else
		t->plain = 0;
}

/* A quoted string; unterminated at a newline or the end, as Lua would refuse it. */
static void lex_quoted(struct lexer *lx, struct token *t)
{
	static const char from[] = "abfnrtv\\\"'\n", to[] = "\a\b\f\n\r\t\v\\\"'\n";
	int quote = lex_peek(lx, 0), c;
	lx->pos++;
	while ((c = lex_peek(lx, 0)) >= 0 && c != quote && c != '\n') {
		lx->pos++;
		if (c == '\\' && (c = lex_peek(lx, 0)) >= 0) {
			const char *e = strchr(from, c);
			lx->pos++;
			if (e == NULL)
				t->plain = 0;   /* \x, \ddd, \u{}, \z: never in a tag */
			else
				str_put(t, to[e - from]);
		} else {
			str_put(t, c);
		}
	}
	if (c == quote)
		lx->pos++;
}

static int is_name_char(int c, int digits)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (digits && c >= '0' && c <= '9');
}

/* The next token; comments and white space are skipped. */
static void lex_next(struct lexer *lx, struct token *t)
{
	int c, level;
	t->kind = TOK_END;
	t->slen = 0;
	t->plain = 1;
	for (;;) {
		while ((c = lex_peek(lx, 0)) == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
			lx->pos++;
		if (c != '-' || lex_peek(lx, 1) != '-')
			break;
		lx->pos += 2;
		if ((level = long_bracket_level(lx)) >= 0)
			skip_long(lx, level);
		else
			while ((c = lex_peek(lx, 0)) >= 0 && c != '\n')
				lx->pos++;
	}
	t->start = lx->pos;
	if (c < 0) {
		t->kind = TOK_END;
	} else if (c == '"' || c == '\'') {
		t->kind = TOK_STRING;
		lex_quoted(lx, t);
	} else if ((level = long_bracket_level(lx)) >= 0) {
		t->kind = TOK_STRING;
		t->plain = 0;   /* [[...]] is a string to skip; a tag in one is not worth decoding */
		skip_long(lx, level);
	} else if (is_name_char(c, 0)) {
		t->kind = TOK_NAME;
		while (is_name_char(lex_peek(lx, 0), 1))
			lx->pos++;
	} else {
		/* A number's digits, letters and dots are one token, so "1e5" never holds a name. */
		t->kind = TOK_PUNCT;
		lx->pos++;
		if (c >= '0' && c <= '9')
			while (is_name_char(c = lex_peek(lx, 0), 1) || c == '.')
				lx->pos++;
	}
	t->len = lx->pos - t->start;
	t->str[t->slen] = '\0';
}

static int tok_is(const struct lexer *lx, const struct token *t, enum tok_kind k, const char *text)
{
	return t->kind == k && t->len == strlen(text) && memcmp(lx->text + t->start, text, t->len) == 0;
}

/*
** After `{`: string literals separated by ',' or ';' up to '}' (a trailing
** separator allowed). 0 with the strings in out, -1 if anything else is in it.
*/
static int lex_list(struct lexer *lx, struct words *out)
{
	struct token t;
	for (;;) {
		lex_next(lx, &t);
		if (tok_is(lx, &t, TOK_PUNCT, "}"))
			return 0;
		if (t.kind != TOK_STRING || !t.plain || out->n >= LUASCAN_MAX_WORDS ||
		    words_add(out, t.str, t.slen) < 0)
			return -1;
		lex_next(lx, &t);
		if (tok_is(lx, &t, TOK_PUNCT, "}"))
			return 0;
		if (!tok_is(lx, &t, TOK_PUNCT, ",") && !tok_is(lx, &t, TOK_PUNCT, ";"))
			return -1;
	}
}

/*
** After `vpnlab . name`: the argument, in any of its literal forms:
** "s", ("s"), {...}, ({...}). 0 with its strings in out, else -1.
*/
static int lex_arguments(struct lexer *lx, struct words *out)
{
	struct token t;
	int paren;
	lex_next(lx, &t);
	paren = tok_is(lx, &t, TOK_PUNCT, "(");
	if (paren)
		lex_next(lx, &t);
	if (t.kind == TOK_STRING) {
		if (!t.plain || words_add(out, t.str, t.slen) < 0)
			return -1;
	} else if (!tok_is(lx, &t, TOK_PUNCT, "{") || lex_list(lx, out) < 0) {
		return -1;
	}
	if (paren) {
		lex_next(lx, &t);
		return tok_is(lx, &t, TOK_PUNCT, ")") ? 0 : -1;
	}
	return 0;
}

/*
** One declaration starting at the `vpnlab` just read: a literal one is
** handed to found (a failed match, or running out of memory while reading
** the list, hands on nothing). -1 only when found returns -1.
*/
static int scan_declaration(struct lexer *lx, luascan_found_fn found, void *ctx)
{
	struct token t;
	struct words words = { NULL, 0 };
	int tags, rc = 0;

	lex_next(lx, &t);
	if (!tok_is(lx, &t, TOK_PUNCT, "."))
		return 0;
	lex_next(lx, &t);
	tags = tok_is(lx, &t, TOK_NAME, "tags");
	if (!tags && !tok_is(lx, &t, TOK_NAME, "requires"))
		return 0;
	if (lex_arguments(lx, &words) == 0)
		rc = found(ctx, tags ? LUASCAN_TAGS : LUASCAN_REQUIRES, words.v, words.n);
	words_free(&words);
	return rc;
}

int luascan_text(const char *text, size_t len, luascan_found_fn found, void *ctx)
{
	struct lexer lx = { text, len, 0 };
	struct token t, prev = { .kind = TOK_END };
	for (lex_next(&lx, &t); t.kind != TOK_END; prev = t, lex_next(&lx, &t)) {
		/* `x.vpnlab.tags` or `o:vpnlab` is someone else's field. */
		int member = tok_is(&lx, &prev, TOK_PUNCT, ".") || tok_is(&lx, &prev, TOK_PUNCT, ":");
		if (!member && tok_is(&lx, &t, TOK_NAME, "vpnlab")) {
			size_t after = lx.pos;
			if (scan_declaration(&lx, found, ctx) < 0)
				return -1;
			/* Scan on from just after `vpnlab`: a failed match may have eaten the next one. */
			lx.pos = after;
		}
	}
	return 0;
}
