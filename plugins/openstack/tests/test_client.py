"""valet_openstack.client against a real valetd (the build tree's, $VALETD)
on conf/sample-inventory.json: every method, Valet's explanations in
ValetError, 404 tolerated where the interface says so, an unreachable
valetd, and client_from_conf reading an oslo.config group."""
import os
import sys
import unittest
import uuid

from keystoneauth1 import session as ks_session
from oslo_config import cfg

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..'))
from tests.valetd import Valetd  # noqa: E402
from valet_openstack import client  # noqa: E402

FLAVOR = 'm1.medium'


def server(name, flavor=FLAVOR, groups=None):
    props = {'flavor': flavor}
    if groups:
        props['metadata'] = {'valet': {'groups': groups}}
    return {'name': name, 'type': 'OS::Nova::Server', 'properties': props}


def stack(stack_id, servers):
    return {'plan_name': 'plan-' + stack_id[:8], 'stack_id': stack_id,
            'resources': servers}


class ClientTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.valetd = Valetd()
        cls.client = client.ValetClient(ks_session.Session(),
                                        endpoint_override=cls.valetd.url)

    @classmethod
    def tearDownClass(cls):
        cls.valetd.close()

    def new_stack(self, servers):
        stack_id = str(uuid.uuid4())
        answer = self.client.create_plan(stack(stack_id, servers))
        self.addCleanup(self.client.delete_plan, stack_id)
        return stack_id, answer['plan']

    def test_plan_lifecycle(self):
        a, b = str(uuid.uuid4()), str(uuid.uuid4())
        stack_id, plan = self.new_stack({a: server('a'), b: server('b')})
        self.assertEqual(plan['stack_id'], stack_id)
        self.assertEqual(sorted(plan['placements']), sorted([a, b]))
        got = self.client.get_plan(stack_id)['plan']
        self.assertEqual(got['id'], plan['id'])
        self.assertIn(plan['id'],
                      [p['id'] for p in self.client.list_plans()['plans']])

        # update: b goes, c comes, a stays where it was
        c = str(uuid.uuid4())
        updated = self.client.update_plan(
            stack_id, {'plan_name': plan['name'],
                       'resources': {a: server('a'), c: server('c')}})['plan']
        self.assertEqual(sorted(updated['placements']), sorted([a, c]))
        self.assertEqual(updated['placements'][a]['location'],
                         plan['placements'][a]['location'])

        self.assertIsNone(self.client.delete_plan(stack_id))
        with self.assertRaises(client.ValetError) as caught:
            self.client.get_plan(stack_id)
        self.assertEqual(caught.exception.status, 404)
        self.assertEqual(str(caught.exception), 'Plan not found')
        # deleting again is not an error
        self.assertIsNone(self.client.delete_plan(stack_id))

    def test_reserve_and_replan(self):
        a = str(uuid.uuid4())
        stack_id, plan = self.new_stack({a: server('a')})
        host = plan['placements'][a]['location']
        others = ['compute-05-01', 'compute-05-02']
        self.assertNotIn(host, others)

        placement = self.client.reserve(a, [host] + others, 'nova-1')
        placement = placement['placement']
        self.assertEqual(placement['location'], host)
        self.assertTrue(placement['reserved'])
        self.assertEqual(placement['resource_id'], 'nova-1')

        # replan among hosts that exclude the planned one
        moved = self.client.replan(a, others, 'nova-1')['placement']
        self.assertIn(moved['location'], others)
        found = self.client.list_placements(orchestration_id=a)['placements']
        self.assertEqual([p['location'] for p in found], [moved['location']])
        self.assertEqual(
            self.client.list_placements(reserved=True, plan_id=plan['id'])
            ['placements'][0]['orchestration_id'], a)
        self.assertEqual(
            self.client.list_placements(orchestration_id=a, reserved=False)
            ['placements'], [])

    def test_orchestration_id_with_a_slash(self):
        root = str(uuid.uuid4())
        orch = root + '/tier/web'
        self.new_stack({orch: server('web')})
        placement = self.client.reserve(orch, ['compute-06-01'], 'nova-2')
        self.assertEqual(placement['placement']['orchestration_id'], orch)
        self.assertEqual(placement['placement']['location'], 'compute-06-01')
        with self.assertRaises(client.ValetError) as caught:
            self.client.reserve(root + '/nothing', ['compute-06-01'], None)
        self.assertEqual(caught.exception.status, 404)

    def test_volume_reserve_and_replan(self):
        # the Cinder filter's calls: a volume's placement is a pool
        pools = ['cinder-vol1@lvm#rack01', 'cinder-vol2@ceph#volumes']
        vol = str(uuid.uuid4())
        srv = str(uuid.uuid4())
        self.new_stack({srv: server('s'), vol: {
            'name': 'data', 'type': 'OS::Cinder::Volume',
            'properties': {'size': 10}}})
        planned = self.client.reserve(vol, pools, 'cinder-1')['placement']
        self.assertIn(planned['location'], pools)
        self.assertTrue(planned['reserved'])
        self.assertEqual(planned['resource_id'], 'cinder-1')
        other = [p for p in pools if p != planned['location']]
        moved = self.client.replan(vol, other, 'cinder-1')['placement']
        self.assertEqual(moved['location'], other[0])
        with self.assertRaises(client.ValetError) as caught:
            self.client.reserve(vol, ['no-such@pool#x'], 'cinder-1')
        self.assertEqual(caught.exception.status, 409)
        self.assertIn('candidate pools', caught.exception.message)
        # volumes stay out of the placement list, as upstream, but for a
        # query naming one
        self.assertNotIn(vol, [p['orchestration_id'] for p in
                               self.client.list_placements()['placements']])
        self.assertEqual([p['location'] for p in self.client.list_placements(
            orchestration_id=vol)['placements']], [other[0]])
        self.assertEqual([p['orchestration_id'] for p in
                          self.client.list_placements(
                              resource_id='cinder-1')['placements']], [vol])
        # a template's volume, keyed <root>/<path>, reserved as well
        root = str(uuid.uuid4())
        self.new_stack({root + '/s': server('s'), root + '/v': {
            'name': 'v', 'type': 'OS::Cinder::Volume',
            'properties': {'size': 1}}})
        self.assertEqual(self.client.reserve(root + '/v', other, 'cinder-2')
                         ['placement']['location'], other[0])
        # an ad-hoc plan of one volume, as the Cinder filter makes it: kept
        # because it names locations (pools), where upstream's volume-only
        # stack is not
        alone = str(uuid.uuid4())
        body = stack(alone, {alone: {'name': alone,
                                     'type': 'OS::Cinder::Volume',
                                     'properties': {'size': 5}}})
        self.assertEqual(self.client.create_plan(body), {'plan': {}})
        self.assertEqual(self.client.list_placements(
            orchestration_id=alone)['placements'], [])
        body['locations'] = other
        self.addCleanup(self.client.delete_plan, alone)
        self.assertEqual(self.client.create_plan(body)['plan']['stack_id'],
                         alone)
        self.assertEqual(self.client.reserve(alone, other, alone)
                         ['placement']['location'], other[0])

    def test_placement_metadata_query(self):
        a = str(uuid.uuid4())
        res = server('a')
        res['metadata'] = {'heat_resource_uuid': a}
        self.new_stack({a: res})
        found = self.client.list_placements(heat_resource_uuid=a)
        self.assertEqual([p['orchestration_id'] for p in found['placements']],
                         [a])

    def test_refusal_carries_valets_explanation(self):
        stack_id = str(uuid.uuid4())
        big = {str(uuid.uuid4()): server('huge-%d' % i, 'm1.xlarge')
               for i in range(2000)}
        with self.assertRaises(client.ValetError) as caught:
            self.client.create_plan(stack(stack_id, big))
        err = caught.exception
        self.assertEqual(err.status, 409)
        self.assertIn('hosts fit', err.message)
        self.assertEqual(str(err), err.message)
        with self.assertRaises(client.ValetError) as caught:
            self.client.create_plan({'plan_name': 'x', 'resources': {}})
        self.assertEqual(caught.exception.status, 400)
        self.assertIn('stack_id', caught.exception.message)
        with self.assertRaises(client.ValetError) as caught:
            self.client.reserve(str(uuid.uuid4()), ['compute-01-01'], None)
        self.assertEqual(caught.exception.status, 404)

    def test_groups(self):
        name = 'grp-' + uuid.uuid4().hex[:8]
        group = self.client.create_group(name, 'diversity', 'host',
                                         description='two apart')
        self.addCleanup(self.client.delete_group, group['id'])
        self.assertEqual((group['name'], group['type'], group['level'],
                          group['description'], group['members']),
                         (name, 'diversity', 'host', 'two apart', []))
        self.assertEqual(self.client.get_group(name)['group']['id'],
                         group['id'])
        updated = self.client.update_group(group['id'], description='new')
        self.assertEqual(updated['description'], 'new')

        # a plan naming the group keeps its two servers apart
        a, b = str(uuid.uuid4()), str(uuid.uuid4())
        _, plan = self.new_stack({a: server('a', groups=[name]),
                                  b: server('b', groups=[name])})
        self.assertNotEqual(plan['placements'][a]['location'],
                            plan['placements'][b]['location'])

        members = self.client.set_members(group['id'], ['tenant-a'])
        self.addCleanup(self.client.delete_members, group['id'])
        self.assertEqual(members['members'], ['tenant-a'])
        with self.assertRaises(client.ValetError) as caught:
            self.client.delete_group(group['id'])
        self.assertEqual(caught.exception.status, 409)
        with self.assertRaises(client.ValetError) as caught:
            self.client.create_group('bad name', 'diversity', 'host')
        self.assertEqual(caught.exception.status, 400)
        self.assertIn('bad name', caught.exception.message)

        plain = self.client.create_group(name + '-b', 'affinity', None)
        self.assertEqual(plain['level'], 'host')
        self.assertIsNone(self.client.delete_group(plain['id']))
        self.assertIsNone(self.client.delete_group(plain['id']))
        with self.assertRaises(client.ValetError) as caught:
            self.client.get_group(plain['id'])
        self.assertEqual(caught.exception.status, 404)


