#!/usr/bin/python3
"""Heat talks to Valet, and stacks boot end to end on the test cloud.

valetd runs with the nova, cinder and network sources of the cloud;
nova-scheduler and cinder-scheduler are restarted with the package's
ValetFilter pointed at it (valet_filters.py, failure_mode = refuse);
Heat is added to the cloud (cloud.py heat_up) with the package's Heat
plugins, with one engine and then the other: convergence (Heat's
default, where the OS::Valet::Plan resource makes the plan) and legacy
(convergence_engine = false, where the stack lifecycle plugin makes it
first), each sending the template form (valetd expands the template);
the resources form (the tree as Heat parses it) under convergence too.
For each,
through heatclient, as `openstack stack create` does:

- a stack with affinity, diversity and exclusivity groups: every server
  ACTIVE on exactly the host of its placement in GET /v1/plans, and the
  groups' rules hold on Nova's hosts; its volume, attached to a server, in
  the pool of its placement;
- a stack update that changes one server's flavor: that server moves (Nova
  resizes it to another host), the others stay, and the plan says so;
- a nested template (a ResourceGroup of a template resource): ONE plan
  holding every server of the tree, none for the nested stacks;
- a group that cannot be satisfied: the stack fails before any server is
  created, with Valet's explanation as its status reason;
- stack delete: the plan is gone, and valetd takes a plan that fills the
  whole cloud again (the capacity is back).

Usage: heat_e2e_test.py VALETD CLOUD_JSON [unittest names...]
"""
import os
import signal
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cloud as harness  # noqa: E402
import osapi  # noqa: E402
import valet_filters  # noqa: E402
from nova_source_test import nova_conf  # noqa: E402
from valetd_cloud_test import Valetd  # noqa: E402

sys.path.insert(0, harness.HEAT_PACKAGE)

VALETD = None
CLOUD = None
TEMPLATES = os.path.join(HERE, 'templates')
STACK_TIMEOUT = 600
SERVER = 'OS::Nova::Server'
# what fills a host of the cloud exactly (16 vCPUs: 4 of 4)
FILL_FLAVOR = 'm1.medium'
FILL_PER_HOST = 4


def heat_client(cloud, url):
    from heatclient import client as heat
    from keystoneauth1 import identity
    from keystoneauth1 import session as ks_session
    admin = cloud['users']['admin']
    auth = identity.Password(
        auth_url=cloud['auth_url'], username=admin['username'],
        password=admin['password'], project_name=admin['project_name'],
        user_domain_name='Default', project_domain_name='Default')
    sess = ks_session.Session(auth=auth)
    return heat.Client('1', endpoint='%s/%s' % (url, sess.get_project_id()),
                       session=sess)


def template_args(name, env=None):
    from heatclient.common import template_utils
    files, template = template_utils.get_template_contents(
        os.path.join(TEMPLATES, name))
    env_files, environment = {}, {}
    if env:
        env_files, environment = \
            template_utils.process_multiple_environments_and_files(
                env_paths=[os.path.join(TEMPLATES, env)])
    return {'template': template, 'files': dict(files, **env_files),
            'environment': environment}


