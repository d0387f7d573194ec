/*
 * test_api_postman.c - upstream's own request collection for valet-api
 * (../shared/data/valet/postman/Valet.json.postman_collection) replayed
 * against valetd. Every request that does not go to Keystone is sent, with
 * the collection's method, path, headers and body; each must get a status
 * that upstream's API documents for that method and path (reference §2),
 * and the one this replay expects.
 *
 * Variables: {{valet}} is the daemon's address, {{auth_token}} a token
 * (valetd leaves tokens to keystonemiddleware or a proxy in front),
 * {{group_id}} the id of the group created earlier in the replay. The
 * collection's "Create group" has no level (it predates levels): valetd
 * makes it a host-level group, as upstream 1.0 would have had it.
 *
 * Order: the collection lists folders alphabetically; the replay goes
 * root, status, groups, plans, placements, then the plan changes and
 * deletions, so that each request finds what it is about.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "api_helpers.h"
#include "shared_data.h"

#define COLLECTION "valet/postman/Valet.json.postman_collection"

static valetd_t d;
static json_t *collection;
static char group_id[64];

/* The replay: each request of the collection by method and name, and what it gets. */
static const struct step {
	const char *method;
	const char *name;
	long want;
} steps[] = {
	{ "GET", "API Root", 200 },
	{ "GET", "API v1 endpoints", 200 },
	{ "OPTIONS", "API", 204 },
	{ "OPTIONS", "API v1 endpoints", 204 },
	{ "HEAD", "Get status of all components", 204 },
	{ "GET", "List status of all components", 200 },
	{ "OPTIONS", "Status", 204 },
	{ "POST", "Create group", 201 }, /* no level: host, see above */
	{ "GET", "List groups", 200 },
	{ "GET", "Show group details", 200 },
	{ "PUT", "Update a group", 201 },
	{ "PUT", "Update group members", 201 },
	{ "GET", "Verify group membership", 204 },
	{ "DELETE", "Delete group member", 204 },
	{ "DELETE", "Delete all group members", 204 },
	{ "OPTIONS", "Groups", 204 },
	{ "OPTIONS", "Single Group", 204 },
	{ "OPTIONS", "Group Members", 204 },
	{ "DELETE", "Delete group", 204 },
	{ "POST", "Create plan", 201 },
	/* the same stack again: the plan it has (no duplicate) */
	{ "POST", "Create plan with Exclusivity Group", 201 },
	{ "POST", "Create plan (error)", 405 },
	/*
	 * AT&T's plugin's shape ("Type"/"Properties", group assignments with
	 * "relationship", pipes over volume attachments), read in full: its
	 * twelve storage pairs must be on twelve racks, which this data
	 * center has not, so nothing is stored
	 */
	{ "POST", "Create plan (ceph example)", 409 },
	{ "GET", "List plans", 200 },
	{ "GET", "Show plan details", 200 },
	{ "GET", "List placements", 200 },
	{ "GET", "List single placement, no replan", 200 },
	{ "POST", "List placements with replan", 201 },
	{ "OPTIONS", "Placements", 204 },
	{ "OPTIONS", "Single Placement", 204 },
	{ "PUT", "Migrate Resource in a Plan", 201 },
	{ "PUT", "Update a plan (not yet used)", 201 },
	{ "OPTIONS", "Plans", 204 },
	{ "OPTIONS", "Single Plan", 204 },
	{ "DELETE", "Delete plan", 204 },
	/* the ceph stack was never stored */
	{ "DELETE", "Delete plan (ceph example)", 404 },
};

/* What upstream documents for each method on each kind of path (reference §2). */
static const struct documented {
	const char *method;
	const char *prefix; /* path pattern: '*' is one segment */
	long statuses[8];
} documented[] = {
	{ "OPTIONS", "", { 204 } },
	{ "GET", "/", { 200 } },
	{ "GET", "/v1", { 200 } },
	{ "HEAD", "/v1/status", { 204 } },
	{ "GET", "/v1/status", { 200 } },
	{ "GET", "/v1/groups", { 200 } },
	{ "POST", "/v1/groups", { 201, 400 } },
	{ "GET", "/v1/groups/*", { 200, 404 } },
	{ "PUT", "/v1/groups/*", { 201, 400, 404 } },
	{ "DELETE", "/v1/groups/*", { 204, 404, 409 } },
	{ "PUT", "/v1/groups/*/members", { 201, 400, 404, 409 } },
	{ "DELETE", "/v1/groups/*/members", { 204, 404, 409 } },
	{ "GET", "/v1/groups/*/members/*", { 204, 404 } },
	{ "DELETE", "/v1/groups/*/members/*", { 204, 404, 409 } },
	{ "GET", "/v1/plans", { 200 } },
	{ "POST", "/v1/plans", { 201, 400, 404, 409, 500 } },
	{ "POST", "/v1/plans/*", { 405 } },
	{ "GET", "/v1/plans/*", { 200, 404 } },
	{ "PUT", "/v1/plans/*", { 201, 400, 404, 409, 500 } },
	{ "DELETE", "/v1/plans/*", { 204, 404 } },
	{ "GET", "/v1/placements", { 200 } },
	{ "GET", "/v1/placements/*", { 200, 404 } },
	{ "POST", "/v1/placements/*", { 201, 400, 404, 409, 500 } },
	{ "DELETE", "/v1/placements/*", { 204, 404 } },
};

