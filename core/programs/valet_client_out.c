/*
 * valet_client_out.c - what the client prints, as the OpenStack client
 * does: an aligned table by default, or -f json, yaml or value, with -c
 * picking columns (valet_client.h). A cell holds a JSON value as text:
 * a scalar as itself (null as nothing), a list of scalars joined by ", ",
 * anything deeper one member per line ("key: k=v, k=v").
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <yaml.h>

#include "valet_client.h"

/* ---------------------------------------------------------------- cells */

static void scalar_text(FILE *f, const json_t *v)
{
	if (json_is_string(v))
		fputs(json_string_value(v), f);
	else if (json_is_integer(v))
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		fprintf(f, "%.15g", json_real_value(v)); /* 0.1, not 0.10000000000000001 */
	else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "true" : "false", f);
}

static void inline_text(FILE *f, const json_t *v);

/* A list's items or an object's "key<kv>value" members, each on one line, between sep. */
static void members_text(FILE *f, const json_t *v, const char *sep, const char *kv)
{
	const char *key;
	json_t *item;
	size_t i;
	bool first = true;

	if (json_is_array(v)) {
		json_array_foreach (v, i, item) {
			fputs(first ? "" : sep, f);
			inline_text(f, item);
			first = false;
		}
		return;
	}
	json_object_foreach ((json_t *)v, key, item) {
		fprintf(f, "%s%s%s", first ? "" : sep, key, kv);
		inline_text(f, item);
		first = false;
	}
}

/* v on one line: a list as "a, b", an object as "k=v, k=v". */
static void inline_text(FILE *f, const json_t *v)
{
	if (json_is_array(v) || json_is_object(v))
		members_text(f, v, ", ", "=");
	else
		scalar_text(f, v);
}

static bool all_scalars(const json_t *list)
{
	size_t i;
	json_t *item;

	json_array_foreach (list, i, item) {
		if (json_is_array(item) || json_is_object(item))
			return false;
	}
	return true;
}

/* The text of a cell, malloc'd (may hold newlines); NULL when out of memory. */
static char *cell_text(const json_t *v)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	if ((json_is_array(v) && !all_scalars(v)) || json_is_object(v))
		members_text(f, v, "\n", ": "); /* one member per line */
	else
		inline_text(f, v);
	fclose(f);
	return text;
}

/* ---------------------------------------------------------------- tables */

/* Columns on a terminal: UTF-8 continuation bytes take none. */
static size_t display_width(const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xC0) != 0x80;
	return w;
}

/* The widest line of s, and how many lines it has. */
static size_t text_width(const char *s, size_t *lines)
{
	size_t w = 0;

	*lines = 0;
	for (const char *p = s;; p++) {
		const char *end = strchr(p, '\n');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		size_t lw = display_width(p, n);

		w = lw > w ? lw : w;
		(*lines)++;
		if (end == NULL)
			return w;
		p = end;
	}
}

/* Line number `line` of s padded to width, or blanks when s has fewer lines. */
static void print_line_of(const char *s, size_t line, size_t width)
{
	const char *p = s;

	for (size_t i = 0; i < line && p != NULL; i++) {
		p = strchr(p, '\n');
		p = p != NULL ? p + 1 : NULL;
	}
	size_t n = 0;
	if (p != NULL) {
		const char *end = strchr(p, '\n');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		fwrite(p, 1, n, stdout);
	}
	for (size_t w = p != NULL ? display_width(p, n) : 0; w < width; w++)
		putchar(' ');
}

static void print_rule(const size_t *widths, size_t n_cols)
{
	for (size_t c = 0; c < n_cols; c++) {
		putchar('+');
		for (size_t i = 0; i < widths[c] + 2; i++)
			putchar('-');
	}
	puts("+");
}

static void print_table_row(char *const *cells, const size_t *widths, size_t n_cols)
{
	size_t height = 1, lines;

	for (size_t c = 0; c < n_cols; c++) {
		text_width(cells[c], &lines);
		height = lines > height ? lines : height;
	}
	for (size_t line = 0; line < height; line++) {
		for (size_t c = 0; c < n_cols; c++) {
			fputs("| ", stdout);
			print_line_of(cells[c], line, widths[c]);
			putchar(' ');
		}
		puts("|");
	}
}

/*
 * A table of n_rows rows of n_cols cells (row-major, row 0 the header),
 * as the OpenStack client draws it.
 */
static void print_table(char *const *cells, size_t n_rows, size_t n_cols)
{
	size_t *widths = calloc(n_cols, sizeof(*widths));
	size_t lines;

	if (widths == NULL)
		return;
	for (size_t r = 0; r < n_rows; r++) {
		for (size_t c = 0; c < n_cols; c++) {
			size_t w = text_width(cells[r * n_cols + c], &lines);
			widths[c] = w > widths[c] ? w : widths[c];
		}
	}
	print_rule(widths, n_cols);
	print_table_row(cells, widths, n_cols);
	print_rule(widths, n_cols);
	for (size_t r = 1; r < n_rows; r++)
		print_table_row(cells + r * n_cols, widths, n_cols);
	if (n_rows > 1)
		print_rule(widths, n_cols);
	free(widths);
}

