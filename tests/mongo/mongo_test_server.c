/*
 * mongo_test_server.c - see mongo_test_server.h.
 *
 * mockmongod.py prints "mockmongod listening on mongodb://HOST:PORT" once
 * it accepts connections; anything else on its way out (an ImportError, a
 * Python that is not there) ends the wait with the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mongoc/mongoc.h>

#include "mongo_test_server.h"

#define READY "mockmongod listening on "
#define START_TIMEOUT_MS 30000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The hosts of uri without credentials, or a note that it does not parse. */
static void show_hosts(const char *uri, char *out, size_t size)
{
	bson_error_t e;
	mongoc_uri_t *u = mongoc_uri_new_with_error(uri, &e);
	size_t at = 0;

	out[0] = '\0';
	if (!u) {
		snprintf(out, size, "(unparsable URI: %.200s)", e.message);
		return;
	}
	if (mongoc_uri_get_srv_hostname(u))
		at = (size_t)snprintf(out, size, "srv:%s", mongoc_uri_get_srv_hostname(u));
	for (const mongoc_host_list_t *h = mongoc_uri_get_hosts(u); h && at < size; h = h->next) {
		int n = snprintf(out + at, size - at, "%s%s", at ? "," : "", h->host_and_port);
		at += n > 0 ? (size_t)n : 0;
	}
	mongoc_uri_destroy(u);
}

static void child_exec(int out_w)
{
	/* Stop with the test even if it dies without cleaning up. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (dup2(out_w, STDOUT_FILENO) < 0)
		_exit(126);
	close(out_w);
	execl(VLT_PYTHON3, VLT_PYTHON3, VLT_MOCKMONGOD, "--host", "127.0.0.1", "--port", "0",
	      (char *)NULL);
	fprintf(stderr, "mockmongod: cannot run %s: %s\n", VLT_PYTHON3, strerror(errno));
	_exit(127);
}

/* Read mockmongod's stdout until the ready line. RET 0 with srv->uri set, or -1. */
static int wait_ready(mongo_test_server_t *srv, char *why, size_t why_size)
{
	char buf[1024];
	size_t len = 0;
	double deadline = now_ms() + START_TIMEOUT_MS;

	for (;;) {
		char *nl = memchr(buf, '\n', len);
		if (nl) {
			*nl = '\0';
			if (strncmp(buf, READY, strlen(READY)) == 0) {
				snprintf(srv->uri, sizeof(srv->uri),
					 "%.900s/?serverSelectionTimeoutMS=5000",
					 buf + strlen(READY));
				return 0;
			}
			size_t used = (size_t)(nl - buf) + 1;
			memmove(buf, nl + 1, len - used);
			len -= used;
			continue;
		}
		double left = deadline - now_ms();
		if (left <= 0 || len == sizeof(buf)) {
			snprintf(why, why_size, "mockmongod.py did not say it was listening within "
				 "%d s", START_TIMEOUT_MS / 1000);
			return -1;
		}
		struct pollfd p = { .fd = srv->out_fd, .events = POLLIN };
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		ssize_t n = r > 0 ? read(srv->out_fd, buf + len, sizeof(buf) - len) : 0;
		if (r > 0 && n <= 0) {
			int status = 0;
			waitpid(srv->pid, &status, 0);
			srv->pid = 0;
			snprintf(why, why_size,
				 "the MongoDB wire-protocol test server %s exited (status %d) "
				 "before it was ready; it needs %s with Debian's "
				 "python3-mockupdb, python3-mongomock and python3-pymongo (its "
				 "message is above), or set VALET_TEST_MONGODB_URI to a real "
				 "server",
				 VLT_MOCKMONGOD, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
				 VLT_PYTHON3);
			return -1;
		}
		if (n > 0)
			len += (size_t)n;
	}
}

int mongo_test_server_start_mock(mongo_test_server_t *srv, char *why, size_t why_size)
{
	int out[2];

	memset(srv, 0, sizeof(*srv));
	srv->out_fd = -1;
	if (access(VLT_PYTHON3, X_OK) != 0) {
		snprintf(why, why_size, "%s: %s; the MongoDB wire-protocol test server needs it "
			 "(or set VALET_TEST_MONGODB_URI to a real server)", VLT_PYTHON3,
			 strerror(errno));
		return -1;
	}
	if (pipe(out) != 0) {
		snprintf(why, why_size, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	srv->pid = fork();
	if (srv->pid < 0) {
		snprintf(why, why_size, "fork: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		return -1;
	}
	if (srv->pid == 0) {
		close(out[0]);
		child_exec(out[1]);
	}
	close(out[1]);
	srv->out_fd = out[0];
	fcntl(srv->out_fd, F_SETFD, FD_CLOEXEC);
	if (wait_ready(srv, why, why_size) != 0) {
		mongo_test_server_stop(srv);
		return -1;
	}
	show_hosts(srv->uri, srv->shown, sizeof(srv->shown));
	return 0;
}

int mongo_test_server_start(mongo_test_server_t *srv, char *why, size_t why_size)
{
	const char *uri = getenv("VALET_TEST_MONGODB_URI");

	if (!uri || !*uri)
		return mongo_test_server_start_mock(srv, why, why_size);
	memset(srv, 0, sizeof(*srv));
	srv->out_fd = -1;
	srv->real = true;
	snprintf(srv->uri, sizeof(srv->uri), "%s", uri);
	show_hosts(uri, srv->shown, sizeof(srv->shown));
	return 0;
}

void mongo_test_server_stop(mongo_test_server_t *srv)
{
	if (srv->pid > 0) {
		int status = 0;
		kill(srv->pid, SIGTERM);
		double deadline = now_ms() + 10000;
		while (waitpid(srv->pid, &status, WNOHANG) == 0) {
			if (now_ms() > deadline) {
				kill(srv->pid, SIGKILL);
				waitpid(srv->pid, &status, 0);
				break;
			}
			struct timespec nap = { 0, 20 * 1000 * 1000 };
			nanosleep(&nap, NULL);
		}
		srv->pid = 0;
	}
	if (srv->out_fd >= 0)
		close(srv->out_fd);
	srv->out_fd = -1;
}

/* ---- one server for a whole test program */

static mongo_test_server_t shared;
static bool shared_up;
static char shared_why[512];

int mongo_test_shared_start(void **state)
{
	(void)state;
	shared_up = mongo_test_server_start(&shared, shared_why, sizeof(shared_why)) == 0;
	return 0;
}

int mongo_test_shared_stop(void **state)
{
	(void)state;
	if (shared_up)
		mongo_test_server_stop(&shared);
	shared_up = false;
	return 0;
}

const mongo_test_server_t *mongo_test_shared(void)
{
	return shared_up ? &shared : NULL;
}

const char *mongo_test_shared_why(void)
{
	return shared_why;
}
