/*
 * test_hot.c - Heat templates expanded into one plan request
 * (core/engine/hot.c): YAML as Heat reads it, parameters and their types,
 * each intrinsic function, nested and provider templates, resource groups,
 * the ids rule, the request form, and every error with what it names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "test_json.h"

#include "hot.h"

/* short, as the requests below are many (test_json.h: ' for ") */
#define J test_json

static json_t *yaml(const char *text)
{
	json_t *v = NULL;
	vlt_err_t err = { 0 };

	if (vlt__hot_parse(text, strlen(text), "t.yaml", &v, &err) != 0)
		fail_msg("YAML did not parse: %s", err.msg);
	return v;
}

struct expansion {
	const char *tmpl;   /* YAML */
	const char *env;    /* YAML or NULL */
	json_t *files;      /* taken, may be NULL */
	json_t *params;     /* taken, may be NULL */
	const char *const *dirs;
};

/* Expand; RET the code, *out the resources (or NULL), err the message. */
static int expand(struct expansion x, json_t **out, vlt_err_t *err)
{
	json_t *tmpl = json_string(x.tmpl);
	json_t *env = x.env != NULL ? json_string(x.env) : NULL;
	vlt_hot_input_t in = { .name = "stack.yaml", .tmpl = tmpl, .environment = env,
			       .files = x.files, .params = x.params, .stack_id = "S",
			       .dirs = x.dirs };

	*out = NULL;
	memset(err, 0, sizeof(*err));
	int rc = vlt__hot_expand(&in, out, err);
	json_decref(tmpl);
	json_decref(env);
	json_decref(x.files);
	json_decref(x.params);
	return rc;
}

static json_t *expand_ok(struct expansion x)
{
	json_t *out;
	vlt_err_t err;

	if (expand(x, &out, &err) != 0)
		fail_msg("expansion failed: %s", err.msg);
	return out;
}

/* The expansion fails with code, its message holding each of the NULL-terminated needles. */
static void expand_fails(struct expansion x, int code, ...)
{
	json_t *out;
	vlt_err_t err;
	va_list ap;

	int rc = expand(x, &out, &err);
	if (rc != code)
		fail_msg("want %d, got %d: %s", code, rc, err.msg);
	assert_null(out);
	va_start(ap, code);
	for (const char *n; (n = va_arg(ap, const char *)) != NULL;)
		if (strstr(err.msg, n) == NULL)
			fail_msg("message '%s' lacks '%s'", err.msg, n);
	va_end(ap);
}

/* {name: text, ...} from NULL-terminated pairs: the files of a request. */
static json_t *files(const char *name, ...)
{
	json_t *f = json_object();
	va_list ap;

	va_start(ap, name);
	for (const char *n = name; n != NULL; n = va_arg(ap, const char *))
		json_object_set_new(f, n, json_string(va_arg(ap, const char *)));
	va_end(ap);
	return f;
}

static const json_t *prop(const json_t *res, const char *id, const char *key)
{
	const json_t *r = json_object_get(res, id);

	if (r == NULL)
		fail_msg("no resource %s", id);
	return json_object_get(json_object_get(r, "properties"), key);
}

static void assert_json(const json_t *got, const char *want)
{
	json_t *w = J(want);
	if (!json_equal(got, w)) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
		fail_msg("got %s, want %s", g != NULL ? g : "(null)", want);
	}
	json_decref(w);
}

#define HOT "heat_template_version: 2016-10-14\n"
#define SERVER "type: OS::Nova::Server\n"
#define SERVERF "type: OS::Nova::Server, "

/* ---------------------------------------------------------------- YAML */

static void yaml_scalars_as_heat_reads_them(void **state)
{
	(void)state;
	json_t *v = yaml("a: 1\nb: -2.5\nc: yes\nd: off\ne: ~\nf: 2016-10-14\ng: '1'\n"
			 "h: \"true\"\ni: 0755\nj: [x, {k: v}]\nk: !!str 3\nl: 1e3\nm: .\n"
			 "n: 1.5e+3\n");

	assert_json(v, "{'a': 1, 'b': -2.5, 'c': true, 'd': false, 'e': null, 'f': '2016-10-14',"
		       " 'g': '1', 'h': 'true', 'i': '0755', 'j': ['x', {'k': 'v'}], 'k': '3',"
		       " 'l': '1e3', 'm': '.', 'n': 1500.0}");
	json_decref(v);
}

