/* chart.c — an indicator's SVG chart and its text alternative (chart.h). */
#include "chart.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "html.h"

/* ------------------------------------------------------------------------
 * Words of the chart, in the two languages of the site
 * ------------------------------------------------------------------------ */

typedef struct S_words {
    const char *year_axis, *unit_axis, *baseline, *target, *observed, *expected;
    const char *title_suffix; /* after the indicator's name */
    const char *sample;
    const char *d_baseline, *d_target, *d_observed, *d_none, *d_expected, *d_sample;
    const char *year_suffix;  /* after a year: "2015年" */
    const char *list_sep, *end;
    const char *axis_from, *axis_to, *axis_not_zero; /* "纵轴从" 68 "到" 76 "，不从0开始" */
} S_words;

static const S_words S_zh = {
    "年份", "单位：", "基线", "目标", "实际值", "预期进度（基线到目标的直线）",
    "：基线、实际值与目标", "示例数据，并非实际统计",
    "基线：", "目标：", "实际值：", "尚无实际值。", "虚线是从基线到目标的直线，表示如期达到目标所需的进度。",
    "图中的实际值是示例数据，并非实际统计。",
    "年", "；", "。",
    "纵轴从", "到", "，不从0开始",
};

static const S_words S_en = {
    "Year", "Unit: ", "Baseline", "Target", "Observed", "Expected (straight line from baseline to target)",
    ": baseline, observed values and target", "Sample data, not real figures",
    "Baseline: ", "Target: ", "Observed: ", "No observed values yet. ",
    "The dashed line runs straight from the baseline to the target: the progress needed to reach the target on time. ",
    "The observed values are sample data, not real figures. ",
    "", "; ", ". ",
    "The value axis runs from ", " to ", ", not from 0",
};

static const S_words *S_lang(const char *lang) {
    return lang && strncmp(lang, "en", 2) == 0 ? &S_en : &S_zh;
}

/* ------------------------------------------------------------------------
 * Numbers
 * ------------------------------------------------------------------------ */

void chart_number(char buf[32], double v) {
    if (!isfinite(v)) {
        snprintf(buf, 32, "?");
        return;
    }
    if (v == 0) v = 0; /* no "-0" */
    double a = fabs(v);
    snprintf(buf, 32, "%.12g", v);
    if (strchr(buf, 'e') && a >= 1e-6 && a < 1e15) {
        /* %g chose an exponent; people write these sizes out */
        snprintf(buf, 32, "%.8f", v);
        char *end = buf + strlen(buf);
        while (end > buf && end[-1] == '0') *--end = '\0';
        if (end > buf && end[-1] == '.') *--end = '\0';
    }
}

double chart_line_at(chart_point from, chart_point to, int year) {
    if (to.year == from.year) return to.value;
    double t = (double)(year - from.year) / (double)(to.year - from.year);
    if (t < 0) t = 0;
    if (t > 1) t = 1;
    return from.value + (to.value - from.value) * t;
}

/* A number with its unit: "10%", "150家" (zh), "150 stations" (en). */
static void S_amount(strbuf *out, double v, const char *unit, const S_words *w) {
    char num[32];
    chart_number(num, v);
    sb_puts(out, num);
    if (unit && *unit) {
        if (w == &S_en && strcmp(unit, "%") != 0) sb_putc(out, ' ');
        sb_puts(out, unit);
    }
}

void chart_amount(strbuf *out, double v, const char *unit, const char *lang) {
    S_amount(out, v, unit, S_lang(lang));
}

/* ------------------------------------------------------------------------
 * The text alternative
 * ------------------------------------------------------------------------ */

/* The value axis (Geometry, below): returns 1 when it does not start at 0. */
static int S_value_axis(const chart_data *c, double *lo, double *hi, double *step);

/* "纵轴从68到76，不从0开始" */
static void S_axis_note(strbuf *out, double from, double to, const S_words *w) {
    char num[32];
    chart_number(num, from);
    sb_puts(out, w->axis_from);
    sb_puts(out, num);
    sb_puts(out, w->axis_to);
    chart_number(num, to);
    sb_puts(out, num);
    sb_puts(out, w->axis_not_zero);
}

static void S_year(strbuf *out, int year, const S_words *w) {
    sb_printf(out, "%d", year);
    sb_puts(out, w->year_suffix);
}

