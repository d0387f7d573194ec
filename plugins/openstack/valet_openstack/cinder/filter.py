"""Cinder's ValetFilter: each volume goes to the pool Valet places it in.

cinder.conf::

    [DEFAULT]
    scheduler_default_filters = AvailabilityZoneFilter,CapacityFilter,
        CapabilitiesFilter,ValetFilter   (on one line)

Cinder finds its filters by the entry points of ``cinder.scheduler.filters``
(this package declares ``ValetFilter``), not by a class path. Listed last,
the filter asks Valet once per volume with every pool the filters before
it kept (`valet_openstack.scheduling`), and passes only the pool Valet
chose. Pools are named as Cinder and Valet's cinder source both name them,
``host@backend#pool``.

Which placement: a Heat stack's volume carries Heat's scheduler hints,
from which its orchestration id is computed as for Nova's servers
(`valet_openstack.nova.filter`, without importing Nova); a volume no plan
has gets an ad-hoc plan of its own (its size and volume type), keyed by
its volume id.
"""
from oslo_log import log as logging

from cinder.scheduler import filters

from valet_openstack import scheduling

LOG = logging.getLogger(__name__)


def as_list(value):
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) \
        else [str(value)]


def orchestration_ids(hints):
    hints = hints or {}
    return scheduling.heat_orchestration_ids(
        lambda name: as_list(hints.get(name)))


class ValetFilter(filters.BaseBackendFilter):
    """Passes the one pool Valet placed the volume in."""

    def __init__(self):
        super().__init__()
        self.decider = scheduling.Decider('volume')

    def filter_all(self, filter_obj_list, filter_properties):
        backends = list(filter_obj_list)
        volume_id = self._volume_id(filter_properties)
        if not backends or volume_id is None:
            return backends
        decision = self._decision(backends, volume_id, filter_properties)
        return [b for b in backends if decision.admits(b.host)]

    def backend_passes(self, backend_state, filter_properties):
        volume_id = self._volume_id(filter_properties)
        if volume_id is None:
            return True
        return self._decision([backend_state], volume_id,
                              filter_properties).admits(backend_state.host)

    @staticmethod
    def _volume_id(filter_properties):
        spec = filter_properties.get('request_spec') or {}
        volume_id = spec.get('volume_id')
        return str(volume_id) if volume_id else None

    def _decision(self, backends, volume_id, filter_properties):
        retry = filter_properties.get('retry') or {}
        failed = [str(f) for f in
                  retry.get('backends') or retry.get('hosts') or []]
        key = self.decider.request_key(filter_properties.get('context'),
                                       filter_properties, volume_id, failed)
        decision = self.decider.remembered(key)
        if decision is None:
            decision = self.decider.decide(
                volume_id, list(dict.fromkeys(b.host for b in backends)),
                orchestration_ids=orchestration_ids(
                    filter_properties.get('scheduler_hints')),
                failed=failed,
                adhoc_plan=lambda locations: self._adhoc_plan(
                    volume_id, filter_properties, locations))
            self.decider.remember(key, decision)
        return decision

    @staticmethod
    def _adhoc_plan(volume_id, filter_properties, locations):
        spec = filter_properties.get('request_spec') or {}
        volume = spec.get('volume_properties') or {}
        properties = {'size': int(filter_properties.get('size') or
                                  volume.get('size'))}
        volume_type = filter_properties.get('volume_type') or \
            spec.get('volume_type') or {}
        if volume_type.get('name'):
            properties['volume_type'] = volume_type['name']
        # locations: the candidate pools (and what keeps a plan of volumes
        # alone, which upstream answered with an empty plan)
        plan = {'plan_name': 'volume-' + volume_id, 'stack_id': volume_id,
                'locations': locations,
                'resources': {volume_id: {'name': volume_id,
                                          'type': 'OS::Cinder::Volume',
                                          'properties': properties}}}
        if volume.get('project_id'):
            plan['tenant_id'] = volume['project_id']
        return plan
