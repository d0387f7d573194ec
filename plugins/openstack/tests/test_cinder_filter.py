"""Cinder's ValetFilter driven as cinder-scheduler drives it: filter_all
with Cinder's own PoolState objects and filter properties, against a real
valetd (filter_base): a planned volume kept in its planned pool, then a
retry replanned away from the pool it failed in; an ad-hoc plan for a
volume of a volume type; both failure modes with valetd gone. Cinder
itself runs in tests/openstack/valet_filters_test.py."""
import unittest
import uuid

from cinder import objects
from tests.filter_base import FilterTest, passed, unreachable_url

objects.register_all()
from cinder.scheduler import host_manager  # noqa: E402

from valet_openstack.cinder import filter as cinder_filter  # noqa: E402

POOLS = ['cinder-vol1@lvm#rack01', 'cinder-vol2@ceph#volumes']


def pool_states(names):
    states = []
    for name in names:
        backend, pool = name.split('#')
        states.append(host_manager.PoolState(backend, None, {}, pool))
    return states


def volume(volume_id, size, **props):
    return dict(props, size=size, request_spec={
        'volume_id': volume_id,
        'volume_properties': {'size': size, 'project_id': 'tenant-1'}})


class CinderFilterTest(FilterTest):

    def setUp(self):
        self.cinder = cinder_filter.ValetFilter()

    def test_planned_volume_then_a_retry_elsewhere(self):
        root = self.planned({
            's': {'name': 's', 'type': 'OS::Nova::Server',
                  'properties': {'flavor': 'm1.small'}},
            'data': {'name': 'data', 'type': 'OS::Cinder::Volume',
                     'properties': {'size': 10}}})
        planned = self.location(root + '/data')
        vid = str(uuid.uuid4())
        props = volume(vid, 10, scheduler_hints=self.heat_hints(root, 'data'))
        self.assertEqual(passed(self.cinder, pool_states(POOLS), props),
                         [planned])
        props = dict(props, retry={'num_attempts': 2, 'backends': [planned],
                                   'hosts': [planned]})
        self.assertEqual(passed(self.cinder, pool_states(POOLS), props),
                         [p for p in POOLS if p != planned])

    def test_adhoc_volume(self):
        vid = str(uuid.uuid4())
        self.addCleanup(self.client.delete_plan, vid)
        props = volume(vid, 4, volume_type={'name': 'ceph'})
        self.assertEqual(passed(self.cinder, pool_states(POOLS), props),
                         ['cinder-vol2@ceph#volumes'])
        self.assertEqual(self.location(vid), 'cinder-vol2@ceph#volumes')

    def test_failure_modes(self):
        for mode, pools in (('refuse', []), ('pass', POOLS)):
            self.use_url(unreachable_url(), mode)
            with self.assertLogs('valet_openstack.scheduling') as log:
                self.assertEqual(passed(cinder_filter.ValetFilter(),
                                        pool_states(POOLS),
                                        volume(str(uuid.uuid4()), 1)), pools)
            self.assertIn('failure_mode = %s' % mode, log.output[0])
            self.assertIn('unreachable', log.output[0])


if __name__ == '__main__':
    unittest.main()
