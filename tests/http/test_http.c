/*
 * test_http.c - the real valetd binary: started on an ephemeral port with a
 * fresh data directory, asked for its documents over HTTP, stopped with
 * SIGTERM; and its refusals: a port in use (exit 1), a broken module or a
 * bad setting (exit 2), and --check-config / --list-plugins / --version.
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
#include <curl/curl.h>
#include <jansson.h>

#include "http_client.h"

#ifndef VALETD_PATH
#error "VALETD_PATH must name the valetd binary"
#endif

#define START_TIMEOUT_S 30

/* The daemon every HTTP test talks to. */
static struct {
	pid_t pid;
	char dir[256];  /* temporary directory of this run */
	char log[300];  /* valetd's standard error */
	unsigned port;
	char base[64];  /* "http://127.0.0.1:PORT" */
} d;

/* ---- running valetd */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static char *read_file(const char *path)
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

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* fork and exec valetd with args (NULL-terminated); stdout and stderr to files. */
static pid_t spawn(const char *const *args, const char *out, const char *err)
{
	const char *argv[32] = { VALETD_PATH };
	size_t n = 1;

	for (size_t i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fo < 0 || fe < 0)
			_exit(127);
		dup2(fo, 1);
		dup2(fe, 2);
		execv(VALETD_PATH, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Wait for pid up to timeout_s; kill it past that. RET its wait status. */
static int wait_exit(pid_t pid, int timeout_s)
{
	int status = 0;
	time_t end = time(NULL) + timeout_s;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			fail_msg("waitpid: %s", strerror(errno));
		if (time(NULL) > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("valetd did not exit within %d s", timeout_s);
		}
		sleep_ms(20);
	}
}

struct run {
	int code; /* exit status */
	char *out;
	char *err;
};

/* Run valetd to its end with args. */
static void run_valetd(const char *const *args, struct run *r)
{
	char out[300], err[300];

	snprintf(out, sizeof(out), "%s/run.out", d.dir);
	snprintf(err, sizeof(err), "%s/run.err", d.dir);
	int status = wait_exit(spawn(args, out, err), 60);
	r->out = read_file(out);
	r->err = read_file(err);
	if (!WIFEXITED(status))
		fail_msg("valetd did not exit normally (status 0x%x); stderr:\n%s", status, r->err);
	r->code = WEXITSTATUS(status);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("expected to find '%s' in:\n%s", needle, hay);
}

/* Read "listening on 127.0.0.1:PORT" from the log; 0 if valetd died first. */
static unsigned wait_listening(pid_t pid, const char *log)
{
	time_t end = time(NULL) + START_TIMEOUT_S;
	static const char tag[] = "listening on 127.0.0.1:";

	while (time(NULL) <= end) {
		char *text = read_file(log);
		char *p = strstr(text, tag);
		unsigned port = p != NULL ? (unsigned)strtoul(p + sizeof(tag) - 1, NULL, 10) : 0;

		free(text);
		if (port != 0)
			return port;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return 0;
		sleep_ms(20);
	}
	return 0;
}

/* ---- fixtures */

static int setup(void **state)
{
	char data[300];
	(void)state;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	snprintf(d.dir, sizeof(d.dir), "%s/valet-test-http-XXXXXX", tmp);
	if (mkdtemp(d.dir) == NULL)
		return -1;
	snprintf(d.log, sizeof(d.log), "%s/valetd.err", d.dir);
	snprintf(data, sizeof(data), "%s/data", d.dir);

	/* no configuration file at all: the built-in defaults */
	const char *args[] = { "--listen", "127.0.0.1:0", "--data-dir", data, NULL };
	char out[300];
	snprintf(out, sizeof(out), "%s/valetd.out", d.dir);
	d.pid = spawn(args, out, d.log);
	d.port = wait_listening(d.pid, d.log);
	if (d.port == 0) {
		char *text = read_file(d.log);
		fprintf(stderr, "valetd did not start; its stderr:\n%s\n", text);
		free(text);
		return -1;
	}
	snprintf(d.base, sizeof(d.base), "http://127.0.0.1:%u", d.port);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (d.pid > 0) {
		kill(d.pid, SIGKILL);
		waitpid(d.pid, NULL, 0);
	}
	curl_global_cleanup();
	/* leave the directory when something failed, for a look at the logs */
	return 0;
}

static json_t *fetch(const char *method, const char *path, const char *const *headers,
		     long want, http_reply_t *rep)
{
	char url[256];
	http_request_t req = { .method = method, .url = url, .headers = headers };

	snprintf(url, sizeof(url), "%s%s", d.base, path);
	assert_int_equal(http_do(&req, rep), 0);
	if (rep->status != want)
		fail_msg("%s %s: status %ld, want %ld; body %s", method, path, rep->status, want,
			 rep->body);
	return rep->body_len > 0 ? json_loads(rep->body, 0, NULL) : NULL;
}

static void check_error_body(const json_t *doc, int code, const char *title, const char *type)
{
	assert_non_null(doc);
	assert_int_equal(json_object_size(doc), 4);
	assert_string_equal(json_string_value(json_object_get(doc, "title")), title);
	assert_int_equal(json_integer_value(json_object_get(doc, "code")), code);
	assert_non_null(json_string_value(json_object_get(doc, "explanation")));
	const json_t *e = json_object_get(doc, "error");
	assert_string_equal(json_string_value(json_object_get(e, "type")), type);
	assert_true(json_is_null(json_object_get(e, "traceback")));
	assert_non_null(json_string_value(json_object_get(e, "message")));
}

/* ---- the documents */

static void test_valetd_root_document(void **state)
{
	char want[512];
	http_reply_t rep;
	(void)state;

	json_t *doc = fetch("GET", "/", NULL, 200, &rep);
	snprintf(want, sizeof(want),
		 "{\"versions\": [{\"status\": \"CURRENT\", \"id\": \"v1.0\", \"links\": "
		 "[{\"href\": \"http://127.0.0.1:%u/v1/\", \"rel\": \"self\"}]}]}",
		 d.port);
	assert_string_equal(rep.body, want);
	assert_string_equal(rep.content_type, "application/json");
	json_decref(doc);
	http_reply_free(&rep);
}

static void test_valetd_root_follows_host_header(void **state)
{
	static const char *const hdrs[] = { "Host: valet.example.org:8090", NULL };
	http_reply_t rep;
	(void)state;

	json_t *doc = fetch("GET", "/", hdrs, 200, &rep);
	assert_string_equal(rep.body,
			    "{\"versions\": [{\"status\": \"CURRENT\", \"id\": \"v1.0\", "
			    "\"links\": [{\"href\": \"http://valet.example.org:8090/v1/\", "
			    "\"rel\": \"self\"}]}]}");
	json_decref(doc);
	http_reply_free(&rep);
}

static void test_valetd_v1_document(void **state)
{
	static const char *const paths[] = { "/v1", "/v1/" };
	(void)state;

	for (size_t i = 0; i < 2; i++) {
		char want[1024];
		http_reply_t rep;
		unsigned p = d.port;

		json_t *doc = fetch("GET", paths[i], NULL, 200, &rep);
		snprintf(want, sizeof(want),
			 "{\"versions\": [{\"status\": \"CURRENT\", \"id\": \"v1.0\", \"links\": ["
			 "{\"href\": \"http://127.0.0.1:%u/v1/decisions/\", \"rel\": \"self\"}, "
			 "{\"href\": \"http://127.0.0.1:%u/v1/groups/\", \"rel\": \"self\"}, "
			 "{\"href\": \"http://127.0.0.1:%u/v1/placements/\", \"rel\": \"self\"}, "
			 "{\"href\": \"http://127.0.0.1:%u/v1/plans/\", \"rel\": \"self\"}, "
			 "{\"href\": \"http://127.0.0.1:%u/v1/reservations/\", \"rel\": \"self\"}, "
			 "{\"href\": \"http://127.0.0.1:%u/v1/status/\", \"rel\": \"self\"}]}]}",
			 p, p, p, p, p, p);
		assert_string_equal(rep.body, want);
		assert_string_equal(rep.content_type, "application/json");
		json_decref(doc);
		http_reply_free(&rep);
	}
}

static void test_valetd_options_and_head(void **state)
{
	http_reply_t rep;
	(void)state;

	json_t *doc = fetch("OPTIONS", "/", NULL, 204, &rep);
	assert_null(doc);
	assert_string_equal(rep.allow, "GET, HEAD, OPTIONS");
	http_reply_free(&rep);

	doc = fetch("OPTIONS", "/v1/", NULL, 204, &rep);
	assert_string_equal(rep.allow, "GET, HEAD, OPTIONS");
	http_reply_free(&rep);

	doc = fetch("HEAD", "/v1", NULL, 200, &rep);
	assert_int_equal(rep.body_len, 0);
	http_reply_free(&rep);
}

static void test_valetd_405_and_404(void **state)
{
	http_reply_t rep;
	(void)state;

	json_t *doc = fetch("POST", "/", NULL, 405, &rep);
	assert_string_equal(rep.allow, "GET, HEAD, OPTIONS");
	assert_string_equal(rep.content_type, "application/json");
	check_error_body(doc, 405, "Method Not Allowed", "HTTPMethodNotAllowed");
	json_decref(doc);
	http_reply_free(&rep);

	doc = fetch("DELETE", "/v1", NULL, 405, &rep);
	check_error_body(doc, 405, "Method Not Allowed", "HTTPMethodNotAllowed");
	json_decref(doc);
	http_reply_free(&rep);

	doc = fetch("GET", "/v2/nothing", NULL, 404, &rep);
	assert_string_equal(rep.content_type, "application/json");
	check_error_body(doc, 404, "Not Found", "HTTPNotFound");
	assert_string_equal(json_string_value(json_object_get(doc, "explanation")),
			    "no resource at /v2/nothing");
	json_decref(doc);
	http_reply_free(&rep);
}

static void test_valetd_body_over_limit_gives_413(void **state)
{
	/* the built-in limit: server.max_body_kb = 1024 */
	size_t n = 1024 * 1024 + 1;
	char *body = malloc(n);
	char url[256];
	http_reply_t rep;
	(void)state;

	assert_non_null(body);
	memset(body, ' ', n);
	snprintf(url, sizeof(url), "%s/v1", d.base);
	for (int chunked = 0; chunked <= 1; chunked++) {
		http_request_t req = { .method = "POST", .url = url, .body = body, .body_len = n,
				       .chunked = chunked };

		assert_int_equal(http_do(&req, &rep), 0);
		assert_int_equal(rep.status, 413);
		json_t *doc = json_loads(rep.body, 0, NULL);
		check_error_body(doc, 413, "Request Entity Too Large",
				 "HTTPRequestEntityTooLarge");
		assert_contains(json_string_value(json_object_get(doc, "explanation")),
				"over the limit of 1048576 bytes");
		json_decref(doc);
		http_reply_free(&rep);
	}
	free(body);
}

/* Many clients at once: the pool answers every one. */
static void test_valetd_concurrent_clients(void **state)
{
	enum { N = 32 };
	CURLM *multi = curl_multi_init();
	CURL *easy[N];
	char url[256];
	int running = 0;
	(void)state;

	snprintf(url, sizeof(url), "%s/v1", d.base);
	for (int i = 0; i < N; i++) {
		easy[i] = curl_easy_init();
		curl_easy_setopt(easy[i], CURLOPT_URL, url);
		curl_easy_setopt(easy[i], CURLOPT_NOBODY, 1L);
		curl_easy_setopt(easy[i], CURLOPT_TIMEOUT, 30L);
		curl_multi_add_handle(multi, easy[i]);
	}
	do {
		curl_multi_perform(multi, &running);
		if (running > 0)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	} while (running > 0);
	for (int i = 0; i < N; i++) {
		long status = 0;

		curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &status);
		assert_int_equal(status, 200);
		curl_multi_remove_handle(multi, easy[i]);
		curl_easy_cleanup(easy[i]);
	}
	curl_multi_cleanup(multi);
}

