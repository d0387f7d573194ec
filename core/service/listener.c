/*
 * listener.c - the notifications listener's thread: connect to RabbitMQ
 * with librabbitmq, declare the exchange as oslo.messaging does and a
 * durable queue of Valet's bound to <topic>.info, consume with manual
 * acknowledgements, and hand each message to op_nova.c. A message is
 * acknowledged once its entry is journaled (or once it is known to need
 * none), returned to the queue when the journal could not take it, and
 * rejected without requeue when it cannot be read (it never will be).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include "listener.h"
#include "log.h"

#define CHANNEL 1
#define PREFETCH 64
#define WAIT_MS 250 /* longest wait for a message: how soon a stop or a pause is seen */
#define HEARTBEAT_S 30

struct vlt_listener {
	vlt_service_t *s;
	char *url, *exchange, *routing_key, *queue;
	bool exchange_durable;
	struct amqp_connection_info where; /* points into url_parsed */
	char *url_parsed;
	bool (*may_consume)(void *arg);
	void *may_consume_arg;
	unsigned backoff_min_ms, backoff_max_ms;

	amqp_connection_state_t conn; /* NULL while not connected; the thread's only */
	bool channel_open, conn_open; /* what disconnect still has to close */
	pthread_t thread;
	pthread_mutex_t lock; /* stop, stats */
	pthread_cond_t wake;  /* stop */
	bool stop;
	vlt_listener_stats_t stats;
};

static void count(vlt_listener_t *l, uint64_t *field)
{
	pthread_mutex_lock(&l->lock);
	(*field)++;
	pthread_mutex_unlock(&l->lock);
}

static bool stopping(vlt_listener_t *l)
{
	pthread_mutex_lock(&l->lock);
	bool stop = l->stop;
	pthread_mutex_unlock(&l->lock);
	return stop;
}

/* Wait ms, or less when stopped. RET whether the listener is stopping. */
static bool pause_ms(vlt_listener_t *l, unsigned ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&l->lock);
	while (!l->stop && pthread_cond_timedwait(&l->wake, &l->lock, &until) != ETIMEDOUT)
		;
	bool stop = l->stop;
	pthread_mutex_unlock(&l->lock);
	return stop;
}

/* ---------------------------------------------------------------- connecting */

