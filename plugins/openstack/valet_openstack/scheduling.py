"""What the Nova and Cinder filters share: asking Valet once where one
server or volume goes among the scheduler's candidates, and what to do
when Valet cannot say.

The decision, for a unit (server or volume) with resource id R (Nova's
instance uuid, Cinder's volume id):

0. a server booted with a reservation's hint (Blazar's ``reservation``)
   takes one of that reservation's placements of its flavor (the one it
   took before, on a retry), among the candidates; none left, or the
   reservation not active, refuses it;
1. a placement a plan made for it, found by the orchestration ids the
   scheduler hints give: reserve it among the candidates (valetd keeps
   the planned host when it is one of them, and replans among them
   otherwise);
2. else a placement already bound to R (a unit scheduled again: a retry,
   a migration, an earlier ad-hoc plan): the same;
3. else an ad-hoc plan of that unit alone with the candidates as its
   locations, then its reservation.

A unit scheduled again after failing on some hosts is replanned away from
them. A refusal by Valet (409: no room among the candidates, a group
rule) refuses every candidate, with Valet's reason in the log; Valet
unreachable or failing is the ``failure_mode`` setting's to decide.
"""
import time

from oslo_config import cfg
from oslo_log import log as logging

from valet_openstack import client as valet_client

LOG = logging.getLogger(__name__)

GROUP = 'valet'
FAILURE_PASS = 'pass'
FAILURE_REFUSE = 'refuse'
DECISION_TTL_S = 300

OPTS = [
    cfg.StrOpt('failure_mode', default=FAILURE_REFUSE,
               choices=[(FAILURE_PASS, 'every candidate passes: the '
                                       'scheduler decides without Valet'),
                        (FAILURE_REFUSE, 'no candidate passes: the request '
                                         'fails with no valid host')],
               help='what the filter does when Valet cannot be reached or '
                    'fails (not when it refuses: that refuses the request)'),
]


def heat_orchestration_ids(hint):
    """The orchestration ids Heat's scheduler hints name, most specific
    first; ``hint(name)`` is a hint's values as a list of strings.

    A plan made from the template keys a unit by ``<heat_root_stack_id>/
    <parent resource names>/<heat_resource_name>``; upstream's plugin keyed
    it by ``heat_resource_uuid``. ``heat_path_in_stack`` holds the root
    stack's name, then one ``<parent resource>,<stack name>`` per nesting
    level.
    """
    ids = []
    root = hint('heat_root_stack_id')
    name = hint('heat_resource_name')
    if root and name:
        parents = [level.split(',', 1)[0]
                   for level in hint('heat_path_in_stack') if ',' in level]
        ids.append('/'.join([root[0]] + parents + [name[0]]))
    ids.extend(hint('heat_resource_uuid')[:1])
    return ids


def register_opts(conf, group=GROUP):
    conf.register_opts(OPTS, group=group)


class Decision:
    """Where the unit may go: one location, every candidate, or none."""

    def __init__(self, location=None, everything=False, reason=''):
        self.location = location
        self.everything = everything
        self.reason = reason

    def admits(self, name):
        return self.everything or (self.location is not None and
                                   name == self.location)