static void test_valetd_logs_each_request(void **state)
{
	http_reply_t rep;
	(void)state;

	json_decref(fetch("GET", "/v1/?probe=1", NULL, 200, &rep));
	http_reply_free(&rep);
	/* the line is written when the answer is complete: give it a moment */
	for (int i = 0; i < 100; i++) {
		char *text = read_file(d.log);
		bool found = strstr(text, "INFO GET /v1/ 200 ") != NULL;
		free(text);
		if (found)
			return;
		sleep_ms(20);
	}
	char *text = read_file(d.log);
	fail_msg("no request line 'INFO GET /v1/ 200 ... ms' in:\n%s", text);
}

/* ---- refusals */

static void test_valetd_port_in_use_exits_1(void **state)
{
	char listen[64], data[300];
	struct run r;
	(void)state;

	snprintf(listen, sizeof(listen), "127.0.0.1:%u", d.port);
	snprintf(data, sizeof(data), "%s/data2", d.dir);
	const char *args[] = { "--listen", listen, "--data-dir", data, NULL };
	run_valetd(args, &r);
	assert_int_equal(r.code, 1);
	char want[128];
	snprintf(want, sizeof(want), "cannot listen on %s: Address already in use", listen);
	assert_contains(r.err, want);
	run_free(&r);
}

