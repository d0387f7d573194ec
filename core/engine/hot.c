/*
 * hot.c - Heat Orchestration Templates into one plan request (hot.h,
 * docs/heat-templates.md).
 *
 * Two parts. The first reads YAML with libyaml's event parser into JSON,
 * with an explicit stack (no recursion on the document's depth) and a
 * budget of nodes that counts an alias each time it is used, so that a
 * small document cannot grow into a large one. The second walks the
 * template: each stack level is a scope with its resolved parameters and
 * its id prefix; intrinsic functions are resolved in their scope; nested
 * templates and group members are expanded depth first into one
 * `resources` object, counted against VLT_HOT_MAX_RESOURCES.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "hot.h"
#include "request.h"

/* Deepest YAML nesting read, and longest string a function may make. */
#define HOT_MAX_YAML_DEPTH 512
#define HOT_MAX_STRING (1u << 20)
/* How many environment mappings one type may go through. */
#define HOT_MAX_MAPPINGS 8

/* ================================================================ YAML */

struct anchor {
	char *name;
	json_t *value;
	size_t nodes;
};

struct frame {
	json_t *container;
	char *key;    /* a mapping's key waiting for its value (owned) */
	char *anchor; /* the container's anchor (owned), NULL when none */
	size_t nodes_at_start;
};

struct yreader {
	const char *where;
	json_t *root;
	struct frame stack[HOT_MAX_YAML_DEPTH];
	int depth;
	struct anchor *anchors;
	size_t n_anchors, cap_anchors;
	size_t nodes;
	vlt_err_t *err;
};

static int yerr(struct yreader *r, const yaml_mark_t *m, const char *what)
{
	return vlt_err_set(r->err, VLT_EINVAL, "%s:%zu:%zu: %s", r->where, m->line + 1,
			   m->column + 1, what);
}

static bool all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static bool word_in(const char *s, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

/* A plain scalar as YAML 1.1's core schema reads it (PyYAML's SafeLoader). */
static json_t *plain_scalar(const char *s)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", "yes", "Yes", "YES",
					     "on", "On", "ON", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", "no", "No", "NO",
					      "off", "Off", "OFF", NULL };
	const char *digits = (*s == '-' || *s == '+') ? s + 1 : s;

	if (word_in(s, nulls))
		return json_null();
	if (word_in(s, trues))
		return json_true();
	if (word_in(s, falses))
		return json_false();
	if (all_digits(digits) && (digits[0] != '0' || digits[1] == '\0')) {
		errno = 0;
		long long v = strtoll(s, NULL, 10);
		if (errno == 0)
			return json_integer(v);
	}
	/* YAML 1.1 floats have a dot: 1e3 is a string, 1.0e+3 a number */
	if ((isdigit((unsigned char)*digits) || *digits == '.') && strchr(s, '.') != NULL) {
		char *end;
		double d = strtod(s, &end);
		if (*end == '\0' && strpbrk(s, "xXnNiI") == NULL)
			return json_real(d);
	}
	return json_string(s);
}

static json_t *scalar_value(const yaml_event_t *ev)
{
	const char *text = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;

	if (ev->data.scalar.length != strlen(text))
		return NULL; /* a NUL inside: not text Heat would take */
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    (tag != NULL && strcmp(tag, YAML_STR_TAG) == 0))
		return json_string(text);
	return plain_scalar(text);
}

static int add_anchor(struct yreader *r, const char *name, json_t *v, size_t nodes)
{
	if (r->n_anchors == r->cap_anchors) {
		size_t cap = r->cap_anchors ? 2 * r->cap_anchors : 8;
		struct anchor *a = realloc(r->anchors, cap * sizeof(*a));
		if (a == NULL)
			return VLT_ENOMEM;
		r->anchors = a;
		r->cap_anchors = cap;
	}
	char *copy = strdup(name);
	if (copy == NULL)
		return VLT_ENOMEM;
	r->anchors[r->n_anchors++] = (struct anchor){ copy, json_incref(v), nodes };
	return 0;
}

static const struct anchor *find_anchor(const struct yreader *r, const char *name)
{
	for (size_t i = r->n_anchors; i > 0; i--)
		if (strcmp(r->anchors[i - 1].name, name) == 0)
			return &r->anchors[i - 1];
	return NULL;
}

/* Put v (taken) where the open container wants it. */
static int place(struct yreader *r, json_t *v, const yaml_mark_t *m)
{
	if (v == NULL)
		return vlt_err_set(r->err, VLT_ENOMEM, "out of memory");
	if (r->depth == 0) {
		r->root = v;
		return 0;
	}
	struct frame *f = &r->stack[r->depth - 1];
	if (json_is_array(f->container))
		return json_array_append_new(f->container, v) == 0
			       ? 0
			       : vlt_err_set(r->err, VLT_ENOMEM, "out of memory");
	if (f->key == NULL) {
		json_decref(v);
		return yerr(r, m, "a mapping key must be a scalar");
	}
	if (json_object_get(f->container, f->key) != NULL) {
		char msg[160];
		snprintf(msg, sizeof(msg), "duplicate key '%.100s'", f->key);
		json_decref(v);
		return yerr(r, m, msg);
	}
	int rc = json_object_set_new(f->container, f->key, v);
	free(f->key);
	f->key = NULL;
	return rc == 0 ? 0 : vlt_err_set(r->err, VLT_ENOMEM, "out of memory");
}

static int count_node(struct yreader *r, size_t n, const yaml_mark_t *m)
{
	r->nodes += n;
	if (r->nodes > VLT_HOT_MAX_NODES) {
		char msg[120];
		snprintf(msg, sizeof(msg), "more than %d nodes (aliases counted each time used)",
			 VLT_HOT_MAX_NODES);
		return yerr(r, m, msg);
	}
	return 0;
}

static int on_scalar(struct yreader *r, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	int rc = count_node(r, 1, m);

	if (rc < 0)
		return rc;
	if (r->depth > 0 && json_is_object(r->stack[r->depth - 1].container) &&
	    r->stack[r->depth - 1].key == NULL) {
		r->stack[r->depth - 1].key = strdup((const char *)ev->data.scalar.value);
		return r->stack[r->depth - 1].key != NULL
			       ? 0
			       : vlt_err_set(r->err, VLT_ENOMEM, "out of memory");
	}
	json_t *v = scalar_value(ev);
	if (v == NULL)
		return yerr(r, m, "a scalar holds a NUL character");
	if (ev->data.scalar.anchor != NULL &&
	    add_anchor(r, (const char *)ev->data.scalar.anchor, v, 1) < 0) {
		json_decref(v);
		return vlt_err_set(r->err, VLT_ENOMEM, "out of memory");
	}
	return place(r, v, m);
}

static int on_alias(struct yreader *r, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	const struct anchor *a = find_anchor(r, (const char *)ev->data.alias.anchor);

	if (a == NULL)
		return yerr(r, m, "alias to an unknown anchor");
	if (r->depth > 0 && json_is_object(r->stack[r->depth - 1].container) &&
	    r->stack[r->depth - 1].key == NULL) {
		if (!json_is_string(a->value))
			return yerr(r, m, "a mapping key must be a scalar");
		r->stack[r->depth - 1].key = strdup(json_string_value(a->value));
		return r->stack[r->depth - 1].key != NULL
			       ? 0
			       : vlt_err_set(r->err, VLT_ENOMEM, "out of memory");
	}
	int rc = count_node(r, a->nodes, m);
	return rc < 0 ? rc : place(r, json_incref(a->value), m);
}

