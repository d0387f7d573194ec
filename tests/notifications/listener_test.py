#!/usr/bin/python3
"""valetd's notifications listener against a real RabbitMQ (Debian's
rabbitmq-server, started by the test on loopback) and Nova's own
publisher, oslo.messaging's Notifier with the messagingv2 driver on the
topic versioned_notifications of exchange nova, as Nova sends them.
Polling is off (service.refresh_s = 0): only the notifications can change
what valetd shows. A deleted server's placement is released and a live
migration moves it, each within a second; a notification sent while
valetd is down waits in its durable queue and is applied once it is back;
valetd connects again after the broker restarts; a message that is not a
notification is rejected, counted and changes nothing. Two valetd on one
store: only the holder of the periodic work's lease consumes the queue,
and when it stops the other takes the lease and the queue over.

Arguments: the test inventory (eight hosts qos101 to qos108 of 4 vCPUs);
$VALETD is the valetd binary (CTest sets it). Exits 77 (skipped) without
rabbitmq-server or oslo.messaging.
"""
import json
import os
import shutil
import sys
import tempfile
import time
import unittest
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "helpers"))
sys.path.insert(0, str(HERE.parent.parent / "plugins" / "openstack"))
import rabbitmq  # noqa: E402
from tests.valetd import Valetd  # noqa: E402  (the package's helper)

try:
    import kombu
    import oslo_messaging
    from oslo_config import cfg
except ImportError:
    oslo_messaging = None

INVENTORY = None
BROKER = None
QUEUE = "valet.versioned_notifications"
APPLIED_WITHIN_S = 1.0


def conf_text(broker):
    return ("service: { refresh_s = 0; hold_ttl_s = 0; };\n"
            "notifications: { enabled = true; url = \"%s\"; };\n" % broker.url)


def api(daemon, method, path, body=None):
    """valetd's answer: (status, document or None)."""
    return daemon.request(method, path, body, timeout=30)


def notifications(daemon):
    return api(daemon, "GET", "/v1/status")[1]["status"]["notifications"]


def wait_until(what, check, timeout):
    """check() until it is true; the seconds it took, or AssertionError."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.01)
    raise AssertionError("%s: not within %.1f s" % (what, timeout))


class NovaNotifier:
    """What Nova's versioned notifier is: oslo.messaging's Notifier on the
    control exchange nova, driver messagingv2, topic versioned_notifications,
    payloads as nova_object primitives."""

    def __init__(self, broker):
        conf = cfg.ConfigOpts()
        conf([], project="nova")
        oslo_messaging.set_transport_defaults("nova")
        self.transport = oslo_messaging.get_notification_transport(
            conf, url=broker.transport_url)
        self.notifier = oslo_messaging.Notifier(
            self.transport, publisher_id="nova-compute:qos101",
            driver="messagingv2", topics=["versioned_notifications"])

    def send(self, event_type, instance, host):
        payload = {
            "nova_object.name": "InstanceActionPayload",
            "nova_object.namespace": "nova",
            "nova_object.version": "1.8",
            "nova_object.data": {"uuid": instance, "host": host,
                                 "node": host, "state": "active",
                                 "task_state": None},
        }
        self.notifier.info({}, event_type, payload)

    def close(self):
        self.transport.cleanup()


def send_raw(broker, body):
    """A message on Nova's routing key that is not a notification."""
    with kombu.Connection(broker.url) as conn:
        exchange = kombu.Exchange("nova", "topic", durable=False)
        conn.Producer().publish(body, exchange=exchange,
                                routing_key="versioned_notifications.info",
                                content_type="application/json")