static void test_valetd_bad_module_exits_2(void **state)
{
	char conf[300], data[300], text[1024];
	struct run r;
	(void)state;

	snprintf(conf, sizeof(conf), "%s/bad-module.conf", d.dir);
	snprintf(data, sizeof(data), "%s/data3", d.dir);
	snprintf(text, sizeof(text),
		 "modules: {\n"
		 "  path = [\"%s\"];\n"
		 "  policies = [\"affinity\", \"http_bad_magic\"];\n"
		 "};\n",
		 HTTP_BAD_MODULE_DIR);
	write_file(conf, text);
	const char *args[] = { "--config", conf, "--listen", "127.0.0.1:0", "--data-dir", data,
			       NULL };
	run_valetd(args, &r);
	assert_int_equal(r.code, 2);
	assert_contains(r.err, HTTP_BAD_MODULE_DIR "/policy_http_bad_magic.so: bad magic");
	/* it stopped before serving */
	if (strstr(r.err, "listening on") != NULL)
		fail_msg("valetd served with a broken module:\n%s", r.err);
	run_free(&r);
}

static void test_valetd_bad_setting_exits_2(void **state)
{
	char conf[300], want[400];
	struct run r;
	(void)state;

	snprintf(conf, sizeof(conf), "%s/bad-setting.conf", d.dir);
	write_file(conf, "server: {\n  threads = \"many\";\n};\n");
	const char *args[] = { "--config", conf, NULL };
	run_valetd(args, &r);
	assert_int_equal(r.code, 2);
	snprintf(want, sizeof(want), "%s:2", conf);
	assert_contains(r.err, want);
	assert_contains(r.err, "threads");
	run_free(&r);

	const char *args2[] = { "--log-level", "loud", NULL };
	run_valetd(args2, &r);
	assert_int_equal(r.code, 2);
	assert_contains(r.err, "--log-level loud: unknown level");
	run_free(&r);

	const char *args3[] = { "--no-such-flag", NULL };
	run_valetd(args3, &r);
	assert_int_equal(r.code, 2);
	run_free(&r);

	const char *args4[] = { "--listen", "127.0.0.1:99999", NULL };
	run_valetd(args4, &r);
	assert_int_equal(r.code, 2);
	assert_contains(r.err, "99999");
	run_free(&r);
}

