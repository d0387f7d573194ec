#!/usr/bin/python3
"""The test cloud answers as Valet will ask it: a smoke test, plain HTTP.

    smoke.py CLOUD_JSON

Keystone: a v3 token, validated. Placement: every fake host a resource
provider, with its inventory and usages. Nova: hypervisors, compute
services, flavors and aggregates; an aggregate with metadata and an
availability zone; a server booted on a chosen host, its allocation seen
in Placement, then deleted and its allocation gone. Cinder: the pools in
detail. Everything it creates it deletes. Exits 77 (skipped) when
VLT_TEST_OPENSTACK=0.
"""

import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import osapi  # noqa: E402

BOOT_TIMEOUT = 300
DELETE_TIMEOUT = 180


class Check:
    def __init__(self):
        self.t0 = time.monotonic()

    def ok(self, message):
        print('ok [%5.1fs] %s' % (time.monotonic() - self.t0, message),
              flush=True)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def keystone(cloud, admin, check):
    demo = osapi.Session(cloud, 'demo')
    resp = osapi.request('GET', cloud['auth_url'] + '/auth/tokens',
                         token=admin.token,
                         headers={'X-Subject-Token': demo.token})
    body = resp.json()['token']
    expect(body['user']['name'] == 'demo',
           'token validation: user %r' % body['user']['name'])
    expect(body['project']['name'] == 'demo',
           'token validation: project %r' % body['project']['name'])
    kinds = {entry['type'] for entry in admin.token_body['token']['catalog']}
    for kind in ('compute', 'placement', 'volumev3', 'image', 'network'):
        expect(kind in kinds, 'catalog has no %s service' % kind)
    check.ok('keystone: tokens for admin and demo, the demo token '
             'validated, catalog has %s' % ', '.join(sorted(kinds)))
    return demo


def placement(cloud, admin, check):
    found = admin.get('placement', '/resource_providers')
    providers = {rp['name']: rp for rp in found['resource_providers']}
    hosts = {h['name']: h for h in cloud['compute_hosts']}
    for name, host in hosts.items():
        expect(name in providers, 'no resource provider for %s (have %s)'
               % (name, sorted(providers)))
        rp = providers[name]['uuid']
        inv = admin.get('placement', '/resource_providers/%s/inventories'
                        % rp)['inventories']
        expect(inv['VCPU']['total'] == host['vcpus'],
               '%s VCPU total %s, want %s'
               % (name, inv['VCPU']['total'], host['vcpus']))
        expect(inv['MEMORY_MB']['total'] == host['memory_mb'],
               '%s MEMORY_MB total %s, want %s'
               % (name, inv['MEMORY_MB']['total'], host['memory_mb']))
        expect(inv['DISK_GB']['total'] == host['disk_gb'],
               '%s DISK_GB total %s, want %s'
               % (name, inv['DISK_GB']['total'], host['disk_gb']))
        admin.get('placement', '/resource_providers/%s/usages' % rp)
    check.ok('placement: %d providers, inventories match the hosts'
             % len(hosts))
    return {name: providers[name]['uuid'] for name in hosts}


def usages(admin, rp):
    return admin.get('placement', '/resource_providers/%s/usages'
                     % rp)['usages']


def nova_lists(cloud, admin, check):
    hosts = {h['name'] for h in cloud['compute_hosts']}
    hypervisors = admin.get('compute', '/os-hypervisors/detail')[
        'hypervisors']
    names = {h['hypervisor_hostname'] for h in hypervisors}
    expect(hosts <= names, 'hypervisors %s, want %s'
           % (sorted(names), sorted(hosts)))
    services = admin.get('compute', '/os-services?binary=nova-compute')[
        'services']
    up = {s['host'] for s in services
          if s['state'] == 'up' and s['status'] == 'enabled'}
    expect(hosts <= up, 'compute services up and enabled %s, want %s'
           % (sorted(up), sorted(hosts)))
    flavors = admin.get('compute', '/flavors/detail')['flavors']
    have = {f['name']: f for f in flavors}
    for flavor in cloud['flavors']:
        expect(flavor['name'] in have, 'no flavor %s' % flavor['name'])
    admin.get('compute', '/os-aggregates')
    check.ok('nova: %d hypervisors, %d compute services up, %d flavors, '
             'aggregates listed' % (len(names), len(up), len(flavors)))
    return have


def aggregate(admin, host, check):
    """An aggregate holding host, with metadata and an availability zone;
    returns (its id, the zone)."""
    tag = uuid.uuid4().hex[:8]
    zone = 'smoke-az-' + tag
    agg = admin.post('compute', '/os-aggregates', {'aggregate': {
        'name': 'smoke-' + tag, 'availability_zone': zone}})['aggregate']
    admin.post('compute', '/os-aggregates/%s/action' % agg['id'],
               {'add_host': {'host': host}})
    admin.post('compute', '/os-aggregates/%s/action' % agg['id'],
               {'set_metadata': {'metadata': {'valet_rack': 'r1'}}})
    got = admin.get('compute', '/os-aggregates/%s' % agg['id'])['aggregate']
    expect(got['hosts'] == [host], 'aggregate hosts %s' % got['hosts'])
    expect(got['metadata'].get('valet_rack') == 'r1',
           'aggregate metadata %s' % got['metadata'])
    expect(got['availability_zone'] == zone,
           'aggregate zone %s' % got['availability_zone'])
    zones = admin.get('compute', '/os-availability-zone/detail')[
        'availabilityZoneInfo']
    expect(zone in {z['zoneName'] for z in zones},
           'zone %s not listed' % zone)
    check.ok('nova: aggregate %s with %s, metadata and zone %s'
             % (got['name'], host, zone))
    return agg['id'], zone


