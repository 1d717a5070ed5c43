/* indicators.c — PLACEHOLDER until the indicators issue lands: declares no
 * indicator, so that the pipeline around it builds. */
#include "indicators.h"

int indicators_load(site *s, repo *r, const sandbox_limits *limits, diag *d) {
    (void)r, (void)limits, (void)d;
    s->indicators = NULL;
    s->nindicators = 0;
    return 0;
}

void indicators_push(lua_State *L, const indicator *ind, int full, const char *lang) {
    (void)ind, (void)full, (void)lang;
    lua_newtable(L);
}

int indicators_write_data(const site *s, output *o, diag *d) {
    (void)s;
    static const char header[] = "indicator,year,value,kind\n";
    return output_write(o, "data/indicators.csv", header, sizeof header - 1, d);
}

void indicators_json(json_writer *w, const site *s) {
    (void)s;
    json_key(w, "indicators");
    json_array_begin(w);
    json_array_end(w);
}