static void test_valetd_inventory_flag(void **state)
{
	char conf[300], data[300];
	struct run r;
	(void)state;

	snprintf(data, sizeof(data), "%s/data5", d.dir);
	const char *args[] = { "--check-config", "--data-dir", data, "--inventory",
			       VLT_SOURCE_DIR "/conf/sample-inventory.json", NULL };
	run_valetd(args, &r);
	if (r.code != 0)
		fail_msg("--inventory: exit %d:\n%s", r.code, r.err);
	/* the static source got a setting, so it does not say it has none */
	if (strstr(r.err, "no inventory configured") != NULL)
		fail_msg("--inventory did not reach the static source:\n%s", r.err);
	run_free(&r);

	/* without the static source the flag has nowhere to go */
	snprintf(conf, sizeof(conf), "%s/no-static.conf", d.dir);
	write_file(conf, "modules: {\n  sources = [ ];\n};\n");
	const char *args2[] = { "--check-config", "--config", conf, "--data-dir", data,
				"--inventory", "inv.json", NULL };
	run_valetd(args2, &r);
	assert_int_equal(r.code, 2);
	assert_contains(r.err, "--inventory inv.json: no source is loaded (modules.sources)");
	run_free(&r);
}

static void test_valetd_check_config(void **state)
{
	char data[300];
	struct run r;
	(void)state;

	/* the shipped configuration file */
	snprintf(data, sizeof(data), "%s/data4", d.dir);
	const char *args[] = { "--check-config", "--config", VLT_SOURCE_DIR "/conf/valet.conf",
			       "--data-dir", data, NULL };
	run_valetd(args, &r);
	if (r.code != 0)
		fail_msg("--check-config conf/valet.conf: exit %d:\n%s", r.code, r.err);
	assert_contains(r.out, "configuration OK (" VLT_SOURCE_DIR "/conf/valet.conf)");
	run_free(&r);

	/* no file: the defaults, every module listed */
	const char *args2[] = { "--check-config", "--data-dir", data, NULL };
	run_valetd(args2, &r);
	if (r.code != 0)
		fail_msg("--check-config: exit %d:\n%s", r.code, r.err);
	assert_contains(r.out, "configuration OK (built-in defaults)");
	static const char *const mods[] = { "store   sqlite", "source  static",
					    "policy  affinity", "policy  diversity",
					    "policy  exclusivity", "solver  ostro" };
	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++)
		assert_contains(r.out, mods[i]);
	run_free(&r);
}