static int on_start(struct yreader *r, const yaml_event_t *ev, bool mapping)
{
	const yaml_mark_t *m = &ev->start_mark;
	const yaml_char_t *anchor = mapping ? ev->data.mapping_start.anchor
					    : ev->data.sequence_start.anchor;
	int rc = count_node(r, 1, m);

	if (rc < 0)
		return rc;
	if (r->depth > 0 && json_is_object(r->stack[r->depth - 1].container) &&
	    r->stack[r->depth - 1].key == NULL)
		return yerr(r, m, "a mapping key must be a scalar");
	if (r->depth == HOT_MAX_YAML_DEPTH) {
		char msg[80];
		snprintf(msg, sizeof(msg), "nested more than %d deep", HOT_MAX_YAML_DEPTH);
		return yerr(r, m, msg);
	}
	struct frame *f = &r->stack[r->depth];
	*f = (struct frame){ .container = mapping ? json_object() : json_array(),
			     .nodes_at_start = r->nodes - 1 };
	if (anchor != NULL)
		f->anchor = strdup((const char *)anchor);
	if (f->container == NULL || (anchor != NULL && f->anchor == NULL)) {
		json_decref(f->container);
		free(f->anchor);
		return vlt_err_set(r->err, VLT_ENOMEM, "out of memory");
	}
	r->depth++;
	return 0;
}

static int on_end(struct yreader *r, const yaml_event_t *ev)
{
	struct frame f = r->stack[--r->depth];
	int rc = 0;

	free(f.key);
	if (f.anchor != NULL)
		rc = add_anchor(r, f.anchor, f.container, r->nodes - f.nodes_at_start);
	free(f.anchor);
	if (rc < 0) {
		json_decref(f.container);
		return vlt_err_set(r->err, VLT_ENOMEM, "out of memory");
	}
	return place(r, f.container, &ev->start_mark);
}

static int on_event(struct yreader *r, const yaml_event_t *ev, bool *done)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return on_scalar(r, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(r, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(r, ev, false);
	case YAML_MAPPING_START_EVENT:
		return on_start(r, ev, true);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(r, ev);
	case YAML_DOCUMENT_END_EVENT:
		*done = true; /* one document: what follows is not read */
		return 0;
	default:
		return 0;
	}
}

static void yreader_free(struct yreader *r)
{
	while (r->depth > 0) {
		struct frame *f = &r->stack[--r->depth];
		json_decref(f->container);
		free(f->key);
		free(f->anchor);
	}
	for (size_t i = 0; i < r->n_anchors; i++) {
		free(r->anchors[i].name);
		json_decref(r->anchors[i].value);
	}
	free(r->anchors);
}

static int parse_yaml(const char *text, size_t len, const char *where, json_t **out,
		      vlt_err_t *err)
{
	struct yreader *r = calloc(1, sizeof(*r));
	yaml_parser_t parser;
	bool done = false;
	int rc = 0;

	if (r == NULL || !yaml_parser_initialize(&parser)) {
		free(r);
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	r->where = where;
	r->err = err;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (rc == 0 && !done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = vlt_err_set(err, VLT_EINVAL, "%s:%zu:%zu: %s", where,
					 parser.problem_mark.line + 1,
					 parser.problem_mark.column + 1,
					 parser.problem != NULL ? parser.problem : "not YAML");
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(r, &ev, &done);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (rc == 0)
		*out = r->root != NULL ? r->root : json_null();
	else
		json_decref(r->root);
	yreader_free(r);
	free(r);
	return rc;
}

int vlt__hot_parse(const char *text, size_t len, const char *where, json_t **out,
		   vlt_err_t *err)
{
	size_t i = 0;

	while (i < len && isspace((unsigned char)text[i]))
		i++;
	if (i < len && text[i] == '{') { /* JSON first: its messages are clearer for JSON */
		json_error_t je;
		json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
		if (v != NULL) {
			*out = v;
			return 0;
		}
	}
	return parse_yaml(text, len, where, out, err);
}

/* The whole content of a file (NUL-terminated), or NULL with errno set. */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			char *b = realloc(buf, cap = cap ? 2 * cap : 8192);
			if (b == NULL) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = b;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

int vlt__hot_parse_file(const char *path, json_t **out, vlt_err_t *err)
{
	size_t len = 0;
	char *text = read_all(path, &len);

	if (text == NULL)
		return vlt_err_set(err, errno == ENOMEM ? VLT_ENOMEM : VLT_EINVAL,
				   "%s: cannot read: %s", path, strerror(errno));
	int rc = vlt__hot_parse(text, len, path, out, err);
	free(text);
	return rc;
}

/* An object as given, or the object a string of YAML or JSON holds. */
static int document(const json_t *v, const char *where, const char *what, json_t **out,
		    vlt_err_t *err)
{
	if (json_is_object(v)) {
		*out = json_incref((json_t *)v);
		return 0;
	}
	if (!json_is_string(v))
		return vlt_err_set(err, VLT_EINVAL, "%s: %s: expected an object or a string of "
				   "YAML or JSON", where, what);
	int rc = vlt__hot_parse(json_string_value(v), json_string_length(v), where, out, err);
	if (rc == 0 && !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL; /* the caller frees what it was given */
		return vlt_err_set(err, VLT_EINVAL, "%s: %s: expected a mapping at the top",
				   where, what);
	}
	return rc;
}

/* ================================================================ expansion */

struct hot {
	const vlt_hot_input_t *in;
	json_t *env_params;   /* the environment's parameters with in->params over them */
	json_t *env_defaults; /* the environment's parameter_defaults */
	json_t *registry;     /* the environment's resource_registry: type -> type */
	json_t *out;          /* the resources made so far */
	vlt_err_t *err;
};

/* One stack level: the root template, or a nested one. */
struct scope {
	struct hot *h;
	const char *file;     /* the template's name in messages and for cycles */
	const char *dir;      /* the folder it was read from; NULL when not from disk */
	const char *via_type; /* the environment type it stands for, NULL when none */
	const json_t *tmpl;
	json_t *params;       /* name -> resolved value (owned) */
	char *id;             /* "<stack_id>/<path>" of this stack (owned) */
	json_t *attrs;        /* resource name -> what get_attr can read (owned) */
	json_t *conds;        /* condition name -> true or false, as evaluated (owned) */
	json_t *off;          /* resource name -> true: left out by its condition (owned) */
	int depth;
	const struct scope *parent;
};

static const char *rel_path(const struct scope *s, const char *id)
{
	size_t n = strlen(s->h->in->stack_id);

	return strncmp(id, s->h->in->stack_id, n) == 0 && id[n] == '/' ? id + n + 1 : id;
}

static int oom(const struct scope *s)
{
	return vlt_err_set(s->h->err, VLT_ENOMEM, "out of memory");
}

static char *join_id(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 2);

	if (s != NULL) {
		memcpy(s, a, la);
		s[la] = '/';
		memcpy(s + la + 1, b, lb + 1);
	}
	return s;
}

static int resolve(const struct scope *s, const json_t *v, const char *at, json_t **out);

/* ------------------------------------------------ intrinsic functions */

/* v is one function left as written: {"get_attr": [...]} and the like. */
static bool is_opaque(const json_t *v)
{
	return json_is_object(v) && json_object_size(v) == 1;
}

static const json_t *pseudo_param(const struct scope *s, const char *name, json_t **tmp)
{
	const vlt_hot_input_t *in = s->h->in;

	if (strcmp(name, "OS::stack_id") == 0)
		*tmp = json_string(s->id);
	else if (strcmp(name, "OS::stack_name") == 0)
		*tmp = json_string(in->stack_name != NULL ? in->stack_name : in->stack_id);
	else if (strcmp(name, "OS::project_id") == 0)
		*tmp = json_string(in->tenant_id != NULL ? in->tenant_id : "");
	else
		return NULL;
	return *tmp;
}

/* Into v along path[from...]: object keys, list indices (numbers or digit strings). */
static json_t *walk(const json_t *v, const json_t *path, size_t from)
{
	for (size_t i = from; v != NULL && i < json_array_size(path); i++) {
		const json_t *k = json_array_get(path, i);
		if (json_is_object(v) && json_is_string(k)) {
			v = json_object_get(v, json_string_value(k));
		} else if (json_is_array(v)) {
			long long idx = json_is_integer(k) ? json_integer_value(k)
				      : json_is_string(k) && all_digits(json_string_value(k))
					      ? atoll(json_string_value(k))
					      : -1;
			v = idx >= 0 ? json_array_get(v, (size_t)idx) : NULL;
		} else {
			v = NULL;
		}
	}
	return (json_t *)v;
}

static int fn_get_param(const struct scope *s, const json_t *arg, const char *at, json_t **out)
{
	const json_t *name_v = json_is_array(arg) ? json_array_get(arg, 0) : arg;
	const char *name = json_string_value(name_v);
	json_t *tmp = NULL;

	if (name == NULL)
		return vlt_err_set(s->h->err, VLT_EINVAL,
				   "%s: %s: get_param: expected a parameter name or a list "
				   "[name, key...]", s->file, at);
	const json_t *v = json_object_get(s->params, name);
	if (v == NULL)
		v = pseudo_param(s, name, &tmp);
	if (v == NULL)
		return vlt_err_set(s->h->err, VLT_EINVAL,
				   "%s: %s: get_param: unknown parameter '%s'", s->file, at, name);
	if (json_is_array(arg))
		v = walk(v, arg, 1);
	*out = v != NULL ? json_incref((json_t *)v) : json_null();
	json_decref(tmp);
	return 0;
}

static int fn_get_resource(const struct scope *s, const json_t *arg, const char *at,
			   json_t **out)
{
	const char *name = json_string_value(arg);
	const json_t *res = json_object_get(s->tmpl, "resources");

	if (name == NULL)
		return vlt_err_set(s->h->err, VLT_EINVAL,
				   "%s: %s: get_resource: expected a resource name", s->file, at);
	if (json_object_get(res, name) == NULL)
		return vlt_err_set(s->h->err, VLT_EINVAL,
				   "%s: %s: get_resource: no resource '%s' in %s", s->file, at,
				   name, s->file);
	if (json_object_get(s->off, name) != NULL) {
		*out = json_null(); /* left out by its condition: Heat gives nothing either */
		return 0;
	}
	char *id = join_id(s->id, name);
	*out = id != NULL ? json_string(id) : NULL;
	free(id);
	return *out != NULL ? 0 : oom(s);
}

/* What get_attr [name, attr, path...] reads when it is known before Heat runs. */
static json_t *static_attr(const struct scope *s, const json_t *args)
{
	const json_t *a = json_object_get(s->attrs, json_string_value(json_array_get(args, 0)));
	const char *attr = json_string_value(json_array_get(args, 1));
	const json_t *v = NULL;

	if (a == NULL || attr == NULL)
		return NULL;
	if (strncmp(attr, "resource.", 9) == 0)
		v = json_object_get(json_object_get(a, "members"), attr + 9);
	else if (strcmp(attr, "refs") == 0 || strcmp(attr, "refs_map") == 0)
		v = json_object_get(a, attr);
	else
		v = json_object_get(json_object_get(a, "outputs"), attr);
	return v != NULL ? walk(v, args, 2) : NULL;
}

static int fn_get_attr(const struct scope *s, const json_t *args, json_t **out)
{
	json_t *v = json_is_array(args) ? static_attr(s, args) : NULL;

	*out = v != NULL ? json_incref(v) : json_pack("{s:O}", "get_attr", args);
	return *out != NULL ? 0 : oom(s);
}

/* A scalar as Heat makes it a string; NULL for lists, maps and null. */
static char *scalar_text(const json_t *v)
{
	char buf[64];

	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v))
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v)) { /* the shortest text that reads back the same */
		snprintf(buf, sizeof(buf), "%.15g", json_real_value(v));
		if (strtod(buf, NULL) != json_real_value(v))
			snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
	}
	else if (json_is_boolean(v))
		snprintf(buf, sizeof(buf), "%s", json_is_true(v) ? "True" : "False");
	else
		return NULL;
	return strdup(buf);
}

