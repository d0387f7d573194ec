#!/usr/bin/python3
"""valetd on the test cloud, with the nova, cinder and network sources:
it plans a stack onto the hosts and pools the cloud reports; a server it
planned, reserved and that Nova then claimed in Placement counts once (by
its hold) after valetd reads the sources again (SIGHUP); a server on a host
whose compute service is disabled is reported and migrates elsewhere; a
server deleted in Nova releases its placement and its plan; when
the cloud's APIs fail, valetd goes on with what it read, refuses planning
past service.max_stale_s with 503, and recovers; a token refused with 401
is replaced once and the reading goes on.

Usage: valetd_cloud_test.py VALETD CLOUD_JSON
"""
import http.server
import json
import os
import re
import signal
import threading
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osapi  # noqa: E402
from nova_source_test import nova_conf  # noqa: E402

VALETD = None
CLOUD = None
BOOT_TIMEOUT = 180
FLAVOR = 'm1.medium'
CLASSES = ('VCPU', 'MEMORY_MB', 'DISK_GB')


class Valetd:
    """valetd on a folder of its own, listening on a free loopback port."""

    def __init__(self, conf_text):
        self.dir = tempfile.mkdtemp(prefix='valetd-cloud-')
        conf = os.path.join(self.dir, 'valet.conf')
        with open(conf, 'w', encoding='utf-8') as f:
            f.write(conf_text)
        self.log = os.path.join(self.dir, 'valetd.err')
        with open(self.log, 'w', encoding='utf-8') as err:
            self.proc = subprocess.Popen(
                [VALETD, '--config', conf, '--listen', '127.0.0.1:0',
                 '--data-dir', os.path.join(self.dir, 'data')],
                stdout=subprocess.DEVNULL, stderr=err)
        self.base = 'http://127.0.0.1:%d' % self.wait_port()

    def wait_port(self, timeout=60):
        tag = 'listening on 127.0.0.1:'
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with open(self.log, encoding='utf-8') as f:
                text = f.read()
            if tag in text:
                return int(text.split(tag, 1)[1].split()[0])
            if self.proc.poll() is not None:
                raise AssertionError('valetd exited %s: %s'
                                     % (self.proc.returncode, text))
            time.sleep(0.2)
        raise AssertionError('valetd did not listen in %d s' % timeout)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return resp.status, json.loads(resp.read() or b'null')
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b'null')

    def sources(self):
        status, doc = self.call('GET', '/v1/status')
        assert status == 200, doc
        return doc['status']['sources']

    def refresh(self):
        """SIGHUP, and wait until valetd has read the sources again."""
        before = self.sources()['refreshes']
        self.proc.send_signal(signal.SIGHUP)
        osapi.wait_for('valetd reads the sources',
                       lambda: self.sources()['refreshes'] > before,
                       60, interval=0.2)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


