/*
** xmlout: text written into an XML 1.0 document, always well-formed
** whatever the bytes: markup characters escaped, whitespace in attribute
** values kept as character references, and every byte XML 1.0 cannot carry
** (a control character, a byte of invalid UTF-8, a surrogate, U+FFFE/FFFF)
** written as U+FFFD. Apart from junit so the JUnit writer is only about
** the JUnit structure, and so any other XML report can share the escaping.
** Write errors are left in the FILE (ferror) for the caller to check once.
*/
#ifndef VPNLAB_XMLOUT_H
#define VPNLAB_XMLOUT_H

#include <stddef.h>
#include <stdio.h>

/* The XML declaration, UTF-8 (what every function here writes), and a newline. */
void xmlout_prolog(FILE *out);
/* text[0..n) as element content: & < > escaped, '"' and whitespace as they are. */
void xmlout_text(FILE *out, const char *text, size_t n);
/* text[0..n) inside a "..." attribute value: '"', tab and newline as references too. */
void xmlout_value(FILE *out, const char *text, size_t n);
/* ` key="value"`: key is written as it is (a name the caller chose). */
void xmlout_attr(FILE *out, const char *key, const char *value);
/*
** The lines of text[0..n) as element content, each without its "\r" and
** without up to indent leading spaces, each ended by a newline.
*/
void xmlout_lines(FILE *out, const char *text, size_t n, size_t indent);

#endif