static void yaml_json_text_and_anchors(void **state)
{
	(void)state;
	json_t *v = yaml("{\"a\": [1, 2], \"b\": {\"c\": null}}");
	assert_json(v, "{'a': [1, 2], 'b': {'c': null}}");
	json_decref(v);
	v = yaml("base: &b {flavor: m1.tiny}\ncopy: *b\n");
	assert_json(v, "{'base': {'flavor': 'm1.tiny'}, 'copy': {'flavor': 'm1.tiny'}}");
	json_decref(v);
}

static void yaml_errors_name_line_and_column(void **state)
{
	json_t *v = NULL;
	vlt_err_t err = { 0 };
	(void)state;

	assert_int_equal(vlt__hot_parse("a: 1\na: 2\n", 10, "t.yaml", &v, &err), VLT_EINVAL);
	assert_non_null(strstr(err.msg, "t.yaml:2:"));
	assert_non_null(strstr(err.msg, "duplicate key 'a'"));
	assert_int_equal(vlt__hot_parse("a: [1, 2\nb: 3\n", 14, "t.yaml", &v, &err), VLT_EINVAL);
	assert_non_null(strstr(err.msg, "t.yaml:"));
	assert_null(v);
}

/* A billion laughs: each level doubles; the node budget refuses it early. */
static void yaml_alias_bomb_is_refused(void **state)
{
	char text[4096] = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
	json_t *v = NULL;
	vlt_err_t err = { 0 };
	(void)state;

	for (int i = 1; i < 12; i++) {
		size_t n = strlen(text);
		snprintf(text + n, sizeof(text) - n,
			 "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
			 i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	}
	assert_int_equal(vlt__hot_parse(text, strlen(text), "bomb.yaml", &v, &err), VLT_EINVAL);
	assert_non_null(strstr(err.msg, "more than 1000000 nodes"));
	assert_null(v);
}

/* ---------------------------------------------------------------- parameters */

static void parameters_defaults_types_and_precedence(void **state)
{
	(void)state;
	json_t *out = expand_ok((struct expansion){
		.tmpl = HOT "parameters:\n"
			"  s: {type: string, default: 5}\n"
			"  n: {type: number, default: '2.5'}\n"
			"  j: {type: json, default: '{\"k\": [1]}'}\n"
			"  l: {type: comma_delimited_list, default: 'a, b,c'}\n"
			"  b: {type: boolean, default: 'yes'}\n"
			"  given: {type: string, default: d}\n"
			"  env: {type: string, default: d}\n"
			"  pd: {type: string, default: d}\n"
			"resources:\n  vm:\n    " SERVER "    properties:\n"
			"      all: [{get_param: s}, {get_param: n}, {get_param: j},\n"
			"            {get_param: l}, {get_param: b}, {get_param: given},\n"
			"            {get_param: env}, {get_param: pd}]\n",
		.env = "parameters: {given: from-env, env: from-env}\n"
		       "parameter_defaults: {pd: from-defaults, given: no}\n",
		.params = J("{'given': 'from-params'}") });

	assert_json(prop(out, "S/vm", "all"),
		    "['5', 2.5, {'k': [1]}, ['a', 'b', 'c'], true, 'from-params', 'from-env',"
		    " 'from-defaults']");
	json_decref(out);
}

static void parameter_errors(void **state)
{
	(void)state;
	expand_fails((struct expansion){ .tmpl = HOT "parameters: {a: {type: string}}\n",
					 .params = J("{'a': 'x', 'b': 'y'}") },
		     VLT_EINVAL, "stack.yaml", "unknown parameter 'b'", NULL);
	expand_fails((struct expansion){ .tmpl = HOT "parameters: {a: {type: string}}\n" },
		     VLT_EINVAL, "stack.yaml", "parameter 'a' has no value", NULL);
	expand_fails((struct expansion){ .tmpl = HOT "parameters: {a: {type: number}}\n",
					 .params = J("{'a': 'ten'}") },
		     VLT_EINVAL, "parameter 'a' (number) is not a number", NULL);
	expand_fails((struct expansion){ .tmpl = HOT "parameters: {a: {type: boolean}}\n",
					 .params = J("{'a': 'maybe'}") },
		     VLT_EINVAL, "parameter 'a' (boolean) is not a boolean", NULL);
	expand_fails((struct expansion){ .tmpl = HOT "resources:\n  vm:\n    " SERVER
					 "    properties: {flavor: {get_param: nope}}\n" },
		     VLT_EINVAL, "stack.yaml: vm: get_param: unknown parameter 'nope'", NULL);
	expand_fails((struct expansion){ .tmpl = HOT, .env = "parameterz: {}\n" }, VLT_EINVAL,
		     "environment: 'parameterz' is not a section", NULL);
	expand_fails((struct expansion){ .tmpl = "description: x\nresources: {}\n" }, VLT_EINVAL,
		     "stack.yaml: heat_template_version: missing", NULL);
}

/* ---------------------------------------------------------------- functions */

static void functions_resolve_statically(void **state)
{
	(void)state;
	json_t *out = expand_ok((struct expansion){
		.tmpl = HOT "parameters:\n"
			"  cfg: {type: json, default: {a: [10, {b: deep}]}}\n"
			"  env: {type: string, default: prod}\n"
			"resources:\n"
			"  vm:\n    " SERVER "    properties:\n"
			"      deep: {get_param: [cfg, a, 1, b]}\n"
			"      name: {str_replace: {template: web-$env-$envx, params: {$env: {get_param: env}, $envx: 7}}}\n"
			"      joined: {list_join: ['-', [a, b], [{get_param: env}]]}\n"
			"      port: {get_resource: port}\n"
			"      ip: {get_attr: [port, fixed_ips, 0]}\n"
			"      sid: {get_param: OS::stack_id}\n"
			"  port: {type: OS::Neutron::Port}\n" });

	assert_json(prop(out, "S/vm", "deep"), "'deep'");
	assert_json(prop(out, "S/vm", "name"), "'web-prod-7'");
	assert_json(prop(out, "S/vm", "joined"), "'a-b-prod'");
	assert_json(prop(out, "S/vm", "port"), "'S/port'");
	assert_json(prop(out, "S/vm", "ip"), "{'get_attr': ['port', 'fixed_ips', 0]}");
	assert_json(prop(out, "S/vm", "sid"), "'S'");
	assert_json(json_object_get(out, "S/port"),
		    "{'name': 'port', 'type': 'OS::Neutron::Port', 'properties': {}}");
	json_decref(out);
	expand_fails((struct expansion){ .tmpl = HOT "resources:\n  vm:\n    " SERVER
					 "    properties: {p: {get_resource: ghost}}\n" },
		     VLT_EINVAL, "stack.yaml: vm: get_resource: no resource 'ghost'", NULL);
}

/* conditions: equals, not, and, or, names, get_param; resources left out; if. */
static void conditions_leave_out_and_choose(void **state)
{
	(void)state;
	json_t *out = expand_ok((struct expansion){
		.tmpl = HOT "parameters:\n"
			"  env: {type: string, default: prod}\n"
			"  big: {type: boolean, default: false}\n"
			"conditions:\n"
			"  is_prod: {equals: [{get_param: env}, prod]}\n"
			"  is_dev: {not: is_prod}\n"
			"  prod_big: {and: [is_prod, {get_param: big}]}\n"
			"  any: {or: [is_dev, prod_big, true]}\n"
			"resources:\n"
			"  web: {" SERVERF "properties: {flavor: {if: [prod_big, m1.large, m1.small]},"
			" on: {if: [any, yes, no]}, dbg: {get_resource: debug}}}\n"
			"  debug: {" SERVERF "condition: is_dev}\n"
			"  canary: {" SERVERF "condition: {equals: [{get_param: env}, prod]}}\n" });

	assert_int_equal(json_object_size(out), 2);
	assert_null(json_object_get(out, "S/debug"));
	assert_non_null(json_object_get(out, "S/canary"));
	assert_json(prop(out, "S/web", "flavor"), "'m1.small'");
	assert_json(prop(out, "S/web", "on"), "true");
	assert_json(prop(out, "S/web", "dbg"), "null");
	json_decref(out);
	expand_fails((struct expansion){ .tmpl = HOT "conditions: {a: b, b: a}\n"
					 "resources: {x: {" SERVERF "condition: a}}\n" },
		     VLT_EINVAL, "stack.yaml: resources.x.condition: conditions refer to each other",
		     NULL);
	expand_fails((struct expansion){ .tmpl = HOT "resources: {x: {" SERVERF "condition: c}}\n" },
		     VLT_EINVAL, "stack.yaml: resources.x.condition: no condition 'c'", NULL);
}

/* ---------------------------------------------------------------- nesting */

#define INNER HOT "parameters:\n  flavor: {type: string}\n  peer: {type: string, default: ''}\n" \
	"resources:\n  vm:\n    " SERVER "    properties: {flavor: {get_param: flavor}, peer: {get_param: peer}}\n" \
	"outputs:\n  vm_id: {value: {get_resource: vm}}\n"

/* The ids rule, get_resource across levels, get_attr of a nested stack. */
static void nested_templates_become_one_request(void **state)
{
	(void)state;
	json_t *out = expand_ok((struct expansion){
		.tmpl = HOT "resources:\n"
			"  db: {" SERVERF "properties: {flavor: m1.small}}\n"
			"  web:\n    type: server.yaml\n"
			"    properties: {flavor: m1.tiny, peer: {get_resource: db}}\n"
			"  aff:\n    type: ATT::Valet::GroupAssignment\n"
			"    properties:\n      group_type: affinity\n      level: host\n"
			"      resources: [{get_resource: db}, {get_attr: [web, vm_id]},\n"
			"                  {get_attr: [web, resource.vm]}]\n",
		.files = files("server.yaml", INNER, NULL) });

	assert_int_equal(json_object_size(out), 3);
	assert_json(json_object_get(out, "S/web/vm"),
		    "{'name': 'vm', 'type': 'OS::Nova::Server',"
		    " 'properties': {'flavor': 'm1.tiny', 'peer': 'S/db'}}");
	assert_json(prop(out, "S/aff", "resources"), "['S/db', 'S/web/vm', 'S/web/vm']");
	json_decref(out);

	/* a group of nested stacks (get_resource of one, get_attr refs of a group) is of their units */
	out = expand_ok((struct expansion){
		.tmpl = HOT "resources:\n"
			"  web: {type: server.yaml, properties: {flavor: m1.tiny}}\n"
			"  grp:\n    type: OS::Heat::ResourceGroup\n"
			"    properties: {count: 2, resource_def: {type: server.yaml,"
			" properties: {flavor: m1.tiny}}}\n"
			"  div:\n    type: ATT::Valet::GroupAssignment\n"
			"    properties: {group_type: diversity, level: host,"
			" resources: {get_attr: [grp, refs]}}\n"
			"  aff:\n    type: OS::Valet::GroupAssignment\n"
			"    properties: {group: g, resources: [{get_resource: web}, ghost]}\n",
		.files = files("server.yaml", INNER, NULL) });
	assert_json(prop(out, "S/div", "resources"), "['S/grp/0/vm', 'S/grp/1/vm']");
	assert_json(prop(out, "S/aff", "resources"), "['S/web/vm', 'ghost']");
	json_decref(out);
}

static void resource_groups_expand_members_in_place(void **state)
{
	(void)state;
	json_t *out = expand_ok((struct expansion){
		.tmpl = HOT "parameters: {n: {type: number, default: 2}}\n"
			"resources:\n"
			"  grp:\n    type: OS::Heat::ResourceGroup\n"
			"    properties:\n      count: {get_param: n}\n"
			"      removal_policies: [{resource_list: ['0']}]\n"
			"      resource_def:\n        type: server.yaml\n"
			"        properties: {flavor: m1.tiny, peer: peer-%index%}\n"
			"  flat:\n    type: OS::Heat::ResourceGroup\n"
			"    properties:\n      count: '3'\n      index_var: '@'\n"
			"      resource_def: {" SERVERF "properties: {name: vm-@, flavor: m1.tiny}}\n"
			"  asg:\n    type: OS::Heat::AutoScalingGroup\n"
			"    properties:\n      min_size: 1\n      max_size: 5\n      desired_capacity: 2\n"
			"      resource: {" SERVERF "properties: {flavor: m1.tiny}}\n"
			"  asg_min:\n    type: OS::Heat::AutoScalingGroup\n"
			"    properties: {min_size: 1, max_size: 3, resource: {" SERVERF "}}\n"
			"  div:\n    type: ATT::Valet::GroupAssignment\n"
			"    properties: {group_type: diversity, level: host,"
			" resources: {get_attr: [flat, refs]}}\n",
		.files = files("server.yaml", INNER, NULL) });

	assert_int_equal(json_object_size(out), 2 + 3 + 2 + 1 + 1);
	assert_json(prop(out, "S/grp/1/vm", "peer"), "'peer-1'");
	assert_json(json_object_get(json_object_get(out, "S/flat/2"), "name"), "'2'");
	assert_json(prop(out, "S/flat/2", "name"), "'vm-2'");
	assert_non_null(json_object_get(out, "S/asg/1"));
	assert_null(json_object_get(out, "S/asg/2"));
	assert_non_null(json_object_get(out, "S/asg_min/0"));
	assert_json(prop(out, "S/div", "resources"), "['S/flat/0', 'S/flat/1', 'S/flat/2']");
	json_decref(out);
}

static void provider_types_from_the_registry(void **state)
{
	(void)state;
	json_t *out = expand_ok((struct expansion){
		.tmpl = HOT "resources:\n  app: {type: My::App, properties: {flavor: m1.tiny}}\n"
			"  wrapped: {" SERVERF "properties: {flavor: m1.small}}\n",
		.env = "resource_registry:\n  My::App: server.yaml\n"
		       "  OS::Nova::Server: wrap.yaml\n",
		.files = files("server.yaml", INNER, "wrap.yaml",
			       HOT "parameters: {flavor: {type: string}, peer: {type: string, default: x}}\n"
			       "resources: {real: {" SERVERF "properties: {flavor: {get_param: flavor}}}}\n",
			       NULL) });

	/* the wrapper's own OS::Nova::Server is the real one, not the wrapper again */
	assert_json(prop(out, "S/wrapped/real", "flavor"), "'m1.small'");
	assert_json(json_object_get(json_object_get(out, "S/app/vm/real"), "type"),
		    "'OS::Nova::Server'");
	json_decref(out);
}

static void nested_files_are_read_from_the_folders(void **state)
{
	char dir[] = "/tmp/test_hot_XXXXXX", path[128];
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/server.yaml", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(INNER, f);
	fclose(f);
	const char *dirs[] = { dir, NULL };
	const char *tmpl = HOT "resources: {web: {type: server.yaml, properties: {flavor: x}}}\n";
	json_t *out = expand_ok((struct expansion){ .tmpl = tmpl, .dirs = dirs });
	assert_json(prop(out, "S/web/vm", "flavor"), "'x'");
	json_decref(out);
	/* without folders (valetd), only the request's files are read */
	expand_fails((struct expansion){ .tmpl = tmpl }, VLT_EINVAL,
		     "stack.yaml: web: nested template 'server.yaml' is not in the request's files",
		     NULL);
	unlink(path);
	rmdir(dir);
	expand_fails((struct expansion){ .tmpl = tmpl, .dirs = dirs }, VLT_EINVAL,
		     "stack.yaml: web: nested template 'server.yaml' not found", NULL);
}

/* Hard Nova server group policies become the host-level groups Nova will hold. */
static void nova_server_groups_become_groups(void **state)
{
	(void)state;
	json_t *out = expand_ok((struct expansion){
		.tmpl = HOT "resources:\n"
			"  anti: {type: OS::Nova::ServerGroup, properties: {policies: [anti-affinity]}}\n"
			"  soft: {type: OS::Nova::ServerGroup, properties: {policy: soft-affinity}}\n"
			"  a: {" SERVERF "properties: {scheduler_hints: {group: {get_resource: anti}}}}\n"
			"  b: {" SERVERF "properties: {scheduler_hints: {group: {get_resource: anti}}}}\n"
			"  c: {" SERVERF "properties: {scheduler_hints: {group: {get_resource: soft}}}}\n" });

	assert_json(json_object_get(out, "S/anti"),
		    "{'name': 'anti', 'type': 'ATT::Valet::GroupAssignment',"
		    " 'heat_type': 'OS::Nova::ServerGroup', 'properties': {'group_type': 'diversity',"
		    " 'level': 'host', 'resources': ['S/a', 'S/b']}}");
	assert_json(json_object_get(json_object_get(out, "S/soft"), "type"),
		    "'OS::Nova::ServerGroup'");
	json_decref(out);
}

/* ---------------------------------------------------------------- bounds */

static void nesting_errors_name_file_and_path(void **state)
{
	(void)state;
	expand_fails((struct expansion){
			     .tmpl = HOT "resources: {a: {type: a.yaml}}\n",
			     .files = files("a.yaml", HOT "resources: {b: {type: b.yaml}}\n",
					    "b.yaml", HOT "resources: {c: {type: a.yaml}}\n", NULL) },
		     VLT_EINVAL, "b.yaml: a/b/c: nested template 'a.yaml' includes itself",
		     "a.yaml <- b.yaml <- a.yaml", NULL);
	expand_fails((struct expansion){
			     .tmpl = HOT "resources: {d: {type: d.yaml}}\n",
			     .files = files("d.yaml", HOT "resources: {g: {type: OS::Heat::ResourceGroup,"
					    " properties: {count: 1, resource_def: {type: d.yaml}}}}\n",
					    NULL) },
		     VLT_EINVAL, "d.yaml: d/g/0: nested template 'd.yaml' includes itself", NULL);
	expand_fails((struct expansion){
			     .tmpl = HOT "resources:\n  g:\n    type: OS::Heat::ResourceGroup\n"
				     "    properties: {count: many, resource_def: {type: OS::Nova::Server}}\n" },
		     VLT_EINVAL, "stack.yaml: g: count 'many' is not a whole number", NULL);
	expand_fails((struct expansion){
			     .tmpl = HOT "resources:\n  g:\n    type: OS::Heat::ResourceGroup\n"
				     "    properties: {count: 2}\n" },
		     VLT_EINVAL, "stack.yaml: g: resource_def: expected a mapping with a type",
		     NULL);
	expand_fails((struct expansion){ .tmpl = HOT "resources: {a: {properties: {}}}\n" },
		     VLT_EINVAL, "stack.yaml: a: expected a mapping with a type", NULL);
	expand_fails((struct expansion){
			     .tmpl = HOT "resources: {web: {type: server.yaml, properties: "
				     "{flavor: x, colour: red}}}\n",
			     .files = files("server.yaml", INNER, NULL) },
		     VLT_EINVAL, "server.yaml: web: unknown parameter 'colour'", NULL);
}

/* Templates nested one in the next, deeper than the bound, each a different file. */
static void nesting_depth_is_bounded(void **state)
{
	json_t *files = json_object();
	char name[32], next[32], text[256];
	(void)state;

	for (int i = 0; i <= VLT_HOT_MAX_DEPTH; i++) {
		snprintf(name, sizeof(name), "l%d.yaml", i);
		snprintf(next, sizeof(next), "l%d.yaml", i + 1);
		snprintf(text, sizeof(text), HOT "resources: {n: {type: %s}}\n", next);
		json_object_set_new(files, name, json_string(text));
	}
	snprintf(text, sizeof(text), "%s", HOT "resources: {n: {type: l0.yaml}}\n");
	expand_fails((struct expansion){ .tmpl = text, .files = files }, VLT_EINVAL,
		     "l9.yaml: n/n/n/n/n/n/n/n/n/n/n: templates nested more than 10 deep", NULL);
}

static void expanded_resources_are_bounded(void **state)
{
	(void)state;
	expand_fails((struct expansion){
			     .tmpl = HOT "resources:\n  g:\n    type: OS::Heat::ResourceGroup\n"
				     "    properties: {count: 10001, resource_def: {type: OS::Nova::Server}}\n" },
		     VLT_E2BIG, "stack.yaml: g: count 10001 is above the 10000 resources", NULL);
	/* 200 x 60 members, each count within the bound, the whole tree above it */
	expand_fails((struct expansion){
			     .tmpl = HOT "resources:\n  g:\n    type: OS::Heat::ResourceGroup\n"
				     "    properties: {count: 200, resource_def: {type: row.yaml}}\n",
			     .files = files("row.yaml", HOT "resources: {r: {type: OS::Heat::ResourceGroup,"
					    " properties: {count: 60, resource_def: {type: OS::Nova::Server}}}}\n",
					    NULL) },
		     VLT_E2BIG, "row.yaml: g/166/r/40: the template makes more than 10000 resources",
		     NULL);
}

/* ---------------------------------------------------------------- request form */

static void request_form(void **state)
{
	json_t *out = NULL;
	vlt_err_t err = { 0 };
	(void)state;

	json_t *req = J("{'stack_id': 'S', 'plan_name': 'p', 'parameters': {'f': 'm1.tiny'},"
			" 'files': {'s.yaml': 'heat_template_version: 2016-10-14\\nparameters: {f: {type: string}}\\n"
			"resources: {vm: {type: OS::Nova::Server, properties: {flavor: {get_param: f}}}}'},"
			" 'template': {'heat_template_version': '2016-10-14', 'parameters': {'f': {'type': 'string'}},"
			" 'resources': {'a': {'type': 's.yaml', 'properties': {'f': {'get_param': 'f'}}}}}}");
	assert_int_equal(vlt__hot_request(req, "request", &out, &err), 0);
	assert_json(out, "{'stack_id': 'S', 'plan_name': 'p', 'resources': {'S/a/vm':"
			 " {'name': 'vm', 'type': 'OS::Nova::Server', 'properties': {'flavor': 'm1.tiny'}}}}");
	json_decref(out);
	json_object_set_new(req, "resources", json_object());
	assert_int_equal(vlt__hot_request(req, "request", &out, &err), VLT_EINVAL);
	assert_non_null(strstr(err.msg, "$.resources and $.template: give one of them"));
	json_object_del(req, "resources");
	json_object_del(req, "stack_id");
	assert_int_equal(vlt__hot_request(req, "request", &out, &err), VLT_EINVAL);
	assert_non_null(strstr(err.msg, "request: $.stack_id: missing"));
	json_object_set_new(req, "stack_id", json_string("S"));
	json_object_set_new(req, "template", json_string("heat_template_version: 1\nresources: [\n"));
	assert_int_equal(vlt__hot_request(req, "request", &out, &err), VLT_EINVAL);
	assert_non_null(strstr(err.msg, "request: $.template:"));
	json_decref(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(yaml_scalars_as_heat_reads_them),
		cmocka_unit_test(yaml_json_text_and_anchors),
		cmocka_unit_test(yaml_errors_name_line_and_column),
		cmocka_unit_test(yaml_alias_bomb_is_refused),
		cmocka_unit_test(parameters_defaults_types_and_precedence),
		cmocka_unit_test(parameter_errors),
		cmocka_unit_test(functions_resolve_statically),
		cmocka_unit_test(conditions_leave_out_and_choose),
		cmocka_unit_test(nested_templates_become_one_request),
		cmocka_unit_test(resource_groups_expand_members_in_place),
		cmocka_unit_test(provider_types_from_the_registry),
		cmocka_unit_test(nested_files_are_read_from_the_folders),
		cmocka_unit_test(nova_server_groups_become_groups),
		cmocka_unit_test(nesting_errors_name_file_and_path),
		cmocka_unit_test(nesting_depth_is_bounded),
		cmocka_unit_test(expanded_resources_are_bounded),
		cmocka_unit_test(request_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