class Outage:
    """A reverse proxy in front of the cloud that can fail on demand, or
    refuse a token as if Keystone had revoked it.

    Keystone is reached through it, and the catalog of every token it hands
    out points at it too (http://127.0.0.1:P/... becomes
    http://127.0.0.1:PROXY/_P/...), so every request of a client goes
    through it. While down, it answers every request 503.
    """

    def __init__(self):
        outage = self
        self.down = False
        self.revoke = 0  # answer this many requests bearing a token 401
        self.logins = 0  # token requests seen

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_any(self):
                if self.path.rstrip('/').endswith('/auth/tokens'):
                    outage.logins += 1
                elif outage.revoke > 0 and self.headers.get('X-Auth-Token'):
                    outage.revoke -= 1
                    self.send_response(401)
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                    return
                if outage.down:
                    self.send_response(503)
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                    return
                outage.forward(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_any

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url_of(self, real):
        """The proxy's URL for a real loopback URL."""
        return re.sub(r'http://127\.0\.0\.1:(\d+)',
                      lambda m: 'http://127.0.0.1:%d/_%s' % (self.port, m.group(1)),
                      real)

    def forward(self, h):
        m = re.match(r'/_(\d+)(/.*)?$', h.path)
        target = 'http://127.0.0.1:%s%s' % (m.group(1), m.group(2) or '/')
        length = int(h.headers.get('Content-Length') or 0)
        body = h.rfile.read(length) if length else None
        headers = {k: v for k, v in h.headers.items()
                   if k.lower() not in ('host', 'content-length', 'connection')}
        req = urllib.request.Request(target, data=body, method=h.command,
                                     headers=headers)
        try:
            resp = urllib.request.urlopen(req, timeout=60)
        except urllib.error.HTTPError as err:
            resp = err
        data = resp.read()
        if h.path.rstrip('/').endswith('/auth/tokens') and h.command == 'POST':
            data = self.url_of(data.decode()).encode()
        h.send_response(resp.status)
        for k, v in resp.headers.items():
            if k.lower() not in ('content-length', 'connection',
                                 'transfer-encoding'):
                h.send_header(k, v)
        h.send_header('Content-Length', str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def close(self):
        self.server.shutdown()


def stack(stack_id, n, flavor=FLAVOR):
    resources = {'%s-%d' % (stack_id, i): {
        'name': '%s-%d' % (stack_id, i), 'type': 'OS::Nova::Server',
        'properties': {'flavor': flavor}} for i in range(n)}
    return {'plan_name': stack_id, 'stack_id': stack_id, 'resources': resources}


class ValetdOnTheCloud(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cloud = osapi.load_cloud(CLOUD)
        cls.admin = osapi.Session(cls.cloud)
        flavors = cls.admin.get('compute', '/flavors/detail')['flavors']
        cls.flavor = {f['name']: f for f in flavors}[FLAVOR]
        cls.valetd = Valetd(nova_conf(cls.cloud,
                                      sources=('nova', 'cinder', 'network')))

    @classmethod
    def tearDownClass(cls):
        cls.valetd.stop()

    def free_slots(self):
        """How many FLAVOR servers the hosts take now, by Placement's count."""
        need = {'VCPU': self.flavor['vcpus'], 'MEMORY_MB': self.flavor['ram'],
                'DISK_GB': self.flavor['disk']}
        total = 0
        for hyp in self.admin.get('compute',
                                  '/os-hypervisors/detail')['hypervisors']:
            rp = hyp['id']
            inv = self.admin.get('placement', '/resource_providers/%s/'
                                 'inventories' % rp)['inventories']
            use = self.admin.get('placement', '/resource_providers/%s/'
                                 'usages' % rp)['usages']
            total += min(
                (int((inv[c]['total'] - inv[c]['reserved'])
                     * inv[c]['allocation_ratio']) - use.get(c, 0)) // need[c]
                for c in CLASSES)
        return total

    def test_plans_onto_the_cloud(self):
        sources = self.valetd.sources()
        self.assertEqual(sources['type'], 'ok')
        self.assertEqual(sources['hosts'], len(self.cloud['compute_hosts']))
        self.assertEqual(sources['pools'], len(self.cloud['volume_pools']))
        status, doc = self.valetd.call('POST', '/v1/plans', stack('onto', 3))
        self.assertEqual(status, 201, doc)
        hosts = {h['name'] for h in self.cloud['compute_hosts']}
        for placed in doc['plan']['placements'].values():
            self.assertIn(placed['location'], hosts)
        self.assertEqual(self.valetd.call('DELETE', '/v1/plans/onto')[0], 204)

    def boot_on(self, host):
        sid = osapi.boot_server(self.admin, self.cloud, self.flavor['id'], host,
                                'claimed', BOOT_TIMEOUT)
        self.addCleanup(osapi.delete_server, self.admin, sid)
        return sid

    def sighup_and_wait(self):
        self.valetd.refresh()

    def test_status_gives_the_last_refresh_timings(self):
        self.sighup_and_wait()
        sources = self.valetd.sources()
        for key in ('read_ms', 'swap_ms'):
            self.assertIsInstance(sources[key], (int, float), (key, sources))
            self.assertGreaterEqual(sources[key], 0, key)

    def test_a_claimed_server_counts_once(self):
        status, doc = self.valetd.call('POST', '/v1/plans', stack('mine', 1))
        self.assertEqual(status, 201, doc)
        self.addCleanup(self.valetd.call, 'DELETE', '/v1/plans/mine')
        host = doc['plan']['placements']['mine-0']['location']

        # what Nova does: build it there, and tell Valet which instance it is
        sid = self.boot_on(host)
        status, doc = self.valetd.call('POST', '/v1/placements/mine-0', {
            'locations': [host], 'resource_id': sid})
        self.assertEqual(status, 201, doc)
        self.assertTrue(doc['placement']['reserved'])

        # Placement now holds the claim; valetd holds the plan: once, not twice
        self.sighup_and_wait()
        self.assertEqual(self.valetd.sources()['consumers_held_by_valet'], 1)
        slots = self.free_slots()
        self.assertGreater(slots, 0)
        status, doc = self.valetd.call('POST', '/v1/plans',
                                       stack('rest', slots + 1))
        self.assertEqual(status, 409, doc)
        status, doc = self.valetd.call('POST', '/v1/plans', stack('rest', slots))
        self.assertEqual(status, 201, doc)
        self.assertEqual(self.valetd.call('DELETE', '/v1/plans/rest')[0], 204)

    def test_a_server_deleted_in_nova_is_released(self):
        status, doc = self.valetd.call('POST', '/v1/plans', stack('gone', 1))
        self.assertEqual(status, 201, doc)
        host = doc['plan']['placements']['gone-0']['location']
        sid = self.boot_on(host)
        status, doc = self.valetd.call('POST', '/v1/placements/gone-0', {
            'locations': [host], 'resource_id': sid})
        self.assertEqual(status, 201, doc)
        self.sighup_and_wait()
        self.assertEqual(self.valetd.call('GET', '/v1/plans/gone')[0], 200)

        osapi.delete_server(self.admin, sid)

        def deleted():
            try:
                self.admin.get('compute', '/servers/%s' % sid)
            except osapi.ApiError as err:
                return err.status == 404
            return False

        osapi.wait_for('server %s deleted' % sid, deleted, BOOT_TIMEOUT,
                       interval=1)
        self.sighup_and_wait()
        self.assertEqual(self.valetd.call('GET', '/v1/placements/gone-0')[0], 404)
        self.assertEqual(self.valetd.call('GET', '/v1/plans/gone')[0], 404)

    def test_a_disabled_host_is_reported_and_its_server_migrates(self):
        status, doc = self.valetd.call('POST', '/v1/plans', stack('moving', 1))
        self.assertEqual(status, 201, doc)
        self.addCleanup(self.valetd.call, 'DELETE', '/v1/plans/moving')
        host = doc['plan']['placements']['moving-0']['location']
        svc = [c for c in self.admin.get(
            'compute', '/os-services?binary=nova-compute')['services']
            if c['host'] == host][0]
        self.admin.put('compute', '/os-services/%s' % svc['id'],
                       {'status': 'disabled', 'disabled_reason': 'valet test'})
        self.addCleanup(self.sighup_and_wait)
        self.addCleanup(self.admin.put, 'compute', '/os-services/%s' % svc['id'],
                        {'status': 'enabled'})
        self.sighup_and_wait()
        status, doc = self.valetd.call('GET', '/v1/resources')
        why = doc['resources'].get('moving-0')
        self.assertIsNotNone(why, doc)
        self.assertEqual(why['status'], 'warning')
        self.assertIn(host, why['message'])
        self.assertEqual(self.valetd.sources()['units_on_disabled_hosts'], 1)
        # migrate places it on an enabled host
        status, doc = self.valetd.call('PUT', '/v1/plans/moving', {
            'action': 'migrate', 'resources': ['moving-0']})
        self.assertEqual(status, 201, doc)  # docs/api.md: PUT answers 201
        moved = doc['plan']['placements']['moving-0']['location']
        self.assertNotEqual(moved, host)
        status, doc = self.valetd.call('GET', '/v1/resources')
        self.assertNotIn('moving-0', doc['resources'])


class SourcesOutage(unittest.TestCase):
    """The cloud's APIs fail: valetd plans on what it read last, says so,
    refuses planning past service.max_stale_s, and recovers."""

    def test_an_outage_degrades_then_recovers(self):
        cloud = osapi.load_cloud(CLOUD)
        outage = Outage()
        self.addCleanup(outage.close)
        conf = nova_conf(cloud, auth_url=outage.url_of(cloud['auth_url']),
                         sources=('nova',))
        conf += 'service: {\n  max_stale_s = 2;\n};\n'
        valetd = Valetd(conf)
        self.addCleanup(valetd.stop)

        def sighup(key):
            before = valetd.sources()[key]
            valetd.proc.send_signal(signal.SIGHUP)
            osapi.wait_for('a reading of the sources',
                           lambda: valetd.sources()[key] > before, 60,
                           interval=0.2)

        outage.down = True
        sighup('failures')
        sources = valetd.sources()
        self.assertEqual(sources['type'], 'degraded')
        self.assertIn('503', sources['error'])
        status, doc = valetd.call('POST', '/v1/plans', stack('during', 1))
        self.assertEqual(status, 201, doc)  # within max_stale_s
        time.sleep(2.5)
        status, doc = valetd.call('POST', '/v1/plans', stack('later', 1))
        self.assertEqual(status, 503, doc)
        self.assertIn('max_stale_s', doc['explanation'])
        self.assertEqual(valetd.sources()['type'], 'stale')
        # what is held stays held and can be read and deleted
        self.assertEqual(valetd.call('GET', '/v1/plans/during')[0], 200)
        self.assertEqual(valetd.call('DELETE', '/v1/plans/during')[0], 204)

        outage.down = False
        sighup('refreshes')
        self.assertEqual(valetd.sources()['type'], 'ok')

        # a token refused (revoked, say): one new token, the reading goes on
        logins, failures = outage.logins, valetd.sources()['failures']
        outage.revoke = 1
        sighup('refreshes')
        self.assertEqual(outage.revoke, 0)
        self.assertEqual(outage.logins, logins + 1)
        self.assertEqual(valetd.sources()['failures'], failures)
        self.assertEqual(valetd.sources()['type'], 'ok')
        status, doc = valetd.call('POST', '/v1/plans', stack('later', 1))
        self.assertEqual(status, 201, doc)
        self.assertEqual(valetd.call('DELETE', '/v1/plans/later')[0], 204)


if __name__ == '__main__':
    VALETD, CLOUD = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0], '-v'])
