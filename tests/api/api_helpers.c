/*
 * api_helpers.c - see api_helpers.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_helpers.h"
#include "http_client.h"

#define START_TIMEOUT_S 30

void api_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

void api_tmpdir(char *buf, size_t size, const char *tag)
{
	const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";

	snprintf(buf, size, "%s/valet-test-%s-XXXXXX", tmp, tag);
	assert_non_null(mkdtemp(buf));
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (f == NULL)
		return strdup("");
	for (;;) {
		char *p = realloc(buf, len + 4097);
		if (p == NULL)
			break;
		buf = p;
		size_t n = fread(buf + len, 1, 4096, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	if (buf != NULL)
		buf[len] = '\0';
	return buf != NULL ? buf : strdup("");
}

/* "listening on 127.0.0.1:PORT" in the log; 0 when valetd died first. */
static unsigned wait_listening(pid_t pid, const char *log)
{
	static const char tag[] = "listening on 127.0.0.1:";
	time_t end = time(NULL) + START_TIMEOUT_S;

	while (time(NULL) <= end) {
		char *text = slurp(log);
		char *p = strstr(text, tag);
		unsigned port = p != NULL ? (unsigned)strtoul(p + sizeof(tag) - 1, NULL, 10) : 0;

		free(text);
		if (port != 0)
			return port;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return 0;
		api_sleep_ms(10);
	}
	return 0;
}

int valetd_start(valetd_t *d, const char *dir, const char *conf)
{
	return valetd_start_on(d, dir, conf, API_TEST_INVENTORY);
}

int valetd_start_on(valetd_t *d, const char *dir, const char *conf, const char *inventory)
{
	char confpath[300];
	const char *argv[16];
	size_t n = 0;

	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	snprintf(d->data, sizeof(d->data), "%s/data", dir);
	snprintf(d->log, sizeof(d->log), "%s/valetd.err", dir);
	argv[n++] = VALETD_PATH;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--data-dir";
	argv[n++] = d->data;
	argv[n++] = "--inventory";
	argv[n++] = inventory;
	if (conf != NULL) {
		snprintf(confpath, sizeof(confpath), "%s/valet.conf", dir);
		FILE *f = fopen(confpath, "w");
		assert_non_null(f);
		fputs(conf, f);
		fclose(f);
		argv[n++] = "--config";
		argv[n++] = confpath;
	}
	argv[n] = NULL;

	/* a restart keeps the previous run's log beside the new one */
	char prev[320];
	snprintf(prev, sizeof(prev), "%s.prev", d->log);
	rename(d->log, prev);
	int fe = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fe >= 0);
	d->pid = fork();
	assert_true(d->pid >= 0);
	if (d->pid == 0) {
		int fo = open("/dev/null", O_WRONLY);
		if (fo < 0)
			_exit(127);
		dup2(fo, 1);
		dup2(fe, 2);
		execv(VALETD_PATH, (char *const *)argv);
		_exit(127);
	}
	close(fe);
	d->port = wait_listening(d->pid, d->log);
	if (d->port == 0) {
		char *text = slurp(d->log);
		fprintf(stderr, "valetd did not start; its stderr:\n%s\n", text);
		free(text);
		return -1;
	}
	snprintf(d->base, sizeof(d->base), "http://127.0.0.1:%u", d->port);
	return 0;
}

void valetd_stop(valetd_t *d, int sig)
{
	int status = 0;

	if (d->pid <= 0)
		return;
	kill(d->pid, sig);
	for (int i = 0; i < 3000; i++) {
		pid_t r = waitpid(d->pid, &status, WNOHANG);
		if (r == d->pid || (r < 0 && errno != EINTR))
			break;
		if (i == 2999) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &status, 0);
		}
		api_sleep_ms(10);
	}
	d->pid = 0;
	if (sig == SIGTERM && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		char *text = slurp(d->log);
		fail_msg("valetd did not stop cleanly on SIGTERM (status 0x%x); stderr:\n%s",
			 status, text);
	}
}