/* The broker closed the channel or the connection (method id): say close-ok. */
static void closed_by_broker(vlt_listener_t *l, amqp_method_number_t id)
{
	if (id == AMQP_CHANNEL_CLOSE_METHOD) {
		amqp_channel_close_ok_t ok = { 0 };

		amqp_send_method(l->conn, CHANNEL, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
		l->channel_open = false;
	} else if (id == AMQP_CONNECTION_CLOSE_METHOD) {
		amqp_connection_close_ok_t ok = { 0 };

		amqp_send_method(l->conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
		l->conn_open = false;
	}
}

/*
 * What an AMQP call's reply says went wrong, into why; RET 0 when it went
 * right. A broker that closed the channel or the connection is answered
 * (close-ok), so that disconnect does not wait for a reply that cannot come.
 */
static int reply_error(vlt_listener_t *l, amqp_rpc_reply_t r, const char *what, char *why,
		       size_t size)
{
	switch (r.reply_type) {
	case AMQP_RESPONSE_NORMAL:
		return 0;
	case AMQP_RESPONSE_LIBRARY_EXCEPTION:
		snprintf(why, size, "%s: %s", what, amqp_error_string2(r.library_error));
		break;
	case AMQP_RESPONSE_SERVER_EXCEPTION:
		if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD ||
		    r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
			/* both methods start with reply_code and reply_text */
			const amqp_channel_close_t *m = r.reply.decoded;

			snprintf(why, size, "%s: the broker said %u %.*s", what, m->reply_code,
				 (int)m->reply_text.len, (const char *)m->reply_text.bytes);
			closed_by_broker(l, r.reply.id);
		} else {
			snprintf(why, size, "%s: the broker answered method 0x%08x", what,
				 (unsigned)r.reply.id);
		}
		break;
	default:
		snprintf(why, size, "%s: no reply", what);
		break;
	}
	return -1;
}

static void disconnect(vlt_listener_t *l)
{
	if (l->conn == NULL)
		return;
	if (l->channel_open && l->conn_open)
		amqp_channel_close(l->conn, CHANNEL, AMQP_REPLY_SUCCESS);
	if (l->conn_open)
		amqp_connection_close(l->conn, AMQP_REPLY_SUCCESS);
	l->channel_open = l->conn_open = false;
	amqp_destroy_connection(l->conn);
	l->conn = NULL;
	pthread_mutex_lock(&l->lock);
	l->stats.connected = false;
	pthread_mutex_unlock(&l->lock);
}

/* The exchange (as the publisher declares it), the queue, its binding, and the consumer. */
static int declare_and_consume(vlt_listener_t *l, char *why, size_t size)
{
	amqp_connection_state_t c = l->conn;
	amqp_bytes_t queue = amqp_cstring_bytes(l->queue);

	amqp_exchange_declare(c, CHANNEL, amqp_cstring_bytes(l->exchange),
			      amqp_cstring_bytes("topic"), 0, l->exchange_durable, 0, 0,
			      amqp_empty_table);
	if (reply_error(l, amqp_get_rpc_reply(c), "declaring the exchange", why, size) < 0)
		return -1;
	/* durable: messages wait through a restart of valetd (not of a broker without
	 * persistence: oslo publishes them transient) */
	amqp_queue_declare(c, CHANNEL, queue, 0, 1, 0, 0, amqp_empty_table);
	if (reply_error(l, amqp_get_rpc_reply(c), "declaring the queue", why, size) < 0)
		return -1;
	amqp_queue_bind(c, CHANNEL, queue, amqp_cstring_bytes(l->exchange),
			amqp_cstring_bytes(l->routing_key), amqp_empty_table);
	if (reply_error(l, amqp_get_rpc_reply(c), "binding the queue", why, size) < 0)
		return -1;
	amqp_basic_qos(c, CHANNEL, 0, PREFETCH, 0);
	if (reply_error(l, amqp_get_rpc_reply(c), "setting the prefetch", why, size) < 0)
		return -1;
	amqp_basic_consume(c, CHANNEL, queue, amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
	return reply_error(l, amqp_get_rpc_reply(c), "consuming", why, size);
}

/* RET 0 when connected and consuming; -1 with why. */
static int connect_broker(vlt_listener_t *l, char *why, size_t size)
{
	struct timeval timeout = { .tv_sec = 5 };
	amqp_socket_t *sock;

	struct timeval rpc_timeout = { .tv_sec = 10 };

	l->conn = amqp_new_connection();
	/* a broker that stops answering must not hold the thread (nor a stop) forever */
	if (l->conn != NULL)
		amqp_set_rpc_timeout(l->conn, &rpc_timeout);
	sock = l->conn != NULL ? amqp_tcp_socket_new(l->conn) : NULL;
	if (sock == NULL) {
		snprintf(why, size, "out of memory");
		disconnect(l);
		return -1;
	}
	int st = amqp_socket_open_noblock(sock, l->where.host, l->where.port, &timeout);
	if (st != AMQP_STATUS_OK) {
		snprintf(why, size, "connecting to %s:%d: %s", l->where.host, l->where.port,
			 amqp_error_string2(st));
		disconnect(l);
		return -1;
	}
	l->conn_open = true;
	if (reply_error(l, amqp_login(l->conn, l->where.vhost, 0, 131072, HEARTBEAT_S,
				   AMQP_SASL_METHOD_PLAIN, l->where.user, l->where.password),
			"logging in", why, size) < 0) {
		disconnect(l);
		return -1;
	}
	amqp_channel_open(l->conn, CHANNEL);
	l->channel_open = true;
	if (reply_error(l, amqp_get_rpc_reply(l->conn), "opening a channel", why, size) < 0 ||
	    declare_and_consume(l, why, size) < 0) {
		disconnect(l);
		return -1;
	}
	pthread_mutex_lock(&l->lock);
	l->stats.connected = true;
	l->stats.connects++;
	pthread_mutex_unlock(&l->lock);
	return 0;
}

/* ---------------------------------------------------------------- consuming */

/* One message: applied and acknowledged, returned, or rejected. RET -1 when the link failed. */
static int handle(vlt_listener_t *l, const amqp_envelope_t *env, bool *back_off)
{
	vlt_nova_event_t ev;
	vlt_nova_outcome_t out = VLT_NOVA_UNCHANGED;
	vlt_err_t err = { 0 };
	int st;

	count(l, &l->stats.received);
	if (vlt__nova_event_parse(env->message.body.bytes, env->message.body.len, &ev, &err) < 0) {
		vlt__log(NULL, VLT_LOG_WARNING, "a message of queue %s is dropped: %s", l->queue,
			 err.msg);
		count(l, &l->stats.rejected);
		st = amqp_basic_reject(l->conn, CHANNEL, env->delivery_tag, 0);
	} else if (vlt__service_nova_event(l->s, &ev, &out, &err) < 0) {
		vlt__log(NULL, VLT_LOG_WARNING, "%s of instance %s goes back to the queue: %s",
			 ev.event_type, ev.uuid, err.msg);
		count(l, &l->stats.failed);
		*back_off = true;
		st = amqp_basic_nack(l->conn, CHANNEL, env->delivery_tag, 0, 1);
	} else {
		count(l, out == VLT_NOVA_UNCHANGED ? &l->stats.unchanged : &l->stats.applied);
		st = amqp_basic_ack(l->conn, CHANNEL, env->delivery_tag, 0);
	}
	return st == AMQP_STATUS_OK ? 0 : -1;
}

/*
 * A frame other than a delivery came (librabbitmq's AMQP_STATUS_UNEXPECTED_STATE):
 * read it. RET -1 when it closes the channel or the connection.
 */
static int other_frame(vlt_listener_t *l, char *why, size_t size)
{
	amqp_frame_t frame;

	if (amqp_simple_wait_frame(l->conn, &frame) != AMQP_STATUS_OK) {
		snprintf(why, size, "the connection was lost");
		l->conn_open = false;
		return -1;
	}
	if (frame.frame_type == AMQP_FRAME_METHOD &&
	    (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
	     frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD)) {
		snprintf(why, size, "the broker closed the %s",
			 frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ? "channel"
									      : "connection");
		closed_by_broker(l, frame.payload.method.id);
		return -1;
	}
	return 0;
}

/* Wait up to WAIT_MS for one message and handle it. RET -1 (with why) when the link failed. */
static int consume_one(vlt_listener_t *l, bool *back_off, char *why, size_t size)
{
	struct timeval timeout = { .tv_usec = WAIT_MS * 1000 };
	amqp_envelope_t env;

	amqp_maybe_release_buffers(l->conn);
	amqp_rpc_reply_t r = amqp_consume_message(l->conn, &env, &timeout, 0);
	if (r.reply_type == AMQP_RESPONSE_NORMAL) {
		int rc = handle(l, &env, back_off);

		amqp_destroy_envelope(&env);
		if (rc < 0)
			snprintf(why, size, "acknowledging: the connection was lost");
		return rc;
	}
	if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
	    r.library_error == AMQP_STATUS_TIMEOUT)
		return 0;
	if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
	    r.library_error == AMQP_STATUS_UNEXPECTED_STATE)
		return other_frame(l, why, size);
	reply_error(l, r, "waiting for messages", why, size);
	return -1;
}

