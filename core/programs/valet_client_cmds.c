/*
 * valet_client_cmds.c - the client's subcommands (valet_client.h): each
 * checks its usage, sends its requests with vlt__cli_call and prints what came
 * back with vlt__cli_print_rows or vlt__cli_print_object. The documents are valetd's
 * (docs/api.md); the columns are their members' names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "valet_client.h"

#define PATH_MAX_LEN 4096

static int unknown_verb(const vlt_cli_opts_t *o, const char *verbs)
{
	return vlt__cli_usage_error(o, "unknown subcommand; the subcommands are %s", verbs);
}

/* An id path or a usage error when it does not fit. */
static int id_path(const vlt_cli_opts_t *o, char *buf, const char *collection, const char *id,
		   const char *tail)
{
	if (vlt__cli_path(buf, PATH_MAX_LEN, collection, id, tail) != NULL)
		return 0;
	return vlt__cli_usage_error(o, "'%.40s...': too long for a URL", id);
}

/* The list doc holds at key (borrowed), or NULL after saying the answer has none. */
static json_t *list_of(const json_t *doc, const char *key, const char *path)
{
	json_t *list = json_object_get(doc, key);

	if (!json_is_array(list))
		fprintf(stderr, "valet: GET %s: the answer has no '%s' list\n", path, key);
	return json_is_array(list) ? list : NULL;
}

/* `show ID`: GET collection/ID, then print member `key` of the answer as one object. */
static int show_one(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o, const char *collection,
		    const char *key, const char *what)
{
	char path[PATH_MAX_LEN];
	json_t *doc = NULL;
	int rc = vlt__cli_check_usage(o, 0, 1, 1, what);

	if (rc == 0)
		rc = id_path(o, path, collection, o->args[0], NULL);
	if (rc == 0)
		rc = vlt__cli_call(conn, "GET", path, NULL, &doc);

	if (rc == 0) {
		const json_t *obj = key != NULL ? json_object_get(doc, key) : doc;
		rc = vlt__cli_print_object(o, json_is_object(obj) ? obj : doc);
	}
	json_decref(doc);
	return rc;
}

/* DELETE collection/id for every operand (path tail optional); RET the worst status. */
static int delete_each(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o, const char *collection,
		       const char *id, const char *tail_prefix)
{
	char path[PATH_MAX_LEN], tail[PATH_MAX_LEN];
	int worst = 0;

	for (size_t i = 0; i < o->n_args; i++) {
		json_t *doc = NULL;
		const char *one = id != NULL ? id : o->args[i];
		const char *t = NULL;

		if (tail_prefix != NULL) {
			char *esc = curl_easy_escape(NULL, o->args[i], 0);
			snprintf(tail, sizeof(tail), "%s/%s", tail_prefix, esc != NULL ? esc : "");
			curl_free(esc);
			t = tail;
		}
		int rc = id_path(o, path, collection, one, t);
		if (rc == 0)
			rc = vlt__cli_call(conn, "DELETE", path, NULL, &doc);
		json_decref(doc);
		if (rc == VLT_CLI_EXIT_UNREACHABLE || rc == VLT_CLI_EXIT_USAGE)
			return rc;
		worst = rc > worst ? rc : worst;
	}
	return worst;
}

/* Send method path with body (taken), then print the answer's key member (or all of it). */
static int send_and_show(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o, const char *method,
			 const char *path, json_t *body, const char *key)
{
	json_t *doc = NULL;
	int rc = body != NULL ? vlt__cli_call(conn, method, path, body, &doc) : VLT_CLI_EXIT_API;

	json_decref(body);
	if (rc == 0) {
		const json_t *obj = key != NULL ? json_object_get(doc, key) : doc;
		rc = vlt__cli_print_object(o, json_is_object(obj) ? obj : doc);
	}
	json_decref(doc);
	return rc;
}

/* ---------------------------------------------------------------- plan */

