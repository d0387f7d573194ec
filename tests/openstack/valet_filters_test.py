#!/usr/bin/python3
"""Nova's and Cinder's ValetFilter (plugins/openstack) in the test cloud:
nova-scheduler and cinder-scheduler restarted with the filters asking a
valetd this test starts (nova and cinder sources, valet_filters.py).

- a server a plan placed, booted with `openstack server create` and the
  hints Heat gives it, lands on the planned host, and Valet records it
  reserved there with its Nova uuid;
- a planned host Nova does not offer (its compute service disabled): the
  server is replanned among the hosts Nova offers;
- a server no plan has gets an ad-hoc plan, listed by GET /v1/plans;
- an anti-affinity server group of two servers (Nova's own server group
  filters left out): two hosts, through a Valet group of the server
  group's;
- a Valet affinity group named by one server's scheduler hint
  valet_groups and by another's metadata: one host;
- a volume a plan placed goes to its planned pool; a volume no plan has
  gets an ad-hoc plan;
- valetd down: with failure_mode = pass Nova schedules the server alone;
  with refuse the server fails with no valid host.

Usage: valet_filters_test.py VALETD CLOUD_JSON
"""
import json
import os
import subprocess
import sys
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.normpath(os.path.join(HERE, '..', '..', 'plugins',
                                        'openstack'))
sys.path.insert(0, HERE)
sys.path.insert(1, PACKAGE)
import osapi  # noqa: E402
import valet_filters  # noqa: E402
from nova_source_test import nova_conf  # noqa: E402

CLOUD = None
FLAVOR = 'm1.tiny'
BOOT_TIMEOUT = 240
VOLUME_TIMEOUT = 120


def server(name, flavor=FLAVOR):
    return {'name': name, 'type': 'OS::Nova::Server',
            'properties': {'flavor': flavor}}


def heat_hints(root, stack_name, name):
    """The scheduler hints Heat gives a resource of a root stack."""
    return {'heat_root_stack_id': root, 'heat_stack_id': root,
            'heat_stack_name': stack_name, 'heat_path_in_stack': [stack_name],
            'heat_resource_name': name,
            'heat_resource_uuid': str(uuid.uuid4())}


