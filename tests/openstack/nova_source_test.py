#!/usr/bin/python3
"""The nova source against the test cloud (tests/openstack/cloud.py):
`valet inventory` with the nova source shows every compute host with
Placement's capacity arithmetic and usage, Nova's aggregates and zones,
flavors; a server booted directly through Nova counts as used, and is its
host's consumer; a disabled
compute service disables its host; an inventory's max_unit and step_size
and a provider's trait, set through Placement, keep a flavor to one host
and refuse it there in those words; bad credentials and an unreachable
Keystone exit 2 with a message that names the URL and no secret. With the
network source, racks follow aggregates' metadata and routed networks'
segments, and NICs the bandwidth inventories of Placement.

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


def nova_conf(cloud, password=None, auth_url=None, sources=('nova',),
              parallel=None):
    """A configuration loading these OpenStack sources, each connected alike
    (parallel: their setting of that name; None leaves the default)."""
    admin = cloud['users']['admin']
    connect = ('    auth_url = "%s";\n    username = "%s";\n    password = "%s";\n'
               '    project = "%s";\n    region = "%s";\n    timeout_ms = 5000;\n'
               '    retries = 1;\n'
               % (auth_url or cloud['auth_url'], admin['username'],
                  password or admin['password'], admin['project_name'],
                  cloud['region']))
    if parallel is not None:
        connect += '    parallel = %d;\n' % parallel
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


def simulate(cloud, plan, sources=('nova',)):
    """`valet simulate --config --json` of one plan on these sources' view."""
    with tempfile.NamedTemporaryFile('w', suffix='.json') as f, \
            tempfile.NamedTemporaryFile('w', suffix='.conf') as conf:
        json.dump(plan, f)
        f.flush()
        conf.write(nova_conf(cloud, sources=sources))
        conf.flush()
        return subprocess.run([VALET, 'simulate', '--config', conf.name,
                               '--plan', f.name, '--json'],
                              capture_output=True, text=True, check=False,
                              timeout=300)


def servers_plan(name, flavor, n):
    return {'plan_name': name, 'stack_id': name, 'resources': {
        's%d' % i: {'name': 's%d' % i, 'type': 'OS::Nova::Server',
                    'properties': {'flavor': flavor}} for i in range(n)}}


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
        out = simulate(self.cloud, servers_plan('sim', 'm1.small', 3))
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