struct sbuf {
	char *s;
	size_t n, cap;
	bool too_long;
};

static bool sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n >= HOT_MAX_STRING) {
		b->too_long = true;
		return false;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->s, cap);
		if (p == NULL)
			return false;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
	return true;
}

static int sbuf_done(const struct scope *s, struct sbuf *b, const char *fn, const char *at,
		     json_t **out)
{
	if (b->too_long) {
		free(b->s);
		return vlt_err_set(s->h->err, VLT_EINVAL, "%s: %s: %s: makes a string longer "
				   "than %u bytes", s->file, at, fn, HOT_MAX_STRING);
	}
	*out = json_string(b->s != NULL ? b->s : "");
	free(b->s);
	return *out != NULL ? 0 : oom(s);
}

/* The longest key of params that text starts with, or NULL. */
static const char *longest_key(const json_t *params, const char *text)
{
	const char *best = NULL, *k;
	json_t *v;
	size_t best_len = 0;

	json_object_foreach((json_t *)params, k, v) {
		size_t n = strlen(k);
		if (n > best_len && strncmp(text, k, n) == 0) {
			best = k;
			best_len = n;
		}
	}
	return best;
}

static int fn_str_replace(const struct scope *s, const json_t *args, const char *at,
			  json_t **out)
{
	const char *text = json_string_value(json_object_get(args, "template"));
	const json_t *params = json_object_get(args, "params");
	struct sbuf b = { 0 };
	const char *k;
	json_t *v;

	if (!json_is_object(args) || (text == NULL && !is_opaque(json_object_get(args, "template"))) ||
	    !json_is_object(params))
		return vlt_err_set(s->h->err, VLT_EINVAL,
				   "%s: %s: str_replace: expected {template: a string, params: "
				   "a mapping}", s->file, at);
	json_object_foreach((json_t *)params, k, v) {
		if (text == NULL || is_opaque(v)) { /* known only when Heat runs */
			*out = json_pack("{s:O}", "str_replace", args);
			return *out != NULL ? 0 : oom(s);
		}
	}
	while (*text != '\0') {
		const char *key = longest_key(params, text);
		bool ok;
		if (key != NULL && key[0] != '\0') {
			char *val = scalar_text(json_object_get(params, key));
			ok = sbuf_add(&b, val != NULL ? val : "", val != NULL ? strlen(val) : 0);
			free(val);
			text += strlen(key);
		} else {
			ok = sbuf_add(&b, text++, 1);
		}
		if (!ok && !b.too_long) {
			free(b.s);
			return oom(s);
		}
		if (!ok)
			break;
	}
	return sbuf_done(s, &b, "str_replace", at, out);
}

static int fn_list_join(const struct scope *s, const json_t *args, const char *at,
			json_t **out)
{
	const char *delim = json_string_value(json_array_get(args, 0));
	struct sbuf b = { 0 };
	bool first = true;

	if (delim == NULL)
		return vlt_err_set(s->h->err, VLT_EINVAL,
				   "%s: %s: list_join: expected [delimiter, list...]", s->file, at);
	for (size_t i = 1; i < json_array_size(args); i++) {
		const json_t *list = json_array_get(args, i);
		if (!json_is_array(list)) {
			*out = json_pack("{s:O}", "list_join", args); /* known only when Heat runs */
			return *out != NULL ? 0 : oom(s);
		}
		for (size_t j = 0; j < json_array_size(list); j++) {
			char *t = scalar_text(json_array_get(list, j));
			if (t == NULL) {
				free(b.s);
				*out = json_pack("{s:O}", "list_join", args);
				return *out != NULL ? 0 : oom(s);
			}
			bool ok = (first || sbuf_add(&b, delim, strlen(delim))) &&
				  sbuf_add(&b, t, strlen(t));
			first = false;
			free(t);
			if (!ok && !b.too_long) {
				free(b.s);
				return oom(s);
			}
		}
	}
	return sbuf_done(s, &b, "list_join", at, out);
}

static int call_function(const struct scope *s, const char *fn, const json_t *args,
			 const char *at, json_t **out)
{
	if (strcmp(fn, "get_param") == 0)
		return fn_get_param(s, args, at, out);
	if (strcmp(fn, "get_resource") == 0)
		return fn_get_resource(s, args, at, out);
	if (strcmp(fn, "get_attr") == 0)
		return fn_get_attr(s, args, out);
	if (strcmp(fn, "str_replace") == 0)
		return fn_str_replace(s, args, at, out);
	return fn_list_join(s, args, at, out);
}

static bool is_function(const char *key)
{
	static const char *const fns[] = { "get_param", "get_resource", "get_attr",
					   "str_replace", "list_join", "if", NULL };
	return word_in(key, fns);
}

/* ------------------------------------------------ conditions */