static void *listen_main(void *arg)
{
	vlt_listener_t *l = arg;
	unsigned backoff = l->backoff_min_ms;
	bool said_down = false; /* a failure is logged once, until the link is back */
	char why[512];

	while (!stopping(l)) {
		if (l->may_consume != NULL && !l->may_consume(l->may_consume_arg)) {
			disconnect(l); /* the queue is another valetd's meanwhile */
			pause_ms(l, WAIT_MS);
			continue;
		}
		if (l->conn == NULL) {
			if (connect_broker(l, why, sizeof(why)) < 0) {
				if (!said_down)
					vlt__log(NULL, VLT_LOG_WARNING,
						 "notifications: %s; trying again, waiting up to "
						 "%u ms between tries",
						 why, l->backoff_max_ms);
				said_down = true;
				pause_ms(l, backoff);
				backoff = backoff < l->backoff_max_ms / 2 ? backoff * 2
									  : l->backoff_max_ms;
				continue;
			}
			vlt__log(NULL, VLT_LOG_NOTICE,
				 "notifications: consuming queue %s (exchange %s, routing key %s)",
				 l->queue, l->exchange, l->routing_key);
			said_down = false;
			backoff = l->backoff_min_ms;
		}
		bool back_off = false;
		if (consume_one(l, &back_off, why, sizeof(why)) < 0) {
			vlt__log(NULL, VLT_LOG_WARNING, "notifications: %s; connecting again", why);
			said_down = true;
			disconnect(l);
		} else if (back_off) {
			pause_ms(l, l->backoff_min_ms); /* the journal failed: do not spin on it */
		}
	}
	disconnect(l);
	return NULL;
}