static int plan_list(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o)
{
	static const char *const defaults[] = { "id", "name", "stack_id", "servers", NULL };
	static const char *const known[] = {
		"id", "name", "stack_id", "servers", "placements", NULL
	};
	json_t *doc = NULL, *plan;
	size_t i;
	int rc = vlt__cli_call(conn, "GET", "/v1/plans", NULL, &doc);

	if (rc != 0)
		return rc;
	json_t *rows = list_of(doc, "plans", "/v1/plans");
	json_array_foreach (rows, i, plan) {
		size_t n = json_object_size(json_object_get(plan, "placements"));
		json_object_set_new(plan, "servers", json_integer((json_int_t)n));
	}
	rc = rows != NULL ? vlt__cli_print_rows(o, rows, defaults, known) : VLT_CLI_EXIT_API;
	json_decref(doc);
	return rc;
}

static int plan_create(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o)
{
	json_t *req = vlt__cli_load_json("valet plan create", o->args[0]);

	if (req == NULL)
		return VLT_CLI_EXIT_USAGE;
	if (!json_is_object(req)) {
		json_decref(req);
		return vlt__cli_usage_error(o, "%s: expected a plan request (a JSON object)",
					    o->args[0]);
	}
	if (o->name != NULL)
		json_object_set_new(req, "plan_name", json_string(o->name));
	if (o->stack_id != NULL)
		json_object_set_new(req, "stack_id", json_string(o->stack_id));
	return send_and_show(conn, o, "POST", "/v1/plans", req, "plan");
}

int vlt__cli_cmd_plan(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o)
{
	int rc;

	if (strcmp(o->verb, "list") == 0)
		return (rc = vlt__cli_check_usage(o, 0, 0, 0, "")) != 0 ? rc : plan_list(conn, o);
	if (strcmp(o->verb, "show") == 0)
		return show_one(conn, o, "plans", "plan", "a plan id or stack id");
	if (strcmp(o->verb, "create") == 0) {
		rc = vlt__cli_check_usage(o, VLT_CLI_O_NAME | VLT_CLI_O_STACK_ID, 1, 1,
					  "a plan request file (JSON; - for standard input)");
		return rc != 0 ? rc : plan_create(conn, o);
	}
	if (strcmp(o->verb, "delete") == 0) {
		rc = vlt__cli_check_usage(o, 0, 1, -1, "a plan id or stack id");
		return rc != 0 ? rc : delete_each(conn, o, "plans", NULL, NULL);
	}
	return unknown_verb(o, "list, show, create and delete");
}

/* ---------------------------------------------------------------- placement */

/* "&k=v" (or "?k=v" first) escaped, appended to buf; RET false when it does not fit. */
static bool add_query(char *buf, size_t size, const char *key, const char *value)
{
	char *k = curl_easy_escape(NULL, key, 0);
	char *v = curl_easy_escape(NULL, value, 0);
	size_t len = strlen(buf);
	int n = k != NULL && v != NULL ? snprintf(buf + len, size - len, "%c%s=%s",
						  strchr(buf, '?') != NULL ? '&' : '?', k, v)
				       : -1;

	curl_free(k);
	curl_free(v);
	return n >= 0 && (size_t)n < size - len;
}

/* The query of placement list: --plan, --host, --reserved, then each --query K=V. */
static int placement_query(const vlt_cli_opts_t *o, char *path, size_t size)
{
	bool ok = true;

	snprintf(path, size, "/v1/placements");
	if (o->n_hosts > 1)
		return vlt__cli_usage_error(o, "one --host at most (a placement is on one host)");
	if (o->reserved != NULL && strcmp(o->reserved, "true") != 0 &&
	    strcmp(o->reserved, "false") != 0)
		return vlt__cli_usage_error(o, "--reserved %s: expected true or false",
					    o->reserved);
	if (o->plan != NULL)
		ok = add_query(path, size, "plan_id", o->plan);
	if (ok && o->n_hosts == 1)
		ok = add_query(path, size, "location", o->hosts[0]);
	if (ok && o->reserved != NULL)
		ok = add_query(path, size, "reserved", o->reserved);
	for (size_t i = 0; ok && i < o->n_query; i++) {
		const char *eq = strchr(o->query[i], '=');
		if (eq == NULL || eq == o->query[i])
			return vlt__cli_usage_error(o, "--query '%s': expected KEY=VALUE",
						    o->query[i]);
		char key[256];
		snprintf(key, sizeof(key), "%.*s", (int)(eq - o->query[i]), o->query[i]);
		ok = add_query(path, size, key, eq + 1);
	}
	return ok ? 0 : vlt__cli_usage_error(o, "the query is too long for a URL");
}

