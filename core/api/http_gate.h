/*
 * http_gate.h - what stands between the listening socket and
 * libmicrohttpd (http.c): one thread that accepts connections, counts them
 * per client address, waits (with a deadline) for each request's line and
 * headers without reading them (MSG_PEEK), checks them (http_head.h), and
 * only then hands the connection to libmicrohttpd. So a client that opens
 * many connections, or sends its headers a byte at a time, holds no worker
 * thread and at most its own share of connections; and a request
 * libmicrohttpd would answer with an HTML page of its own, or not at all,
 * gets valet-api's JSON error body.
 *
 * Every refusal is a JSON error body naming the bound, then the connection
 * is closed: 503 past server.max_connections, 429 past
 * server.max_client_connections, 408 past server.header_timeout_s, and
 * the statuses of vlt__http_head_check.
 */
#ifndef VALET_CORE_HTTP_GATE_H
#define VALET_CORE_HTTP_GATE_H

#include <stdbool.h>
#include <sys/socket.h>

#include <valet/errors.h>

#include "http_head.h"

struct MHD_Daemon;

typedef struct vlt_http_gate_opts {
	vlt_http_head_limits_t head;
	unsigned max_connections;
	unsigned max_client_connections;
	unsigned header_timeout_s;
	/*
	 * A TLS listener: the head arrives encrypted, so the connection is
	 * handed over on its first bytes (libmicrohttpd decrypts and bounds
	 * the head); the counts and the deadline for those bytes still apply.
	 */
	bool tls;
} vlt_http_gate_opts_t;

typedef struct vlt_http_gate vlt_http_gate_t;

/*
 * vlt__http_gate_new - the counts and settings; no thread yet.
 * IN  opts - copied
 * OUT g - owned by the caller (vlt__http_gate_free)
 * RET 0 or VLT_ENOMEM.
 */
int vlt__http_gate_new(vlt_http_gate_t **g, const vlt_http_gate_opts_t *opts, vlt_err_t *err);
/*
 * vlt__http_gate_run - start accepting on listen_fd (taken: closed by
 * vlt__http_gate_stop) and handing connections to mhd (borrowed; started
 * with MHD_USE_NO_LISTEN_SOCKET and MHD_USE_ITC, and with
 * vlt__http_gate_closed as its connection-closed notice).
 * RET 0, or VLT_EIO when the thread cannot start (listen_fd closed).
 */
int vlt__http_gate_run(vlt_http_gate_t *g, int listen_fd, struct MHD_Daemon *mhd, vlt_err_t *err);
/* Stop accepting: join the thread, close every connection not yet handed over. */
void vlt__http_gate_stop(vlt_http_gate_t *g);
/* After vlt__http_gate_stop and MHD_stop_daemon. NULL is a no-op. */
void vlt__http_gate_free(vlt_http_gate_t *g);
/* libmicrohttpd closed a connection the gate handed over: it counts no more. */
void vlt__http_gate_closed(vlt_http_gate_t *g, const struct sockaddr *addr);

#endif /* VALET_CORE_HTTP_GATE_H */
