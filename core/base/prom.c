/*
 * prom.c - the Prometheus text exposition format (see prom.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"

const double vlt_prom_latency_bounds[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
					   0.25,  0.5,	  1,	 2.5,  5,     10,   30 };
const size_t vlt_prom_n_latency_bounds =
	sizeof(vlt_prom_latency_bounds) / sizeof(vlt_prom_latency_bounds[0]);

/* ---- histograms */

void vlt__prom_hist_init(vlt_prom_hist_t *h, const double *bounds, size_t n)
{
	memset(h, 0, sizeof(*h));
	h->bounds = bounds;
	h->n_bounds = n < VLT_PROM_MAX_BUCKETS ? n : VLT_PROM_MAX_BUCKETS;
}

void vlt__prom_hist_observe(vlt_prom_hist_t *h, double value)
{
	size_t i = 0;

	if (!(value > 0)) /* negative and NaN too */
		value = 0;
	while (i < h->n_bounds && value > h->bounds[i])
		i++;
	vlt__prom_add(&h->bucket[i], 1);
	vlt__prom_add(&h->sum_nano, (uint64_t)llround(value * 1e9));
}

/* ---- the text */

void vlt__prom_init(vlt_prom_t *p)
{
	memset(p, 0, sizeof(*p));
}

void vlt__prom_free(vlt_prom_t *p)
{
	free(p->text);
	vlt__prom_init(p);
}

char *vlt__prom_take(vlt_prom_t *p)
{
	char *t = p->failed ? NULL : p->text;

	if (p->failed)
		free(p->text);
	else if (t == NULL)
		t = calloc(1, 1); /* nothing written: an empty text */
	vlt__prom_init(p);
	return t;
}

static bool reserve(vlt_prom_t *p, size_t more)
{
	if (p->failed)
		return false;
	if (p->len + more + 1 <= p->cap)
		return true;
	size_t cap = p->cap != 0 ? p->cap : 4096;
	while (cap < p->len + more + 1)
		cap *= 2;
	char *t = realloc(p->text, cap);
	if (t == NULL) {
		p->failed = true;
		return false;
	}
	p->text = t;
	p->cap = cap;
	return true;
}

static void put_bytes(vlt_prom_t *p, const char *s, size_t n)
{
	if (!reserve(p, n))
		return;
	memcpy(p->text + p->len, s, n);
	p->len += n;
	p->text[p->len] = '\0';
}

static void put_str(vlt_prom_t *p, const char *s)
{
	put_bytes(p, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void put_fmt(vlt_prom_t *p, const char *fmt, ...)
{
	char buf[64];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		put_bytes(p, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/*
 * Write s escaped: in a label value backslash, double quote and newline
 * become \\, \" and \n; in HELP text only backslash and newline do.
 */
static void put_escaped(vlt_prom_t *p, const char *s, bool quote)
{
	for (const char *run = s;; s++) {
		const char *esc = *s == '\\'		 ? "\\\\"
				  : *s == '\n'		 ? "\\n"
				  : *s == '"' && quote ? "\\\""
							 : NULL;
		if (esc == NULL && *s != '\0')
			continue;
		put_bytes(p, run, (size_t)(s - run));
		if (*s == '\0')
			return;
		put_str(p, esc);
		run = s + 1;
	}
}

char *vlt__prom_escape_label(const char *value, char *out, size_t size)
{
	vlt_prom_t p;

	vlt__prom_init(&p);
	put_escaped(&p, value, true);
	snprintf(out, size, "%s", p.text != NULL && !p.failed ? p.text : "");
	vlt__prom_free(&p);
	return out;
}

/* The shortest of %.15g and %.17g that reads back as v. */
static void format_double(double v, char *buf, size_t size)
{
	snprintf(buf, size, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, size, "%.17g", v);
}

/* A sample's value: integers as integers, +Inf, -Inf and NaN as the format spells them. */
static void put_value(vlt_prom_t *p, double v)
{
	if (isnan(v))
		put_str(p, "NaN");
	else if (isinf(v))
		put_str(p, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		put_fmt(p, "%.0f", v);
	else {
		char buf[40];

		format_double(v, buf, sizeof(buf));
		put_str(p, buf);
	}
}

void vlt__prom_family(vlt_prom_t *p, const char *name, const char *type, const char *help)
{
	put_str(p, "# HELP ");
	put_str(p, name);
	put_str(p, " ");
	put_escaped(p, help, false);
	put_str(p, "\n# TYPE ");
	put_str(p, name);
	put_str(p, " ");
	put_str(p, type);
	put_str(p, "\n");
}

/* name{a="x",b="y",extra="v"}: extra (may be NULL) is a last label already formatted. */
static void put_series(vlt_prom_t *p, const char *name, const char *suffix,
		       const vlt_prom_label_t *labels, size_t n, const char *extra_name,
		       const char *extra_value)
{
	put_str(p, name);
	put_str(p, suffix);
	if (n == 0 && extra_name == NULL) {
		put_str(p, " ");
		return;
	}
	put_str(p, "{");
	for (size_t i = 0; i < n; i++) {
		put_str(p, i > 0 ? "," : "");
		put_str(p, labels[i].name);
		put_str(p, "=\"");
		put_escaped(p, labels[i].value != NULL ? labels[i].value : "", true);
		put_str(p, "\"");
	}
	if (extra_name != NULL) {
		put_str(p, n > 0 ? "," : "");
		put_str(p, extra_name);
		put_str(p, "=\"");
		put_str(p, extra_value);
		put_str(p, "\"");
	}
	put_str(p, "} ");
}

void vlt__prom_sample(vlt_prom_t *p, const char *name, const vlt_prom_label_t *labels, size_t n,
		      double value)
{
	put_series(p, name, "", labels, n, NULL, NULL);
	put_value(p, value);
	put_str(p, "\n");
}

void vlt__prom_sample_u64(vlt_prom_t *p, const char *name, const vlt_prom_label_t *labels,
			  size_t n, uint64_t value)
{
	put_series(p, name, "", labels, n, NULL, NULL);
	put_fmt(p, "%" PRIu64 "\n", value);
}

void vlt__prom_histogram(vlt_prom_t *p, const char *name, const vlt_prom_label_t *labels,
			 size_t n, const vlt_prom_hist_t *h)
{
	uint64_t cumulative = 0;
	char le[32];

	for (size_t i = 0; i <= h->n_bounds; i++) {
		cumulative += vlt__prom_get(&h->bucket[i]);
		if (i < h->n_bounds)
			format_double(h->bounds[i], le, sizeof(le));
		put_series(p, name, "_bucket", labels, n, "le", i < h->n_bounds ? le : "+Inf");
		put_fmt(p, "%" PRIu64 "\n", cumulative);
	}
	put_series(p, name, "_sum", labels, n, NULL, NULL);
	put_value(p, (double)vlt__prom_get(&h->sum_nano) / 1e9);
	put_str(p, "\n");
	put_series(p, name, "_count", labels, n, NULL, NULL);
	put_fmt(p, "%" PRIu64 "\n", cumulative);
}
