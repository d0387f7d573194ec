#!/usr/bin/python3
"""valetd's POST /scheduler/nova/external with the requests a real
nova-scheduler builds: the cloud runs with --capture-scheduler, so that
scheduler_capture.CaptureFilter writes down the RequestSpec primitive and
the hosts of every request; the test boots servers through Nova, takes
what was recorded for each, sends it to valetd (with the nova source on
the same cloud) as SAP's Nova fork sends it, and checks the answers:

- a server no stack planned gets an ad-hoc plan: one host, one Nova
  offered, and its placement reserved there with its uuid;
- two members of an anti-affinity server group get different hosts,
  and a third, offered only the hosts the first two hold, gets none;
- a server of a planned stack, found by the Heat hints it was booted
  with (heat_root_stack_id, heat_path_in_stack, heat_resource_name), is
  answered its planned host;
- asking again gives the same answer and writes nothing;
- a live migration Nova makes is answered a host other than the one
  valetd had answered for the boot, among those Nova offers.

Usage: external_scheduler_test.py VALETD CLOUD_JSON
"""
import json
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osapi  # noqa: E402
import valetd_cloud_test  # noqa: E402
from nova_source_test import nova_conf  # noqa: E402

CLOUD = None
CAPTURES = None
BOOT_TIMEOUT = 180
FLAVOR = 'm1.tiny'
SG_VERSION = {'OpenStack-API-Version': 'compute 2.64'}


def fork_body(recording, live=False):
    """The body SAP's Nova fork posts, from what the capture filter wrote:
    its flags come from the _nova_check_type hint as the fork reads them."""
    hints = recording['spec']['nova_object.data'].get('scheduler_hints') or {}
    check = (hints.get('_nova_check_type') or [None])[0]
    return {
        'spec': recording['spec'],
        'rebuild': check == 'rebuild',
        'resize': check == 'resize',
        'live': live or check == 'live_migrate',
        'vmware': False,
        'hosts': recording['hosts'],
        'weights': {h['host']: 1.0 for h in recording['hosts']},
    }


def only(recording, host):
    """The recording with Nova's hosts cut to one: what the fork would
    have sent had the other filters left only that host."""
    return dict(recording, hosts=[h for h in recording['hosts']
                                  if h['host'] == host])


def recording_of(server_id, n=1, timeout=BOOT_TIMEOUT):
    path = os.path.join(CAPTURES, '%s-%d.json' % (server_id, n))
    osapi.wait_for('the recording %s' % path, lambda: os.path.exists(path),
                   timeout, interval=0.5)
    with open(path, encoding='utf-8') as f:
        return json.load(f)