/* Does path match pattern, '*' standing for one segment? */
static bool path_matches(const char *pattern, const char *path)
{
	while (*pattern != '\0' && *path != '\0') {
		if (*pattern == '*') {
			while (*path != '\0' && *path != '/')
				path++;
			pattern++;
			continue;
		}
		if (*pattern++ != *path++)
			return false;
	}
	if (strcmp(path, "/") == 0 && *pattern == '\0')
		return true;
	return *pattern == '\0' && *path == '\0';
}

static bool is_documented(const char *method, const char *path, long status)
{
	for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++) {
		const struct documented *e = &documented[i];

		if (strcmp(e->method, method) != 0)
			continue;
		if (strcmp(method, "OPTIONS") != 0 && !path_matches(e->prefix, path))
			continue;
		for (size_t j = 0; j < 8 && e->statuses[j] != 0; j++) {
			if (e->statuses[j] == status)
				return true;
		}
		return false;
	}
	return false;
}

/* Replace every {{var}} of text; RET a new string. */
static char *expand(const char *text)
{
	size_t cap = strlen(text) * 2 + 256, len = 0;
	char *out = malloc(cap);

	assert_non_null(out);
	while (*text != '\0') {
		const char *val = NULL;
		size_t skip = 0;

		if (strncmp(text, "{{valet}}", 9) == 0) {
			val = d.base;
			skip = 9;
		} else if (strncmp(text, "{{auth_token}}", 14) == 0) {
			val = "postman-replay-token";
			skip = 14;
		} else if (strncmp(text, "{{group_id}}", 12) == 0) {
			val = group_id;
			skip = 12;
		}
		if (val == NULL) {
			val = text;
			skip = 1;
			if (len + 2 >= cap)
				assert_non_null(out = realloc(out, cap *= 2));
			out[len++] = *text;
		} else {
			size_t n = strlen(val);
			while (len + n + 2 >= cap)
				assert_non_null(out = realloc(out, cap *= 2));
			memcpy(out + len, val, n);
			len += n;
		}
		text += skip;
	}
	out[len] = '\0';
	return out;
}

static const json_t *find_request(const char *method, const char *name)
{
	size_t i;
	json_t *r;

	json_array_foreach(json_object_get(collection, "requests"), i, r) {
		if (strcmp(json_string_value(json_object_get(r, "method")), method) == 0 &&
		    strcmp(json_string_value(json_object_get(r, "name")), name) == 0)
			return r;
	}
	return NULL;
}

static bool in_steps(const char *method, const char *name)
{
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (strcmp(steps[i].method, method) == 0 && strcmp(steps[i].name, name) == 0)
			return true;
	}
	return false;
}

/* The collection's header lines, expanded, as a NULL-terminated list. */
static char **headers_of(const json_t *r)
{
	char *text = expand(json_string_value(json_object_get(r, "headers")));
	char **list = calloc(16, sizeof(*list));
	size_t n = 0;
	char *save = NULL;

	assert_non_null(list);
	for (char *line = strtok_r(text, "\n", &save); line != NULL && n < 15;
	     line = strtok_r(NULL, "\n", &save)) {
		/* curl sets Content-Type itself when there is a body */
		if (strncmp(line, "Content-Type:", 13) != 0)
			list[n++] = strdup(line);
	}
	free(text);
	return list;
}