void chart_describe(strbuf *out, const chart_data *c) {
    const S_words *w = S_lang(c->lang);
    int en = w == &S_en;
    if (c->has_baseline) {
        sb_puts(out, w->d_baseline);
        S_year(out, c->baseline.year, w);
        sb_puts(out, en ? ", " : "为");
        S_amount(out, c->baseline.value, c->unit, w);
        sb_puts(out, w->end);
    }
    if (c->has_target) {
        sb_puts(out, w->d_target);
        sb_puts(out, en ? "" : "到");
        S_year(out, c->target.year, w);
        sb_puts(out, en ? ", " : "达到");
        S_amount(out, c->target.value, c->unit, w);
        sb_puts(out, w->end);
    }
    if (c->nvalues == 0) {
        sb_puts(out, w->d_none);
    } else {
        sb_puts(out, w->d_observed);
        for (size_t i = 0; i < c->nvalues; i++) {
            if (i) sb_puts(out, w->list_sep);
            S_year(out, c->values[i].year, w);
            sb_puts(out, en ? ", " : "为");
            S_amount(out, c->values[i].value, c->unit, w);
        }
        sb_puts(out, w->end);
        if (c->sample) sb_puts(out, w->d_sample);
    }
    if (c->has_target && (c->has_baseline || c->nvalues)) sb_puts(out, w->d_expected);
    double lo, hi, step;
    if ((c->has_baseline || c->has_target || c->nvalues) && S_value_axis(c, &lo, &hi, &step)) {
        S_axis_note(out, lo, hi, w);
        sb_puts(out, w->end);
    }
    /* no trailing space */
    while (out->len && out->ptr[out->len - 1] == ' ') out->ptr[--out->len] = '\0';
}

/* ------------------------------------------------------------------------
 * Geometry
 * ------------------------------------------------------------------------ */

#define S_W 400.0
#define S_FONT 13.0
#define S_PLOT_TOP 34.0
#define S_PLOT_H 150.0
#define S_RIGHT 22.0

typedef struct S_frame {
    double x0, x1, y0, y1;  /* plot area in SVG units: left, right, top, bottom */
    int ymin, ymax;         /* years on the axis */
    double vlo, vhi, step;  /* values on the axis */
} S_frame;

static double S_x(const S_frame *f, int year) {
    if (f->ymax == f->ymin) return (f->x0 + f->x1) / 2;
    return f->x0 + (f->x1 - f->x0) * (double)(year - f->ymin) / (double)(f->ymax - f->ymin);
}

static double S_y(const S_frame *f, double v) {
    if (f->vhi == f->vlo) return (f->y0 + f->y1) / 2;
    return f->y1 - (f->y1 - f->y0) * (v - f->vlo) / (f->vhi - f->vlo);
}

/* Rough width of a text in SVG units: CJK characters are square, Latin
 * letters and digits about 0.6 of the font size. */
static double S_text_width(const char *s, double size) {
    double wd = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x80) wd += 0.6;
        else if (*p >= 0xE0) wd += 1.0;
        else if (*p >= 0xC0) wd += 0.6;
    }
    return wd * size;
}

/* A "nice" step for about four intervals over span: 1, 2, 2.5 or 5 x 10^k. */
static double S_nice_step(double span) {
    if (!(span > 0) || !isfinite(span)) return 1;
    double raw = span / 4, mag = pow(10, floor(log10(raw))), n = raw / mag;
    double k = n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10;
    return k * mag;
}

static void S_extend(double *lo, double *hi, int *first, double v) {
    if (*first) {
        *lo = *hi = v;
        *first = 0;
    } else {
        if (v < *lo) *lo = v;
        if (v > *hi) *hi = v;
    }
}

static void S_years(int *lo, int *hi, int *first, int y) {
    if (*first) {
        *lo = *hi = y;
        *first = 0;
    } else {
        if (y < *lo) *lo = y;
        if (y > *hi) *hi = y;
    }
}

/* The value axis runs from zero, so that slopes are not exaggerated, unless
 * zero would flatten the data: all of it on one side of zero and spanning
 * less than a third of its distance from zero (69 to 73% from 0 is a flat
 * line near the top). Then it starts at a round number just short of the
 * data, and the chart and its text alternative say so. */
