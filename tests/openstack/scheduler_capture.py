"""A Nova scheduler filter that records what the scheduler is asked.

CaptureFilter passes every host. Listed last among the enabled filters, it
sees the hosts the other filters kept, and writes one JSON file per
request and instance into its directory ([scheduler_capture] directory of
nova.conf): {"spec": the RequestSpec as obj_to_primitive() makes it,
"hosts": [{"host", "hypervisor_hostname"}, ...]}. That is the spec and the
host list SAP's Nova fork sends to an external scheduler, so the
recordings are real requests to replay against valetd's
POST /scheduler/nova/external (tests/openstack/external_scheduler_test.py).

The file is named <instance uuid>-<n>.json, n counting the requests for
that instance (a rebuild or a migration asks again), written to a
temporary name first so that a reader never sees half a file.

cloud.py enables it with --capture-scheduler through configure().
"""

import json
import os

from oslo_config import cfg

from nova.scheduler import filters

OPTS = [cfg.StrOpt('directory', help='where the recordings go')]
cfg.CONF.register_opts(OPTS, group='scheduler_capture')

FILTER = 'scheduler_capture.CaptureFilter'
# the RequestSpec's cell mapping carries the cell's database and message
# queue URLs, passwords included: a recording leaves them out
SECRETS = ('database_connection', 'transport_url')


def configure(nova_conf, directory):
    """Add the filter, last, and its directory to nova_conf (a dict of
    sections as cloud.py writes them)."""
    from nova.conf import scheduler
    enabled = next(o.default for o in scheduler.filter_scheduler_opts
                   if o.name == 'enabled_filters')
    section = nova_conf.setdefault('filter_scheduler', {})
    # a multi-valued option: cloud.py writes a list as repeated lines
    section['available_filters'] = [
        'nova.scheduler.filters.all_filters', FILTER]
    section['enabled_filters'] = ','.join(list(enabled) + ['CaptureFilter'])
    nova_conf['scheduler_capture'] = {'directory': directory}
    os.makedirs(directory, exist_ok=True)


def scrub(value):
    """value without the keys of SECRETS, at any depth."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if k not in SECRETS}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


class CaptureFilter(filters.BaseHostFilter):
    """Passes every host; records the request and the hosts it got."""

    RUN_ON_REBUILD = True

    def host_passes(self, host_state, spec_obj):
        return True

    def filter_all(self, filter_obj_list, spec_obj):
        hosts = list(filter_obj_list)
        directory = cfg.CONF.scheduler_capture.directory
        if directory:
            record(directory, spec_obj, hosts)
        return hosts


def record(directory, spec_obj, hosts):
    body = {
        'spec': scrub(spec_obj.obj_to_primitive()),
        'hosts': [{'host': h.host,
                   'hypervisor_hostname': h.hypervisor_hostname or h.nodename}
                  for h in hosts],
    }
    uuid = spec_obj.instance_uuid or 'unknown'
    n = 1
    while os.path.exists(os.path.join(directory, '%s-%d.json' % (uuid, n))):
        n += 1
    path = os.path.join(directory, '%s-%d.json' % (uuid, n))
    with open(path + '.tmp', 'w') as f:
        json.dump(body, f, indent=1, sort_keys=True, default=str)
    os.rename(path + '.tmp', path)
