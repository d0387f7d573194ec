/*
 * http_gate.c - connections from accept to libmicrohttpd (see http_gate.h).
 *
 * One thread and one epoll set: the listening socket, a wake-up eventfd
 * and every connection whose request head has not all arrived. Those are
 * watched edge-triggered and read with MSG_PEEK, so the bytes stay in the
 * socket for libmicrohttpd and an incomplete head does not wake the
 * thread again until more of it arrives. The deadline of each is checked
 * at least every GATE_TICK_MS.
 */
/* POLLRDHUP (Linux, like epoll itself) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include <valet/core.h>

#include "http.h"
#include "http_gate.h"
#include "log.h"
#include "strmap.h"

#define GATE_TICK_MS 200
#define GATE_EVENTS 64
#define ADDR_TEXT_MAX 64

/* A connection whose request head has not all arrived. */
struct pending {
	int fd;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char client[ADDR_TEXT_MAX];
	int64_t deadline_ms;
	struct pending *prev, *next;
};

struct vlt_http_gate {
	vlt_http_gate_opts_t o;
	/* open and per_client, which libmicrohttpd's threads decrement too */
	pthread_mutex_t lock;
	vlt_strmap_t per_client; /* address -> open connections, as uintptr_t */
	unsigned open;
	int listen_fd;
	int ep;
	int wake;
	struct MHD_Daemon *mhd;
	pthread_t thread;
	bool running;
	struct pending *first; /* owned: the gate's thread's alone */
	char *peek;            /* o.head.max_header + 1 bytes, owned */
};

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void client_text(const struct sockaddr *sa, char *buf, size_t size)
{
	snprintf(buf, size, "?");
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			  (socklen_t)size);
}

/* ---- counts */

/* Count one more connection from client, or say which bound refuses it (0: counted). */
static int count_add(vlt_http_gate_t *g, const char *client, char *msg, size_t size)
{
	int status = 0;

	pthread_mutex_lock(&g->lock);
	uintptr_t mine = (uintptr_t)vlt__strmap_get(&g->per_client, client);
	if (g->open >= g->o.max_connections) {
		status = 503;
		snprintf(msg, size, "%u connections are open, the most this server accepts "
			 "(server.max_connections)", g->open);
	} else if (mine >= g->o.max_client_connections) {
		status = 429;
		snprintf(msg, size, "%s has %u connections open, the most one client may have "
			 "(server.max_client_connections)", client, (unsigned)mine);
	} else if (vlt__strmap_put(&g->per_client, client, (void *)(mine + 1)) != 0) {
		status = 503;
		snprintf(msg, size, "out of memory");
	} else {
		g->open++;
	}
	pthread_mutex_unlock(&g->lock);
	return status;
}

static void count_drop(vlt_http_gate_t *g, const char *client)
{
	pthread_mutex_lock(&g->lock);
	uintptr_t mine = (uintptr_t)vlt__strmap_get(&g->per_client, client);
	if (mine <= 1)
		vlt__strmap_del(&g->per_client, client);
	else
		vlt__strmap_put(&g->per_client, client, (void *)(mine - 1)); /* replaces: no alloc */
	if (g->open > 0)
		g->open--;
	pthread_mutex_unlock(&g->lock);
}

void vlt__http_gate_closed(vlt_http_gate_t *g, const struct sockaddr *addr)
{
	char client[ADDR_TEXT_MAX];

	if (g == NULL || addr == NULL)
		return;
	client_text(addr, client, sizeof(client));
	count_drop(g, client);
}

/* ---- answering and closing */

/* Read what the client sent so far, so that close() does not reset the answer away. */
static void drain(int fd)
{
	char buf[4096];

	for (int i = 0; i < 64 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0; i++)
		;
}

/* Send the JSON error body with status, best effort, and close fd. */
static void refuse_and_close(int fd, const char *client, int status, const char *msg)
{
	json_t *body = vlt__http_error_body(status, msg);
	char *text = body != NULL ? json_dumps(body, 0) : NULL;
	char head[256];

	json_decref(body);
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, vlt__http_reason(status), text != NULL ? strlen(text) : 0);
	if (n > 0 && (size_t)n < sizeof(head) &&
	    send(fd, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n && text != NULL)
		(void)send(fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT);
	free(text);
	vlt__log(NULL, VLT_LOG_INFO, "%s: refused with %d: %s", client, status, msg);
	shutdown(fd, SHUT_WR);
	drain(fd);
	close(fd);
}