/* How deep conditions may refer to conditions (a deeper chain is a cycle). */
#define HOT_MAX_CONDITION_DEPTH 32

static int condition(const struct scope *s, const json_t *expr, const char *at, int depth,
		     bool *value);

static int cond_error(const struct scope *s, const char *at, const char *what)
{
	return vlt_err_set(s->h->err, VLT_EINVAL, "%s: %s: %s", s->file, at, what);
}

/* A condition by name: evaluated once, kept in s->conds. */
static int named_condition(const struct scope *s, const char *name, const char *at, int depth,
			   bool *value)
{
	const json_t *known = json_object_get(s->conds, name);
	const json_t *expr = json_object_get(json_object_get(s->tmpl, "conditions"), name);

	if (known != NULL) {
		*value = json_is_true(known);
		return 0;
	}
	if (expr == NULL)
		return vlt_err_set(s->h->err, VLT_EINVAL, "%s: %s: no condition '%s' in %s",
				   s->file, at, name, s->file);
	int rc = condition(s, expr, at, depth + 1, value);
	if (rc == 0 && json_object_set_new(s->conds, name, json_boolean(*value)) < 0)
		rc = oom(s);
	return rc;
}

/* and/or over a list of conditions. */
static int condition_list(const struct scope *s, const json_t *list, bool is_and, const char *at,
			  int depth, bool *value)
{
	if (!json_is_array(list) || json_array_size(list) < 2)
		return cond_error(s, at, is_and ? "and: expected a list of two conditions or more"
						: "or: expected a list of two conditions or more");
	*value = is_and;
	for (size_t i = 0; i < json_array_size(list); i++) {
		bool v;
		int rc = condition(s, json_array_get(list, i), at, depth, &v);
		if (rc < 0)
			return rc;
		*value = is_and ? *value && v : *value || v;
	}
	return 0;
}

static int condition_equals(const struct scope *s, const json_t *args, const char *at,
			    bool *value)
{
	json_t *a = NULL, *b = NULL;
	int rc;

	if (!json_is_array(args) || json_array_size(args) != 2)
		return cond_error(s, at, "equals: expected a list of two values");
	if ((rc = resolve(s, json_array_get(args, 0), at, &a)) == 0 &&
	    (rc = resolve(s, json_array_get(args, 1), at, &b)) == 0)
		*value = json_equal(a, b);
	json_decref(a);
	json_decref(b);
	return rc;
}

/* A condition: true/false, a condition's name, equals, not, and, or, get_param of a boolean. */
static int condition(const struct scope *s, const json_t *expr, const char *at, int depth,
		     bool *value)
{
	if (depth > HOT_MAX_CONDITION_DEPTH)
		return cond_error(s, at, "conditions refer to each other in a cycle");
	if (json_is_boolean(expr)) {
		*value = json_is_true(expr);
		return 0;
	}
	if (json_is_string(expr))
		return named_condition(s, json_string_value(expr), at, depth, value);
	void *it = json_is_object(expr) && json_object_size(expr) == 1
			   ? json_object_iter((json_t *)expr) : NULL;
	const char *fn = it != NULL ? json_object_iter_key(it) : "";
	const json_t *arg = it != NULL ? json_object_iter_value(it) : NULL;
	if (strcmp(fn, "equals") == 0)
		return condition_equals(s, arg, at, value);
	if (strcmp(fn, "and") == 0 || strcmp(fn, "or") == 0)
		return condition_list(s, arg, strcmp(fn, "and") == 0, at, depth, value);
	if (strcmp(fn, "not") == 0) {
		int rc = condition(s, arg, at, depth + 1, value);
		*value = !*value;
		return rc;
	}
	if (strcmp(fn, "get_param") == 0) {
		json_t *v = NULL;
		int rc = resolve(s, expr, at, &v);
		if (rc == 0 && !json_is_boolean(v))
			rc = cond_error(s, at, "get_param in a condition: expected a boolean");
		if (rc == 0)
			*value = json_is_true(v);
		json_decref(v);
		return rc;
	}
	return cond_error(s, at, "expected a condition: true, false, a condition's name, "
				 "equals, not, and, or, get_param");
}

/* if: [condition, value if true, value if false] */
static int fn_if(const struct scope *s, const json_t *args, const char *at, json_t **out)
{
	bool v;

	if (!json_is_array(args) || json_array_size(args) != 3)
		return cond_error(s, at, "if: expected [condition, value if true, value if false]");
	int rc = condition(s, json_array_get(args, 0), at, 0, &v);
	return rc < 0 ? rc : resolve(s, json_array_get(args, v ? 1 : 2), at, out);
}

/* v with every function this file knows resolved in scope s; at names where, for messages. */
static int resolve(const struct scope *s, const json_t *v, const char *at, json_t **out)
{
	const char *k;
	json_t *e, *r;
	int rc = 0;

	if (v == NULL) { /* absent: as null */
		*out = json_null();
		return 0;
	}
	if (json_is_object(v) && json_object_size(v) == 1) {
		void *it = json_object_iter((json_t *)v);
		const char *fn = json_object_iter_key(it);
		if (strcmp(fn, "if") == 0) /* only the branch taken is resolved */
			return fn_if(s, json_object_iter_value(it), at, out);
		if (is_function(fn)) {
			json_t *args = NULL;
			rc = resolve(s, json_object_iter_value(it), at, &args);
			if (rc == 0)
				rc = call_function(s, fn, args, at, out);
			json_decref(args);
			return rc;
		}
	}
	if (json_is_object(v)) {
		*out = json_object();
		json_object_foreach((json_t *)v, k, e) {
			if (*out == NULL || (rc = resolve(s, e, at, &r)) < 0)
				break;
			if (json_object_set_new(*out, k, r) < 0)
				rc = oom(s);
		}
	} else if (json_is_array(v)) {
		*out = json_array();
		for (size_t i = 0; *out != NULL && rc == 0 && i < json_array_size(v); i++) {
			if ((rc = resolve(s, json_array_get(v, i), at, &r)) == 0 &&
			    json_array_append_new(*out, r) < 0)
				rc = oom(s);
		}
	} else {
		*out = json_incref((json_t *)v);
	}
	if (*out == NULL)
		return oom(s);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* ------------------------------------------------ parameters */

static bool bool_word(const char *w, bool *b)
{
	static const char *const t[] = { "true", "t", "yes", "y", "on", "1", NULL };
	static const char *const f[] = { "false", "f", "no", "n", "off", "0", NULL };
	char low[8];
	size_t i;

	for (i = 0; w[i] != '\0' && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)w[i]);
	low[i] = '\0';
	if (w[i] != '\0')
		return false;
	if (word_in(low, t))
		*b = true;
	else if (word_in(low, f))
		*b = false;
	else
		return false;
	return true;
}