static int placement_list(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o)
{
	static const char *const defaults[] = { "id",	    "name",	"orchestration_id",
						"location", "reserved", "plan_id",
						NULL };
	static const char *const known[] = { "id",	    "name",	"orchestration_id",
					     "resource_id", "location", "reserved",
					     "plan_id",	    "metadata", NULL };
	char path[PATH_MAX_LEN];
	json_t *doc = NULL;
	int rc = placement_query(o, path, sizeof(path));

	if (rc == 0)
		rc = vlt__cli_call(conn, "GET", path, NULL, &doc);
	if (rc == 0) {
		json_t *rows = list_of(doc, "placements", path);
		rc = rows != NULL ? vlt__cli_print_rows(o, rows, defaults, known)
				  : VLT_CLI_EXIT_API;
	}
	json_decref(doc);
	return rc;
}

static int placement_reserve(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o)
{
	char path[PATH_MAX_LEN];
	json_t *hosts = json_array();
	int rc = id_path(o, path, "placements", o->args[0], NULL);

	if (o->n_hosts == 0)
		rc = vlt__cli_usage_error(
			o, "--host is needed: the hosts it may go to (Nova's candidates)");
	for (size_t i = 0; rc == 0 && i < o->n_hosts; i++)
		json_array_append_new(hosts, json_string(o->hosts[i]));
	if (rc != 0) {
		json_decref(hosts);
		return rc;
	}
	json_t *body = json_pack("{s:s, s:o}", "action", o->replan ? "replan" : "reserve",
				 "locations", hosts);
	if (body != NULL && o->resource_id != NULL)
		json_object_set_new(body, "resource_id", json_string(o->resource_id));
	return send_and_show(conn, o, "POST", path, body, "placement");
}

int vlt__cli_cmd_placement(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o)
{
	int rc;

	if (strcmp(o->verb, "list") == 0) {
		rc = vlt__cli_check_usage(
			o, VLT_CLI_O_PLAN | VLT_CLI_O_HOST | VLT_CLI_O_RESERVED | VLT_CLI_O_QUERY,
			0, 0, "");
		return rc != 0 ? rc : placement_list(conn, o);
	}
	if (strcmp(o->verb, "show") == 0)
		return show_one(conn, o, "placements", "placement",
				"a placement id or orchestration id");
	if (strcmp(o->verb, "reserve") == 0) {
		rc = vlt__cli_check_usage(o,
					  VLT_CLI_O_HOST | VLT_CLI_O_RESOURCE_ID | VLT_CLI_O_REPLAN,
					  1, 1, "a placement id or orchestration id");
		return rc != 0 ? rc : placement_reserve(conn, o);
	}
	return unknown_verb(o, "list, show and reserve");
}

/* ---------------------------------------------------------------- group */

static int group_list(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o)
{
	static const char *const columns[] = { "id",	      "name",	 "type", "level",
					       "description", "members", NULL };
	json_t *doc = NULL;
	int rc = vlt__cli_call(conn, "GET", "/v1/groups", NULL, &doc);

	if (rc == 0) {
		json_t *rows = list_of(doc, "groups", "/v1/groups");
		rc = rows != NULL ? vlt__cli_print_rows(o, rows, columns, columns)
				  : VLT_CLI_EXIT_API;
	}
	json_decref(doc);
	return rc;
}