static void pending_unlink(vlt_http_gate_t *g, struct pending *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		g->first = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	epoll_ctl(g->ep, EPOLL_CTL_DEL, p->fd, NULL);
}

/* p is done with: answered with status (0: closed without an answer). */
static void pending_refuse(vlt_http_gate_t *g, struct pending *p, int status, const char *msg)
{
	pending_unlink(g, p);
	if (status != 0)
		refuse_and_close(p->fd, p->client, status, msg);
	else
		close(p->fd);
	count_drop(g, p->client);
	free(p);
}

static void pending_hand_over(vlt_http_gate_t *g, struct pending *p)
{
	pending_unlink(g, p);
	/* libmicrohttpd owns the socket now, and closes it even on failure */
	if (MHD_add_connection(g->mhd, p->fd, (const struct sockaddr *)&p->addr, p->addrlen) !=
	    MHD_YES) {
		vlt__log(NULL, VLT_LOG_WARNING, "%s: the HTTP server did not take the connection",
			 p->client);
		count_drop(g, p->client);
	}
	free(p);
}

/* ---- the thread */

/*
 * Of a client that has shut its side: is its body shorter than it said?
 * Only known when the whole body fits what was peeked (libmicrohttpd
 * would wait for the rest until server.idle_timeout_s).
 */
static bool body_cut_short(const vlt_http_head_info_t *info, size_t n, size_t peeked_max)
{
	if (!info->has_length || n >= peeked_max)
		return false;
	return n - info->head_len < info->length;
}

/*
 * The framing of as much of a chunked body as came with the head:
 * libmicrohttpd would refuse a bad one with an HTML page of its own.
 */
static int chunks_ok(const char *buf, size_t n, const vlt_http_head_info_t *info, char *msg,
		     size_t size)
{
	int v = vlt__http_chunks_check(buf + info->head_len, n - info->head_len, msg, size);

	return v == 0 ? VLT_HTTP_HEAD_OK : v;
}

/* hup: the client has shut its side, so what has arrived is all there will be. */
static void on_readable(vlt_http_gate_t *g, struct pending *p, bool hup)
{
	char msg[VLT_ERR_MSG_MAX];
	size_t max = g->o.head.max_header + 1;
	ssize_t n = recv(p->fd, g->peek, max, MSG_PEEK | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		pending_refuse(g, p, 0, NULL); /* the client went away */
		return;
	}
	if (g->o.tls) { /* a TLS handshake: nothing to read in it */
		pending_hand_over(g, p);
		return;
	}
	vlt_http_head_info_t info;
	int v = vlt__http_head_check(g->peek, (size_t)n, &g->o.head, msg, sizeof(msg), &info);
	if (v == VLT_HTTP_HEAD_OK && info.chunked)
		v = chunks_ok(g->peek, (size_t)n, &info, msg, sizeof(msg));
	if (v == VLT_HTTP_HEAD_OK && hup && body_cut_short(&info, (size_t)n, max))
		pending_refuse(g, p, 400, "the request ended before its body did");
	else if (v == VLT_HTTP_HEAD_OK)
		pending_hand_over(g, p);
	else if (v != VLT_HTTP_HEAD_INCOMPLETE)
		pending_refuse(g, p, v, msg);
	else if (hup)
		pending_refuse(g, p, 400, "the request ended before its headers did");
}

/* Has the client already shut its side (before epoll watched the socket)? */
static bool peer_shut(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLRDHUP };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP)) != 0;
}