static int S_value_axis(const chart_data *c, double *lo, double *hi, double *step) {
    int first = 1;
    double vlo = 0, vhi = 0;
    if (c->has_baseline) S_extend(&vlo, &vhi, &first, c->baseline.value);
    if (c->has_target) S_extend(&vlo, &vhi, &first, c->target.value);
    for (size_t i = 0; i < c->nvalues; i++) S_extend(&vlo, &vhi, &first, c->values[i].value);
    int zoom = 0;
    if (vlo > 0 && vhi > vlo && vhi - vlo < vhi / 3) {
        double st = S_nice_step(vhi - vlo), from = floor((vlo - st / 2) / st) * st;
        if (from > 0) vlo = from, zoom = 1;
    } else if (vhi < 0 && vlo < vhi && vhi - vlo < -vlo / 3) {
        double st = S_nice_step(vhi - vlo), to = ceil((vhi + st / 2) / st) * st;
        if (to < 0) vhi = to, zoom = 1;
    }
    if (!zoom) {
        if (vlo > 0) vlo = 0;
        if (vhi < 0) vhi = 0;
    }
    *step = S_nice_step(vhi - vlo);
    *lo = floor(vlo / *step) * *step;
    *hi = ceil(vhi / *step) * *step;
    if (*hi == *lo) *hi = *lo + *step;
    return zoom;
}

/* ------------------------------------------------------------------------
 * Drawing
 * ------------------------------------------------------------------------ */

static void S_text(strbuf *out, double x, double y, const char *anchor, const char *cls, const char *s) {
    sb_printf(out, "<text x=\"%.1f\" y=\"%.1f\"", x, y);
    if (anchor) sb_printf(out, " text-anchor=\"%s\"", anchor);
    if (cls) sb_printf(out, " class=\"%s\"", cls);
    sb_puts(out, ">");
    html_escape_str(out, s);
    sb_puts(out, "</text>\n");
}

typedef enum { S_MARK_BASELINE, S_MARK_TARGET, S_MARK_OBSERVED } S_mark;

static void S_marker(strbuf *out, S_mark m, double x, double y) {
    switch (m) {
    case S_MARK_BASELINE:
        sb_printf(out, "<rect class=\"chart-baseline\" x=\"%.1f\" y=\"%.1f\" width=\"9\" height=\"9\" "
                       "fill=\"#ffffff\" stroke=\"#3d3d3d\" stroke-width=\"2\"/>",
                  x - 4.5, y - 4.5);
        break;
    case S_MARK_TARGET:
        sb_printf(out, "<path class=\"chart-target\" d=\"M%.1f %.1fl6 6l-6 6l-6 -6z\" fill=\"#a51d2d\" "
                       "stroke=\"#a51d2d\" stroke-width=\"1\"/>",
                  x, y - 6);
        break;
    case S_MARK_OBSERVED:
        sb_printf(out, "<circle class=\"chart-observed\" cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"#1a5fb4\" "
                       "stroke=\"#ffffff\" stroke-width=\"1\"/>",
                  x, y);
        break;
    }
}

/* A marked point with a tooltip ("2015年：5.14%"). */
static void S_point(strbuf *out, S_mark m, const S_frame *f, chart_point p, const char *label,
                    const char *unit, const S_words *w) {
    double x = S_x(f, p.year), y = S_y(f, p.value);
    strbuf tip = STRBUF_INIT;
    sb_puts(&tip, label);
    sb_puts(&tip, w == &S_en ? " " : "：");
    S_year(&tip, p.year, w);
    sb_puts(&tip, w == &S_en ? ": " : "，");
    S_amount(&tip, p.value, unit, w);
    sb_puts(out, "<g><title>");
    html_escape(out, sb_str(&tip), tip.len);
    sb_puts(out, "</title>");
    S_marker(out, m, x, y);
    sb_puts(out, "</g>\n");
    if (tip.oom) out->oom = 1;
    sb_free(&tip);
}

/* The value beside a point; `above` puts it over the point. */
static void S_point_label(strbuf *out, const S_frame *f, chart_point p, int above, const char *anchor) {
    char num[32];
    chart_number(num, p.value);
    double x = S_x(f, p.year), y = S_y(f, p.value) + (above ? -9 : 17);
    if (anchor && strcmp(anchor, "end") == 0) x -= 4;
    else if (anchor && strcmp(anchor, "start") == 0) x += 4;
    S_text(out, x, y, anchor, "chart-value", num);
}

typedef struct S_legend_item {
    S_mark mark;
    int line; /* 1: the dashed line */
    const char *text;
} S_legend_item;