class UnreachableTest(unittest.TestCase):

    def test_unreachable_valet_has_no_status(self):
        valetd = Valetd()
        url = valetd.url
        valetd.close()
        valet = client.ValetClient(ks_session.Session(),
                                   endpoint_override=url, timeout=5)
        with self.assertRaises(client.ValetError) as caught:
            valet.get_plan('any')
        self.assertIsNone(caught.exception.status)
        self.assertIn('unreachable', caught.exception.message)
        self.assertIn(url.split('//')[1], caught.exception.message)

    def test_no_endpoint_without_catalog(self):
        valet = client.ValetClient(ks_session.Session())
        with self.assertRaises(client.ValetError) as caught:
            valet.list_plans()
        self.assertIsNone(caught.exception.status)


class ConfTest(unittest.TestCase):

    def test_client_from_conf(self):
        valetd = Valetd()
        self.addCleanup(valetd.close)
        conf = cfg.ConfigOpts()
        conf([], project='valet-test', default_config_files=[])
        conf.register_group(cfg.OptGroup('valet'))
        client.register_opts(conf)
        conf.set_override('url', valetd.url, group='valet')
        conf.set_override('timeout', 7, group='valet')
        valet = client.client_from_conf(conf)
        self.assertEqual(valet.timeout, 7)
        self.assertEqual(valet.endpoint_override, valetd.url)
        self.assertEqual(valet.endpoint_filter['interface'], 'internal')
        self.assertEqual(valet.list_plans(), {'plans': []})
        # a second registration (two plugins in one service) is harmless
        self.assertIsInstance(client.client_from_conf(conf),
                              client.ValetClient)


if __name__ == '__main__':
    unittest.main()
