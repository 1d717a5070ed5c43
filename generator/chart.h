/* chart.h — an indicator's chart as SVG, made at build time: baseline,
 * observed values, target and the straight line from baseline to target,
 * axis labels in the site's language, a <title>/<desc> text alternative.
 * Scales with its container (viewBox), readable on a phone and on paper.
 * Every string from content is escaped. */
#ifndef PP_CHART_H
#define PP_CHART_H
#include <stddef.h>

#include "strbuf.h"

typedef struct chart_point {
    int year;
    double value;
} chart_point;

typedef struct chart_data {
    const char *id;          /* makes the element ids: "ID-title", "ID-desc" */
    const char *name, *unit; /* unit may be NULL or "" */
    const char *lang;        /* "zh-CN" or "en" */
    int has_baseline, has_target;
    chart_point baseline, target;
    const chart_point *values; /* observations, sorted by year */
    size_t nvalues;
    int sample;              /* the observations are sample data */
} chart_data;

/* Appends the <svg> element to out. Returns 0, or -1 (nothing appended)
 * when there is nothing to draw: no baseline, no target and no values. */
int chart_svg(strbuf *out, const chart_data *c);

/* Appends the text alternative (the <desc>): every number of the chart in
 * a sentence, in the chart's language. Not escaped. */
void chart_describe(strbuf *out, const chart_data *c);

/* A number as people write it: up to 12 significant digits, no exponent
 * for ordinary sizes, no trailing zeros ("5.14", "10", "-0.5"). */
void chart_number(char buf[32], double v);

/* A number with its unit as the language writes it: "10%", "150家"; in
 * English a space before a unit other than "%" ("150 stations"). */
void chart_amount(strbuf *out, double v, const char *unit, const char *lang);

/* The point of the straight line from `from` to `to` at `year`, clamped to
 * the segment's ends. */
double chart_line_at(chart_point from, chart_point to, int year);

#endif