class Listener(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Valetd(inventory=INVENTORY, conf_text=conf_text(BROKER))
        wait_until("valetd consuming",
                   lambda: notifications(cls.daemon)["connected"], 30)
        cls.nova = NovaNotifier(BROKER)

    @classmethod
    def tearDownClass(cls):
        cls.nova.close()
        cls.daemon.close()

    def plan(self, n=2):
        """A plan of n small servers, each reserved by a Nova uuid of its
        own where it was planned: [(orchestration id, uuid, host)]."""
        stack = str(uuid.uuid4())
        servers = [str(uuid.uuid4()) for _ in range(n)]
        body = {"plan_name": "web", "stack_id": stack,
                "resources": {s: {"name": "web-%d" % i,
                                  "type": "OS::Nova::Server",
                                  "properties": {"flavor": "m1.small"}}
                              for i, s in enumerate(servers)}}
        status, doc = api(self.daemon, "POST", "/v1/plans", body)
        self.assertEqual(status, 201, doc)
        out = []
        for orch in servers:
            host = self.location(orch)
            instance = str(uuid.uuid4())
            status, doc = api(self.daemon, "POST", "/v1/placements/" + orch,
                              {"locations": [host], "resource_id": instance})
            self.assertEqual(status, 201, doc)
            out.append((orch, instance, host))
        return out

    def location(self, orch):
        status, doc = api(self.daemon, "GET", "/v1/placements/" + orch)
        return doc["placement"]["location"] if status == 200 else None

    def exists(self, orch):
        return api(self.daemon, "GET", "/v1/placements/" + orch)[0] == 200

    def test_a_deleted_server_is_released_within_a_second(self):
        (orch, instance, host), (other, _, _) = self.plan()
        sent = time.monotonic()
        self.nova.send("instance.delete.end", instance, host)
        took = wait_until("placement released", lambda: not self.exists(orch),
                          APPLIED_WITHIN_S)
        print("released %.3f s after the notification was sent" % took)
        self.assertLess(time.monotonic() - sent, APPLIED_WITHIN_S + 0.5)
        self.assertTrue(self.exists(other))

    def test_a_live_migration_moves_the_placement_within_a_second(self):
        (orch, instance, host), = self.plan(1)
        to = next(h for h in ("qos108", "qos107") if h != host)
        self.nova.send("instance.live_migration_post_dest.end", instance, to)
        took = wait_until("placement moved",
                          lambda: self.location(orch) == to, APPLIED_WITHIN_S)
        print("moved %.3f s after the notification was sent" % took)
        # the same fact again changes nothing
        before = notifications(self.daemon)
        self.nova.send("instance.live_migration_post_dest.end", instance, to)
        wait_until("the second one read", lambda: notifications(
            self.daemon)["received"] > before["received"], 5)
        self.assertEqual(self.location(orch), to)

    def test_a_bad_message_is_rejected_and_changes_nothing(self):
        (orch, instance, host), = self.plan(1)
        before = notifications(self.daemon)
        send_raw(BROKER, "not a notification")
        send_raw(BROKER, json.dumps({"oslo.version": "2.0",
                                     "oslo.message": json.dumps({
                                         "event_type": "instance.delete.end",
                                         "timestamp": "2026-12-07 14:00:00",
                                         "payload": {"instance_id": instance}
                                     })}))
        wait_until("both rejected", lambda: notifications(
            self.daemon)["rejected"] == before["rejected"] + 2, 5)
        self.assertEqual(self.location(orch), host)
        with open(self.daemon.log, encoding="utf-8") as f:
            log = f.read()
        self.assertIn("notification: $['oslo.message'].payload"
                      "['nova_object.data']: expected a JSON object", log)
        # the next good one is applied
        self.nova.send("instance.delete.end", instance, host)
        wait_until("released", lambda: not self.exists(orch), APPLIED_WITHIN_S)

    def test_what_is_sent_while_valetd_is_down_waits_in_the_queue(self):
        (orch, instance, host), = self.plan(1)
        self.daemon.stop()
        try:
            self.nova.send("instance.delete.end", instance, host)
        finally:
            self.daemon.start()
        wait_until("released after the restart",
                   lambda: not self.exists(orch), 10)

    def test_valetd_connects_again_after_the_broker_restarts(self):
        (orch, instance, host), = self.plan(1)
        connects = notifications(self.daemon)["connects"]
        BROKER.stop()
        wait_until("valetd sees the broker gone",
                   lambda: not notifications(self.daemon)["connected"], 30)
        BROKER.start()
        wait_until("valetd connected again",
                   lambda: notifications(self.daemon)["connects"] > connects,
                   60)
        self.nova.close()
        type(self).nova = NovaNotifier(BROKER)
        self.nova.send("instance.delete.end", instance, host)
        wait_until("released after the reconnect",
                   lambda: not self.exists(orch), APPLIED_WITHIN_S)


class TwoValetd(unittest.TestCase):
    """Two valetd sharing one sqlite store and one queue: the lease's holder
    consumes; once it stops (releasing the lease), the other does."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="valet-two-")
        text = ("service: { refresh_s = 0; hold_ttl_s = 0; lease_s = 3; };\n"
                "store: { sqlite: { file = \"%s\"; }; };\n"
                "notifications: { enabled = true; url = \"%s\"; queue = \"%s\"; };\n"
                % (os.path.join(self.dir, "shared.db"), BROKER.url, "valet.two"))
        self.daemons = [Valetd(inventory=INVENTORY, conf_text=text) for _ in range(2)]
        self.nova = NovaNotifier(BROKER)

    def tearDown(self):
        self.nova.close()
        for d in self.daemons:
            d.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def consuming(self):
        return [notifications(d)["connected"] for d in self.daemons]

    def reserved_server(self, daemon):
        """A one-server plan reserved by a new Nova uuid: (orch, uuid, host)."""
        orch, instance = str(uuid.uuid4()), str(uuid.uuid4())
        body = {"plan_name": "two", "stack_id": str(uuid.uuid4()),
                "resources": {orch: {"name": "vm", "type": "OS::Nova::Server",
                                     "properties": {"flavor": "m1.small"}}}}
        status, doc = api(daemon, "POST", "/v1/plans", body)
        self.assertEqual(status, 201, doc)
        host = api(daemon, "GET", "/v1/placements/" + orch)[1]["placement"]["location"]
        status, doc = api(daemon, "POST", "/v1/placements/" + orch,
                          {"locations": [host], "resource_id": instance})
        self.assertEqual(status, 201, doc)
        return orch, instance, host

    def released_everywhere(self, orch):
        return all(api(d, "GET", "/v1/placements/" + orch)[0] == 404
                   for d in self.daemons if d.proc.poll() is None)

    def test_only_the_lease_holder_consumes_and_the_other_takes_over(self):
        wait_until("one of the two consuming", lambda: any(self.consuming()), 30)
        time.sleep(1.5)  # half a lease: the other must still not consume
        consuming = self.consuming()
        self.assertEqual(consuming.count(True), 1, consuming)
        holder = self.daemons[consuming.index(True)]
        other = self.daemons[consuming.index(False)]
        orch, instance, host = self.reserved_server(other)
        self.nova.send("instance.delete.end", instance, host)
        wait_until("released, seen by both", lambda: self.released_everywhere(orch), 5)
        self.assertEqual(notifications(holder)["applied"], 1)
        self.assertEqual(notifications(other)["received"], 0)
        # the holder stops (and releases the lease): the other takes the queue over
        holder.stop()
        wait_until("the other consuming", lambda: notifications(other)["connected"], 30)
        orch, instance, host = self.reserved_server(other)
        self.nova.send("instance.delete.end", instance, host)
        wait_until("released by the new holder", lambda: self.released_everywhere(orch),
                   5)
        self.assertEqual(notifications(other)["applied"], 1)


def main():
    global INVENTORY, BROKER
    if oslo_messaging is None or not rabbitmq.available():
        print("skipped: needs rabbitmq-server and python3-oslo.messaging")
        return 77
    INVENTORY = sys.argv[1]
    BROKER = rabbitmq.Broker()
    try:
        result = unittest.main(argv=[sys.argv[0]], exit=False, verbosity=2)
    finally:
        BROKER.close()
    return 0 if result.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