static json_t *split_list(const char *text)
{
	json_t *list = json_array();
	const char *p = text;

	if (*text == '\0')
		return list;
	while (list != NULL) {
		const char *end = strchr(p, ',');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		while (n > 0 && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (json_array_append_new(list, json_stringn(p, n)) < 0) {
			json_decref(list);
			return NULL;
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	return list;
}

static json_t *as_number(const json_t *v)
{
	const char *t = json_string_value(v);
	char *end;

	if (json_is_number(v))
		return json_incref((json_t *)v);
	if (t == NULL || *t == '\0')
		return NULL;
	errno = 0;
	long long i = strtoll(t, &end, 10);
	if (*end == '\0' && errno == 0)
		return json_integer(i);
	double d = strtod(t, &end);
	return *end == '\0' ? json_real(d) : NULL;
}

/* v as a parameter of type `type` wants it; NULL with *why when it is not one. */
static json_t *coerce(const char *type, const json_t *v, const char **why)
{
	const char *t = json_string_value(v);
	bool b;

	*why = NULL;
	if (is_opaque(v))
		return json_incref((json_t *)v); /* known only when Heat runs */
	if (strcmp(type, "string") == 0) {
		char *text = scalar_text(v);
		json_t *r = text != NULL ? json_string(text) : NULL;
		free(text);
		*why = r == NULL ? "expected a string" : NULL;
		return r;
	}
	if (strcmp(type, "number") == 0) {
		json_t *r = as_number(v);
		*why = r == NULL ? "is not a number" : NULL;
		return r;
	}
	if (strcmp(type, "json") == 0) {
		if (json_is_object(v) || json_is_array(v))
			return json_incref((json_t *)v);
		json_t *r = t != NULL ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;
		*why = r == NULL ? "is not JSON" : NULL;
		return r;
	}
	if (strcmp(type, "comma_delimited_list") == 0) {
		if (json_is_array(v))
			return json_incref((json_t *)v);
		json_t *r = t != NULL ? split_list(t) : NULL;
		*why = t == NULL ? "expected a list or a comma-delimited string" : NULL;
		return r;
	}
	if (strcmp(type, "boolean") == 0) {
		if (json_is_boolean(v))
			return json_incref((json_t *)v);
		if (t != NULL && bool_word(t, &b))
			return json_boolean(b);
		if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1))
			return json_boolean(json_integer_value(v) == 1);
		*why = "is not a boolean";
		return NULL;
	}
	*why = "has an unknown type (string, number, json, comma_delimited_list or boolean)";
	return NULL;
}

/* The value a declared parameter takes: given, else a default; NULL when none. */
static const json_t *param_source(const struct scope *s, const char *name, const json_t *decl,
				  const json_t *given)
{
	const json_t *v = json_object_get(given, name);

	if (v == NULL && s->parent == NULL)
		v = json_object_get(s->h->env_params, name);
	if (v == NULL)
		v = json_object_get(s->h->env_defaults, name);
	if (v == NULL)
		v = json_object_get(decl, "default");
	return v;
}

/* s->params from the template's declarations and what is given (a parent's properties). */
static int scope_params(struct scope *s, const json_t *given, const char *at)
{
	const json_t *decls = json_object_get(s->tmpl, "parameters");
	const char *name, *why;
	json_t *decl;

	if (decls != NULL && !json_is_object(decls) && !json_is_null(decls))
		return vlt_err_set(s->h->err, VLT_EINVAL, "%s: parameters: expected a mapping",
				   s->file);
	/* the root's values come from the environment and the caller, a nested one's from its parent */
	json_object_foreach(s->parent == NULL ? s->h->env_params : (json_t *)given, name, decl) {
		if (json_object_get(decls, name) == NULL)
			return vlt_err_set(s->h->err, VLT_EINVAL,
					   "%s: %s: unknown parameter '%s': %s declares no such "
					   "parameter", s->file, at, name, s->file);
	}
	json_object_foreach((json_t *)decls, name, decl) {
		const char *type = json_string_value(json_object_get(decl, "type"));
		const json_t *v = param_source(s, name, decl, given);
		if (!json_is_object(decl) || type == NULL)
			return vlt_err_set(s->h->err, VLT_EINVAL,
					   "%s: parameters.%s: expected a mapping with a type",
					   s->file, name);
		if (v == NULL)
			return vlt_err_set(s->h->err, VLT_EINVAL,
					   "%s: %s: parameter '%s' has no value: no default, and "
					   "none given", s->file, at, name);
		json_t *c = coerce(type, v, &why);
		if (c == NULL && why == NULL)
			return oom(s);
		if (c == NULL)
			return vlt_err_set(s->h->err, VLT_EINVAL, "%s: %s: parameter '%s' (%s) %s",
					   s->file, at, name, type, why);
		if (json_object_set_new(s->params, name, c) < 0)
			return oom(s);
	}
	return 0;
}

/* ------------------------------------------------ resources */

static int expand_scope(struct scope *s, const json_t *given, const char *at);

static int emit(const struct scope *s, const char *id, const char *name, const char *type,
		json_t *props /* taken */)
{
	struct hot *h = s->h;

	if (json_object_size(h->out) >= VLT_HOT_MAX_RESOURCES) {
		json_decref(props);
		return vlt_err_set(h->err, VLT_E2BIG,
				   "%s: %s: the template makes more than %d resources",
				   s->file, rel_path(s, id), VLT_HOT_MAX_RESOURCES);
	}
	json_t *r = json_pack("{s:s, s:s, s:o}", "name", name, "type", type, "properties",
			      props != NULL && !json_is_null(props) ? props : json_object());
	if (r == NULL || json_object_set_new(h->out, id, r) < 0)
		return oom(s);
	if (json_is_null(props))
		json_decref(props);
	return 0;
}

/* Is type mapped from one its ancestors stand for? Then it is not mapped again. */
static bool mapped_above(const struct scope *s, const char *type)
{
	for (; s != NULL; s = s->parent)
		if (s->via_type != NULL && strcmp(s->via_type, type) == 0)
			return true;
	return false;
}

/* The type after the environment's resource_registry; *via the type mapped, or NULL. */
static const char *map_type(const struct scope *s, const char *type, const char **via)
{
	*via = NULL;
	for (int i = 0; i < HOT_MAX_MAPPINGS; i++) {
		const char *to = json_string_value(json_object_get(s->h->registry, type));
		if (to == NULL || mapped_above(s, type) || strcmp(to, type) == 0)
			break;
		*via = type;
		type = to;
	}
	return type;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_template_type(const struct scope *s, const char *type)
{
	return json_object_get(s->h->in->files, type) != NULL || ends_with(type, ".yaml") ||
	       ends_with(type, ".yml") || ends_with(type, ".template") || ends_with(type, ".json");
}

/* Read a nested template from a folder; *dir_out its folder (owned). */
static int read_nested(const struct scope *s, const char *dir, const char *name, json_t **out,
		       char **dir_out)
{
	const char *file = strncmp(name, "file://", 7) == 0 ? name + 7 : name;
	size_t need = strlen(dir) + strlen(file) + 2;
	char *path = malloc(need);

	if (path == NULL)
		return oom(s);
	if (file[0] == '/')
		snprintf(path, need, "%s", file);
	else
		snprintf(path, need, "%s/%s", dir, file);
	FILE *probe = fopen(path, "rb");
	if (probe == NULL) {
		free(path);
		return 1; /* not here */
	}
	fclose(probe);
	int rc = vlt__hot_parse_file(path, out, s->h->err);
	char *slash = strrchr(path, '/');
	if (slash != NULL)
		*slash = '\0';
	*dir_out = path;
	return rc;
}

/* The nested template `name`: from the files, else beside its parent, else the folders. */
static int load_nested(const struct scope *s, const char *name, const char *at, json_t **out,
		       char **dir_out)
{
	const json_t *content = json_object_get(s->h->in->files, name);
	const char *const *dirs = s->h->in->dirs;
	int rc = 1;

	*dir_out = NULL;
	if (content != NULL)
		return document(content, name, "content", out, s->h->err);
	if (dirs == NULL)
		return vlt_err_set(s->h->err, VLT_EINVAL,
				   "%s: %s: nested template '%s' is not in the request's files",
				   s->file, at, name);
	if (s->dir != NULL)
		rc = read_nested(s, s->dir, name, out, dir_out);
	for (size_t i = 0; rc == 1 && dirs[i] != NULL; i++)
		rc = read_nested(s, dirs[i], name, out, dir_out);
	if (rc == 1)
		return vlt_err_set(s->h->err, VLT_EINVAL,
				   "%s: %s: nested template '%s' not found (not in the files, "
				   "not beside %s, not in the folders given)",
				   s->file, at, name, s->file);
	return rc;
}

static int check_cycle(const struct scope *s, const char *file, const char *at)
{
	char chain[384] = "";

	for (const struct scope *p = s; p != NULL; p = p->parent) {
		if (strcmp(p->file, file) != 0)
			continue;
		for (const struct scope *q = s; q != p->parent; q = q->parent) {
			size_t n = strlen(chain);
			snprintf(chain + n, sizeof(chain) - n, "%s%s", n ? " <- " : "", q->file);
		}
		return vlt_err_set(s->h->err, VLT_EINVAL,
				   "%s: %s: nested template '%s' includes itself: %s <- %s",
				   s->file, at, file, file, chain);
	}
	return 0;
}

/* What get_attr can read of a nested stack: its resources' ids and its outputs. */
static json_t *nested_attrs(const struct scope *c)
{
	json_t *members = json_object(), *outputs = json_object();
	const char *k;
	json_t *v;

	json_object_foreach(json_object_get(c->tmpl, "resources"), k, v) {
		char *id = join_id(c->id, k);
		if (id != NULL)
			json_object_set_new(members, k, json_string(id));
		free(id);
	}
	json_object_foreach(json_object_get(c->tmpl, "outputs"), k, v) {
		json_t *r = NULL;
		vlt_err_t quiet = { 0 }, *keep = c->h->err;
		c->h->err = &quiet; /* an output that does not resolve is only not known */
		if (resolve(c, json_object_get(v, "value"), "outputs", &r) == 0)
			json_object_set_new(outputs, k, r);
		c->h->err = keep;
	}
	return json_pack("{s:o, s:o}", "members", members, "outputs", outputs);
}

/*
 * A nested stack at id: template `file` (tmpl given for OS::Heat::Stack,
 * else loaded), its parameters from props; *attrs what get_attr reads.
 */
static int expand_nested(const struct scope *s, const char *id, const char *file,
			 const char *via, const json_t *tmpl, const json_t *props, json_t **attrs)
{
	const char *at = rel_path(s, id);
	json_t *loaded = NULL;
	char *dir = NULL;
	int rc = 0;

	if (s->depth + 1 > VLT_HOT_MAX_DEPTH)
		return vlt_err_set(s->h->err, VLT_EINVAL,
				   "%s: %s: templates nested more than %d deep", s->file, at,
				   VLT_HOT_MAX_DEPTH);
	if ((rc = check_cycle(s, file, at)) < 0)
		return rc;
	if (tmpl == NULL && (rc = load_nested(s, file, at, &loaded, &dir)) < 0)
		return rc;
	if (props != NULL && !json_is_object(props) && !json_is_null(props))
		rc = vlt_err_set(s->h->err, VLT_EINVAL, "%s: %s: properties: expected a mapping",
				 s->file, at);
	struct scope c = { .h = s->h, .file = file, .dir = dir != NULL ? dir : s->dir,
			   .via_type = via, .tmpl = tmpl != NULL ? tmpl : loaded,
			   .params = json_object(), .id = strdup(id), .attrs = json_object(),
			   .depth = s->depth + 1, .parent = s };
	if (rc == 0 && (c.params == NULL || c.id == NULL || c.attrs == NULL))
		rc = oom(s);
	if (rc == 0)
		rc = expand_scope(&c, json_is_object(props) ? props : NULL, at);
	if (rc == 0 && (*attrs = nested_attrs(&c)) == NULL)
		rc = oom(s);
	json_decref(c.params);
	json_decref(c.attrs);
	json_decref(c.conds);
	json_decref(c.off);
	free(c.id);
	free(dir);
	json_decref(loaded);
	return rc;
}

/* One resource of a given type at id (props resolved): a unit, or a stack expanded. */
static int expand_one(const struct scope *s, const char *id, const char *name, const char *type,
		      json_t *props /* taken */, json_t **attrs);

/* A copy of v with every `var` in its strings replaced by index. */
static json_t *with_index(const json_t *v, const char *var, size_t index)
{
	char num[24];
	const char *k;
	json_t *e, *out = NULL;

	snprintf(num, sizeof(num), "%zu", index);
	if (json_is_string(v) && var[0] != '\0' && strstr(json_string_value(v), var) != NULL) {
		struct sbuf b = { 0 };
		const char *t = json_string_value(v);
		for (const char *hit; (hit = strstr(t, var)) != NULL; t = hit + strlen(var))
			if (!sbuf_add(&b, t, (size_t)(hit - t)) || !sbuf_add(&b, num, strlen(num)))
				break;
		if (sbuf_add(&b, t, strlen(t)))
			out = json_string(b.s);
		free(b.s);
		return out;
	}
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach((json_t *)v, k, e)
			if (out != NULL && json_object_set_new(out, k, with_index(e, var, index)) < 0)
				json_decref(out), out = NULL;
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		for (size_t i = 0; out != NULL && i < json_array_size(v); i++)
			if (json_array_append_new(out, with_index(json_array_get(v, i), var, index)) < 0)
				json_decref(out), out = NULL;
		return out;
	}
	return json_incref((json_t *)v);
}

/* A count: a whole number >= 0, or a string holding one. */
static int group_count(const struct scope *s, const json_t *v, const char *what, const char *at,
		       size_t *n)
{
	const char *t = json_string_value(v);
	long long c = json_is_integer(v) ? json_integer_value(v)
		    : t != NULL && all_digits(t) && strlen(t) < 12 ? atoll(t)
								    : -1;
	char shown[64];

	if (c >= 0) {
		*n = (size_t)c;
		if (*n > VLT_HOT_MAX_RESOURCES)
			return vlt_err_set(s->h->err, VLT_E2BIG,
					   "%s: %s: %s %zu is above the %d resources a template "
					   "may make", s->file, at, what, *n, VLT_HOT_MAX_RESOURCES);
		return 0;
	}
	if (t != NULL)
		snprintf(shown, sizeof(shown), "'%.40s'", t);
	else
		snprintf(shown, sizeof(shown), "of JSON type %s",
			 json_is_real(v) ? "real" : json_is_object(v) ? "object"
				 : json_is_array(v) ? "array" : "other");
	return vlt_err_set(s->h->err, VLT_EINVAL, "%s: %s: %s %s is not a whole number >= 0",
			   s->file, at, what, shown);
}

/*
 * OS::Heat::ResourceGroup (count, resource_def, index_var) or
 * OS::Heat::AutoScalingGroup (desired_capacity else min_size, resource):
 * members "<id>/<index>", expanded in place. removal_policies is not read.
 */
static int expand_group(const struct scope *s, const char *id, bool asg, const json_t *props,
			json_t **attrs)
{
	const char *at = rel_path(s, id);
	const char *count_key = asg ? (json_object_get(props, "desired_capacity") != NULL
					       ? "desired_capacity" : "min_size")
				    : "count";
	const json_t *def = json_object_get(props, asg ? "resource" : "resource_def");
	const char *var = asg ? "" : json_string_value(json_object_get(props, "index_var"));
	const json_t *count_v = json_object_get(props, count_key);
	const char *mtype = json_string_value(json_object_get(def, "type"));
	json_t *refs = json_array(), *refs_map = json_object(), *members = json_object();
	size_t n = 1;
	int rc = 0;

	if (refs == NULL || refs_map == NULL || members == NULL)
		rc = oom(s);
	if (rc == 0 && count_v != NULL)
		rc = group_count(s, count_v, count_key, at, &n);
	else if (rc == 0 && asg)
		n = 0;
	if (rc == 0 && mtype == NULL)
		rc = vlt_err_set(s->h->err, VLT_EINVAL, "%s: %s: %s: expected a mapping with a type",
				 s->file, at, asg ? "resource" : "resource_def");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char name[24], *mid;
		json_t *mprops = with_index(json_object_get(def, "properties"),
					    var != NULL ? var : "%index%", i), *ma = NULL;
		snprintf(name, sizeof(name), "%zu", i);
		mid = join_id(id, name);
		if (mid == NULL || (mprops == NULL && json_object_get(def, "properties") != NULL)) {
			json_decref(mprops);
			free(mid);
			rc = oom(s);
			break;
		}
		rc = expand_one(s, mid, name, mtype, mprops, &ma);
		json_decref(ma);
		if (rc == 0 && (json_array_append_new(refs, json_string(mid)) < 0 ||
				json_object_set_new(refs_map, name, json_string(mid)) < 0 ||
				json_object_set_new(members, name, json_string(mid)) < 0))
			rc = oom(s);
		free(mid);
	}
	if (rc == 0)
		*attrs = json_pack("{s:O, s:O, s:O}", "refs", refs, "refs_map", refs_map, "members",
				   members);
	json_decref(refs);
	json_decref(refs_map);
	json_decref(members);
	return rc;
}