class PlacementLimitsAndTraits(unittest.TestCase):
    """One compute host's provider gets VCPU max_unit 2 and step_size 2 and
    a custom trait through Placement's API; flavors asking for the trait go
    there only, and are refused there for breaking a limit, in its words; a
    flavor above every host's max_unit (Placement's default: the total) is a
    bad request. Everything is put back."""

    @classmethod
    def setUpClass(cls):
        cls.cloud = osapi.load_cloud(CLOUD)
        cls.admin = osapi.Session(cls.cloud)

    def setUp(self):
        self.host = self.cloud['compute_hosts'][0]['name']
        self.rp = [h['id'] for h in self.admin.get(
            'compute', '/os-hypervisors/detail')['hypervisors']
            if h['service']['host'] == self.host][0]
        tag = uuid.uuid4().hex[:6]
        self.trait = 'CUSTOM_VALET_' + tag.upper()
        self.prefix = 'valet-lim-%s-' % tag

        before = osapi.set_inventory(self.admin, self.rp, 'VCPU',
                                     max_unit=2, step_size=2)
        self.addCleanup(osapi.restore_inventory, self.admin, self.rp, 'VCPU',
                        before)
        traits = self.admin.get('placement', '/resource_providers/%s/traits'
                                % self.rp)['traits']
        osapi.set_traits(self.admin, self.rp, traits + [self.trait])
        self.addCleanup(self.admin.delete, 'placement', '/traits/' + self.trait)
        self.addCleanup(osapi.set_traits, self.admin, self.rp, traits)
        self.flavors = {}
        vcpus = {'two': 2, 'one': 1, 'four': 4}
        for name, n in vcpus.items():
            self.flavor(name, n, {'trait:%s' % self.trait: 'required'})
        self.flavor('huge', self.cloud['compute_hosts'][0]['vcpus'] + 1, None)

    def flavor(self, name, vcpus, extra_specs):
        fid = osapi.create_flavor(self.admin, self.prefix + name, vcpus, 512,
                                  1, extra_specs)
        self.addCleanup(self.admin.delete, 'compute', '/flavors/%s' % fid)
        self.flavors[name] = self.prefix + name

    def assert_placement_still_has_the_limits(self):
        inv = self.admin.get('placement', '/resource_providers/%s/inventories'
                             '/VCPU' % self.rp)
        self.assertEqual((inv['max_unit'], inv['step_size']), (2, 2),
                         'nova-compute rewrote the inventory: the test cloud '
                         'must not refresh providers from Placement')

    def test_inventory_shows_limits_traits_and_uuid(self):
        hosts = {h['name']: h for h in inventory_json(self.cloud)['hosts']}
        mine = hosts[self.host]
        self.assertEqual(mine['uuid'], self.rp)
        self.assertEqual(mine['traits'], [self.trait])
        vcpus = mine['resources']['vcpus']
        self.assertEqual((vcpus['min_unit'], vcpus['max_unit'],
                          vcpus['step_size']), (1, 2, 2))
        for name, other in hosts.items():
            if name == self.host:
                continue
            self.assertEqual(other['traits'], [])
            self.assertEqual(other['resources']['vcpus']['max_unit'],
                             other['resources']['vcpus']['total'])
            self.assertNotEqual(other['uuid'], self.rp)
        self.assert_placement_still_has_the_limits()

    def test_a_required_trait_and_the_limits_steer_the_flavor(self):
        out = simulate(self.cloud, servers_plan('t', self.flavors['two'], 3))
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        placed = json.loads(out.stdout.splitlines()[0])['placements']
        self.assertEqual({p['location'] for p in placed.values()}, {self.host})

        n_others = len(self.cloud['compute_hosts']) - 1
        for flavor, why in (('one', 'with step_size 2 of vcpus (asks 1)'),
                            ('four', 'with max_unit 2 of vcpus (asks 4)')):
            out = simulate(self.cloud, servers_plan('t', self.flavors[flavor], 1))
            self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
            self.assertIn('server s0: 0 of %d hosts fit: %d without required '
                          'trait %s, 1 %s' % (n_others + 1, n_others,
                                              self.trait, why), out.stdout)
        self.assert_placement_still_has_the_limits()

    def test_a_flavor_above_every_max_unit_is_refused(self):
        out = simulate(self.cloud, servers_plan('t', self.flavors['huge'], 1))
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        total = self.cloud['compute_hosts'][0]['vcpus']
        self.assertIn("flavor '%s' asks %d vcpus, above max_unit of every host "
                      "(%d at most)" % (self.flavors['huge'], total + 1, total),
                      out.stderr)
        self.assert_placement_still_has_the_limits()


