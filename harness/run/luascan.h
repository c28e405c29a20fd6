/*
** luascan: the literal declarations in a scenario's Lua text, found
** without running it, so --tags and --list work before any lab exists.
** Only literal lists of string literals count: `vpnlab.tags{ "a", "b" }`,
** `vpnlab.tags({ "a" })`, `vpnlab.requires("esp")`, `vpnlab.requires "esp"`.
** A small Lua lexer skips comments and strings, so a declaration inside
** one is not one; a list with anything but string literals in it (a
** variable, a call) is ignored as a whole, as is a string that is not
** plain (numeric or \z escapes, LUASCAN_MAX_WORD bytes or more). Apart
** from select so that choosing scenarios does not carry a tokenizer.
*/
#ifndef VPNLAB_LUASCAN_H
#define VPNLAB_LUASCAN_H

#include <stddef.h>

#define LUASCAN_MAX_WORD 128    /* a string this long or longer is not kept */
#define LUASCAN_MAX_WORDS 256   /* a list with more distinct strings is ignored */

enum luascan_kind { LUASCAN_TAGS, LUASCAN_REQUIRES };

/*
** Called once per literal declaration, in file order, with its strings
** (NUL-terminated, in list order, without duplicates). 0 to go on, -1 to
** stop the scan.
*/
typedef int (*luascan_found_fn)(void *ctx, enum luascan_kind kind, char *const *words, size_t nwords);

/* Every literal declaration in text[0..len). 0, or -1 when found returned -1. */
int luascan_text(const char *text, size_t len, luascan_found_fn found, void *ctx);

#endif