/* OS::Heat::Stack: its template (a mapping or a string) and parameters. */
static int expand_heat_stack(const struct scope *s, const char *id, const json_t *props,
			     json_t **attrs)
{
	json_t *tmpl = NULL;
	char label[300];
	int rc = document(json_object_get(props, "template"), s->file, "OS::Heat::Stack template",
			  &tmpl, s->h->err);

	if (rc < 0)
		return rc;
	snprintf(label, sizeof(label), "%s (template of %s)", s->file, rel_path(s, id));
	rc = expand_nested(s, id, label, NULL, tmpl, json_object_get(props, "parameters"), attrs);
	json_decref(tmpl);
	return rc;
}

static int expand_one(const struct scope *s, const char *id, const char *name, const char *type,
		      json_t *props, json_t **attrs)
{
	const char *via = NULL;
	const char *t = map_type(s, type, &via);
	int rc;

	*attrs = NULL;
	if (strcmp(t, "OS::Heat::ResourceGroup") == 0 || strcmp(t, "OS::Heat::AutoScalingGroup") == 0)
		rc = expand_group(s, id, strcmp(t, "OS::Heat::AutoScalingGroup") == 0, props, attrs);
	else if (strcmp(t, "OS::Heat::Stack") == 0)
		rc = expand_heat_stack(s, id, props, attrs);
	else if (is_template_type(s, t))
		rc = expand_nested(s, id, t, via, NULL, props, attrs);
	else
		return emit(s, id, name, t, props);
	json_decref(props);
	return rc;
}