class ValetFilters(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        from tests.valetd import Valetd
        from keystoneauth1 import session
        from valet_openstack import client

        cls.cloud = osapi.load_cloud(CLOUD)
        cls.admin = osapi.Session(cls.cloud)
        flavors = cls.admin.get('compute', '/flavors/detail')['flavors']
        cls.flavor = {f['name']: f for f in flavors}[FLAVOR]
        cls.valetd = Valetd(inventory=None, conf_text=nova_conf(
            cls.cloud, sources=('nova', 'cinder')))
        cls.addClassCleanup(cls.valetd.close)
        cls.valet = client.ValetClient(session.Session(),
                                       endpoint_override=cls.valetd.url)
        cls.switch('pass')
        cls.addClassCleanup(valet_filters.switch, cls.cloud['dir'], None)

    @classmethod
    def switch(cls, failure_mode):
        valet_filters.switch(cls.cloud['dir'], cls.valetd.url, failure_mode)

    # -- helpers

    def plan(self, resources):
        root = str(uuid.uuid4())
        body = {'plan_name': 'filters-' + root[:8], 'stack_id': root,
                'resources': {root + '/' + name: res
                              for name, res in resources.items()}}
        plan = self.valet.create_plan(body)['plan']
        self.addCleanup(self.valet.delete_plan, root)
        return root, plan

    def boot(self, name, hints=None, metadata=None):
        body = {'server': {'name': name, 'imageRef': self.cloud['image']['id'],
                           'flavorRef': self.flavor['id'],
                           'networks': 'none'}}
        if hints:
            body['os:scheduler_hints'] = hints
        if metadata:
            body['server']['metadata'] = metadata
        sid = self.admin.post('compute', '/servers', body)['server']['id']
        self.addCleanup(osapi.delete_server, self.admin, sid)
        return sid

    def settled(self, sid):
        """The server once ACTIVE or ERROR."""
        found = {}

        def done():
            found['s'] = self.admin.get('compute', '/servers/%s' % sid)[
                'server']
            return found['s']['status'] in ('ACTIVE', 'ERROR')

        osapi.wait_for('server %s built or failed' % sid, done, BOOT_TIMEOUT,
                       interval=1)
        return found['s']

    def active_host(self, sid):
        s = self.settled(sid)
        self.assertEqual(s['status'], 'ACTIVE', s.get('fault'))
        return s['OS-EXT-SRV-ATTR:host']

    def placement_of(self, orch):
        found = self.valet.list_placements(orchestration_id=orch)
        self.assertEqual(len(found['placements']), 1, found)
        return found['placements'][0]

    def openstack(self, *args):
        """The openstack command, as the admin of the cloud."""
        admin = self.cloud['users']['admin']
        env = dict(os.environ, OS_AUTH_URL=self.cloud['auth_url'],
                   OS_USERNAME=admin['username'],
                   OS_PASSWORD=admin['password'],
                   OS_PROJECT_NAME=admin['project_name'],
                   OS_USER_DOMAIN_NAME='Default',
                   OS_PROJECT_DOMAIN_NAME='Default',
                   OS_REGION_NAME=self.cloud['region'],
                   OS_IDENTITY_API_VERSION='3',
                   OS_COMPUTE_API_VERSION='2.74')
        out = subprocess.run(['/usr/bin/openstack', *args, '-f', 'json'],
                             env=env, capture_output=True, text=True,
                             timeout=BOOT_TIMEOUT + 60, check=False)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)

    # -- servers

    def test_planned_server_lands_on_its_planned_host(self):
        root, plan = self.plan({'web': server('web')})
        planned = plan['placements'][root + '/web']['location']
        hints = heat_hints(root, 'filters', 'web')
        args = ['server', 'create', '--flavor', FLAVOR,
                '--image', self.cloud['image']['name'], '--nic', 'none',
                '--wait']
        for key, value in hints.items():
            for v in value if isinstance(value, list) else [value]:
                args += ['--hint', '%s=%s' % (key, v)]
        created = self.openstack(*args, 'planned-web')
        self.addCleanup(osapi.delete_server, self.admin, created['id'])
        self.assertEqual(self.active_host(created['id']), planned)
        placement = self.placement_of(root + '/web')
        self.assertEqual((placement['location'], placement['reserved'],
                          placement['resource_id']),
                         (planned, True, created['id']))

    def compute_service(self, host):
        services = self.admin.get('compute',
                                  '/os-services?binary=nova-compute',
                                  headers={'OpenStack-API-Version':
                                           'compute 2.53'})['services']
        return [s for s in services if s['host'] == host][0]

    def set_service(self, service_id, status):
        self.admin.put('compute', '/os-services/%s' % service_id,
                       {'status': status},
                       headers={'OpenStack-API-Version': 'compute 2.53'})

    def test_planned_host_not_offered_is_replanned(self):
        root, plan = self.plan({'app': server('app')})
        planned = plan['placements'][root + '/app']['location']
        service = self.compute_service(planned)
        self.set_service(service['id'], 'disabled')
        self.addCleanup(self.set_service, service['id'], 'enabled')
        sid = self.boot('replanned-app', heat_hints(root, 'filters', 'app'))
        host = self.active_host(sid)
        self.assertNotEqual(host, planned)
        placement = self.placement_of(root + '/app')
        self.assertEqual((placement['location'], placement['reserved'],
                          placement['resource_id']), (host, True, sid))

    def test_server_no_plan_has_gets_an_adhoc_plan(self):
        sid = self.boot('adhoc')
        self.addCleanup(self.valet.delete_plan, sid)
        host = self.active_host(sid)
        plans = {p['stack_id']: p for p in self.valet.list_plans()['plans']}
        self.assertIn(sid, plans)
        self.assertEqual(plans[sid]['placements'][sid]['location'], host)
        placement = self.placement_of(sid)
        self.assertEqual((placement['reserved'], placement['resource_id']),
                         (True, sid))

    def test_anti_affinity_server_group_gets_two_hosts(self):
        group = self.admin.post('compute', '/os-server-groups', {
            'server_group': {'name': 'apart', 'policy': 'anti-affinity'}},
            headers={'OpenStack-API-Version': 'compute 2.64'})[
                'server_group']
        self.addCleanup(self.admin.delete, 'compute',
                        '/os-server-groups/%s' % group['id'])
        hosts = []
        for i in range(2):
            sid = self.boot('apart-%d' % i, {'group': group['id']})
            self.addCleanup(self.valet.delete_plan, sid)
            hosts.append(self.active_host(sid))
        self.assertNotEqual(hosts[0], hosts[1])
        valet_group = self.valet.get_group(
            'nova-server-group-' + group['id'])['group']
        self.assertEqual((valet_group['type'], valet_group['level']),
                         ('diversity', 'host'))

    def test_valet_groups_named_by_hint_and_by_metadata(self):
        # an affinity group: Nova's weighers alone would spread the two
        name = 'together-' + uuid.uuid4().hex[:8]
        group = self.valet.create_group(name, 'affinity', 'host')
        self.addCleanup(self.valet.delete_group, group['id'])
        first = self.boot('by-hint', hints={'valet_groups': name})
        self.addCleanup(self.valet.delete_plan, first)
        host = self.active_host(first)
        second = self.boot('by-metadata', metadata={
            'valet': json.dumps({'groups': [name]})})
        self.addCleanup(self.valet.delete_plan, second)
        self.assertEqual(self.active_host(second), host)
        for sid in (first, second):
            self.assertEqual(self.placement_of(sid)['location'], host)

    # -- volumes

    def volume(self, name, size, hints=None):
        body = {'volume': {'name': name, 'size': size,
                           'volume_type': self.cloud['volume_type']}}
        if hints:
            body['OS-SCH-HNT:scheduler_hints'] = hints
        vid = self.admin.post('volumev3', '/volumes', body)['volume']['id']
        self.addCleanup(self.admin.delete, 'volumev3', '/volumes/%s' % vid)
        found = {}

        def done():
            found['v'] = self.admin.get('volumev3', '/volumes/%s' % vid)[
                'volume']
            return found['v']['status'] in ('available', 'error')

        osapi.wait_for('volume %s available' % vid, done, VOLUME_TIMEOUT)
        self.assertEqual(found['v']['status'], 'available', found['v'])
        return vid, found['v']['os-vol-host-attr:host']

    def test_planned_volume_goes_to_its_planned_pool(self):
        root, _ = self.plan({'db': server('db'), 'data': {
            'name': 'data', 'type': 'OS::Cinder::Volume',
            'properties': {'size': 3,
                           'volume_type': self.cloud['volume_type']}}})
        planned = self.placement_of(root + '/data')['location']
        vid, pool = self.volume('planned-data', 3,
                                heat_hints(root, 'filters', 'data'))
        self.assertEqual(pool, planned)
        placement = self.placement_of(root + '/data')
        self.assertEqual((placement['reserved'], placement['resource_id']),
                         (True, vid))

    def test_volume_no_plan_has_gets_an_adhoc_plan(self):
        vid, pool = self.volume('adhoc-data', 2)
        self.addCleanup(self.valet.delete_plan, vid)
        placement = self.placement_of(vid)
        self.assertEqual((placement['location'], placement['reserved'],
                          placement['resource_id']), (pool, True, vid))

    # -- Valet down; last, it restarts the schedulers twice

    def test_zz_valet_down(self):
        self.valetd.stop()
        self.addCleanup(self.switch, 'pass')
        self.addCleanup(self.valetd.start)
        passed = self.boot('valet-down-pass')
        self.assertIn(self.active_host(passed),
                      [h['name'] for h in self.cloud['compute_hosts']])
        self.switch('refuse')
        refused = self.settled(self.boot('valet-down-refuse'))
        self.assertEqual(refused['status'], 'ERROR')
        self.assertIn('No valid host', refused['fault']['message'])


def main():
    global CLOUD
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    if os.environ.get('VLT_TEST_OPENSTACK') == '0':
        print('SKIP: VLT_TEST_OPENSTACK=0')
        sys.exit(77)
    os.environ['VALETD'] = sys.argv[1]
    CLOUD = sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)


if __name__ == '__main__':
    main()