static void accept_one(vlt_http_gate_t *g, int fd, const struct sockaddr_storage *ss,
		       socklen_t len)
{
	char msg[VLT_ERR_MSG_MAX];
	struct pending *p = calloc(1, sizeof(*p));
	char client[ADDR_TEXT_MAX];

	client_text((const struct sockaddr *)ss, client, sizeof(client));
	int status = p != NULL ? count_add(g, client, msg, sizeof(msg)) : 503;
	if (p == NULL)
		snprintf(msg, sizeof(msg), "out of memory");
	if (status != 0) {
		refuse_and_close(fd, client, status, msg);
		free(p);
		return;
	}
	p->fd = fd;
	p->addr = *ss;
	p->addrlen = len;
	memcpy(p->client, client, sizeof(client));
	p->deadline_ms = now_ms() + (int64_t)g->o.header_timeout_s * 1000;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET | EPOLLRDHUP, .data.ptr = p };
	p->next = g->first;
	if (g->first != NULL)
		g->first->prev = p;
	g->first = p;
	if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		pending_refuse(g, p, 503, "the server cannot watch more connections");
		return;
	}
	on_readable(g, p, peer_shut(fd)); /* the head may be there already, and all of it */
}

static void accept_all(vlt_http_gate_t *g)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept(g->listen_fd, (struct sockaddr *)&ss, &len);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				vlt__log(NULL, VLT_LOG_WARNING, "accept: %s", strerror(errno));
			return;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		accept_one(g, fd, &ss, len);
	}
}

static void expire(vlt_http_gate_t *g)
{
	char msg[VLT_ERR_MSG_MAX];
	int64_t now = now_ms();
	struct pending *next;

	snprintf(msg, sizeof(msg),
		 "the request line and headers did not arrive within %u s "
		 "(server.header_timeout_s)",
		 g->o.header_timeout_s);
	for (struct pending *p = g->first; p != NULL; p = next) {
		next = p->next;
		if (p->deadline_ms <= now)
			pending_refuse(g, p, 408, msg);
	}
}

static void *gate_main(void *arg)
{
	vlt_http_gate_t *g = arg;
	struct epoll_event evs[GATE_EVENTS];

	for (;;) {
		int n = epoll_wait(g->ep, evs, GATE_EVENTS, GATE_TICK_MS);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &g->wake)
				return NULL;
			if (evs[i].data.ptr == &g->listen_fd)
				accept_all(g);
			else
				on_readable(g, evs[i].data.ptr,
					    (evs[i].events & (EPOLLRDHUP | EPOLLHUP)) != 0);
		}
		expire(g);
	}
}

/* ---- life */

int vlt__http_gate_new(vlt_http_gate_t **out, const vlt_http_gate_opts_t *opts, vlt_err_t *err)
{
	vlt_http_gate_t *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (g == NULL || (g->peek = malloc(opts->head.max_header + 1)) == NULL) {
		free(g);
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	g->o = *opts;
	g->listen_fd = g->ep = g->wake = -1;
	pthread_mutex_init(&g->lock, NULL);
	*out = g;
	return 0;
}

static int watch(vlt_http_gate_t *g, int fd, void *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	return epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev);
}

int vlt__http_gate_run(vlt_http_gate_t *g, int listen_fd, struct MHD_Daemon *mhd, vlt_err_t *err)
{
	g->listen_fd = listen_fd;
	g->mhd = mhd;
	fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
	g->ep = epoll_create1(EPOLL_CLOEXEC);
	g->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->ep < 0 || g->wake < 0 || watch(g, listen_fd, &g->listen_fd) != 0 ||
	    watch(g, g->wake, &g->wake) != 0 || pthread_create(&g->thread, NULL, gate_main, g) != 0)
		return vlt_err_set(err, VLT_EIO, "cannot start the HTTP server's acceptor: %s",
				   strerror(errno));
	g->running = true;
	return 0;
}

void vlt__http_gate_stop(vlt_http_gate_t *g)
{
	uint64_t one = 1;

	if (g == NULL)
		return;
	if (g->running && write(g->wake, &one, sizeof(one)) == sizeof(one))
		pthread_join(g->thread, NULL);
	g->running = false;
	while (g->first != NULL)
		pending_refuse(g, g->first, 0, NULL);
	if (g->listen_fd >= 0)
		close(g->listen_fd);
	g->listen_fd = -1;
}

void vlt__http_gate_free(vlt_http_gate_t *g)
{
	if (g == NULL)
		return;
	vlt__http_gate_stop(g);
	if (g->ep >= 0)
		close(g->ep);
	if (g->wake >= 0)
		close(g->wake);
	vlt__strmap_clear(&g->per_client);
	pthread_mutex_destroy(&g->lock);
	free(g->peek);
	free(g);
}