int chart_svg(strbuf *out, const chart_data *c) {
    const S_words *w = S_lang(c->lang);
    if (!c->has_baseline && !c->has_target && c->nvalues == 0) return -1;

    /* the ranges */
    int yfirst = 1;
    int ylo = 0, yhi = 0;
    if (c->has_baseline) S_years(&ylo, &yhi, &yfirst, c->baseline.year);
    if (c->has_target) S_years(&ylo, &yhi, &yfirst, c->target.year);
    for (size_t i = 0; i < c->nvalues; i++) S_years(&ylo, &yhi, &yfirst, c->values[i].year);
    if (yhi == ylo) {
        ylo--;
        yhi++;
    }
    S_frame f;
    int zoom = S_value_axis(c, &f.vlo, &f.vhi, &f.step);
    f.ymin = ylo;
    f.ymax = yhi;

    /* the left margin fits the longest value label */
    double label_w = 0;
    int nticks = (int)floor((f.vhi - f.vlo) / f.step + 0.5);
    if (nticks > 20) nticks = 20;
    for (int i = 0; i <= nticks; i++) {
        char num[32];
        chart_number(num, f.vlo + f.step * i);
        double tw = S_text_width(num, S_FONT);
        if (tw > label_w) label_w = tw;
    }
    f.x0 = 14 + label_w + 10;
    f.x1 = S_W - S_RIGHT;
    f.y0 = S_PLOT_TOP;
    f.y1 = S_PLOT_TOP + S_PLOT_H;
    /* keep the first and last year off the axes */
    double pad = 16;
    S_frame plot = f;
    plot.x0 += pad;
    plot.x1 -= pad;

    /* the legend: items placed in rows */
    S_legend_item items[4];
    int nitems = 0;
    if (c->has_baseline) items[nitems++] = (S_legend_item){S_MARK_BASELINE, 0, w->baseline};
    if (c->nvalues) items[nitems++] = (S_legend_item){S_MARK_OBSERVED, 0, w->observed};
    if (c->has_target) items[nitems++] = (S_legend_item){S_MARK_TARGET, 0, w->target};
    int has_line = c->has_target && (c->has_baseline || c->nvalues) &&
                   (c->has_baseline ? c->baseline.year : c->values[0].year) != c->target.year;
    if (has_line) items[nitems++] = (S_legend_item){S_MARK_TARGET, 1, w->expected};
    double lx[4], ly[4], legend_top = f.y1 + 44, x = 14, row = 0;
    for (int i = 0; i < nitems; i++) {
        double iw = (items[i].line ? 26 : 14) + 6 + S_text_width(items[i].text, S_FONT) + 16;
        if (x + iw > S_W - 8 && x > 14) {
            x = 14;
            row++;
        }
        lx[i] = x;
        ly[i] = legend_top + row * 20;
        x += iw;
    }
    double sample_y = legend_top + (nitems ? (row + 1) * 20 : 0);
    int sample = c->sample && c->nvalues;
    double zoom_y = sample_y + (sample ? 20 : 0);
    double height = zoom_y + (zoom ? 20 : 0) + 4;

    strbuf desc = STRBUF_INIT, title = STRBUF_INIT;
    chart_describe(&desc, c);
    sb_puts(&title, c->name ? c->name : c->id);
    sb_puts(&title, w->title_suffix);

    sb_printf(out, "<svg class=\"indicator-chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                   "aria-labelledby=\"%s-title %s-desc\" font-size=\"%.0f\" "
                   "xmlns=\"http://www.w3.org/2000/svg\">\n",
              S_W, height, c->id, c->id, S_FONT);
    sb_printf(out, "<title id=\"%s-title\">", c->id);
    html_escape(out, sb_str(&title), title.len);
    sb_printf(out, "</title>\n<desc id=\"%s-desc\">", c->id);
    html_escape(out, sb_str(&desc), desc.len);
    sb_puts(out, "</desc>\n");
    if (desc.oom || title.oom) out->oom = 1;
    sb_free(&desc);
    sb_free(&title);
    sb_puts(out, "<g fill=\"#1f1f1f\">\n");

    /* the unit above the value axis; the sample notice at the top right */
    if (c->unit && *c->unit) {
        strbuf u = STRBUF_INIT;
        sb_puts(&u, w->unit_axis);
        sb_puts(&u, c->unit);
        S_text(out, 14, 16, NULL, "chart-axis-title", sb_str(&u));
        if (u.oom) out->oom = 1;
        sb_free(&u);
    }

    /* grid and value axis */
    sb_puts(out, "<g class=\"chart-grid\" stroke=\"#d4d4d4\" stroke-width=\"1\">\n");
    for (int i = 0; i <= nticks; i++) {
        double v = f.vlo + f.step * i, y = S_y(&f, v);
        sb_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", f.x0, y, f.x1, y);
    }
    sb_puts(out, "</g>\n");
    for (int i = 0; i <= nticks; i++) {
        char num[32];
        double v = f.vlo + f.step * i;
        chart_number(num, v);
        S_text(out, f.x0 - 6, S_y(&f, v) + 4, "end", "chart-tick", num);
    }
    sb_printf(out, "<line class=\"chart-axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                   "stroke=\"#595959\" stroke-width=\"1.5\"/>\n",
              f.x0, f.y1, f.x1, f.y1);

    /* year axis: every year, or every 2nd, 5th, 10th... when many */
    int span = f.ymax - f.ymin, ystep = 1;
    while (span / ystep > 8) ystep = ystep == 1 ? 2 : ystep == 2 ? 5 : ystep * 2;
    for (int yr = f.ymin; yr <= f.ymax; yr++) {
        if ((yr - f.ymin) % ystep != 0 && yr != f.ymax) continue;
        if (yr != f.ymax && f.ymax - yr < ystep && (f.ymax - f.ymin) % ystep != 0) continue;
        char num[16];
        snprintf(num, sizeof num, "%d", yr);
        double xx = S_x(&plot, yr);
        sb_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#595959\"/>\n", xx,
                  f.y1, xx, f.y1 + 4);
        S_text(out, xx, f.y1 + 17, "middle", "chart-tick", num);
    }
    S_text(out, f.x1, f.y1 + 33, "end", "chart-axis-title", w->year_axis);

    /* the expected line, from the baseline (else the first value) to the target */
    if (has_line) {
        chart_point from = c->has_baseline ? c->baseline : c->values[0];
        sb_printf(out, "<line class=\"chart-expected\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                       "stroke=\"#5e5e5e\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n",
                  S_x(&plot, from.year), S_y(&f, from.value), S_x(&plot, c->target.year),
                  S_y(&f, c->target.value));
    }
    /* the observed values */
    if (c->nvalues > 1) {
        sb_puts(out, "<polyline class=\"chart-observed-line\" fill=\"none\" stroke=\"#1a5fb4\" "
                     "stroke-width=\"2.5\" points=\"");
        for (size_t i = 0; i < c->nvalues; i++)
            sb_printf(out, "%s%.1f,%.1f", i ? " " : "", S_x(&plot, c->values[i].year),
                      S_y(&f, c->values[i].value));
        sb_puts(out, "\"/>\n");
    }
    /* points and their values: the baseline below its point, the target and
     * the latest value above theirs */
    if (c->has_baseline) {
        S_point(out, S_MARK_BASELINE, &plot, c->baseline, w->baseline, c->unit, w);
        S_point_label(out, &plot, c->baseline, 0, "start");
    }
    for (size_t i = 0; i < c->nvalues; i++)
        S_point(out, S_MARK_OBSERVED, &plot, c->values[i], w->observed, c->unit, w);
    if (c->nvalues) {
        chart_point last = c->values[c->nvalues - 1];
        int clash = c->has_target && last.year == c->target.year;
        S_point_label(out, &plot, last, !clash || last.value >= c->target.value ? 1 : 0, "middle");
    }
    if (c->has_target) {
        S_point(out, S_MARK_TARGET, &plot, c->target, w->target, c->unit, w);
        chart_point last = c->nvalues ? c->values[c->nvalues - 1] : c->target;
        int below = c->nvalues && last.year == c->target.year && last.value >= c->target.value;
        S_point_label(out, &plot, c->target, !below, "end");
    }

    /* the legend */
    for (int i = 0; i < nitems; i++) {
        double mx = lx[i], my = ly[i];
        if (items[i].line) {
            sb_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#5e5e5e\" "
                           "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n",
                      mx, my - 4, mx + 26, my - 4);
            S_text(out, mx + 32, my, NULL, "chart-legend", items[i].text);
        } else {
            S_marker(out, items[i].mark, mx + 7, my - 4);
            sb_putc(out, '\n');
            S_text(out, mx + 20, my, NULL, "chart-legend", items[i].text);
        }
    }
    if (sample) S_text(out, 14, sample_y, NULL, "chart-sample", w->sample);
    if (zoom) {
        /* a break in the value axis, and the words */
        sb_printf(out, "<path class=\"chart-axis-break\" d=\"M%.1f %.1fl8 -4M%.1f %.1fl8 -4\" "
                       "stroke=\"#595959\" stroke-width=\"1.5\"/>\n",
                  f.x0 - 4, f.y1 - 4, f.x0 - 4, f.y1 - 8);
        strbuf note = STRBUF_INIT;
        S_axis_note(&note, f.vlo, f.vhi, w);
        S_text(out, 14, zoom_y, NULL, "chart-axis-note", sb_str(&note));
        if (note.oom) out->oom = 1;
        sb_free(&note);
    }
    sb_puts(out, "</g>\n</svg>");
    return 0;
}