class ConcurrentReading(unittest.TestCase):
    """The per-provider documents read concurrently (the parallel setting)
    make the same view as one request at a time; a root provider with
    compute inventory that no hypervisor names is a disabled host with
    its usage; one without compute inventory is no host."""

    @classmethod
    def setUpClass(cls):
        cls.cloud = osapi.load_cloud(CLOUD)
        cls.admin = osapi.Session(cls.cloud)

    def view(self, parallel=None, sources=('nova',)):
        out = inventory(nova_conf(self.cloud, sources=sources,
                                  parallel=parallel), '--json')
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)

    def root_provider(self, name, inventories):
        rp = self.admin.post('placement', '/resource_providers',
                             {'name': name})
        self.addCleanup(self.admin.delete, 'placement',
                        '/resource_providers/%s' % rp['uuid'])
        if inventories:
            self.admin.put('placement', '/resource_providers/%s/inventories'
                           % rp['uuid'], {'resource_provider_generation': 0,
                                          'inventories': inventories})
        return rp['uuid']

    def allocate(self, rp, resources):
        consumer = str(uuid.uuid4())
        project = self.admin.project_id
        user = self.admin.token_body['token']['user']['id']
        self.admin.put('placement', '/allocations/%s' % consumer, {
            'allocations': {rp: {'resources': resources}},
            'project_id': project, 'user_id': user,
            'consumer_generation': None, 'consumer_type': 'INSTANCE'})
        self.addCleanup(self.admin.delete, 'placement',
                        '/allocations/%s' % consumer)
        return consumer

    def test_one_at_a_time_and_concurrently_read_alike(self):
        # a provider no hypervisor names, with usage, makes the view larger
        name = 'valet-orphan-' + uuid.uuid4().hex[:6]
        rp = self.root_provider(name, {
            'VCPU': {'total': 8}, 'MEMORY_MB': {'total': 4096},
            'DISK_GB': {'total': 100}})
        self.allocate(rp, {'VCPU': 1, 'MEMORY_MB': 512})
        sources = ('nova', 'network')
        one = self.view(parallel=1, sources=sources)
        self.assertEqual(self.view(sources=sources), one)
        self.assertEqual(self.view(parallel=64, sources=sources), one)
        self.assertIn(name, [h['name'] for h in one['hosts']])

    def test_a_provider_no_hypervisor_names_is_a_disabled_host(self):
        name = 'valet-orphan-' + uuid.uuid4().hex[:6]
        rp = self.root_provider(name, {
            'VCPU': {'total': 8, 'allocation_ratio': 2.0},
            'MEMORY_MB': {'total': 4096, 'reserved': 512},
            'DISK_GB': {'total': 100}})
        consumer = self.allocate(rp, {'VCPU': 3, 'MEMORY_MB': 1024,
                                      'DISK_GB': 10})
        other = 'valet-noncompute-' + uuid.uuid4().hex[:6]
        self.root_provider(other, {'IPV4_ADDRESS': {'total': 10}})
        self.root_provider('valet-empty-' + uuid.uuid4().hex[:6], None)
        hosts = {h['name']: h for h in self.view()['hosts']}
        want = sorted([h['name'] for h in self.cloud['compute_hosts']]
                      + [name])
        self.assertEqual(sorted(hosts), want)
        h = hosts[name]
        self.assertFalse(h['enabled'])
        self.assertEqual(h['uuid'], rp)
        self.assertEqual(list(h['consumers']), [consumer])
        res = h['resources']
        self.assertEqual((res['vcpus']['total'], res['vcpus']['used']), (8, 3))
        self.assertAlmostEqual(res['vcpus']['ratio'], 2.0)
        self.assertEqual((res['ram_mb']['total'], res['ram_mb']['used']),
                         (3584, 1024))
        self.assertEqual(res['disk_gb']['used'], 10)
        # a plan never goes there
        out = simulate(self.cloud, servers_plan('orphan', 'm1.tiny', 1))
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        placed = json.loads(out.stdout.splitlines()[0])['placements']
        self.assertNotIn(name, [p['location'] for p in placed.values()])

    def test_every_class_of_a_provider_is_read(self):
        """Classes beyond VCPU, MEMORY_MB and DISK_GB, with Placement's
        arithmetic and the allocations of each consumer."""
        fpga = 'CUSTOM_VALET_FPGA_' + uuid.uuid4().hex[:6].upper()
        self.admin.call('PUT', 'placement', '/resource_classes/%s' % fpga)
        self.addCleanup(self.admin.delete, 'placement',
                        '/resource_classes/%s' % fpga)
        name = 'valet-classes-' + uuid.uuid4().hex[:6]
        rp = self.root_provider(name, {
            'VCPU': {'total': 8}, 'MEMORY_MB': {'total': 4096},
            'DISK_GB': {'total': 100},
            'PCPU': {'total': 8, 'reserved': 2},
            fpga: {'total': 4, 'max_unit': 2}})
        self.allocate(rp, {'VCPU': 1, fpga: 1, 'PCPU': 2})
        h = {h['name']: h for h in self.view()['hosts']}[name]
        # (total - reserved) x ratio - used; Placement's defaults: min_unit
        # 1, step_size 1, max_unit its largest integer (2**31 - 1, the
        # DEFAULTS of placement/handlers/inventory.py), not the total
        self.assertEqual(h['classes'], {
            fpga: {'free': 3, 'min_unit': 1, 'max_unit': 2, 'step_size': 1},
            'PCPU': {'free': 4, 'min_unit': 1, 'max_unit': 2**31 - 1,
                     'step_size': 1}})


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

        pools = {p['name']: p['total_gb'] for p in self.cloud['volume_pools']}
        out = simulate(self.cloud, plan(100), ('nova', 'cinder'))
        self.assertEqual(out.returncode, 0, out.stderr)
        placed = json.loads(out.stdout.splitlines()[0])['placements']
        self.assertIn(placed['data']['location'], pools)
        # larger than every pool: refused, naming the volume
        out = simulate(self.cloud, plan(max(pools.values()) + 1),
                       ('nova', 'cinder'))
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn('data', out.stdout)

    def test_a_cinder_source_alone_names_no_data_center(self):
        out = inventory(nova_conf(self.cloud, sources=('cinder',)))
        self.assertEqual(out.returncode, 2)
        self.assertIn('no name', out.stderr)


