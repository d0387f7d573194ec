"""Nova's ValetFilter driven as nova-scheduler drives it: filter_all
with Nova's own RequestSpec, HostState, retry and server group objects,
against a real valetd (filter_base): a planned server kept on its planned
host, then a retry replanned away from the host it failed on; a rebuild
left alone; servers booted with a reservation's hint taking its
placements; ad-hoc plans with a Valet group and Nova server groups; a
refusal with Valet's reason; both failure modes with valetd gone. Nova
itself runs in tests/openstack/valet_filters_test.py."""
import unittest
import uuid

from tests.filter_base import FilterTest, passed, unreachable_url
from nova import objects
from nova.scheduler import host_manager

from valet_openstack.nova import filter as nova_filter

objects.register_all()
HOSTS = ['compute-05-01', 'compute-05-02', 'compute-05-03']


def host_states(names):
    return [host_manager.HostState(n, n, str(uuid.uuid4())) for n in names]


def spec(instance_uuid=None, flavor='m1.small', hints=None, retry_hosts=(),
         group=None):
    hints = {k: v if isinstance(v, list) else [v]
             for k, v in (hints or {}).items()}
    fields = dict(instance_uuid=instance_uuid or str(uuid.uuid4()),
                  flavor=(flavor if isinstance(flavor, objects.Flavor)
                          else objects.Flavor(name=flavor)),
                  scheduler_hints=hints,
                  project_id='tenant-1', instance_group=group)
    if retry_hosts:
        fields['retry'] = objects.SchedulerRetries(
            num_attempts=2, hosts=objects.ComputeNodeList(objects=[
                objects.ComputeNode(host=h, hypervisor_hostname=h)
                for h in retry_hosts]))
    return objects.RequestSpec(**fields)