static void free_list(char **list)
{
	for (size_t i = 0; list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

/* Send one request of the collection. RET its status; rep filled. */
static long send_request(const json_t *r, api_reply_t *rep, char *path, size_t size)
{
	char *url = expand(json_string_value(json_object_get(r, "url")));
	const char *raw = json_string_value(json_object_get(r, "rawModeData"));
	char *body = raw != NULL && raw[0] != '\0' ? expand(raw) : NULL;
	char **hdrs = headers_of(r);
	const char *method = json_string_value(json_object_get(r, "method"));

	assert_int_equal(strncmp(url, d.base, strlen(d.base)), 0);
	snprintf(path, size, "%s", url + strlen(d.base));
	long st = api_call(&d, method, path, body, (const char *const *)hdrs, rep);
	free(url);
	free(body);
	free_list(hdrs);
	return st;
}

/* The collection's group, created without a level, is a host-level group. */
static void check_created_group(const api_reply_t *rep)
{
	const char *level = json_string_value(json_object_get(rep->doc, "level"));

	assert_non_null(level);
	assert_string_equal(level, "host");
	snprintf(group_id, sizeof(group_id), "%s",
		 json_string_value(json_object_get(rep->doc, "id")));
}

static void test_postman_collection_replays(void **state)
{
	size_t i;
	json_t *r;
	(void)state;

	/* every request that does not go to Keystone is in the replay */
	size_t n_valet = 0;
	json_array_foreach(json_object_get(collection, "requests"), i, r) {
		const char *url = json_string_value(json_object_get(r, "url"));
		const char *method = json_string_value(json_object_get(r, "method"));
		const char *name = json_string_value(json_object_get(r, "name"));

		if (strncmp(url, "{{keystone}}", 12) == 0)
			continue;
		n_valet++;
		if (!in_steps(method, name))
			fail_msg("the replay misses %s '%s' (%s)", method, name, url);
	}
	assert_int_equal(n_valet, sizeof(steps) / sizeof(steps[0]));

	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		const struct step *st = &steps[s];
		const json_t *req = find_request(st->method, st->name);
		char path[1024];
		api_reply_t rep;

		assert_non_null(req);
		long got = send_request(req, &rep, path, sizeof(path));
		printf("  %-7s %-60s %ld\n", st->method, path, got);
		if (!is_documented(st->method, path, got))
			fail_msg("%s %s ('%s'): status %ld is not one upstream documents; body %s",
				 st->method, path, st->name, got, rep.body);
		if (got != st->want)
			fail_msg("%s %s ('%s'): status %ld, want %ld; body %s", st->method, path,
				 st->name, got, st->want, rep.body);
		if (got >= 400)
			api_check_error(&rep, got);
		if (strcmp(st->name, "Create group") == 0)
			check_created_group(&rep);
		if (strcmp(st->name, "Create plan (ceph example)") == 0)
			api_assert_contains(api_check_error(&rep, 409), "diversity(rack)");
		if (strcmp(st->name, "List placements with replan") == 0) {
			/* reserved among the collection's candidates */
			json_t *p = json_object_get(rep.doc, "placement");
			const char *loc = json_string_value(json_object_get(p, "location"));
			assert_true(json_is_true(json_object_get(p, "reserved")));
			assert_non_null(strstr("qos102 qos103 qos104 qos106 qos107", loc));
		}
		if (strcmp(st->name, "Migrate Resource in a Plan") == 0) {
			/* away from the excluded hosts */
			const char *loc = json_string_value(json_object_get(
				json_object_get(json_object_get(json_object_get(rep.doc, "plan"),
								"placements"),
						"b71bedad-dd57-4942-a7bd-ab074b72d652"),
				"location"));
			assert_non_null(loc);
			assert_null(strstr("qos104 qos106 qos107", loc));
		}
		if (strcmp(st->name, "Update a plan (not yet used)") == 0) {
			/* the stack now has only the new server */
			json_t *pl =
				json_object_get(json_object_get(rep.doc, "plan"), "placements");
			assert_int_equal(json_object_size(pl), 1);
			assert_non_null(
				json_object_get(pl, "a649424b-dd57-1431-befc-45cc4b72d653"));
		}
		api_reply_free(&rep);
	}

	/* all gone: nothing held, nothing listed */
	api_reply_t rep;
	json_t *doc = api_expect(&d, "GET", "/v1/plans", NULL, 200, &rep);
	assert_int_equal(json_array_size(json_object_get(doc, "plans")), 0);
	api_reply_free(&rep);
	doc = api_expect(&d, "GET", "/v1/groups", NULL, 200, &rep);
	assert_int_equal(json_array_size(json_object_get(doc, "groups")), 0);
	api_reply_free(&rep);
}

static int setup(void **state)
{
	char dir[256];
	json_error_t jerr;
	const char *path = vlt_shared_data(COLLECTION);
	(void)state;

	collection = json_load_file(path, 0, &jerr);
	if (collection == NULL) {
		fprintf(stderr, "%s: %s\n", path, jerr.text);
		return -1;
	}
	api_tmpdir(dir, sizeof(dir), "postman");
	return valetd_start(&d, dir, NULL);
}

static int teardown(void **state)
{
	char cmd[400];
	(void)state;

	valetd_stop(&d, SIGTERM);
	json_decref(collection);
	if (getenv("VALET_TEST_KEEP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", d.dir);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postman_collection_replays),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
