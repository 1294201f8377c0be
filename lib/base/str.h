/*
 * str.h: bounded string helpers (no strcpy, sprintf, atoi in xdsnode).
 */
#ifndef XDS_STR_H
#define XDS_STR_H

#include <stddef.h>
#include <stdint.h>

/* Copy src into dst of size dstsz, always NUL-terminated.  Returns
 * strlen(src); a value >= dstsz means the copy was truncated. */
size_t str_lcpy(char *dst, const char *src, size_t dstsz);

/* Append src to dst (size dstsz).  Returns the length it tried to make. */
size_t str_lcat(char *dst, const char *src, size_t dstsz);

/* Parse a decimal integer in [min, max]; the whole string must be a number.
 * Returns 0 and sets *out, or -1 with *errstr set to a static reason. */
int str_tonum(const char *s, long long min, long long max, long long *out,
    const char **errstr);

/* Case-insensitive ASCII comparisons. */
int str_caseeq(const char *a, const char *b);
int str_ncaseeq(const char *a, const char *b, size_t n);

/* 1 when s equals one of the n strings of list. */
int str_in(const char *s, const char *const *list, size_t n);

/* strdup of n bytes (adds NUL); NULL on allocation failure. */
char *str_ndup(const char *s, size_t n);

/* Trim ASCII whitespace in place; returns s. */
char *str_trim(char *s);

/* The next item of a list separated by sep, at *p: its start, its
 * length without the spaces around it in *n; *p is moved past the
 * separator, or set to NULL after the last item. */
const char *str_item(const char **p, int sep, size_t *n);

/* snprintf that returns -1 on truncation or error, else the length. */
int str_fmt(char *dst, size_t dstsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Lower-case hex of len bytes into out (2*len+1 bytes). */
void str_hex(const unsigned char *in, size_t len, char *out);

/*
 * in into out with every control character (bytes 0x00-0x1f and 0x7f)
 * written as \xNN, so that text from a peer cannot start a new log line
 * or rewrite one; other bytes (UTF-8 included) are kept.  Truncated to
 * outsz - 1 bytes, never inside an escape.
 */
void str_escape_ctl(const char *in, char *out, size_t outsz);

#endif