/* ---------------------------------------------------------------- YAML */

/* A string a YAML reader would take for something else unless quoted. */
static bool looks_typed(const char *s)
{
	static const char *const words[] = { "null", "~",   "true", "false", "yes", "no",
					     "on",   "off", "y",    "n",     NULL };
	char *end = NULL;

	if (s[0] == '\0')
		return true;
	for (size_t i = 0; words[i] != NULL; i++) {
		if (strcasecmp(s, words[i]) == 0)
			return true;
	}
	strtod(s, &end);
	return *end == '\0' || (s[0] >= '0' && s[0] <= '9') || s[0] == '.' ||
	       ((s[0] == '-' || s[0] == '+') && s[1] >= '0' && s[1] <= '9');
}

static int emit_scalar(yaml_emitter_t *em, const json_t *v)
{
	yaml_event_t ev;
	char num[64];
	const char *text = num;
	bool is_str = json_is_string(v);

	if (is_str)
		text = json_string_value(v);
	else if (json_is_null(v))
		text = "null";
	else if (json_is_boolean(v))
		text = json_is_true(v) ? "true" : "false";
	else if (json_is_integer(v))
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
	bool plain = !is_str || !looks_typed(text);
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), plain,
				     !plain, YAML_ANY_SCALAR_STYLE);
	return yaml_emitter_emit(em, &ev) ? 0 : -1;
}

static int emit_value(yaml_emitter_t *em, const json_t *v)
{
	yaml_event_t ev;
	const char *key;
	json_t *item;
	size_t i;
	int rc = 0;

	if (json_is_array(v)) {
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		rc = yaml_emitter_emit(em, &ev) ? 0 : -1;
		json_array_foreach (v, i, item) {
			if (rc == 0)
				rc = emit_value(em, item);
		}
		yaml_sequence_end_event_initialize(&ev);
	} else if (json_is_object(v)) {
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		rc = yaml_emitter_emit(em, &ev) ? 0 : -1;
		json_object_foreach ((json_t *)v, key, item) {
			json_t *k = json_string(key);
			if (rc == 0)
				rc = emit_scalar(em, k);
			if (rc == 0)
				rc = emit_value(em, item);
			json_decref(k);
		}
		yaml_mapping_end_event_initialize(&ev);
	} else {
		return emit_scalar(em, v);
	}
	return rc == 0 && yaml_emitter_emit(em, &ev) ? 0 : -1;
}

static int write_stdout(void *data, unsigned char *buffer, size_t size)
{
	(void)data;
	return fwrite(buffer, 1, size, stdout) == size;
}

static int print_yaml(const json_t *doc)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int rc = 0;

	if (!yaml_emitter_initialize(&em))
		return VLT_CLI_EXIT_API;
	yaml_emitter_set_output(&em, write_stdout, NULL);
	yaml_emitter_set_unicode(&em, 1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	rc = yaml_emitter_emit(&em, &ev) ? 0 : -1;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if (rc == 0)
		rc = yaml_emitter_emit(&em, &ev) ? 0 : -1;
	if (rc == 0)
		rc = emit_value(&em, doc);
	yaml_document_end_event_initialize(&ev, 1);
	if (rc == 0)
		rc = yaml_emitter_emit(&em, &ev) ? 0 : -1;
	yaml_stream_end_event_initialize(&ev);
	if (rc == 0)
		rc = yaml_emitter_emit(&em, &ev) ? 0 : -1;
	if (rc < 0)
		fprintf(stderr, "valet: cannot write YAML: %s\n",
			em.problem != NULL ? em.problem : "out of memory");
	yaml_emitter_delete(&em);
	return rc < 0 ? VLT_CLI_EXIT_API : VLT_CLI_EXIT_OK;
}

/* ---------------------------------------------------------------- formats */

/* names: NULL-terminated. */
static bool listed(const char *const *names, const char *name)
{
	for (size_t i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], name) == 0)
			return true;
	}
	return false;
}

/* -c names that are not among known (NULL-terminated): a usage error naming the known ones. */
static int check_columns(const vlt_cli_opts_t *o, const char *const *known)
{
	for (size_t i = 0; i < o->n_columns; i++) {
		if (listed(known, o->columns[i]))
			continue;
		fprintf(stderr, "valet %s %s: -c %s: no such column; the columns are:", o->noun,
			o->verb != NULL ? o->verb : "", o->columns[i]);
		for (size_t k = 0; known[k] != NULL; k++)
			fprintf(stderr, " %s", known[k]);
		fputc('\n', stderr);
		return VLT_CLI_EXIT_USAGE;
	}
	return 0;
}

/* rows reduced to the columns, for json and yaml: a new reference. */
static json_t *picked(const json_t *rows, const char *const *cols, size_t n_cols)
{
	json_t *out = json_array();
	size_t i;
	json_t *row;

	json_array_foreach (rows, i, row) {
		json_t *r = json_object();
		for (size_t c = 0; c < n_cols; c++) {
			json_t *v = json_object_get(row, cols[c]);
			json_object_set_new(r, cols[c], v != NULL ? json_incref(v) : json_null());
		}
		json_array_append_new(out, r);
	}
	return out;
}