class MetadataAggregates:
    """A test's Nova aggregate whose metadata names a rack, deleted after."""

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


class NetworkSource(MetadataAggregates, unittest.TestCase):
    """The network source after the nova one: racks and clusters from the
    aggregates whose metadata names them."""

    @classmethod
    def setUpClass(cls):
        cls.cloud = osapi.load_cloud(CLOUD)
        cls.admin = osapi.Session(cls.cloud)

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


NEUTRON_TIMEOUT = 60  # its segments plugin sends its changes every 2 s


class RoutedNetworks(MetadataAggregates, unittest.TestCase):
    """The network source with Neutron's routed networks: racks follow the
    segments (as Neutron's segments plugin mirrors them into Placement and
    Nova), NIC bandwidth follows the NET_BW_EGR_KILOBIT_PER_SEC inventories
    of the providers below a compute node's, and valet simulate places a
    rack-diverse pair with a wide pipe accordingly.

    No L2 agent runs on the test cloud, so nothing reports which hosts
    reach a segment: the test does what Neutron does on such a report (it
    adds the host to the segment's Nova aggregate, which Nova mirrors into
    the segment's Placement aggregate), and makes the bandwidth providers
    an agent would report (docs/testing-openstack.md)."""

    @classmethod
    def setUpClass(cls):
        cls.cloud = osapi.load_cloud(CLOUD)
        cls.admin = osapi.Session(cls.cloud)
        cls.hosts = [h['name'] for h in cls.cloud['compute_hosts']]
        hyps = cls.admin.get('compute', '/os-hypervisors/detail')
        cls.rp_of = {h['service']['host']: h['id']
                     for h in hyps['hypervisors']}

    def routed_network(self, names):
        """A network of one flat segment per name (None: unnamed), each on a
        physical network of its own with an IPv4 subnet; their ids once
        Neutron has made each segment's provider and aggregate. Deleted
        afterwards, once Neutron has removed its aggregates and providers."""
        tag = uuid.uuid4().hex[:6]
        net = self.admin.post('network', '/v2.0/networks', {'network': {
            'name': 'valet-routed-' + tag, 'provider:network_type': 'flat',
            'provider:physical_network': 'valet-%s-0' % tag}})['network']
        self.addCleanup(self.delete_network, net['id'])
        first = self.admin.get('network', '/v2.0/segments?network_id=%s'
                               % net['id'])['segments'][0]
        self.admin.put('network', '/v2.0/segments/%s' % first['id'],
                       {'segment': {'name': names[0]}})
        ids = [first['id']]
        for i, name in enumerate(names[1:], 1):
            ids.append(self.admin.post('network', '/v2.0/segments', {
                'segment': {'network_id': net['id'], 'name': name,
                            'network_type': 'flat',
                            'physical_network': 'valet-%s-%d' % (tag, i)}}
            )['segment']['id'])
        for i, seg in enumerate(ids):
            self.admin.post('network', '/v2.0/subnets', {'subnet': {
                'network_id': net['id'], 'segment_id': seg,
                'ip_version': 4, 'cidr': '10.251.%d.0/24' % i}})
        for seg in ids:
            osapi.wait_for('segment %s in Placement' % seg,
                           lambda seg=seg: self.segment_aggregate(seg),
                           NEUTRON_TIMEOUT)
        return ids

    def segment_aggregate(self, seg):
        """The Nova aggregate Neutron made for seg (the one whose uuid is
        the aggregate of seg's provider), or None."""
        try:
            aggs = self.admin.get('placement', '/resource_providers/%s'
                                  '/aggregates' % seg)['aggregates']
        except osapi.ApiError as err:
            if err.status == 404:
                return None
            raise
        for agg in self.admin.get('compute', '/os-aggregates')['aggregates']:
            if agg['uuid'] in aggs:
                return agg
        return None

    def map_hosts(self, seg, hosts):
        """What Neutron does when an agent reports hosts reaching seg."""
        agg = self.segment_aggregate(seg)
        for host in hosts:
            self.admin.post('compute', '/os-aggregates/%s/action' % agg['id'],
                            {'add_host': {'host': host}})
        members = self.admin.get('placement', '/resource_providers?member_of'
                                 '=%s' % agg['uuid'])
        self.assertLessEqual({self.rp_of[h] for h in hosts},
                             {rp['uuid']
                              for rp in members['resource_providers']})

    def delete_network(self, net):
        subnets = self.admin.get('network', '/v2.0/subnets?network_id=%s'
                                 % net)['subnets']
        segs = [s['id'] for s in self.admin.get(
            'network', '/v2.0/segments?network_id=%s' % net)['segments']]
        for sub in subnets:
            self.admin.delete('network', '/v2.0/subnets/%s' % sub['id'])
        self.admin.delete('network', '/v2.0/networks/%s' % net)
        for seg in segs:
            osapi.wait_for('segment %s out of Placement and Nova' % seg,
                           lambda seg=seg: self.segment_aggregate(seg) is None
                           and not self.is_provider(seg), NEUTRON_TIMEOUT)

    def is_provider(self, uuid_):
        try:
            self.admin.get('placement', '/resource_providers/%s' % uuid_)
            return True
        except osapi.ApiError as err:
            if err.status == 404:
                return False
            raise

    def provider(self, name, parent):
        rp = self.admin.post('placement', '/resource_providers', {
            'name': name, 'parent_provider_uuid': parent})
        self.addCleanup(self.admin.delete, 'placement',
                        '/resource_providers/%s' % rp['uuid'])
        return rp

    def bandwidth(self, host, bridges):
        """Providers as Neutron's Open vSwitch agent reports them on host:
        one for the agent below the compute node's, one per bridge below
        it with bandwidth inventories: {bridge: (egress total, reserved,
        allocation ratio)}, and as much ingress, which Valet leaves."""
        agent = self.provider('%s:Open vSwitch agent' % host,
                              self.rp_of[host])
        for bridge, (total, reserved, ratio) in bridges.items():
            rp = self.provider('%s:Open vSwitch agent:%s' % (host, bridge),
                               agent['uuid'])
            inv = {'total': total, 'reserved': reserved, 'min_unit': 1,
                   'max_unit': total, 'step_size': 1,
                   'allocation_ratio': ratio}
            self.admin.put('placement', '/resource_providers/%s/inventories'
                           % rp['uuid'], {
                               'resource_provider_generation': 0,
                               'inventories': {
                                   'NET_BW_EGR_KILOBIT_PER_SEC': inv,
                                   'NET_BW_IGR_KILOBIT_PER_SEC': inv}})

    def view(self):
        out = inventory(nova_conf(self.cloud, sources=('nova', 'network')),
                        '--json')
        self.assertEqual(out.returncode, 0, out.stderr)
        return {h['name']: h for h in json.loads(out.stdout)['hosts']}

    def test_racks_follow_segments_and_metadata_wins(self):
        h1, h2, h3 = self.hosts[:3]
        seg_a, seg_b, seg_c = self.routed_network(['valet-seg-a', None,
                                                   'valet-seg-c'])
        self.map_hosts(seg_a, [h1, h2])
        self.map_hosts(seg_b, [h3])
        self.map_hosts(seg_c, [h3])
        got = self.view()
        self.assertEqual(got[h1]['rack'], 'valet-seg-a')
        self.assertEqual(got[h2]['rack'], 'valet-seg-a')
        # in two segments: the smaller id's
        self.assertEqual(got[h3]['rack'], 'segment-%s' % seg_b
                         if seg_b < seg_c else 'valet-seg-c')
        self.assertTrue(all(h['cluster'] == got[h1]['cluster']
                            for h in got.values()))
        # an aggregate's metadata naming a rack wins over the segment
        self.aggregate('valet-rack-m', [h2],
                       {'valet:rack': 'rack-m', 'valet:cluster': 'row-m'})
        got = self.view()
        self.assertEqual(got[h1]['rack'], 'valet-seg-a')
        self.assertEqual((got[h2]['rack'], got[h2]['cluster']),
                         ('rack-m', 'row-m'))

    def test_nic_follows_bandwidth_inventories(self):
        h1, h2, h3 = self.hosts[:3]
        self.bandwidth(h1, {'br-ex': (10000000, 0, 1.0),
                            'br-tenant': (2500000, 500000, 1.0)})
        self.bandwidth(h2, {'br-ex': (1000000, 0, 2.0)})
        got = self.view()
        self.assertEqual(got[h1]['nic_mbps'], 12000)
        self.assertEqual(got[h2]['nic_mbps'], 2000)
        self.assertIsNone(got[h3]['nic_mbps'])
        # without the network source, nothing knows the NICs
        plain = {h['name']: h for h in inventory_json(self.cloud)['hosts']}
        self.assertIsNone(plain[h1]['nic_mbps'])

    def simulate(self, sources, servers, mbps):
        """valet simulate of servers in a rack-diversity group, each pair
        joined by a pipe of mbps."""
        res = {s: {'name': s, 'type': 'OS::Nova::Server',
                   'properties': {'flavor': 'm1.tiny'}} for s in servers}
        res['apart'] = {'type': 'ATT::Valet::GroupAssignment', 'properties': {
            'group_type': 'diversity', 'level': 'rack',
            'resources': servers}}
        res['pipe'] = {'type': 'ATT::Valet::Pipe', 'properties': {
            'resources': servers, 'bandwidth': {'min': mbps,
                                                'units': 'Mbps'}}}
        with tempfile.NamedTemporaryFile('w', suffix='.json') as f, \
                tempfile.NamedTemporaryFile('w', suffix='.conf') as conf:
            json.dump({'plan_name': 'routed', 'stack_id': 'routed',
                       'resources': res}, f)
            f.flush()
            conf.write(nova_conf(self.cloud, sources=sources))
            conf.flush()
            return subprocess.run([VALET, 'simulate', '--config', conf.name,
                                   '--plan', f.name, '--json'],
                                  capture_output=True, text=True,
                                  check=False, timeout=300)

    def test_simulate_places_by_segments_and_bandwidth(self):
        h1, h2, h3 = self.hosts[:3]
        seg_a, seg_b = self.routed_network(['valet-seg-a', 'valet-seg-b'])
        self.map_hosts(seg_a, [h1, h2])
        self.map_hosts(seg_b, [h3])
        self.bandwidth(h1, {'br-ex': (2000000, 0, 1.0)})
        self.bandwidth(h2, {'br-ex': (10000000, 0, 1.0)})
        # apart by rack, 5 Gbit/s between them: h1's 2 Gbit/s NIC is too
        # small, so h2 and h3, the only host of the other rack
        out = self.simulate(('nova', 'network'), ['s0', 's1'], 5000)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        placed = json.loads(out.stdout.splitlines()[0])['placements']
        self.assertEqual(sorted(p['location'] for p in placed.values()),
                         sorted([h2, h3]))
        # three racks' worth of servers on two segments' racks: no room
        out = self.simulate(('nova', 'network'), ['s0', 's1', 's2'], 1)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        # each host its own rack without the network source: it fits
        out = self.simulate(('nova',), ['s0', 's1', 's2'], 1)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)


if __name__ == '__main__':
    VALET, CLOUD = sys.argv[1], sys.argv[2]
    unittest.main(argv=[sys.argv[0], '-v'])
