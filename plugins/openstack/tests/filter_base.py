"""What the filter tests share: a real valetd ($VALETD) on
conf/sample-inventory.json, oslo.config's global CONF pointing the
filters at it, and plans made through the client. Nova's and Cinder's
tests run in processes of their own (the two register options of the same
names in the one global CONF)."""
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
from valet_openstack import scheduling  # noqa: E402


def passed(filt, states, props):
    return [s.host for s in filt.filter_all(states, props)]


def unreachable_url():
    gone = Valetd()
    url = gone.url
    gone.close()
    return url


class FilterTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.valetd = Valetd()
        cls.addClassCleanup(cls.valetd.close)
        cls.client = client.ValetClient(ks_session.Session(),
                                        endpoint_override=cls.valetd.url)
        cfg.CONF([], project='valet-filters-test', default_config_files=[])
        client.register_opts(cfg.CONF)
        scheduling.register_opts(cfg.CONF)
        cfg.CONF.set_override('url', cls.valetd.url, group='valet')
        cfg.CONF.set_override('failure_mode', 'refuse', group='valet')

    def use_url(self, url, failure_mode):
        self.addCleanup(cfg.CONF.set_override, 'url', self.valetd.url,
                        group='valet')
        self.addCleanup(cfg.CONF.set_override, 'failure_mode', 'refuse',
                        group='valet')
        cfg.CONF.set_override('url', url, group='valet')
        cfg.CONF.set_override('failure_mode', failure_mode, group='valet')

    def planned(self, resources):
        root = str(uuid.uuid4())
        body = {'plan_name': 'f-' + root[:8], 'stack_id': root,
                'resources': {root + '/' + k: v
                              for k, v in resources.items()}}
        self.client.create_plan(body)
        self.addCleanup(self.client.delete_plan, root)
        return root

    def location(self, orch):
        return self.client.list_placements(
            orchestration_id=orch)['placements'][0]['location']

    def heat_hints(self, root, name):
        return {'heat_root_stack_id': root, 'heat_path_in_stack': 'stack',
                'heat_resource_name': name,
                'heat_resource_uuid': str(uuid.uuid4())}