/* ---------------------------------------------------------------- start, stop */

static void listener_free(vlt_listener_t *l)
{
	free(l->url);
	free(l->url_parsed);
	free(l->exchange);
	free(l->routing_key);
	free(l->queue);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->wake);
	free(l);
}

static int copy_opts(vlt_listener_t *l, const vlt_listener_opts_t *o, vlt_err_t *err)
{
	size_t rk = strlen(o->topic) + sizeof(".info");

	l->url = strdup(o->url);
	l->url_parsed = strdup(o->url);
	l->exchange = strdup(o->exchange);
	l->queue = strdup(o->queue);
	l->routing_key = malloc(rk);
	if (l->url == NULL || l->url_parsed == NULL || l->exchange == NULL || l->queue == NULL ||
	    l->routing_key == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "notifications: out of memory");
	/* oslo.messaging's notifier sends to <topic>.<priority>; Nova's are info */
	snprintf(l->routing_key, rk, "%s.info", o->topic);
	amqp_default_connection_info(&l->where);
	if (amqp_parse_url(l->url_parsed, &l->where) != AMQP_STATUS_OK || l->where.ssl)
		return vlt_err_set(err, VLT_ECONFIG,
				   "notifications.url: '%s' is not amqp://user:password@host:port/vhost",
				   o->url);
	if (l->where.vhost == NULL || l->where.vhost[0] == '\0')
		l->where.vhost = "/"; /* "amqp://host/" as oslo.messaging reads it: the default vhost */
	l->exchange_durable = o->exchange_durable;
	l->may_consume = o->may_consume;
	l->may_consume_arg = o->may_consume_arg;
	l->backoff_min_ms = o->backoff_min_ms > 0 ? o->backoff_min_ms : 500;
	l->backoff_max_ms = o->backoff_max_ms > 0 ? o->backoff_max_ms : 30000;
	if (l->backoff_max_ms < l->backoff_min_ms)
		l->backoff_max_ms = l->backoff_min_ms;
	return 0;
}

int vlt__listener_start(vlt_listener_t **out, vlt_service_t *s, const vlt_listener_opts_t *o,
			vlt_err_t *err)
{
	vlt_listener_t *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "notifications: out of memory");
	l->s = s;
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->wake, NULL);
	int rc = copy_opts(l, o, err);
	if (rc == 0 && pthread_create(&l->thread, NULL, listen_main, l) != 0)
		rc = vlt_err_set(err, VLT_ENOMEM, "notifications: cannot start the listener's thread");
	if (rc < 0) {
		listener_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void vlt__listener_stop(vlt_listener_t *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->lock);
	l->stop = true;
	pthread_cond_broadcast(&l->wake);
	pthread_mutex_unlock(&l->lock);
	pthread_join(l->thread, NULL);
	listener_free(l);
}

void vlt__listener_stats(vlt_listener_t *l, vlt_listener_stats_t *out)
{
	pthread_mutex_lock(&l->lock);
	*out = l->stats;
	pthread_mutex_unlock(&l->lock);
}