static int print_json(const json_t *doc)
{
	int rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);

	putchar('\n');
	return rc == 0 ? VLT_CLI_EXIT_OK : VLT_CLI_EXIT_API;
}

/* Every cell as text, header first (row-major); NULL when out of memory. */
static char **table_cells(const json_t *rows, const char *const *cols, size_t n_cols)
{
	size_t n_rows = json_array_size(rows) + 1;
	char **cells = calloc(n_rows * n_cols, sizeof(*cells));

	for (size_t c = 0; cells != NULL && c < n_cols; c++)
		cells[c] = strdup(cols[c]);
	for (size_t r = 1; cells != NULL && r < n_rows; r++) {
		for (size_t c = 0; c < n_cols; c++)
			cells[r * n_cols + c] =
				cell_text(json_object_get(json_array_get(rows, r - 1), cols[c]));
	}
	for (size_t i = 0; cells != NULL && i < n_rows * n_cols; i++) {
		if (cells[i] == NULL && (cells[i] = strdup("")) == NULL) {
			for (size_t j = 0; j < n_rows * n_cols; j++)
				free(cells[j]);
			free(cells);
			return NULL;
		}
	}
	return cells;
}

static int print_rows_as(const vlt_cli_opts_t *o, const json_t *rows, const char *const *cols,
			 size_t n_cols)
{
	size_t n_rows = json_array_size(rows);

	if (o->format == VLT_CLI_JSON || o->format == VLT_CLI_YAML) {
		json_t *doc = picked(rows, cols, n_cols);
		int rc = o->format == VLT_CLI_JSON ? print_json(doc) : print_yaml(doc);
		json_decref(doc);
		return rc;
	}
	char **cells = table_cells(rows, cols, n_cols);
	if (cells == NULL) {
		fputs("valet: out of memory\n", stderr);
		return VLT_CLI_EXIT_API;
	}
	if (o->format == VLT_CLI_TABLE) {
		print_table(cells, n_rows + 1, n_cols);
	} else {
		for (size_t r = 1; r <= n_rows; r++) {
			for (size_t c = 0; c < n_cols; c++)
				printf("%s%s", c > 0 ? " " : "", cells[r * n_cols + c]);
			putchar('\n');
		}
	}
	for (size_t i = 0; i < (n_rows + 1) * n_cols; i++)
		free(cells[i]);
	free(cells);
	return VLT_CLI_EXIT_OK;
}

int vlt__cli_print_rows(const vlt_cli_opts_t *o, const json_t *rows, const char *const *defaults,
			const char *const *known)
{
	int rc = check_columns(o, known);
	size_t n_defaults = 0;

	if (rc != 0)
		return rc;
	while (defaults[n_defaults] != NULL)
		n_defaults++;
	if (o->n_columns > 0)
		return print_rows_as(o, rows, o->columns, o->n_columns);
	return print_rows_as(o, rows, defaults, n_defaults);
}

int vlt__cli_print_object(const vlt_cli_opts_t *o, const json_t *obj)
{
	size_t n = json_object_size(obj), i = 0;
	const char **fields = calloc(n + 1, sizeof(*fields));
	const char *key;
	json_t *v;
	int rc = fields != NULL ? 0 : VLT_CLI_EXIT_API;

	json_object_foreach ((json_t *)obj, key, v) {
		if (fields != NULL)
			fields[i++] = key;
	}
	if (rc == 0)
		rc = check_columns(o, fields);
	const char *const *pick = o->n_columns > 0 ? o->columns : fields;
	size_t n_pick = o->n_columns > 0 ? o->n_columns : n;
	json_t *doc = rc == 0 ? json_object() : NULL;
	for (i = 0; doc != NULL && i < n_pick; i++)
		json_object_set(doc, pick[i], json_object_get(obj, pick[i]));
	if (rc == 0 && (o->format == VLT_CLI_JSON || o->format == VLT_CLI_YAML)) {
		rc = o->format == VLT_CLI_JSON ? print_json(doc) : print_yaml(doc);
	} else if (rc == 0) {
		/* a table of two columns, Field and Value; value: one value per line */
		json_t *rows = json_array();
		json_object_foreach (doc, key, v)
			json_array_append_new(rows,
					      json_pack("{s:s, s:O}", "Field", key, "Value", v));
		vlt_cli_opts_t two = *o;
		two.n_columns = 0;
		static const char *const fv[] = { "Field", "Value", NULL };
		static const char *const value_only[] = { "Value", NULL };
		rc = print_rows_as(&two, rows, o->format == VLT_CLI_VALUE ? value_only : fv,
				   o->format == VLT_CLI_VALUE ? 1 : 2);
		json_decref(rows);
	}
	json_decref(doc);
	free(fields);
	if (fields == NULL)
		fputs("valet: out of memory\n", stderr);
	return rc;
}