class Decider:
    """Asks Valet for one unit's location; one per filter instance.

    ``kind`` is 'server' or 'volume' (for the log lines); decisions are
    remembered for a while by a key the filter gives, so that the same
    request filtered again (Nova does for alternates) asks Valet once.
    """

    def __init__(self, kind, conf=cfg.CONF, group=GROUP):
        self.kind = kind
        self.conf = conf
        self.group = group
        self._client = None
        self._decisions = {}
        register_opts(conf, group)

    @property
    def client(self):
        if self._client is None:
            self._client = valet_client.client_from_conf(self.conf,
                                                         self.group)
        return self._client

    @staticmethod
    def request_key(context, holder, resource_id, failed):
        """A key for one scheduling request of one unit: the request id of
        its context (the same over every pass of one request, new for the
        next request of the same unit), else the object the scheduler
        passes along; and the hosts it failed on (a reschedule may keep
        the request id)."""
        request_id = getattr(context, 'request_id', None)
        return (request_id or id(holder), resource_id, tuple(failed))

    def remembered(self, key):
        entry = self._decisions.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def remember(self, key, decision):
        now = time.monotonic()
        for old in [k for k, (until, _) in self._decisions.items()
                    if until < now]:
            del self._decisions[old]
        self._decisions[key] = (now + DECISION_TTL_S, decision)

    def decide(self, resource_id, candidates, orchestration_ids=(),
               failed=(), adhoc_plan=None, reservation=None):
        """The Decision for unit ``resource_id`` among ``candidates``
        (names as Valet knows them), ``failed`` the ones it failed on
        before; ``adhoc_plan(locations)`` builds the plan request for a
        unit no plan has; ``reservation``: (reservation id, flavor) for a
        server booted with a reservation's hint."""
        locations = [c for c in candidates if c not in set(failed)]
        if not locations:
            return self._refused(resource_id, 'every candidate (%s) failed '
                                 'for it before' % ', '.join(candidates))
        try:
            if reservation is not None:
                placement = self.client.claim_reservation(
                    reservation[0], resource_id, reservation[1],
                    locations)['placement']
            else:
                placement = self._place(resource_id, locations,
                                        orchestration_ids, bool(failed),
                                        adhoc_plan)
        except valet_client.ValetError as err:
            if err.status == 409:
                return self._refused(resource_id, str(err))
            return self._failed(resource_id, err)
        except Exception as err:  # noqa: BLE001 - the scheduler goes on
            LOG.exception('Valet: deciding for %s %s failed', self.kind,
                          resource_id)
            return self._failed(resource_id, valet_client.ValetError(
                'the filter failed: %s' % err, 500))
        location = placement.get('location')
        if location not in locations:
            return self._refused(resource_id, 'Valet answered %r, not one of '
                                 'the candidates' % (location,))
        LOG.info('Valet: %s %s goes to %s (placement %s, orchestration id '
                 '%s)', self.kind, resource_id, location, placement.get('id'),
                 placement.get('orchestration_id'))
        return Decision(location=location)

    def _place(self, resource_id, locations, orchestration_ids, again,
               adhoc_plan):
        act = self.client.replan if again else self.client.reserve
        for orch in orchestration_ids:
            try:
                return act(orch, locations, resource_id)['placement']
            except valet_client.ValetError as err:
                if err.status != 404:
                    raise
                LOG.debug('Valet: no placement %s for %s %s', orch,
                          self.kind, resource_id)
        found = self.client.list_placements(resource_id=resource_id)
        bound = (found or {}).get('placements') or []
        if bound:
            return act(bound[0]['orchestration_id'], locations,
                       resource_id)['placement']
        if adhoc_plan is None:
            raise valet_client.ValetError(
                '%s %s: no plan has it' % (self.kind, resource_id), 404)
        LOG.info('Valet: %s %s is in no plan: an ad-hoc plan among %d '
                 'candidates', self.kind, resource_id, len(locations))
        self.client.create_plan(adhoc_plan(locations))
        return act(resource_id, locations, resource_id)['placement']

    def _refused(self, resource_id, why):
        LOG.warning('Valet refuses every candidate for %s %s: %s',
                    self.kind, resource_id, why)
        return Decision(reason=why)

    def _failed(self, resource_id, err):
        mode = self.conf[self.group].failure_mode
        what = ('unreachable' if err.status is None
                else 'failing (HTTP %d)' % err.status)
        if mode == FAILURE_PASS:
            LOG.warning('Valet is %s for %s %s: %s; failure_mode = pass: '
                        'every candidate passes', what, self.kind,
                        resource_id, err)
            return Decision(everything=True, reason=str(err))
        LOG.error('Valet is %s for %s %s: %s; failure_mode = refuse: no '
                  'candidate passes', what, self.kind, resource_id, err)
        return Decision(reason=str(err))