static int group_create(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o)
{
	if (o->type == NULL)
		return vlt__cli_usage_error(o,
					    "--type is needed (affinity, diversity, exclusivity)");
	json_t *body = json_pack("{s:s, s:s}", "name", o->args[0], "type", o->type);
	if (body != NULL && o->level != NULL)
		json_object_set_new(body, "level", json_string(o->level));
	if (body != NULL && o->description != NULL)
		json_object_set_new(body, "description", json_string(o->description));
	return send_and_show(conn, o, "POST", "/v1/groups", body, NULL);
}

static int group_update(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o)
{
	char path[PATH_MAX_LEN];
	int rc = id_path(o, path, "groups", o->args[0], NULL);

	if (rc == 0 && o->description == NULL)
		rc = vlt__cli_usage_error(
			o, "--description is needed (the only field that may change)");
	if (rc != 0)
		return rc;
	return send_and_show(conn, o, "PUT", path,
			     json_pack("{s:s}", "description", o->description), NULL);
}

static int member_add(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o)
{
	char path[PATH_MAX_LEN];
	json_t *members = json_array();
	int rc = id_path(o, path, "groups", o->args[0], "members");

	for (size_t i = 1; rc == 0 && i < o->n_args; i++)
		json_array_append_new(members, json_string(o->args[i]));
	if (rc != 0) {
		json_decref(members);
		return rc;
	}
	return send_and_show(conn, o, "PUT", path, json_pack("{s:o}", "members", members), NULL);
}

static int member_remove(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o)
{
	char path[PATH_MAX_LEN];
	json_t *doc = NULL;

	if (o->all == (o->n_args > 1))
		return vlt__cli_usage_error(o, "give the tenants to remove, or --all");
	if (!o->all) {
		vlt_cli_opts_t tenants = *o; /* the operands after the group are the tenants */
		tenants.args = o->args + 1;
		tenants.n_args = o->n_args - 1;
		return delete_each(conn, &tenants, "groups", o->args[0], "members");
	}
	int rc = id_path(o, path, "groups", o->args[0], "members");
	if (rc == 0)
		rc = vlt__cli_call(conn, "DELETE", path, NULL, &doc);
	json_decref(doc);
	return rc;
}

int vlt__cli_cmd_group(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o)
{
	static const char *const verbs =
		"list, show, create, update, delete, member-add and member-remove";
	const char *v = o->verb;
	int rc;

	if (strcmp(v, "list") == 0)
		return (rc = vlt__cli_check_usage(o, 0, 0, 0, "")) != 0 ? rc : group_list(conn, o);
	if (strcmp(v, "show") == 0)
		return show_one(conn, o, "groups", "group", "a group id or name");
	if (strcmp(v, "create") == 0) {
		rc = vlt__cli_check_usage(o,
					  VLT_CLI_O_TYPE | VLT_CLI_O_LEVEL | VLT_CLI_O_DESCRIPTION,
					  1, 1, "a group name");
		return rc != 0 ? rc : group_create(conn, o);
	}
	if (strcmp(v, "update") == 0) {
		rc = vlt__cli_check_usage(o, VLT_CLI_O_DESCRIPTION, 1, 1, "a group id or name");
		return rc != 0 ? rc : group_update(conn, o);
	}
	if (strcmp(v, "delete") == 0) {
		rc = vlt__cli_check_usage(o, 0, 1, -1, "a group id or name");
		return rc != 0 ? rc : delete_each(conn, o, "groups", NULL, NULL);
	}
	if (strcmp(v, "member-add") == 0) {
		rc = vlt__cli_check_usage(o, 0, 2, -1, "a group id or name and tenant ids");
		return rc != 0 ? rc : member_add(conn, o);
	}
	if (strcmp(v, "member-remove") == 0) {
		rc = vlt__cli_check_usage(o, VLT_CLI_O_ALL, 1, -1, "a group id or name");
		return rc != 0 ? rc : member_remove(conn, o);
	}
	return unknown_verb(o, verbs);
}

/* ---------------------------------------------------------------- decision */

