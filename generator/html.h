/* html.h — escaping for HTML text, attributes and XML. Every string that
 * reaches a page from content or Git passes through here. */
#ifndef PP_HTML_H
#define PP_HTML_H
#include <stddef.h>

#include "strbuf.h"

/* Escapes & < > " ' (safe in text and in quoted attributes, and in XML). */
void html_escape(strbuf *out, const char *s, size_t n);
void html_escape_str(strbuf *out, const char *s);
/* Percent-encodes what is not allowed unescaped in a URL path segment
 * (keeps UTF-8 bytes >= 0x80 as they are, which browsers accept). */
void url_escape_path(strbuf *out, const char *s, size_t n);

#endif