/* Groups and nested stacks before the rest, so that get_attr may read them. */
static bool expands(const struct scope *s, const json_t *r)
{
	const char *via, *t = json_string_value(json_object_get(r, "type"));

	if (t == NULL)
		return false;
	t = map_type(s, t, &via);
	return strcmp(t, "OS::Heat::ResourceGroup") == 0 ||
	       strcmp(t, "OS::Heat::AutoScalingGroup") == 0 || strcmp(t, "OS::Heat::Stack") == 0 ||
	       is_template_type(s, t);
}

static int expand_resource(struct scope *s, const char *name, const json_t *r)
{
	const char *type = json_string_value(json_object_get(r, "type"));
	char *id = join_id(s->id, name);
	json_t *props = NULL, *attrs = NULL;
	int rc = 0;

	if (id == NULL)
		return oom(s);
	const char *at = rel_path(s, id);
	if (strchr(name, '/') != NULL || name[0] == '\0')
		rc = vlt_err_set(s->h->err, VLT_EINVAL,
				 "%s: resources.%s: a resource name may not be empty nor hold '/'",
				 s->file, name);
	else if (!json_is_object(r) || type == NULL)
		rc = vlt_err_set(s->h->err, VLT_EINVAL,
				 "%s: %s: expected a mapping with a type (a string)", s->file, at);
	if (rc == 0)
		rc = resolve(s, json_object_get(r, "properties"), at, &props);
	if (rc == 0 && props != NULL && !json_is_object(props) && !json_is_null(props)) {
		json_decref(props);
		rc = vlt_err_set(s->h->err, VLT_EINVAL, "%s: %s: properties: expected a mapping",
				 s->file, at);
	} else if (rc == 0) {
		rc = expand_one(s, id, name, type, props, &attrs);
	}
	if (rc == 0 && attrs != NULL && json_object_set_new(s->attrs, name, attrs) < 0)
		rc = oom(s);
	free(id);
	return rc;
}

/* s->off: the resources whose `condition` is false. */
static int resource_conditions(struct scope *s)
{
	const char *name;
	json_t *r;

	s->conds = json_object();
	s->off = json_object();
	if (s->conds == NULL || s->off == NULL)
		return oom(s);
	json_object_foreach(json_object_get(s->tmpl, "resources"), name, r) {
		const json_t *c = json_object_get(r, "condition");
		bool on = true;
		char at[300];
		int rc = 0;

		snprintf(at, sizeof(at), "resources.%s.condition", name);
		if (c != NULL && (rc = condition(s, c, at, 0, &on)) < 0)
			return rc;
		if (!on && json_object_set_new(s->off, name, json_true()) < 0)
			return oom(s);
	}
	return 0;
}

static int expand_scope(struct scope *s, const json_t *given, const char *at)
{
	const json_t *res = json_object_get(s->tmpl, "resources");
	const char *name;
	json_t *r;
	int rc;

	if (!json_is_object(s->tmpl))
		return vlt_err_set(s->h->err, VLT_EINVAL, "%s: expected a mapping at the top",
				   s->file);
	if (json_object_get(s->tmpl, "heat_template_version") == NULL)
		return vlt_err_set(s->h->err, VLT_EINVAL,
				   "%s: heat_template_version: missing (not a Heat "
				   "Orchestration Template)", s->file);
	if (res != NULL && !json_is_object(res) && !json_is_null(res))
		return vlt_err_set(s->h->err, VLT_EINVAL, "%s: resources: expected a mapping",
				   s->file);
	if ((rc = scope_params(s, given, at)) < 0 || (rc = resource_conditions(s)) < 0)
		return rc;
	for (int pass = 0; pass < 2; pass++) {
		json_object_foreach((json_t *)res, name, r) {
			if (json_object_get(s->off, name) == NULL && expands(s, r) == (pass == 0) &&
			    (rc = expand_resource(s, name, r)) < 0)
				return rc;
		}
	}
	return 0;
}

/* ------------------------------------------------ Nova server groups */

/* "affinity" or "diversity" for a hard policy of an OS::Nova::ServerGroup; NULL otherwise. */
static const char *server_group_policy(const json_t *props)
{
	const json_t *list = json_object_get(props, "policies");
	const char *p = json_string_value(json_object_get(props, "policy"));

	if (p == NULL && json_array_size(list) == 1)
		p = json_string_value(json_array_get(list, 0));
	if (p != NULL && strcmp(p, "affinity") == 0)
		return "affinity";
	if (p != NULL && strcmp(p, "anti-affinity") == 0)
		return "diversity";
	return NULL; /* soft policies are preferences Nova weighs; Valet leaves them to it */
}

/*
 * An OS::Nova::ServerGroup with a hard policy becomes the host-level group
 * Nova's filters will hold its servers to (those whose scheduler_hints.group
 * names it), so that the plan is one Nova accepts: the resource keeps its id
 * and name, its type becomes ATT::Valet::GroupAssignment, heat_type says
 * what it was. One with no server is left as it is (a type Valet ignores).
 */
static int server_groups(struct hot *h)
{
	const char *gid, *sid;
	json_t *g, *srv;

	json_object_foreach(h->out, gid, g) {
		const json_t *props = json_object_get(g, "properties");
		const char *type = json_string_value(json_object_get(g, "type"));
		const char *policy = server_group_policy(props);
		json_t *members = json_array();

		if (members == NULL)
			return vlt_err_set(h->err, VLT_ENOMEM, "out of memory");
		if (type == NULL || strcmp(type, "OS::Nova::ServerGroup") != 0 || policy == NULL) {
			json_decref(members);
			continue;
		}
		json_object_foreach(h->out, sid, srv) {
			const json_t *hint = json_object_get(
				json_object_get(json_object_get(srv, "properties"), "scheduler_hints"),
				"group");
			if (json_is_string(hint) && strcmp(json_string_value(hint), gid) == 0)
				json_array_append_new(members, json_string(sid));
		}
		if (json_array_size(members) == 0) {
			json_decref(members);
			continue;
		}
		json_t *np = json_pack("{s:s, s:s, s:o}", "group_type", policy, "level", "host",
				       "resources", members);
		if (np == NULL || json_object_set_new(g, "properties", np) < 0 ||
		    json_object_set_new(g, "type", json_string("ATT::Valet::GroupAssignment")) < 0 ||
		    json_object_set_new(g, "heat_type", json_string("OS::Nova::ServerGroup")) < 0)
			return vlt_err_set(h->err, VLT_ENOMEM, "out of memory");
	}
	return 0;
}

