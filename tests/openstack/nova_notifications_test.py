#!/usr/bin/python3
"""valetd's notifications listener with a real Nova: the test cloud's Nova
sends versioned notifications (driver messagingv2, topic
versioned_notifications, cloud.py) to its RabbitMQ, and valetd, with the
nova source and polling off (service.refresh_s = 0), consumes them. A
server Valet planned and Nova built is live-migrated, then deleted,
through Nova's API: each time valetd's placement follows within a second
of Nova showing it (and stays there once the migration is complete: the
source's own notification, which names the source, moves nothing), and a
reading of the sources afterwards (SIGHUP) finds nothing to correct
(notifications.corrections stays 0).

Usage: nova_notifications_test.py VALETD CLOUD_JSON
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osapi  # noqa: E402
import valetd_cloud_test  # noqa: E402
from nova_source_test import nova_conf  # noqa: E402

BOOT_TIMEOUT = 180
MIGRATE_TIMEOUT = 180
WITHIN_S = 1.0
FLAVOR = 'm1.medium'


def stack(stack_id):
    return {'plan_name': stack_id, 'stack_id': stack_id, 'resources': {
        stack_id + '-0': {'name': stack_id + '-0', 'type': 'OS::Nova::Server',
                          'properties': {'flavor': FLAVOR}}}}


class NovaNotifications(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.admin = osapi.Session(CLOUD, 'admin')
        cls.flavor = next(f for f in cls.admin.get(
            'compute', '/flavors/detail')['flavors'] if f['name'] == FLAVOR)
        conf = nova_conf(CLOUD) + (
            'service: { refresh_s = 0; };\n'
            'notifications: { enabled = true; url = "%s"; };\n'
            % CLOUD['amqp_url'])
        cls.valetd = valetd_cloud_test.Valetd(conf)
        osapi.wait_for('valetd consuming Nova\'s notifications',
                       lambda: cls.notifications()['connected'], 30,
                       interval=0.2)

    @classmethod
    def tearDownClass(cls):
        cls.valetd.stop()

    @classmethod
    def notifications(cls):
        status, doc = cls.valetd.call('GET', '/v1/status')
        assert status == 200, doc
        return doc['status']['notifications']

    def location(self, orch):
        status, doc = self.valetd.call('GET', '/v1/placements/' + orch)
        return doc['placement']['location'] if status == 200 else None

    def nova_host(self, sid):
        """Where Nova says the server is, None once it is gone."""
        try:
            server = self.admin.get('compute', '/servers/%s' % sid)['server']
        except osapi.ApiError as err:
            if err.status == 404:
                return None
            raise
        if server['status'] == 'ERROR':
            raise AssertionError('server %s went to ERROR: %s'
                                 % (sid, server.get('fault')))
        if server['status'] != 'ACTIVE' or server.get('OS-EXT-STS:task_state'):
            return 'busy'
        return server['OS-EXT-SRV-ATTR:host']

    def follows_within(self, what, check):
        took = osapi.wait_for(what, lambda: check() and time.monotonic(),
                              WITHIN_S, interval=0.01) - self.shown
        print('%s: %.3f s after Nova showed it' % (what, took))

    def nova_shows(self, what, check, timeout):
        osapi.wait_for(what, check, timeout, interval=0.1)
        self.shown = time.monotonic()

    def stays_after_the_migration_ends(self, sid, host):
        """The source's own end of the migration (sent after the
        destination's, naming the source) must not move it back."""
        def completed():
            migrations = self.admin.get('compute', '/os-migrations')
            return any(m['instance_uuid'] == sid and
                       m['status'] == 'completed'
                       for m in migrations['migrations'])
        osapi.wait_for('Nova completes the migration', completed,
                       MIGRATE_TIMEOUT, interval=0.1)
        until = time.monotonic() + WITHIN_S
        while time.monotonic() < until:
            self.assertEqual(self.location('followed-0'), host)
            time.sleep(0.05)

    def test_a_migrated_then_deleted_server_is_followed(self):
        status, doc = self.valetd.call('POST', '/v1/plans', stack('followed'))
        self.assertEqual(status, 201, doc)
        self.addCleanup(self.valetd.call, 'DELETE', '/v1/plans/followed')
        host = doc['plan']['placements']['followed-0']['location']
        sid = osapi.boot_server(self.admin, CLOUD, self.flavor['id'], host,
                                'followed', BOOT_TIMEOUT)
        self.addCleanup(osapi.delete_server, self.admin, sid)
        status, doc = self.valetd.call('POST', '/v1/placements/followed-0', {
            'locations': [host], 'resource_id': sid})
        self.assertEqual(status, 201, doc)

        other = next(h['name'] for h in CLOUD['compute_hosts']
                     if h['name'] != host)
        self.admin.post('compute', '/servers/%s/action' % sid, {
            'os-migrateLive': {'host': other, 'block_migration': 'auto'}})
        self.nova_shows('Nova shows the server on %s' % other,
                        lambda: self.nova_host(sid) == other, MIGRATE_TIMEOUT)
        self.follows_within('the placement follows to %s' % other,
                            lambda: self.location('followed-0') == other)
        self.stays_after_the_migration_ends(sid, other)

        osapi.delete_server(self.admin, sid)
        self.nova_shows('Nova shows the server gone',
                        lambda: self.nova_host(sid) is None, BOOT_TIMEOUT)
        self.follows_within('the placement is released',
                            lambda: self.location('followed-0') is None)

        # the periodic check finds nothing the notifications missed
        self.valetd.refresh()
        counts = self.notifications()
        self.assertEqual(counts['corrections'], 0, counts)
        self.assertEqual(counts['rejected'], 0, counts)
        self.assertGreaterEqual(counts['applied'], 2, counts)


CLOUD = None


def main():
    global CLOUD
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    valetd_cloud_test.VALETD = sys.argv[1]
    with open(sys.argv[2], encoding='utf-8') as f:
        CLOUD = json.load(f)
    result = unittest.main(argv=[sys.argv[0]], exit=False, verbosity=2)
    return 0 if result.result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