void valetd_stop_and_remove(valetd_t *d, int sig)
{
	char cmd[400];

	valetd_stop(d, sig);
	if (getenv("VALET_TEST_KEEP") != NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", d->dir);
}

long api_call(const valetd_t *d, const char *method, const char *path, const char *body,
	      const char *const *headers, api_reply_t *rep)
{
	char url[2048];
	http_reply_t r;
	http_request_t req = { .method = method,
			       .url = url,
			       .body = body,
			       .body_len = body != NULL ? strlen(body) : 0,
			       .headers = headers };

	if (rep != NULL)
		memset(rep, 0, sizeof(*rep));
	snprintf(url, sizeof(url), "%s%s", d->base, path);
	if (http_do(&req, &r) < 0) {
		http_reply_free(&r);
		if (rep != NULL)
			rep->status = -1;
		return -1;
	}
	if (rep != NULL) {
		rep->status = r.status;
		rep->body = strdup(r.body != NULL ? r.body : "");
		rep->doc = r.body_len > 0 ? json_loads(r.body, 0, NULL) : NULL;
		snprintf(rep->allow, sizeof(rep->allow), "%s", r.allow);
	}
	long status = r.status;
	http_reply_free(&r);
	return status;
}

void api_reply_free(api_reply_t *rep)
{
	json_decref(rep->doc);
	free(rep->body);
	memset(rep, 0, sizeof(*rep));
}

json_t *api_expect(const valetd_t *d, const char *method, const char *path, const char *body,
		   long want, api_reply_t *rep)
{
	long got = api_call(d, method, path, body, NULL, rep);

	if (got != want)
		fail_msg("%s %s: status %ld, want %ld; body %s", method, path, got, want,
			 rep->body != NULL ? rep->body : "");
	return rep->doc;
}

const char *api_check_error(const api_reply_t *rep, long code)
{
	const json_t *doc = rep->doc;

	if (rep->status != code)
		fail_msg("status %ld, want %ld; body %s", rep->status, code, rep->body);
	if (!json_is_object(doc) || json_object_size(doc) != 4)
		fail_msg("not an upstream error body: %s", rep->body);
	assert_int_equal(json_integer_value(json_object_get(doc, "code")), code);
	assert_non_null(json_string_value(json_object_get(doc, "title")));
	const json_t *e = json_object_get(doc, "error");
	assert_non_null(json_string_value(json_object_get(e, "type")));
	assert_non_null(json_string_value(json_object_get(e, "message")));
	assert_true(json_is_null(json_object_get(e, "traceback")));
	const char *why = json_string_value(json_object_get(doc, "explanation"));
	assert_non_null(why);
	return why;
}

void api_assert_contains(const char *hay, const char *needle)
{
	if (hay == NULL || strstr(hay, needle) == NULL)
		fail_msg("expected to find '%s' in:\n%s", needle, hay != NULL ? hay : "(null)");
}

char *api_stack(const char *stack_id, int n_servers, const char *flavor, const char *group)
{
	json_t *res = json_object();

	for (int i = 0; i < n_servers; i++) {
		char orch[256];
		json_t *props = json_pack("{s:s}", "flavor", flavor);

		snprintf(orch, sizeof(orch), "%s-s%d", stack_id, i);
		if (group != NULL)
			json_object_set_new(props, "metadata",
					    json_pack("{s:{s:[s]}}", "valet", "groups", group));
		json_object_set_new(res, orch,
				    json_pack("{s:s, s:s, s:o, s:{s:s}}", "name", orch, "type",
					      "OS::Nova::Server", "properties", props, "metadata",
					      "heat_resource_uuid", orch));
	}
	json_t *req = json_pack("{s:s, s:s, s:o}", "plan_name", stack_id, "stack_id", stack_id,
				"resources", res);
	char *text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	return text;
}

char *api_reservation(const char *stack_id, int n_servers, const char *flavor, const char *start,
		      const char *end)
{
	char *text = api_stack(stack_id, n_servers, flavor, NULL);
	json_t *req = json_loads(text, 0, NULL);

	free(text);
	if (start != NULL)
		json_object_set_new(req, "start", json_string(start));
	if (end != NULL)
		json_object_set_new(req, "end", json_string(end));
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	return text;
}

long api_journal_entries(const valetd_t *d)
{
	api_reply_t rep;
	json_t *doc = api_expect(d, "GET", "/v1/status", NULL, 200, &rep);
	long n = (long)json_integer_value(json_object_get(
		json_object_get(json_object_get(doc, "status"), "store"), "journal_entries"));

	api_reply_free(&rep);
	return n;
}

char *api_snapshot(const valetd_t *d)
{
	static const char *const paths[] = { "/v1/plans", "/v1/placements", "/v1/groups" };
	size_t len = 0;
	char *out = calloc(1, 1);

	for (size_t i = 0; out != NULL && i < 3; i++) {
		api_reply_t rep;

		api_expect(d, "GET", paths[i], NULL, 200, &rep);
		size_t n = strlen(rep.body);
		char *grown = realloc(out, len + n + 2);
		assert_non_null(grown);
		out = grown;
		memcpy(out + len, rep.body, n);
		out[len + n] = '\n';
		out[len + n + 1] = '\0';
		len += n + 1;
		api_reply_free(&rep);
	}
	return out;
}

void api_json_set_at(json_t *body, const char *pointer, const char *value)
{
	char buf[256];
	json_t *at = body;
	char *last = NULL;

	snprintf(buf, sizeof(buf), "%s", pointer);
	for (char *save = NULL, *k = strtok_r(buf, "/", &save); k != NULL;
	     k = strtok_r(NULL, "/", &save)) {
		if (last != NULL)
			at = json_object_get(at, last);
		last = k;
	}
	assert_non_null(at);
	if (value == NULL)
		json_object_del(at, last);
	else
		json_object_set_new(at, last, json_loads(value, JSON_DECODE_ANY, NULL));
}

bool api_offered(const json_t *body, const char *host)
{
	size_t i;
	json_t *h;

	json_array_foreach(json_object_get(body, "hosts"), i, h) {
		if (strcmp(json_string_value(json_object_get(h, "host")), host) == 0)
			return true;
	}
	return false;
}

char *api_placement_location(const valetd_t *d, const char *orch, const char *resource_id)
{
	char path[600];
	api_reply_t rep;

	snprintf(path, sizeof(path), "/v1/placements?orchestration_id=%s", orch);
	json_t *list = json_object_get(api_expect(d, "GET", path, NULL, 200, &rep), "placements");
	assert_int_equal(json_array_size(list), 1);
	json_t *p = json_array_get(list, 0);
	assert_true(json_is_true(json_object_get(p, "reserved")) == (resource_id != NULL));
	if (resource_id != NULL)
		assert_string_equal(json_string_value(json_object_get(p, "resource_id")),
				    resource_id);
	assert_non_null(json_string_value(json_object_get(p, "location")));
	char *loc = strdup(json_string_value(json_object_get(p, "location")));
	api_reply_free(&rep);
	return loc;
}