class ExternalScheduler(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.admin = osapi.Session(CLOUD, 'admin')
        flavors = cls.admin.get('compute', '/flavors/detail')['flavors']
        cls.flavor = next(f['id'] for f in flavors if f['name'] == FLAVOR)
        cls.valetd = valetd_cloud_test.Valetd(nova_conf(CLOUD))
        cls.servers = []
        cls.groups = []

    @classmethod
    def tearDownClass(cls):
        for sid in cls.servers:
            osapi.delete_server(cls.admin, sid)
        for gid in cls.groups:
            cls.admin.delete('compute', '/os-server-groups/%s' % gid)
        cls.valetd.stop()

    def boot(self, name, hints=None):
        body = {'server': {'name': name, 'imageRef': CLOUD['image']['id'],
                           'flavorRef': self.flavor, 'networks': 'none'}}
        if hints:
            body['os:scheduler_hints'] = hints
        sid = self.admin.post('compute', '/servers', body,
                              headers={'OpenStack-API-Version':
                                       'compute 2.74'})['server']['id']
        self.servers.append(sid)
        return sid

    def server_group(self, policy):
        sg = self.admin.post('compute', '/os-server-groups', {'server_group': {
            'name': 'ext-' + uuid.uuid4().hex[:8], 'policy': policy}},
            headers=SG_VERSION)['server_group']
        self.groups.append(sg['id'])
        return sg['id']

    def ask(self, body):
        status, doc = self.valetd.call('POST', '/scheduler/nova/external',
                                       body)
        self.assertEqual(status, 200, doc)
        self.assertEqual(list(doc), ['hosts'], doc)  # the fork's schema
        offered = [h['host'] for h in body['hosts']]
        for host in doc['hosts']:
            self.assertIn(host, offered, 'answered a host Nova did not offer')
        return doc['hosts']

    def reserved_on(self, server_id):
        status, doc = self.valetd.call(
            'GET', '/v1/placements?resource_id=%s' % server_id)
        self.assertEqual(status, 200, doc)
        self.assertEqual(len(doc['placements']), 1, doc)
        p = doc['placements'][0]
        self.assertTrue(p['reserved'], p)
        return p['location']

    def journal(self):
        status, doc = self.valetd.call('GET', '/v1/status')
        return doc['status']['store']['journal_entries']

    def test_adhoc_and_server_group(self):
        group = self.server_group('anti-affinity')
        chosen = []
        for i in range(2):
            sid = self.boot('ext-anti-%d' % i, {'group': group})
            rec = recording_of(sid)
            self.assertEqual(
                rec['spec']['nova_object.data']['instance_group']
                ['nova_object.data']['uuid'], group)
            hosts = self.ask(fork_body(rec))
            self.assertEqual(len(hosts), 1, hosts)
            self.assertEqual(self.reserved_on(sid), hosts[0])
            chosen.append(hosts[0])
            # the same request again: the same answer, nothing written
            entries = self.journal()
            self.assertEqual(self.ask(fork_body(rec)), hosts)
            self.assertEqual(self.journal(), entries)
        self.assertNotEqual(chosen[0], chosen[1])

        # a third member offered only the hosts the first two hold
        third = dict(rec, hosts=[h for h in rec['hosts']
                                 if h['host'] in chosen])
        spec = json.loads(json.dumps(third['spec']))
        spec['nova_object.data']['instance_uuid'] = str(uuid.uuid4())
        third['spec'] = spec
        self.assertEqual(self.ask(fork_body(third)), [])

    def wait_active(self, sid, away_from=None):
        def active():
            server = self.admin.get('compute', '/servers/%s' % sid)['server']
            if server['status'] == 'ERROR':
                raise AssertionError('server %s went to ERROR: %s'
                                     % (sid, server.get('fault')))
            host = server['OS-EXT-SRV-ATTR:host']
            return server['status'] == 'ACTIVE' and host != away_from
        osapi.wait_for('server %s ACTIVE' % sid, active, BOOT_TIMEOUT,
                       interval=0.5)
        return self.admin.get('compute',
                              '/servers/%s' % sid)['server'][
                                  'OS-EXT-SRV-ATTR:host']

    def test_live_migration(self):
        sid = self.boot('ext-live')
        host = self.wait_active(sid)
        # as if Nova had followed valetd: the boot's request answered
        # with the host Nova built on
        self.assertEqual(self.ask(fork_body(only(recording_of(sid), host))),
                         [host])
        status = self.admin.call(
            'POST', 'compute', '/servers/%s/action' % sid,
            body={'os-migrateLive': {'host': None, 'block_migration': 'auto'}},
            headers={'OpenStack-API-Version': 'compute 2.30'}).status
        self.assertEqual(status, 202)
        rec = recording_of(sid, 2)
        offered = [h['host'] for h in rec['hosts']]
        self.assertNotIn(host, offered)  # Nova leaves the source out
        # the fork marks it live (its _nova_check_type); Zed's Nova does not
        hosts = self.ask(fork_body(rec, live=True))
        self.assertEqual(len(hosts), 1, hosts)
        self.assertNotEqual(hosts[0], host)
        self.assertEqual(self.reserved_on(sid), hosts[0])
        self.wait_active(sid, away_from=host)

    def test_planned_heat_server(self):
        root = str(uuid.uuid4())
        orch = '%s/web/0/vm' % root
        plan = {'plan_name': 'ext-shop', 'stack_id': root, 'resources': {
            orch: {'name': 'vm', 'type': 'OS::Nova::Server',
                   'properties': {'flavor': FLAVOR}}}}
        status, doc = self.valetd.call('POST', '/v1/plans', plan)
        self.assertEqual(status, 201, doc)
        planned = doc['plan']['placements'][orch]['location']
        sid = self.boot('ext-vm', {
            'heat_root_stack_id': root,
            'heat_stack_id': str(uuid.uuid4()),
            'heat_stack_name': 'ext-shop-web-abc-0-def',
            'heat_path_in_stack': ['ext-shop', 'web,ext-shop-web-abc',
                                   '0,ext-shop-web-abc-0-def'],
            'heat_resource_name': 'vm',
            'heat_resource_uuid': str(uuid.uuid4())})
        rec = recording_of(sid)
        offered = [h['host'] for h in rec['hosts']]
        hosts = self.ask(fork_body(rec))
        if planned in offered:
            self.assertEqual(hosts, [planned])
        else:  # Nova's filters left it out: placed again among the others
            self.assertEqual(len(hosts), 1)
        self.assertEqual(self.reserved_on(sid), hosts[0])
        status, doc = self.valetd.call('GET', '/v1/plans/%s' % root)
        self.assertEqual(doc['plan']['placements'][orch]['location'],
                         hosts[0])


def main():
    global CLOUD, CAPTURES
    valetd_cloud_test.VALETD, cloud_json = sys.argv[1], sys.argv[2]
    if os.environ.get('VLT_TEST_OPENSTACK') == '0':
        print('SKIP: VLT_TEST_OPENSTACK=0: no OpenStack cloud')
        return 77
    CLOUD = osapi.load_cloud(cloud_json)
    CAPTURES = os.path.join(os.path.dirname(os.path.abspath(cloud_json)),
                            'var', 'scheduler-capture')
    if not os.path.isdir(CAPTURES):
        print('SKIP: %s is missing: the cloud was not started with '
              'cloud.py up --capture-scheduler' % CAPTURES)
        return 77
    prog = unittest.main(argv=[sys.argv[0], '-v'], exit=False)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == '__main__':
    started = time.monotonic()
    code = main()
    print('external_scheduler_test: %.1f s' % (time.monotonic() - started))
    sys.exit(code)
