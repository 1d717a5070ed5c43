/* json.h — a streaming JSON writer into a strbuf (data/site.json): commas
 * and escaping handled, keys in the order written, so output is stable. */
#ifndef PP_JSON_H
#define PP_JSON_H
#include "strbuf.h"

#define JSON_MAX_DEPTH 32

typedef struct json_writer {
    strbuf *out;
    int depth;
    int first[JSON_MAX_DEPTH]; /* no member written yet at this depth */
    int pretty;
} json_writer;

void json_init(json_writer *w, strbuf *out, int pretty);
void json_object_begin(json_writer *w);
void json_object_end(json_writer *w);
void json_array_begin(json_writer *w);
void json_array_end(json_writer *w);
void json_key(json_writer *w, const char *key);
void json_string(json_writer *w, const char *s); /* NULL writes null */
void json_int(json_writer *w, long long v);
void json_number(json_writer *w, double v);       /* non-finite writes null */
void json_bool(json_writer *w, int v);
void json_null(json_writer *w);
/* key + value shorthands; json_kv_str skips nothing: NULL writes null. */
void json_kv_str(json_writer *w, const char *key, const char *s);
void json_kv_int(json_writer *w, const char *key, long long v);

#endif