class HeatEngineTests:
    """The tests of one engine (ENGINE) sending one plan form
    (PLAN_FORM, heat.conf [valet] plan_form)."""

    ENGINE = None
    PLAN_FORM = 'template'

    @classmethod
    def setUpClass(cls):
        url = harness.heat_up(CLOUD_DOC['dir'], VALET.base, cls.ENGINE,
                              cls.PLAN_FORM)
        cls.heat = heat_client(CLOUD_DOC, url)
        cls.admin = osapi.Session(CLOUD_DOC)
        cls.hosts = [h['name'] for h in CLOUD_DOC['compute_hosts']]

    # -------------------------------------------------------- helpers

    def stack_name(self, what):
        return 'valet-%s-%s-%s-%d' % (self.ENGINE, self.PLAN_FORM, what,
                                      os.getpid())

    def create(self, what, template, env=None, **parameters):
        name = self.stack_name(what)
        parameters.setdefault('prefix', name)
        created = self.heat.stacks.create(stack_name=name,
                                          parameters=parameters,
                                          **template_args(template, env))
        sid = created['stack']['id']
        self.addCleanup(self.delete_quietly, sid)
        return sid

    def wait(self, sid, action):
        def done():
            stack = self.heat.stacks.get(sid)
            if stack.stack_status.endswith('IN_PROGRESS'):
                return None
            return stack
        stack = osapi.wait_for('stack %s %s' % (sid, action), done,
                               STACK_TIMEOUT, interval=2)
        return stack

    def wait_complete(self, sid, action):
        stack = self.wait(sid, action)
        if stack.stack_status != action + '_COMPLETE':
            self.fail('stack %s: %s: %s\n%s' % (
                stack.stack_name, stack.stack_status,
                stack.stack_status_reason, self.failed_resources(sid)))
        return stack

    def failed_resources(self, sid):
        lines = []
        for r in self.heat.resources.list(sid, nested_depth=3):
            if r.resource_status.endswith('FAILED'):
                lines.append('  %s (%s): %s' % (
                    r.resource_name, r.resource_type,
                    r.resource_status_reason))
        return '\n'.join(lines)

    def delete_quietly(self, sid):
        """Cleanup of a stack a test left (one deleted already is fine)."""
        from heatclient import exc
        try:
            self.heat.stacks.delete(sid)
            self.wait(sid, 'DELETE')
        except exc.HTTPNotFound:
            pass
        except Exception as err:  # noqa: BLE001 - cleanup reports only
            print('cleanup of stack %s: %s' % (sid, err))

    def delete(self, sid):
        self.heat.stacks.delete(sid)

        def gone():
            try:
                stack = self.heat.stacks.get(sid)
            except Exception as err:  # noqa: BLE001 - heatclient NotFound
                if 'not found' in str(err).lower():
                    return True
                raise
            if stack.stack_status == 'DELETE_FAILED':
                raise AssertionError('stack %s: DELETE_FAILED: %s'
                                     % (sid, stack.stack_status_reason))
            return stack.stack_status == 'DELETE_COMPLETE'
        osapi.wait_for('stack %s deleted' % sid, gone, STACK_TIMEOUT,
                       interval=2)

    def servers(self, sid):
        """{key below the root: Nova server} of every server of the
        tree."""
        found = {}
        for r in self.heat.resources.list(sid, nested_depth=5):
            if r.resource_type != SERVER:
                continue
            path = self.resource_path(sid, r)
            server = self.admin.get('compute', '/servers/%s'
                                    % r.physical_resource_id)['server']
            found[path] = server
        return found

    def resource_path(self, root_sid, r):
        """parent resource names from the root, then the name, joined by
        / (how the plan keys it, below the root stack id)."""
        names = [r.resource_name]
        stack_id = r.stack_id if hasattr(r, 'stack_id') else None
        for link in r.links:
            if link['rel'] == 'stack':
                stack_id = link['href'].rstrip('/').rsplit('/', 1)[1]
        while stack_id and stack_id != root_sid:
            stack = self.heat.stacks.get(stack_id)
            parent = stack.parent
            names.insert(0, self.parent_resource_name(stack))
            stack_id = parent
        return '/'.join(names)

    def parent_resource_name(self, stack):
        for r in self.heat.resources.list(stack.parent):
            if r.physical_resource_id == stack.id:
                return r.resource_name
        self.fail('no resource of stack %s makes nested stack %s'
                  % (stack.parent, stack.id))

    def plan(self, sid):
        status, doc = VALET.call('GET', '/v1/plans/%s' % sid)
        self.assertEqual(status, 200, doc)
        return doc['plan']

    def plans(self):
        status, doc = VALET.call('GET', '/v1/plans')
        self.assertEqual(status, 200, doc)
        return doc['plans']

    def planned_hosts(self, sid):
        """{key below the root: the planned host}."""
        prefix = sid + '/'
        out = {}
        for key, placed in self.plan(sid)['placements'].items():
            self.assertTrue(key.startswith(prefix),
                            'placement %s is not keyed under the root '
                            'stack %s' % (key, sid))
            out[key[len(prefix):]] = placed['location']
        return out

    def assert_where_planned(self, sid):
        """Every server ACTIVE on its planned host; {key: host}."""
        servers = self.servers(sid)
        planned = self.planned_hosts(sid)
        self.assertEqual(sorted(servers), sorted(planned),
                         'the stack\'s servers and the plan\'s placements')
        hosts = {}
        for key, server in servers.items():
            self.assertEqual(server['status'], 'ACTIVE',
                             '%s: %s' % (key, server.get('fault')))
            hosts[key] = server['OS-EXT-SRV-ATTR:host']
            self.assertEqual(hosts[key], planned[key],
                             'server %s is on %s, Valet planned %s'
                             % (key, hosts[key], planned[key]))
        return hosts

    def assert_volume_where_planned(self, sid, name):
        """The volume is in the pool of its placement."""
        key = '%s/%s' % (sid, name)
        found = [r for r in self.heat.resources.list(sid)
                 if r.resource_name == name]
        volume = self.admin.get('volumev3', '/volumes/%s'
                                % found[0].physical_resource_id)['volume']
        status, doc = VALET.call('GET', '/v1/placements/%s' % key)
        self.assertEqual(status, 200, doc)
        self.assertEqual(volume['os-vol-host-attr:host'],
                         doc['placement']['location'],
                         'volume %s is in %s, Valet planned %s'
                         % (key, volume['os-vol-host-attr:host'],
                            doc['placement']['location']))

    def sighup(self):
        before = VALET.sources()['refreshes']
        VALET.proc.send_signal(signal.SIGHUP)
        osapi.wait_for('valetd reads the sources',
                       lambda: VALET.sources()['refreshes'] > before,
                       60, interval=0.2)

    def assert_capacity_back(self):
        """No plan is left, and a plan that fills every host fits."""
        self.assertEqual(self.plans(), [])
        self.sighup()
        count = FILL_PER_HOST * len(self.hosts)
        sid = self.stack_name('fill')
        body = {'plan_name': sid, 'stack_id': sid, 'resources': {
            '%s/%d' % (sid, i): {'name': 'fill-%d' % i, 'type': SERVER,
                                 'properties': {'flavor': FILL_FLAVOR}}
            for i in range(count)}}
        status, doc = VALET.call('POST', '/v1/plans', body)
        if status == 201:
            VALET.call('DELETE', '/v1/plans/%s' % sid)
        self.assertEqual(status, 201, 'the cloud\'s whole capacity (%d %s) '
                         'is not back: %s' % (count, FILL_FLAVOR, doc))

    # -------------------------------------------------------- tests

    def test_groups_update_delete(self):
        sid = self.create('groups', 'groups.yaml')
        self.wait_complete(sid, 'CREATE')
        hosts = self.assert_where_planned(sid)
        self.assertEqual(hosts['app-1'], hosts['app-2'], 'affinity')
        self.assertNotEqual(hosts['web-1'], hosts['web-2'], 'diversity')
        others = [h for k, h in hosts.items() if k != 'db']
        self.assertNotIn(hosts['db'], others, 'exclusivity')
        self.assert_volume_where_planned(sid, 'data')
        self.assertEqual(len([p for p in self.plans()
                              if p['stack_id'] == sid]), 1)

        self.heat.stacks.update(sid, existing=True,
                                parameters={'solo_flavor': 'm1.medium'})
        self.wait_complete(sid, 'UPDATE')
        after = self.assert_where_planned(sid)
        moved = sorted(k for k in hosts if after[k] != hosts[k])
        self.assertEqual(moved, ['solo'],
                         'only the server whose flavor changed moves: %s '
                         'then %s' % (hosts, after))
        server = self.servers(sid)['solo']
        self.assertEqual(server['flavor']['original_name'], 'm1.medium')

        self.delete(sid)
        status, doc = VALET.call('GET', '/v1/plans/%s' % sid)
        self.assertEqual(status, 404, doc)
        self.assert_capacity_back()

    def test_refused(self):
        sid = self.create('refused', 'refused.yaml', 'nested-env.yaml',
                          count=len(self.hosts) + 1)
        stack = self.wait(sid, 'CREATE')
        self.assertEqual(stack.stack_status, 'CREATE_FAILED')
        reason = stack.stack_status_reason
        self.assertIn('Valet: ', reason)
        self.assertIn('hosts fit', reason)
        self.assertEqual(self.servers(sid), {},
                         'no server is created for a refused plan')
        status, doc = VALET.call('GET', '/v1/plans/%s' % sid)
        self.assertEqual(status, 404, doc)
        self.delete(sid)
        self.assert_capacity_back()

    def test_nested_is_one_plan(self):
        before = {p['stack_id'] for p in self.plans()}
        sid = self.create('nested', 'nested.yaml', 'nested-env.yaml',
                          count=len(self.hosts))
        self.wait_complete(sid, 'CREATE')
        new = [p for p in self.plans() if p['stack_id'] not in before]
        self.assertEqual([p['stack_id'] for p in new], [sid],
                         'one plan for the whole tree')
        hosts = self.assert_where_planned(sid)
        workers = ['workers/%d/server' % i for i in range(len(self.hosts))]
        self.assertEqual(sorted(hosts), sorted(workers + ['head']))
        self.assertEqual(len({hosts[w] for w in workers}), len(workers),
                         'the ResourceGroup\'s members are kept apart')
        self.delete(sid)
        self.assert_capacity_back()


