"""Nova's ValetFilter: each server goes where Valet places it.

nova.conf::

    [filter_scheduler]
    available_filters = nova.scheduler.filters.all_filters
    available_filters = valet_openstack.nova.filter.ValetFilter
    enabled_filters = ...,ValetFilter

Nova filters the hosts once for each server of a request; this filter
asks Valet once, with every host the filters before it kept (which is why
it must be listed last), and then passes only the host Valet chose
(`valet_openstack.scheduling`).

Which placement: a server booted with the scheduler hint ``reservation``
(Blazar's) takes a placement of that Valet reservation of its flavor.
Else a Heat stack's server carries Heat's scheduler hints
(heat.conf ``stack_scheduler_hints = true``); its orchestration id is
``<heat_root_stack_id>/<parent resource names>/<heat_resource_name>`` for
a plan made from the template, or ``heat_resource_uuid`` for a plan keyed
by Heat's resource uuids. A server no plan has gets an ad-hoc plan of its
own: its flavor, the Valet groups named by the scheduler hint
``valet_groups`` or by its metadata (``valet``: ``{"groups": [...]}``),
and its Nova server group's policy (affinity, anti-affinity) as a Valet
group of its own, ``nova-server-group-<uuid>``, that every member of the
server group names.
"""
import json

from nova.scheduler import filters
from nova.scheduler import utils as scheduler_utils
from oslo_log import log as logging

from valet_openstack import client as valet_client
from valet_openstack import scheduling

LOG = logging.getLogger(__name__)

SERVER_GROUP_TYPES = {'affinity': 'affinity', 'anti-affinity': 'diversity'}
SERVER_GROUP_PREFIX = 'nova-server-group-'


def hint(spec_obj, name):
    """A scheduler hint as a list of strings ([] when not given)."""
    value = spec_obj.get_scheduler_hint(name)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [value]


def orchestration_ids(spec_obj):
    return scheduling.heat_orchestration_ids(lambda n: hint(spec_obj, n))


def groups_of_metadata(value):
    """Valet groups from a server's ``valet`` metadata: Nova keeps
    metadata values as strings, so ``{"groups": [...]}`` arrives as JSON
    text; a plain comma-separated list of names is taken too."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return split_names(value)
    if isinstance(value, dict):
        value = value.get('groups', [])
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def split_names(text):
    return [n.strip() for n in str(text).split(',') if n.strip()]


class ValetFilter(filters.BaseHostFilter):
    """Passes the one host Valet placed the server on."""

    # each server of a multi-server request is a unit of its own
    run_filter_once_per_request = False
    # a rebuild stays on its host: nothing for Valet to decide
    RUN_ON_REBUILD = False

    def __init__(self):
        super().__init__()
        self.decider = scheduling.Decider('server')

    def filter_all(self, filter_obj_list, spec_obj):
        hosts = list(filter_obj_list)
        if not hosts or scheduler_utils.request_is_rebuild(spec_obj):
            return hosts
        decision = self._decision(hosts, spec_obj)
        return [h for h in hosts if decision.admits(h.host)]

    def host_passes(self, host_state, spec_obj):
        """For a caller that asks host by host: the decision made for the
        request (filter_all), or one with this host as the only
        candidate."""
        return self._decision([host_state], spec_obj).admits(host_state.host)

    # -- the decision

    def _decision(self, hosts, spec_obj):
        failed = self._failed_hosts(spec_obj)
        key = self.decider.request_key(getattr(spec_obj, '_context', None),
                                       spec_obj, spec_obj.instance_uuid,
                                       failed)
        decision = self.decider.remembered(key)
        if decision is None:
            candidates = list(dict.fromkeys(h.host for h in hosts))
            decision = self.decider.decide(
                spec_obj.instance_uuid, candidates,
                orchestration_ids=orchestration_ids(spec_obj),
                failed=failed,
                adhoc_plan=lambda locations: self._adhoc_plan(spec_obj,
                                                              locations),
                reservation=self._reservation(spec_obj))
            self.decider.remember(key, decision)
        return decision

    @staticmethod
    def _reservation(spec_obj):
        """(reservation id, flavor) for a server booted with the
        ``reservation`` hint, else None."""
        ids = hint(spec_obj, 'reservation')
        if not ids:
            return None
        flavor = spec_obj.flavor
        sizes = {'name': flavor.name}
        for ours, novas in (('vcpus', 'vcpus'), ('ram_mb', 'memory_mb'),
                            ('disk_gb', 'root_gb')):
            if flavor.obj_attr_is_set(novas):
                sizes[ours] = getattr(flavor, novas)
        return ids[0], sizes

    @staticmethod
    def _failed_hosts(spec_obj):
        """The hosts a retried boot failed on (Nova's retry record)."""
        retry = spec_obj.retry if spec_obj.obj_attr_is_set('retry') else None
        if not retry or not retry.obj_attr_is_set('hosts') or \
                not retry.hosts:
            return []
        return [node.host for node in retry.hosts]

    def _adhoc_plan(self, spec_obj, locations):
        uuid = spec_obj.instance_uuid
        properties = {'flavor': spec_obj.flavor.name}
        groups = self._valet_groups(spec_obj)
        if groups:
            properties['metadata'] = {'valet': {'groups': groups}}
        plan = {'plan_name': 'server-' + uuid, 'stack_id': uuid,
                'locations': locations,
                'resources': {uuid: {'name': uuid, 'type': 'OS::Nova::Server',
                                     'properties': properties}}}
        if spec_obj.obj_attr_is_set('project_id') and spec_obj.project_id:
            plan['tenant_id'] = spec_obj.project_id
        return plan

    def _valet_groups(self, spec_obj):
        groups = []
        for value in hint(spec_obj, 'valet_groups'):
            groups.extend(split_names(value))
        groups.extend(groups_of_metadata(self._metadata(spec_obj)
                                         .get('valet')))
        server_group = self._server_group(spec_obj)
        if server_group:
            groups.append(server_group)
        return list(dict.fromkeys(groups))

    @staticmethod
    def _metadata(spec_obj):
        """The server's metadata: the request spec has none, the build
        request the API wrote has (a new server only)."""
        from nova import objects
        try:
            build = objects.BuildRequest.get_by_instance_uuid(
                spec_obj._context, spec_obj.instance_uuid)
            return dict(build.instance.metadata or {})
        except Exception as err:  # noqa: BLE001 - metadata is optional
            LOG.debug('Valet: no build request for server %s (%s): its '
                      'metadata names no group', spec_obj.instance_uuid, err)
            return {}

    def _server_group(self, spec_obj):
        """The Valet group standing for the server's Nova server group,
        made on first use; None for no group or a soft policy."""
        group = (spec_obj.instance_group
                 if spec_obj.obj_attr_is_set('instance_group') else None)
        if group is None or not group.obj_attr_is_set('uuid'):
            return None
        policy = group.policy if group.obj_attr_is_set('policy') else None
        kind = SERVER_GROUP_TYPES.get(policy)
        if kind is None:
            return None
        name = SERVER_GROUP_PREFIX + group.uuid
        client = self.decider.client
        try:
            client.get_group(name)
        except valet_client.ValetError as err:
            if err.status != 404:
                raise
            try:
                client.create_group(name, kind, 'host', description=(
                    'Nova server group %s (%s)'
                    % (getattr(group, 'name', '') or group.uuid, policy)))
            except valet_client.ValetError as race:
                # another scheduler made it meanwhile
                if race.status != 400 or 'already exists' not in str(race):
                    raise
        return name
