/*
 * test_listener.c - the notifications listener in-process, on the real
 * service (sqlite, the test inventory) and a real broker that
 * with_broker.py starts ($VALET_TEST_AMQP_URL): the may_consume hook
 * pauses it (the connection closed, messages left in the durable queue)
 * and resuming applies what waited; a broker that is not there is tried
 * again with backoff and a stop ends the listener at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <cmocka.h>

#include "clock.h"
#include "listener.h"
#include "service_fixture.h"

#define T0 946684800000
#define NOVA_T0 1796652000000000LL

static const char *amqp_url(void)
{
	const char *url = getenv("VALET_TEST_AMQP_URL");

	if (url == NULL)
		fail_msg("VALET_TEST_AMQP_URL is not set: run through with_broker.py");
	return url;
}

static atomic_bool may;

static bool may_consume(void *arg)
{
	(void)arg;
	return atomic_load(&may);
}

/* Publish body on exchange nova, routing key versioned_notifications.info, as oslo does. */
static void publish(const char *body)
{
	char *url = strdup(amqp_url());
	struct amqp_connection_info ci;
	amqp_connection_state_t c = amqp_new_connection();
	amqp_socket_t *sock = amqp_tcp_socket_new(c);

	assert_int_equal(amqp_parse_url(url, &ci), AMQP_STATUS_OK);
	assert_int_equal(amqp_socket_open(sock, ci.host, ci.port), AMQP_STATUS_OK);
	assert_int_equal(amqp_login(c, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, ci.user,
				    ci.password)
				 .reply_type,
			 AMQP_RESPONSE_NORMAL);
	amqp_channel_open(c, 1);
	assert_int_equal(amqp_get_rpc_reply(c).reply_type, AMQP_RESPONSE_NORMAL);
	amqp_basic_properties_t props = { ._flags = AMQP_BASIC_CONTENT_TYPE_FLAG,
					  .content_type = amqp_cstring_bytes("application/json") };
	assert_int_equal(amqp_basic_publish(c, 1, amqp_cstring_bytes("nova"),
					    amqp_cstring_bytes("versioned_notifications.info"), 0, 0,
					    &props, amqp_cstring_bytes(body)),
			 AMQP_STATUS_OK);
	amqp_channel_close(c, 1, AMQP_REPLY_SUCCESS);
	amqp_connection_close(c, AMQP_REPLY_SUCCESS);
	amqp_destroy_connection(c);
	free(url);
}

static vlt_listener_stats_t stats_of(vlt_listener_t *l)
{
	vlt_listener_stats_t st;

	vlt__listener_stats(l, &st);
	return st;
}

/* Wait up to ms for ok(arg); RET whether it came true. */
static bool wait_for(bool (*ok)(void *), void *arg, double ms)
{
	double end = vlt__clock_mono_ms() + ms;

	while (vlt__clock_mono_ms() < end) {
		if (ok(arg))
			return true;
		struct timespec ts = { .tv_nsec = 10 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return false;
}

static bool connected(void *l)
{
	return stats_of(l).connected;
}

static bool disconnected(void *l)
{
	return !stats_of(l).connected;
}

/* Counted once the message is acknowledged, a moment after the state changed. */
static bool acknowledged_one(void *l)
{
	vlt_listener_stats_t st = stats_of(l);

	return st.applied + st.unchanged + st.rejected + st.failed >= 1;
}

static bool s0_released(void *f)
{
	return !svc_fixture_placement_exists(f, "s0");
}

static void test_a_paused_listener_leaves_the_queue_and_resumes(void **state)
{
	(void)state;
	svc_world_t *w = svc_world_open(0, T0);
	vlt_listener_t *l = NULL;
	vlt_err_t err = { 0 };
	vlt_listener_opts_t o = { .url = amqp_url(),
				  .exchange = "nova",
				  .topic = "versioned_notifications",
				  .queue = "valet.test_listener",
				  .may_consume = may_consume,
				  .backoff_min_ms = 50,
				  .backoff_max_ms = 200 };

	svc_fixture_create_reserved(&w->f, "stack", "s", 2, "m1.small");
	atomic_store(&may, true);
	assert_int_equal(vlt__listener_start(&l, w->f.svc, &o, &err), 0);
	assert_true(wait_for(connected, l, 30000)); /* the exchange and queue exist now */

	atomic_store(&may, false);
	assert_true(wait_for(disconnected, l, 5000));
	char *body = svc_fixture_nova_body("instance.delete.end", "s-uuid-0", "qos101", NOVA_T0);
	publish(body);
	free(body);
	assert_false(wait_for(s0_released, &w->f, 1000)); /* waits in the queue */
	assert_int_equal(stats_of(l).received, 0);

	atomic_store(&may, true);
	assert_true(wait_for(s0_released, &w->f, 5000));
	assert_true(wait_for(acknowledged_one, l, 5000));
	assert_true(svc_fixture_placement_exists(&w->f, "s1"));
	vlt_listener_stats_t st = stats_of(l);
	assert_int_equal(st.received, 1);
	assert_int_equal(st.applied, 1);
	assert_int_equal(st.connects, 2);
	vlt__listener_stop(l);
	svc_world_close(w);
}

static void test_no_broker_is_tried_again_and_a_stop_is_prompt(void **state)
{
	(void)state;
	svc_world_t *w = svc_world_open(0, T0);
	vlt_listener_t *l = NULL;
	vlt_err_t err = { 0 };
	/* port 1: nothing listens, the connection is refused at once */
	vlt_listener_opts_t o = { .url = "amqp://guest:guest@127.0.0.1:1/",
				  .exchange = "nova",
				  .topic = "versioned_notifications",
				  .queue = "valet.test_listener",
				  .backoff_min_ms = 20,
				  .backoff_max_ms = 60000 };

	assert_int_equal(vlt__listener_start(&l, w->f.svc, &o, &err), 0);
	struct timespec ts = { .tv_nsec = 300 * 1000000L };
	nanosleep(&ts, NULL); /* several tries, the wait growing towards a minute */
	assert_false(stats_of(l).connected);
	assert_int_equal(stats_of(l).connects, 0);
	double t0 = vlt__clock_mono_ms();
	vlt__listener_stop(l);
	assert_true(vlt__clock_mono_ms() - t0 < 10000); /* not the backoff's minute */
	svc_world_close(w);
}

static void test_a_bad_url_is_refused_at_start(void **state)
{
	(void)state;
	svc_world_t *w = svc_world_open(0, T0);
	vlt_listener_t *l = NULL;
	vlt_err_t err = { 0 };
	vlt_listener_opts_t o = { .url = "amqp://[broken",
				  .exchange = "nova",
				  .topic = "versioned_notifications",
				  .queue = "q" };

	assert_int_equal(vlt__listener_start(&l, w->f.svc, &o, &err), VLT_ECONFIG);
	assert_non_null(strstr(err.msg, "notifications.url: 'amqp://[broken' is not"));
	assert_null(l);
	svc_world_close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_paused_listener_leaves_the_queue_and_resumes),
		cmocka_unit_test(test_no_broker_is_tried_again_and_a_stop_is_prompt),
		cmocka_unit_test(test_a_bad_url_is_refused_at_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