static void test_valetd_list_plugins_and_version(void **state)
{
	struct run r;
	(void)state;

	const char *args[] = { "--list-plugins", NULL };
	run_valetd(args, &r);
	assert_int_equal(r.code, 0);
	assert_contains(r.out, VLT_BUILD_MODULE_DIR ":");
	assert_contains(r.out, "policy  affinity");
	assert_contains(r.out, "solver  ostro");
	run_free(&r);

	const char *args2[] = { "--version", NULL };
	run_valetd(args2, &r);
	assert_int_equal(r.code, 0);
	assert_contains(r.out, "valetd ");
	assert_contains(r.out, "module ABI 1.");
	run_free(&r);

	const char *args3[] = { "--help", NULL };
	run_valetd(args3, &r);
	assert_int_equal(r.code, 0);
	assert_contains(r.out, "--check-config");
	run_free(&r);
}

/* Last: SIGTERM stops the daemon cleanly (exit 0; under ASan, no leak). */
static void test_valetd_sigterm_stops_cleanly(void **state)
{
	(void)state;

	assert_int_equal(kill(d.pid, SIGTERM), 0);
	int status = wait_exit(d.pid, 30);
	d.pid = 0;
	char *text = read_file(d.log);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("valetd exited with status 0x%x; stderr:\n%s", status, text);
	assert_contains(text, "stopping on SIGTERM");
	assert_contains(text, "stopped");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valetd_root_document),
		cmocka_unit_test(test_valetd_root_follows_host_header),
		cmocka_unit_test(test_valetd_v1_document),
		cmocka_unit_test(test_valetd_options_and_head),
		cmocka_unit_test(test_valetd_405_and_404),
		cmocka_unit_test(test_valetd_body_over_limit_gives_413),
		cmocka_unit_test(test_valetd_concurrent_clients),
		cmocka_unit_test(test_valetd_logs_each_request),
		cmocka_unit_test(test_valetd_port_in_use_exits_1),
		cmocka_unit_test(test_valetd_bad_module_exits_2),
		cmocka_unit_test(test_valetd_bad_setting_exits_2),
		cmocka_unit_test(test_valetd_inventory_flag),
		cmocka_unit_test(test_valetd_check_config),
		cmocka_unit_test(test_valetd_list_plugins_and_version),
		cmocka_unit_test(test_valetd_sigterm_stops_cleanly),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