/* ------------------------------------------------ groups of nested stacks */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first of the n sorted ids not below key. */
static size_t lower_bound(const char *const *ids, size_t n, const char *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ids[mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Append to list the servers and volumes made under the stack `prefix` (sorted ids). */
static int units_under(const struct hot *h, const char *const *ids, size_t n, const char *prefix,
		       json_t *list)
{
	size_t len = strlen(prefix);

	for (size_t i = lower_bound(ids, n, prefix); i < n; i++) {
		if (strncmp(ids[i], prefix, len) != 0)
			break;
		if (ids[i][len] != '/')
			continue;
		vlt_rkind_t k = vlt__request_kind(
			json_string_value(json_object_get(json_object_get(h->out, ids[i]), "type")));
		if ((k == VLT_RK_SERVER || k == VLT_RK_VOLUME) &&
		    json_array_append_new(list, json_string(ids[i])) < 0)
			return VLT_ENOMEM;
	}
	return 0;
}

/* A group assignment's members with each nested stack or group in it replaced by its units. */
static int flatten_members(const struct hot *h, json_t *props, const char *const *ids, size_t n)
{
	const json_t *members = json_object_get(props, "resources");
	json_t *flat = json_array();
	int rc = flat != NULL ? 0 : VLT_ENOMEM;

	for (size_t i = 0; rc == 0 && i < json_array_size(members); i++) {
		json_t *m = json_array_get(members, i);
		const char *id = json_string_value(m);
		size_t before = json_array_size(flat);
		if (id != NULL && json_object_get(h->out, id) == NULL)
			rc = units_under(h, ids, n, id, flat);
		/* not a stack of units: left for the request's reader to name */
		if (rc == 0 && json_array_size(flat) == before)
			rc = json_array_append(flat, m) < 0 ? VLT_ENOMEM : 0;
	}
	if (rc == 0)
		rc = json_object_set_new(props, "resources", flat) < 0 ? VLT_ENOMEM : 0;
	else
		json_decref(flat);
	return rc;
}

/*
 * A group assignment listing a nested stack or a resource group (with
 * get_resource, or get_attr refs) means the servers and volumes in it:
 * the stack itself is no unit of the plan.
 */
static int groups_of_stacks(struct hot *h)
{
	size_t n = json_object_size(h->out), i = 0;
	const char **ids = calloc(n + 1, sizeof(*ids));
	const char *k;
	json_t *r;
	int rc = 0;

	if (ids == NULL)
		return vlt_err_set(h->err, VLT_ENOMEM, "out of memory");
	json_object_foreach(h->out, k, r)
		ids[i++] = k;
	qsort(ids, n, sizeof(*ids), cmp_str);
	json_object_foreach(h->out, k, r) {
		json_t *props = json_object_get(r, "properties");
		if (rc == 0 && vlt__request_is_assignment_type(json_string_value(
				       json_object_get(r, "type"))) &&
		    json_is_array(json_object_get(props, "resources")))
			rc = flatten_members(h, props, ids, n);
	}
	free(ids);
	return rc < 0 ? vlt_err_set(h->err, rc, "out of memory") : 0;
}

/* ------------------------------------------------ environment */

static int read_environment(struct hot *h, const vlt_hot_input_t *in)
{
	static const char *const sections[] = { "parameters", "parameter_defaults",
						"resource_registry", "event_sinks",
						"encrypted_param_names",
						"parameter_merge_strategies", NULL };
	json_t *env = NULL;
	const char *k;
	json_t *v;
	int rc = 0;

	if (in->environment != NULL && !json_is_null(in->environment))
		rc = document(in->environment, "environment", "environment", &env, h->err);
	if (rc < 0)
		return rc;
	json_object_foreach(env, k, v) {
		if (!word_in(k, sections))
			rc = vlt_err_set(h->err, VLT_EINVAL,
					 "environment: '%s' is not a section of a Heat environment", k);
		else if (strcmp(k, "event_sinks") != 0 && strcmp(k, "encrypted_param_names") != 0 &&
			 !json_is_object(v) && !json_is_null(v))
			rc = vlt_err_set(h->err, VLT_EINVAL, "environment: %s: expected a mapping", k);
		if (rc < 0)
			break;
	}
	h->env_params = json_object();
	h->env_defaults = json_object();
	h->registry = json_object();
	if (rc == 0 && (h->env_params == NULL || h->env_defaults == NULL || h->registry == NULL))
		rc = vlt_err_set(h->err, VLT_ENOMEM, "out of memory");
	if (rc == 0) {
		json_object_update(h->env_params, json_object_get(env, "parameters"));
		json_object_update(h->env_defaults, json_object_get(env, "parameter_defaults"));
		json_object_foreach(json_object_get(env, "resource_registry"), k, v)
			if (json_is_string(v))
				json_object_set(h->registry, k, v); /* "resources": per resource, not read */
		if (in->params != NULL && !json_is_object(in->params))
			rc = vlt_err_set(h->err, VLT_EINVAL, "parameters: expected a mapping");
		else if (in->params != NULL)
			json_object_update(h->env_params, (json_t *)in->params);
	}
	json_decref(env);
	return rc;
}

int vlt__hot_expand(const vlt_hot_input_t *in, json_t **resources, vlt_err_t *err)
{
	const char *name = in->name != NULL ? in->name : "template";
	struct hot h = { .in = in, .out = json_object(), .err = err };
	json_t *tmpl = NULL;
	int rc;

	if (in->stack_id == NULL || in->stack_id[0] == '\0')
		return vlt_err_set(err, VLT_EINVAL, "%s: a stack id is needed for the ids", name);
	if (in->files != NULL && !json_is_object(in->files) && !json_is_null(in->files))
		return vlt_err_set(err, VLT_EINVAL, "files: expected a mapping of name to content");
	rc = h.out != NULL ? read_environment(&h, in) : vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc == 0)
		rc = document(in->tmpl, name, "template", &tmpl, err);
	struct scope root = { .h = &h, .file = name, .tmpl = tmpl, .params = json_object(),
			      .id = strdup(in->stack_id), .attrs = json_object() };
	if (rc == 0 && (root.params == NULL || root.id == NULL || root.attrs == NULL))
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc == 0)
		rc = expand_scope(&root, NULL, "parameters");
	if (rc == 0)
		rc = server_groups(&h);
	if (rc == 0)
		rc = groups_of_stacks(&h);
	if (rc == 0)
		*resources = json_incref(h.out);
	json_decref(root.params);
	json_decref(root.attrs);
	json_decref(root.conds);
	json_decref(root.off);
	free(root.id);
	json_decref(tmpl);
	json_decref(h.env_params);
	json_decref(h.env_defaults);
	json_decref(h.registry);
	json_decref(h.out);
	return rc;
}

/* ================================================================ request form */

int vlt__hot_request(const json_t *req, const char *where, json_t **out, vlt_err_t *err)
{
	const char *stack_id = json_string_value(json_object_get(req, "stack_id"));
	const json_t *tmpl = json_object_get(req, "template");
	json_t *resources = NULL;

	if (json_object_get(req, "resources") != NULL)
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: $.resources and $.template: give one of them, not both",
				   where);
	if (stack_id == NULL || stack_id[0] == '\0')
		return vlt_err_set(err, VLT_EINVAL,
				   "%s: $.stack_id: missing (expected a string: a template's "
				   "resources are keyed <stack_id>/<path>)", where);
	const json_t *tenant = json_object_get(req, "tenant_id");
	const json_t *pname = json_object_get(req, "plan_name");
	vlt_hot_input_t in = { .name = "$.template",
			       .tmpl = tmpl,
			       .environment = json_object_get(req, "environment"),
			       .files = json_object_get(req, "files"),
			       .params = json_object_get(req, "parameters"),
			       .stack_id = stack_id,
			       .stack_name = json_string_value(pname),
			       .tenant_id = json_string_value(tenant) };
	vlt_err_t inner = { 0 };
	int rc = vlt__hot_expand(&in, &resources, &inner);
	/* a tree above the bound is a bad template, as every other fault of one */
	if (rc < 0)
		return vlt_err_set(err, rc == VLT_E2BIG ? VLT_EINVAL : rc, "%s: %s", where, inner.msg);
	*out = json_copy((json_t *)req);
	if (*out == NULL || json_object_del(*out, "template") < 0 ||
	    json_object_set_new(*out, "resources", resources) < 0) {
		json_decref(*out);
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	json_object_del(*out, "files");
	json_object_del(*out, "environment");
	json_object_del(*out, "parameters");
	return 0;
}