def remove_aggregate(admin, agg_id, host):
    admin.post('compute', '/os-aggregates/%s/action' % agg_id,
               {'remove_host': {'host': host}})
    admin.delete('compute', '/os-aggregates/%s' % agg_id)


def server(cloud, admin, flavors, host, zone, rp, check):
    flavor = flavors['m1.tiny']
    before = usages(admin, rp)
    body = {'server': {
        'name': 'smoke-' + uuid.uuid4().hex[:8],
        'imageRef': cloud['image']['id'],
        'flavorRef': flavor['id'],
        'networks': 'none',
        'availability_zone': zone,
        'host': host}}
    created = admin.post('compute', '/servers', body)['server']
    sid = created['id']
    try:
        def active():
            s = admin.get('compute', '/servers/%s' % sid)['server']
            if s['status'] == 'ERROR':
                raise AssertionError('server %s went to ERROR: %s'
                                     % (sid, s.get('fault')))
            return s if s['status'] == 'ACTIVE' else None

        got = wait(active, 'server %s ACTIVE' % sid, BOOT_TIMEOUT)
        where = got['OS-EXT-SRV-ATTR:host']
        expect(where == host, 'server on %s, want %s' % (where, host))
        expect(got['OS-EXT-AZ:availability_zone'] == zone,
               'server in zone %s' % got['OS-EXT-AZ:availability_zone'])
        check.ok('nova: server %s ACTIVE on %s' % (sid, host))
        alloc = admin.get('placement', '/allocations/%s' % sid)[
            'allocations']
        expect(rp in alloc, 'allocation of %s not on %s: %s'
               % (sid, host, alloc))
        want = {'VCPU': flavor['vcpus'], 'MEMORY_MB': flavor['ram'],
                'DISK_GB': flavor['disk']}
        expect(alloc[rp]['resources'] == want,
               'allocation %s, want %s' % (alloc[rp]['resources'], want))
        after = usages(admin, rp)
        for rc, amount in want.items():
            expect(after[rc] == before[rc] + amount,
                   'usage %s on %s: %s, want %s'
                   % (rc, host, after[rc], before[rc] + amount))
        check.ok('placement: allocation %s on %s, usages %s'
                 % (want, host, after))
    finally:
        admin.delete('compute', '/servers/%s' % sid)

    def gone():
        try:
            admin.get('compute', '/servers/%s' % sid)
        except osapi.ApiError as err:
            if err.status == 404:
                return True
            raise
        return False

    wait(gone, 'server %s deleted' % sid, DELETE_TIMEOUT)
    alloc = admin.get('placement', '/allocations/%s' % sid)['allocations']
    expect(not alloc, 'allocation left after delete: %s' % alloc)
    after = usages(admin, rp)
    expect(after == before, 'usages after delete %s, before %s'
           % (after, before))
    check.ok('nova: server deleted, its allocation gone, usages back to %s'
             % after)


def wait(check, what, timeout):
    try:
        return osapi.wait_for(what, check, timeout, interval=1)
    except TimeoutError as err:
        raise AssertionError(str(err)) from None


def cinder(cloud, admin, check):
    pools = admin.get('volumev3', '/scheduler-stats/get_pools?detail=true')[
        'pools']
    have = {p['name']: p['capabilities'] for p in pools}
    for pool in cloud['volume_pools']:
        expect(pool['name'] in have, 'no pool %s (have %s)'
               % (pool['name'], sorted(have)))
        caps = have[pool['name']]
        expect(caps['total_capacity_gb'] == pool['total_gb'],
               '%s total %s GB, want %s' % (pool['name'],
                                            caps['total_capacity_gb'],
                                            pool['total_gb']))
        expect(caps['free_capacity_gb'] <= caps['total_capacity_gb'],
               '%s free %s GB over its total' % (pool['name'],
                                                 caps['free_capacity_gb']))
    check.ok('cinder: pools %s' % ', '.join(
        '%s (%s GB, %s free)' % (n, c['total_capacity_gb'],
                                 c['free_capacity_gb'])
        for n, c in sorted(have.items())))


def main():
    if os.environ.get('VLT_TEST_OPENSTACK') == '0':
        print('SKIP: VLT_TEST_OPENSTACK=0')
        return 77
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    if not os.path.exists(path):
        print('smoke.py: no %s: the fixture openstack_up did not bring the '
              'cloud up (see its output)' % path, file=sys.stderr)
        return 1
    cloud = osapi.load_cloud(path)
    check = Check()
    admin = osapi.Session(cloud, 'admin')
    keystone(cloud, admin, check)
    providers = placement(cloud, admin, check)
    flavors = nova_lists(cloud, admin, check)
    host = cloud['compute_hosts'][-1]['name']
    agg_id, zone = aggregate(admin, host, check)
    try:
        server(cloud, admin, flavors, host, zone, providers[host], check)
    finally:
        remove_aggregate(admin, agg_id, host)
    cinder(cloud, admin, check)
    print('smoke: all checks passed in %.1f s'
          % (time.monotonic() - check.t0))
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except (AssertionError, osapi.ApiError, OSError) as err:
        print('FAIL: %s' % err, file=sys.stderr)
        sys.exit(1)
