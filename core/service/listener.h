/*
 * listener.h - the notifications listener: a thread that consumes Nova's
 * versioned notifications from RabbitMQ (oslo.messaging's layout: a topic
 * exchange, routing key <topic>.info) through a durable queue of Valet's
 * own, applies each with vlt__service_nova_event and acknowledges it only
 * once its entry is journaled (docs/notifications.md). It reconnects with
 * backoff, and consumes only while may_consume says so, so that among
 * several valetd one can hold the queue.
 */
#ifndef VALET_CORE_LISTENER_H
#define VALET_CORE_LISTENER_H

#include <stdbool.h>
#include <stdint.h>

#include <valet/errors.h>

#include "service.h"

typedef struct vlt_listener_opts {
	const char *url;      /* amqp://user:password@host:port/vhost */
	const char *exchange; /* "nova" */
	const char *topic;    /* "versioned_notifications": the queue is bound to <topic>.info */
	const char *queue;    /* Valet's durable queue */
	bool exchange_durable; /* as the publisher declares it (oslo: amqp_durable_queues) */
	/*
	 * Asked before each wait for a message (may be NULL: always): false
	 * closes the connection, so that the queue's messages wait for
	 * another consumer, until it says true again. Called on the
	 * listener's thread, with no lock of the service's held.
	 */
	bool (*may_consume)(void *arg);
	void *may_consume_arg;
	unsigned backoff_min_ms; /* first wait after a failure (0: 500) */
	unsigned backoff_max_ms; /* longest wait (0: 30000) */
} vlt_listener_opts_t;

/* What the listener did, since it started. */
typedef struct vlt_listener_stats {
	uint64_t received;	/* messages delivered to it */
	uint64_t applied;	/* events that changed the state (released, moved, noted) */
	uint64_t unchanged;	/* read and acknowledged, nothing to do */
	uint64_t rejected;	/* not a notification it can read: rejected, not requeued */
	uint64_t failed;	/* could not be journaled: returned to the queue */
	uint64_t connects;	/* connections made (the first one included) */
	bool connected;
} vlt_listener_stats_t;

typedef struct vlt_listener vlt_listener_t;

/*
 * vlt__listener_start - a thread consuming for s (borrowed; it must
 * outlive the listener) as o says (strings copied). The first connection
 * is tried on the thread: a broker that is not there yet is waited for.
 * OUT l - new, owned by the caller (vlt__listener_stop)
 * RET 0, VLT_ECONFIG naming what is wrong in o->url, VLT_ENOMEM.
 */
int vlt__listener_start(vlt_listener_t **l, vlt_service_t *s, const vlt_listener_opts_t *o,
			vlt_err_t *err);
/* Stop the thread (within about a quarter of a second), close, free l. NULL: nothing. */
void vlt__listener_stop(vlt_listener_t *l);
void vlt__listener_stats(vlt_listener_t *l, vlt_listener_stats_t *out);

#endif /* VALET_CORE_LISTENER_H */