class NovaFilterTest(FilterTest):

    def setUp(self):
        self.nova = nova_filter.ValetFilter()

    def test_planned_server_then_a_retry_elsewhere(self):
        root = self.planned({'web': {
            'name': 'web', 'type': 'OS::Nova::Server',
            'properties': {'flavor': 'm1.small'}}})
        # make the planned host a candidate: move it there first
        self.client.replan(root + '/web', HOSTS, None)
        planned = self.location(root + '/web')
        uuid_ = str(uuid.uuid4())
        hints = self.heat_hints(root, 'web')
        self.assertEqual(passed(self.nova, host_states(HOSTS),
                                spec(uuid_, hints=hints)), [planned])
        # Nova's retry record names the host the boot failed on
        again = passed(self.nova, host_states(HOSTS),
                       spec(uuid_, hints=hints, retry_hosts=[planned]))
        self.assertEqual(len(again), 1)
        self.assertNotEqual(again[0], planned)
        self.assertEqual(self.location(root + '/web'), again[0])

    def test_servers_booted_with_a_reservation_hint(self):
        stack = str(uuid.uuid4())
        now = self.client._call('POST', '/v1/reservations', {
            'plan_name': 'r-' + stack[:8], 'stack_id': stack,
            'start': 'now', 'end': '2090-01-01T00:00:00Z',
            'resources': {stack + '-%d' % i: {
                'name': 'vm%d' % i, 'type': 'OS::Nova::Server',
                'properties': {'flavor': 'm1.small'}} for i in range(2)}})
        resv = now['reservation']
        self.addCleanup(self.client._call, 'DELETE',
                        '/v1/reservations/' + resv['id'])
        taken = []
        for _ in range(2):
            uuid_ = str(uuid.uuid4())
            got = passed(self.nova, host_states(HOSTS),
                         spec(uuid_, hints={'reservation': resv['id']}))
            self.assertEqual(len(got), 1)
            taken += got
            bound = self.client.list_placements(resource_id=uuid_)
            self.assertEqual(len(bound['placements']), 1)
        # its placements moved among the candidates where they were not
        now = self.client._call('GET', '/v1/reservations/' + resv['id'])
        self.assertEqual(sorted(p['location'] for p in
                                now['reservation']['placements'].values()),
                         sorted(taken))
        # both taken: a third server of the reservation has no host
        self.assertEqual(passed(self.nova, host_states(HOSTS), spec(
            hints={'reservation': resv['id']})), [])

    def test_servers_booted_for_a_blazar_lease(self):
        lease = self.client._call('POST', '/v1/leases', {
            'name': 'l-' + str(uuid.uuid4())[:8], 'start_date': 'now',
            'end_date': '2090-01-01 00:00', 'events': [],
            'reservations': [{
                'resource_type': 'virtual:instance', 'amount': 2,
                'vcpus': 2, 'memory_mb': 4096, 'disk_gb': 40,
                'affinity': False, 'resource_properties': ''}]})['lease']
        self.addCleanup(self.client._call, 'DELETE',
                        '/v1/leases/' + lease['id'])
        reservation = lease['reservations'][0]['id']
        # Blazar's flavor for the reservation: the sizes it asked
        flavor = objects.Flavor(name='reservation-flavor', vcpus=2,
                                memory_mb=4096, root_gb=40)
        taken = [passed(self.nova, host_states(HOSTS),
                        spec(flavor=flavor,
                             hints={'reservation': reservation}))
                 for _ in range(2)]
        self.assertTrue(all(len(t) == 1 for t in taken), taken)
        self.assertNotEqual(taken[0], taken[1])  # affinity false
        self.assertEqual(passed(self.nova, host_states(HOSTS), spec(
            flavor=flavor, hints={'reservation': reservation})), [])

    def test_rebuild_is_left_alone(self):
        props = spec(hints={'_nova_check_type': 'rebuild'})
        self.assertEqual(passed(self.nova, host_states(HOSTS), props), HOSTS)

    def test_adhoc_servers_with_groups(self):
        name = 'apart-' + uuid.uuid4().hex[:6]
        valet_group = self.client.create_group(name, 'diversity', 'host')
        self.addCleanup(self.client.delete_group, valet_group['id'])
        group = objects.InstanceGroup(uuid=str(uuid.uuid4()),
                                      name='sg', policy='affinity')
        first = spec(hints={'valet_groups': name}, group=group)
        self.addCleanup(self.client.delete_plan, first.instance_uuid)
        hosts = passed(self.nova, host_states(HOSTS[:2]), first)
        self.assertEqual(len(hosts), 1)
        plan = self.client.get_plan(first.instance_uuid)['plan']
        self.assertEqual(plan['placements'][first.instance_uuid]['location'],
                         hosts[0])
        sg = self.client.get_group('nova-server-group-' + group.uuid)['group']
        self.assertEqual((sg['type'], sg['level']), ('affinity', 'host'))
        # the Valet group keeps the second apart, the server group's
        # affinity keeps it with the first: refused, with Valet's reason
        second = spec(hints={'valet_groups': name}, group=group)
        with self.assertLogs('valet_openstack.scheduling', 'WARNING') as log:
            self.assertEqual(passed(self.nova, host_states(HOSTS[:2]),
                                    second), [])
        self.assertIn('hosts fit', log.output[0])
        self.assertIn(name, log.output[0])

    def test_adhoc_anti_affinity_server_group(self):
        group = objects.InstanceGroup(uuid=str(uuid.uuid4()),
                                      name='sg', policy='anti-affinity')
        hosts = []
        for _ in range(2):
            props = spec(group=group)
            self.addCleanup(self.client.delete_plan, props.instance_uuid)
            hosts += passed(self.nova, host_states(HOSTS[:2]), props)
        self.assertEqual(sorted(hosts), HOSTS[:2])
        props = spec(group=group)
        self.addCleanup(self.client.delete_plan, props.instance_uuid)
        self.assertEqual(passed(self.nova, host_states(HOSTS[:2]), props), [])

    def test_failure_modes(self):
        for mode, hosts in (('refuse', []), ('pass', HOSTS)):
            self.use_url(unreachable_url(), mode)
            with self.assertLogs('valet_openstack.scheduling') as log:
                self.assertEqual(passed(nova_filter.ValetFilter(),
                                        host_states(HOSTS), spec()), hosts)
            self.assertIn('failure_mode = %s' % mode, log.output[0])
            self.assertIn('unreachable', log.output[0])


if __name__ == '__main__':
    unittest.main()