/* One row per unit of each decision (one with no unit fields for a decision without units). */
static json_t *decision_rows(const json_t *decisions)
{
	static const char *const copied[] = { "id",	"time",	   "kind",    "plan_id", "stack_id",
					      "solver", "metrics", "refused", "request", NULL };
	json_t *rows = json_array();
	json_t *d, *unit;
	size_t i, j;

	json_array_foreach (decisions, i, d) {
		json_t *base = json_object();
		for (size_t k = 0; copied[k] != NULL; k++) {
			json_t *v = json_object_get(d, copied[k]);
			json_object_set(base, copied[k], v != NULL ? v : json_null());
		}
		json_t *units = json_object_get(d, "units");
		json_array_foreach (units, j, unit) {
			json_t *row = json_deep_copy(base);
			json_object_set(row, "unit", json_object_get(unit, "name"));
			json_object_set(row, "unit_id", json_object_get(unit, "id"));
			json_object_set(row, "host", json_object_get(unit, "host"));
			json_object_set(row, "runner_up", json_object_get(unit, "runner_up"));
			json_object_set(row, "why", json_object_get(unit, "why"));
			json_array_append_new(rows, row);
		}
		if (json_array_size(units) == 0)
			json_array_append(rows, base);
		json_decref(base);
	}
	return rows;
}

int vlt__cli_cmd_decision(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o)
{
	static const char *const defaults[] = { "time", "kind",	     "solver", "unit",
						"host", "runner_up", "why",    NULL };
	static const char *const known[] = { "id",	  "time",   "kind",    "plan_id",
					     "stack_id",  "solver", "metrics", "refused",
					     "request",	  "unit",   "unit_id", "host",
					     "runner_up", "why",    NULL };
	char path[PATH_MAX_LEN] = "/v1/decisions";
	json_t *doc = NULL;
	int rc;

	if (strcmp(o->verb, "show") != 0)
		return unknown_verb(o, "show");
	if ((rc = vlt__cli_check_usage(o, VLT_CLI_O_PLAN | VLT_CLI_O_SERVER, 0, 0, "")) != 0)
		return rc;
	if ((o->plan != NULL) == (o->server != NULL))
		return vlt__cli_usage_error(
			o, "give --plan (a plan id or stack id) or --server (a server's "
			   "resource id or orchestration id)");
	if (!add_query(path, sizeof(path), o->plan != NULL ? "plan" : "server",
		       o->plan != NULL ? o->plan : o->server))
		return vlt__cli_usage_error(o, "the id is too long for a URL");
	if ((rc = vlt__cli_call(conn, "GET", path, NULL, &doc)) != 0)
		return rc;
	json_t *list = list_of(doc, "decisions", path);
	json_t *rows = list != NULL ? decision_rows(list) : NULL;
	rc = rows != NULL ? vlt__cli_print_rows(o, rows, defaults, known) : VLT_CLI_EXIT_API;
	json_decref(rows);
	json_decref(doc);
	return rc;
}

/* ---------------------------------------------------------------- status */

/* The members of obj into flat, nested ones as "a.b.c". */
static void flatten(json_t *flat, const char *prefix, const json_t *obj)
{
	const char *key;
	json_t *v;
	char name[512];

	json_object_foreach ((json_t *)obj, key, v) {
		snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "." : "", key);
		if (json_is_object(v) && json_object_size(v) > 0)
			flatten(flat, name, v);
		else
			json_object_set(flat, name, v);
	}
}

int vlt__cli_cmd_status(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o)
{
	json_t *doc = NULL;
	int rc = vlt__cli_check_usage(o, 0, 0, 0, "");

	if (rc == 0)
		rc = vlt__cli_call(conn, "GET", "/v1/status", NULL, &doc);
	if (rc == 0) {
		json_t *flat = json_object();
		flatten(flat, "", json_object_get(doc, "status"));
		rc = vlt__cli_print_object(o, flat);
		json_decref(flat);
	}
	json_decref(doc);
	return rc;
}