class Convergence(HeatEngineTests, unittest.TestCase):
    """Heat's default engine: OS::Valet::Plan makes the plan."""

    ENGINE = 'convergence'


class ResourcesForm(HeatEngineTests, unittest.TestCase):
    """plan_form = resources: the tree as Heat parses it, nested stacks
    and groups spanning them included."""

    ENGINE = 'convergence'
    PLAN_FORM = 'resources'

    test_refused = None


class Legacy(HeatEngineTests, unittest.TestCase):
    """convergence_engine = false: the lifecycle plugin plans the stack
    before any resource is made (OS::Valet::Plan finds the plan made)."""

    ENGINE = 'legacy'

    def test_refused(self):
        super().test_refused()
        log = os.path.join(CLOUD_DOC['logs'], 'heat-%s.log' % self.ENGINE)
        with open(log, encoding='utf-8', errors='replace') as f:
            self.assertIn('valet: lifecycle pre-op CREATE of stack %s'
                          % self.stack_name('refused'), f.read())


def setUpModule():
    global VALET, CLOUD_DOC
    CLOUD_DOC = osapi.load_cloud(CLOUD)
    VALET = Valetd(nova_conf(CLOUD_DOC, sources=('nova', 'cinder',
                                                 'network')))
    # refuse: a server Valet cannot place fails rather than going anywhere
    valet_filters.switch(CLOUD_DOC['dir'], VALET.base, 'refuse')


def tearDownModule():
    harness.heat_down(CLOUD_DOC['dir'])
    valet_filters.switch(CLOUD_DOC['dir'], None)
    VALET.stop()


CLOUD_DOC = VALET = None


def main():
    global VALETD, CLOUD
    if os.environ.get('VLT_TEST_OPENSTACK') == '0':
        print('SKIP: VLT_TEST_OPENSTACK=0')
        return 77
    VALETD, CLOUD = sys.argv[1], sys.argv[2]
    import valetd_cloud_test
    valetd_cloud_test.VALETD = VALETD
    result = unittest.main(argv=[sys.argv[0], '-v'] + sys.argv[3:],
                           exit=False).result
    if result.skipped and result.wasSuccessful() and \
            result.testsRun <= len(result.skipped):
        for _, why in result.skipped:
            print('SKIP: %s' % why)
        return 77
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
