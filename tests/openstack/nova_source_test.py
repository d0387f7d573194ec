#!/usr/bin/python3
"""The nova source against the test cloud (tests/openstack/cloud.py):
`valet inventory` with the nova source shows every compute host with
Placement's capacity arithmetic and usage, Nova's aggregates and zones,
flavors; a server booted directly through Nova counts as used, and is its
host's consumer; a disabled
compute service disables its host; bad credentials and an unreachable
Keystone exit 2 with a message that names the URL and no secret.

Usage: nova_source_test.py VALET CLOUD_JSON
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osapi  # noqa: E402

VALET = None
CLOUD = None
BOOT_TIMEOUT = 180
RESOURCE = {'vcpus': 'VCPU', 'ram_mb': 'MEMORY_MB', 'disk_gb': 'DISK_GB'}


def nova_conf(cloud, password=None, auth_url=None, sources=('nova',)):
    """A configuration loading these OpenStack sources, each connected alike."""
    admin = cloud['users']['admin']
    connect = ('    auth_url = "%s";\n    username = "%s";\n    password = "%s";\n'
               '    project = "%s";\n    region = "%s";\n    timeout_ms = 5000;\n'
               '    retries = 1;\n'
               % (auth_url or cloud['auth_url'], admin['username'],
                  password or admin['password'], admin['project_name'],
                  cloud['region']))
    groups = ''.join('  %s: {\n%s  };\n' % (name, connect) for name in sources)
    return ('modules: {\n  sources = [ %s ];\n};\nsource: {\n%s};\n'
            % (', '.join('"%s"' % name for name in sources), groups))


def inventory(conf_text, *args):
    with tempfile.NamedTemporaryFile('w', suffix='.conf') as conf:
        conf.write(conf_text)
        conf.flush()
        return subprocess.run([VALET, 'inventory', '--config', conf.name,
                               *args], capture_output=True, text=True,
                              check=False, timeout=300)


def inventory_json(cloud):
    out = inventory(nova_conf(cloud), '--json')
    if out.returncode != 0:
        raise AssertionError('valet inventory failed: %s' % out.stderr)
    return json.loads(out.stdout)


class NovaSource(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cloud = osapi.load_cloud(CLOUD)
        cls.admin = osapi.Session(cls.cloud)

    def providers(self):
        """{host: (provider uuid, inventories, usages)} as Placement says."""
        out = {}
        hyps = self.admin.get('compute', '/os-hypervisors/detail')
        for hyp in hyps['hypervisors']:
            rp = hyp['id']
            inv = self.admin.get('placement',
                                 '/resource_providers/%s/inventories' % rp)
            use = self.admin.get('placement',
                                 '/resource_providers/%s/usages' % rp)
            out[hyp['service']['host']] = (rp, inv['inventories'],
                                           use['usages'])
        return out

    def test_hosts_follow_placement(self):
        got = {h['name']: h for h in inventory_json(self.cloud)['hosts']}
        want = self.providers()
        self.assertEqual(sorted(got), sorted(want))
        self.assertEqual(sorted(got),
                         sorted(h['name'] for h in self.cloud['compute_hosts']))
        for host, (_, inv, use) in want.items():
            for ours, theirs in RESOURCE.items():
                mine = got[host]['resources'][ours]
                i = inv[theirs]
                self.assertEqual(mine['total'], i['total'] - i['reserved'],
                                 (host, ours))
                self.assertAlmostEqual(mine['ratio'], i['allocation_ratio'])
                self.assertEqual(mine['used'], use.get(theirs, 0), (host, ours))
                capacity = int((i['total'] - i['reserved'])
                               * i['allocation_ratio'])
                self.assertEqual(mine['free'], capacity - use.get(theirs, 0))
            self.assertTrue(got[host]['enabled'])

    def test_flavors_and_aggregates(self):
        name = 'valet-agg-' + uuid.uuid4().hex[:6]
        host = self.cloud['compute_hosts'][0]['name']
        agg = self.admin.post('compute', '/os-aggregates', {'aggregate': {
            'name': name, 'availability_zone': 'zone-' + name}})['aggregate']
        try:
            self.admin.post('compute', '/os-aggregates/%s/action' % agg['id'],
                            {'add_host': {'host': host}})
            self.admin.post('compute', '/os-aggregates/%s/action' % agg['id'],
                            {'set_metadata': {'metadata': {'ssd': 'true'}}})
            doc = inventory_json(self.cloud)
            hosts = {h['name']: h for h in doc['hosts']}
            self.assertIn(name, hosts[host]['aggregates'])
            self.assertEqual(hosts[host]['az'], 'zone-' + name)
            flavors = {f['name']: f for f in doc['flavors']}
            for f in self.cloud['flavors']:
                self.assertEqual(flavors[f['name']]['vcpus'], f['vcpus'])
                self.assertEqual(flavors[f['name']]['ram_mb'], f['ram'])
                self.assertEqual(flavors[f['name']]['disk_gb'], f['disk'])
        finally:
            self.admin.post('compute', '/os-aggregates/%s/action' % agg['id'],
                            {'remove_host': {'host': host}})
            self.admin.delete('compute', '/os-aggregates/%s' % agg['id'])

    def test_a_server_booted_through_nova_counts_as_used(self):
        host = self.cloud['compute_hosts'][-1]['name']
        flavors = {f['name']: f for f in self.admin.get(
            'compute', '/flavors/detail')['flavors']}
        flavor = flavors['m1.small']
        before = {h['name']: h for h in inventory_json(self.cloud)['hosts']}
        sid = osapi.boot_server(self.admin, self.cloud, flavor['id'], host,
                                'outside-valet', BOOT_TIMEOUT)
        try:
            after = {h['name']: h for h in inventory_json(self.cloud)['hosts']}
            used = after[host]['resources']
            self.assertEqual(used['vcpus']['used'],
                             before[host]['resources']['vcpus']['used']
                             + flavor['vcpus'])
            self.assertEqual(used['ram_mb']['used'],
                             before[host]['resources']['ram_mb']['used']
                             + flavor['ram'])
            # its allocation is reported as a consumer of that host
            mine = after[host]['consumers'].get(sid)
            self.assertEqual(mine, {'vcpus': flavor['vcpus'],
                                    'ram_mb': flavor['ram'],
                                    'disk_gb': flavor['disk']})
            self.assertNotIn(sid, before[host]['consumers'])
        finally:
            self.admin.delete('compute', '/servers/%s' % sid)

    def test_a_disabled_compute_service_disables_its_host(self):
        host = self.cloud['compute_hosts'][0]['name']
        svc = [s for s in self.admin.get(
            'compute', '/os-services?binary=nova-compute')['services']
            if s['host'] == host][0]
        self.admin.put('compute', '/os-services/%s' % svc['id'],
                       {'status': 'disabled', 'disabled_reason': 'test'})
        try:
            hosts = {h['name']: h for h in inventory_json(self.cloud)['hosts']}
            self.assertFalse(hosts[host]['enabled'])
            others = [h for n, h in hosts.items() if n != host]
            self.assertTrue(all(h['enabled'] for h in others))
        finally:
            self.admin.put('compute', '/os-services/%s' % svc['id'],
                           {'status': 'enabled'})
        hosts = {h['name']: h for h in inventory_json(self.cloud)['hosts']}
        self.assertTrue(hosts[host]['enabled'])

    def test_simulate_plans_on_the_live_view(self):
        plan = {'plan_name': 'sim', 'stack_id': 'sim', 'resources': {
            's%d' % i: {'name': 's%d' % i, 'type': 'OS::Nova::Server',
                        'properties': {'flavor': 'm1.small'}}
            for i in range(3)}}
        with tempfile.NamedTemporaryFile('w', suffix='.json') as f, \
                tempfile.NamedTemporaryFile('w', suffix='.conf') as conf:
            json.dump(plan, f)
            f.flush()
            conf.write(nova_conf(self.cloud))
            conf.flush()
            out = subprocess.run([VALET, 'simulate', '--config', conf.name,
                                  '--plan', f.name, '--json'],
                                 capture_output=True, text=True, check=False,
                                 timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr)
        placed = json.loads(out.stdout.splitlines()[0])['placements']
        hosts = {h['name'] for h in self.cloud['compute_hosts']}
        self.assertEqual(len(placed), 3)
        for p in placed.values():
            self.assertIn(p['location'], hosts)

    def test_a_wrong_password_exits_2_without_the_secret(self):
        secret = 'not-the-password-' + uuid.uuid4().hex
        out = inventory(nova_conf(self.cloud, password=secret))
        self.assertEqual(out.returncode, 2)
        self.assertIn('401', out.stderr)
        self.assertIn('/auth/tokens', out.stderr)
        self.assertNotIn(secret, out.stderr + out.stdout)

    def test_an_unreachable_keystone_exits_2_naming_it(self):
        url = 'http://127.0.0.1:9/v3'  # discard: nothing listens
        started = time.monotonic()
        out = inventory(nova_conf(self.cloud, auth_url=url))
        self.assertEqual(out.returncode, 2)
        self.assertIn('127.0.0.1:9', out.stderr)
        self.assertLess(time.monotonic() - started, 120)


class CinderSource(unittest.TestCase):
    """The cinder source beside the nova one: the pools of Cinder's
    scheduler, counted as its capacity filter counts them, and the volume
    types each can take."""

    @classmethod
    def setUpClass(cls):
        cls.cloud = osapi.load_cloud(CLOUD)
        cls.admin = osapi.Session(cls.cloud)

    def test_pools_follow_the_scheduler(self):
        out = inventory(nova_conf(self.cloud, sources=('nova', 'cinder')),
                        '--json')
        self.assertEqual(out.returncode, 0, out.stderr)
        got = {p['name']: p for p in json.loads(out.stdout)['pools']}
        stats = self.admin.get('volumev3',
                               '/scheduler-stats/get_pools?detail=true')
        self.assertEqual(sorted(got), sorted(p['name'] for p in stats['pools']))
        self.assertEqual(sorted(got), sorted(
            p['name'] for p in self.cloud['volume_pools']))
        for pool in stats['pools']:
            caps = pool['capabilities']
            reserved = -(-caps['total_capacity_gb']
                         * caps['reserved_percentage'] // 100)
            mine = got[pool['name']]
            self.assertEqual(mine['capacity_gb'],
                             caps['total_capacity_gb'] - reserved)
            self.assertEqual(mine['used_gb'], caps['total_capacity_gb']
                             - caps['free_capacity_gb'])
            self.assertIn(self.cloud['volume_type'], mine['volume_types'])

    def test_simulate_places_volumes_on_cinder_pools(self):
        def plan(size):
            return {'plan_name': 'vol', 'stack_id': 'vol', 'resources': {
                'db': {'name': 'db', 'type': 'OS::Nova::Server',
                       'properties': {'flavor': 'm1.small'}},
                'data': {'name': 'data', 'type': 'OS::Cinder::Volume',
                         'properties': {'size': size,
                                        'volume_type': self.cloud['volume_type']}},
                'attach': {'type': 'OS::Cinder::VolumeAttachment',
                           'properties': {'instance_uuid': {'get_resource': 'db'},
                                          'volume_id': {'get_resource': 'data'}}}}}

        def simulate(size):
            with tempfile.NamedTemporaryFile('w', suffix='.json') as f, \
                    tempfile.NamedTemporaryFile('w', suffix='.conf') as conf:
                json.dump(plan(size), f)
                f.flush()
                conf.write(nova_conf(self.cloud, sources=('nova', 'cinder')))
                conf.flush()
                return subprocess.run([VALET, 'simulate', '--config', conf.name,
                                       '--plan', f.name, '--json'],
                                      capture_output=True, text=True,
                                      check=False, timeout=300)

        pools = {p['name']: p['total_gb'] for p in self.cloud['volume_pools']}
        out = simulate(100)
        self.assertEqual(out.returncode, 0, out.stderr)
        placed = json.loads(out.stdout.splitlines()[0])['placements']
        self.assertIn(placed['data']['location'], pools)
        # larger than every pool: refused, naming the volume
        out = simulate(max(pools.values()) + 1)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn('data', out.stdout)

    def test_a_cinder_source_alone_names_no_data_center(self):
        out = inventory(nova_conf(self.cloud, sources=('cinder',)))
        self.assertEqual(out.returncode, 2)
        self.assertIn('no name', out.stderr)


class NetworkSource(unittest.TestCase):
    """The network source after the nova one: racks and clusters from the
    aggregates whose metadata names them."""

    @classmethod
    def setUpClass(cls):
        cls.cloud = osapi.load_cloud(CLOUD)
        cls.admin = osapi.Session(cls.cloud)

    def aggregate(self, name, hosts, metadata):
        agg = self.admin.post('compute', '/os-aggregates', {'aggregate': {
            'name': name}})['aggregate']
        self.addCleanup(self.admin.delete, 'compute',
                        '/os-aggregates/%s' % agg['id'])
        for host in hosts:
            self.admin.post('compute', '/os-aggregates/%s/action' % agg['id'],
                            {'add_host': {'host': host}})
            self.addCleanup(self.admin.post, 'compute',
                            '/os-aggregates/%s/action' % agg['id'],
                            {'remove_host': {'host': host}})
        self.admin.post('compute', '/os-aggregates/%s/action' % agg['id'],
                        {'set_metadata': {'metadata': metadata}})

    def test_racks_and_clusters_from_aggregates(self):
        hosts = [h['name'] for h in self.cloud['compute_hosts']]
        self.aggregate('valet-rack-a', hosts[:-1],
                       {'valet:rack': 'rack-a', 'valet:cluster': 'row-1'})
        self.aggregate('valet-rack-b', hosts[-1:],
                       {'valet:rack': 'rack-b', 'valet:cluster': 'row-1'})
        out = inventory(nova_conf(self.cloud, sources=('nova', 'network')),
                        '--json')
        self.assertEqual(out.returncode, 0, out.stderr)
        got = {h['name']: h for h in json.loads(out.stdout)['hosts']}
        for host in hosts[:-1]:
            self.assertEqual(got[host]['rack'], 'rack-a')
        self.assertEqual(got[hosts[-1]]['rack'], 'rack-b')
        self.assertTrue(all(h['cluster'] == 'row-1' for h in got.values()))

    def test_the_network_source_comes_after_the_hosts(self):
        hosts = [h['name'] for h in self.cloud['compute_hosts']]
        self.aggregate('valet-rack-c', hosts[:1], {'valet:rack': 'rack-c'})
        out = inventory(nova_conf(self.cloud, sources=('network', 'nova')))
        self.assertEqual(out.returncode, 2)
        self.assertIn('must come first', out.stderr)
        self.assertIn('valet-rack-c', out.stderr)


if __name__ == '__main__':
    VALET, CLOUD = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0], '-v'])
