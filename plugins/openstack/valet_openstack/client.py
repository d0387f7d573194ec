"""A client of Valet's REST API (valet-api v1) for the OpenStack plugins.

The Nova and Cinder filters and the Heat plugin all talk to valetd through
`ValetClient`: a keystoneauth1 session carries the service's own
credentials, and valetd's endpoint comes from the catalog (service type
``valet``) unless an URL is configured. Every failure is a `ValetError`:
its ``status`` is the HTTP status, or None when valetd could not be
reached, and its message is valetd's own explanation ("server web-3: 0 of
64 hosts fit: ...").
"""
import json
import urllib.parse

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

DEFAULT_TIMEOUT = 30


class ValetError(Exception):
    """A request Valet refused (``status`` set) or never answered
    (``status`` None); ``message`` is Valet's explanation."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self):
        return self.message


def _explanation(response):
    """The message of Valet's error body, or what the answer had."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for text in (body.get('explanation'),
                     (body.get('error') or {}).get('message')
                     if isinstance(body.get('error'), dict) else None,
                     body.get('title')):
            if isinstance(text, str) and text:
                return text
    text = (response.text or '').strip()
    return text or 'HTTP %d' % response.status_code


def _query_value(value):
    """A query value as valetd compares it: JSON for what is not a string
    (``reserved=true``, ``count=3``)."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _quoted(ident):
    return urllib.parse.quote(str(ident), safe='')


class ValetClient:
    """Valet's API through a keystoneauth1 session.

    Each method returns the decoded JSON answer (None for 204) or raises
    `ValetError`.
    """

    def __init__(self, session, endpoint_override=None, service_type='valet',
                 interface='internal', region_name=None,
                 timeout=DEFAULT_TIMEOUT):
        self.session = session
        self.endpoint_override = (endpoint_override.rstrip('/')
                                  if endpoint_override else None)
        self.endpoint_filter = {'service_type': service_type,
                                'interface': interface}
        if region_name:
            self.endpoint_filter['region_name'] = region_name
        self.timeout = timeout

    # -- plans

    def create_plan(self, body):
        return self._call('POST', '/v1/plans', body)

    def update_plan(self, stack_id, body):
        body = dict(body, action='update')
        return self._call('PUT', '/v1/plans/' + _quoted(stack_id), body)

    def delete_plan(self, stack_id):
        return self._call('DELETE', '/v1/plans/' + _quoted(stack_id),
                          missing_ok=True)

    def get_plan(self, stack_id):
        return self._call('GET', '/v1/plans/' + _quoted(stack_id))

    def list_plans(self):
        return self._call('GET', '/v1/plans')

    # -- placements

    def reserve(self, orchestration_id, locations, resource_id):
        return self._placement_action('reserve', orchestration_id, locations,
                                      resource_id)

    def replan(self, orchestration_id, locations, resource_id):
        return self._placement_action('replan', orchestration_id, locations,
                                      resource_id)

    def claim_reservation(self, reservation_id, resource_id, flavor,
                          locations):
        """A server booted with a reservation's hint takes one of its
        placements (``flavor``: name, vcpus, ram_mb, disk_gb)."""
        body = {'resource_id': resource_id, 'flavor': dict(flavor),
                'locations': list(locations)}
        path = '/v1/reservations/%s/servers' % _quoted(reservation_id)
        return self._call('POST', path, body)

    def list_placements(self, **query):
        path = '/v1/placements'
        if query:
            path += '?' + urllib.parse.urlencode(
                [(k, _query_value(v)) for k, v in sorted(query.items())])
        return self._call('GET', path)

    def _placement_action(self, action, orchestration_id, locations,
                          resource_id):
        body = {'action': action, 'locations': list(locations)}
        if resource_id is not None:
            body['resource_id'] = resource_id
        path = '/v1/placements/' + _quoted(self._path_id(orchestration_id))
        return self._call('POST', path, body)

    def _path_id(self, orchestration_id):
        """An id that can stand in the path for this orchestration id.

        A template's orchestration ids hold '/' (``<root stack id>/<path>``),
        which valetd decodes before routing even when sent as %2F; a valetd
        whose placement route takes one path segment cannot find them
        there, so they are named by their placement's id (one lookup).
        """
        if '/' not in orchestration_id:
            return orchestration_id
        found = self.list_placements(orchestration_id=orchestration_id)
        placements = (found or {}).get('placements') or []
        if not placements:
            raise ValetError('Placement not found', 404)
        return placements[0]['id']

    # -- groups

    def create_group(self, name, type, level, description=None):
        body = {'name': name, 'type': type}
        if level is not None:
            body['level'] = level
        if description is not None:
            body['description'] = description
        return self._call('POST', '/v1/groups', body)

    def get_group(self, id_or_name):
        return self._call('GET', '/v1/groups/' + _quoted(id_or_name))

    def update_group(self, id, **fields):
        return self._call('PUT', '/v1/groups/' + _quoted(id), fields)

    def delete_group(self, id):
        return self._call('DELETE', '/v1/groups/' + _quoted(id),
                          missing_ok=True)

    def set_members(self, id, members):
        return self._call('PUT', '/v1/groups/%s/members' % _quoted(id),
                          {'members': list(members)})

    def delete_members(self, id):
        return self._call('DELETE', '/v1/groups/%s/members' % _quoted(id))

    # -- transport

    def _call(self, method, path, body=None, missing_ok=False):
        kwargs = {'raise_exc': False, 'timeout': self.timeout,
                  'headers': {'Accept': 'application/json'}}
        if body is not None:
            kwargs['json'] = body
        if self.endpoint_override:
            kwargs['endpoint_override'] = self.endpoint_override
        kwargs['endpoint_filter'] = self.endpoint_filter
        try:
            response = self.session.request(path, method, **kwargs)
        except ks_exceptions.ClientException as err:
            raise ValetError('Valet is unreachable: %s %s: %s'
                             % (method, path, err)) from err
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise ValetError(_explanation(response), response.status_code)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as err:
            raise ValetError('Valet answered %s %s with %d and a body that is '
                             'not JSON: %.200r'
                             % (method, path, response.status_code,
                                response.text),
                             response.status_code) from err


def register_opts(conf, group='valet'):
    """Registers the client's options in ``group``: keystoneauth's auth and
    session options (``timeout`` is one of them) and ``url``,
    ``interface``, ``region_name``."""
    ks_loading.register_auth_conf_options(conf, group)
    ks_loading.register_session_conf_options(conf, group)
    conf.register_opts([
        cfg.URIOpt('url',
                   help="valetd's URL (http://host:port); when not set, the "
                        "catalog's endpoint of service type 'valet'"),
        cfg.StrOpt('interface', default='internal',
                   help="the catalog endpoint's interface"),
        cfg.StrOpt('region_name',
                   help="the catalog endpoint's region"),
    ], group=group)


def client_from_conf(conf, group='valet'):
    """A `ValetClient` from the oslo.config group ``group`` (registering
    its options first)."""
    register_opts(conf, group)
    section = conf[group]
    auth = ks_loading.load_auth_from_conf_options(conf, group)
    session = ks_loading.load_session_from_conf_options(conf, group,
                                                        auth=auth)
    timeout = section.timeout if section.timeout else DEFAULT_TIMEOUT
    return ValetClient(session, endpoint_override=section.url,
                       interface=section.interface,
                       region_name=section.region_name, timeout=timeout)
