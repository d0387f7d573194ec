"""Plain HTTP access to the test cloud's APIs: urllib and JSON only.

The tests speak to Keystone, Placement, Nova, Cinder, Glance and Neutron
as any client would, with a token in X-Auth-Token; no OpenStack client
library is involved, so what a test checks is the API itself.
"""

import json
import time
import urllib.error
import urllib.request

# The API versions the tests ask for (Zed supports these).
COMPUTE_VERSION = '2.74'
PLACEMENT_VERSION = '1.39'
VOLUME_VERSION = '3.0'

VERSION_HEADERS = {
    'compute': {'OpenStack-API-Version': 'compute ' + COMPUTE_VERSION},
    'placement': {'OpenStack-API-Version': 'placement ' + PLACEMENT_VERSION},
    'volumev3': {'OpenStack-API-Version': 'volume ' + VOLUME_VERSION},
}


class ApiError(Exception):
    """An HTTP request that failed, with its status and response body."""

    def __init__(self, method, url, status, body):
        self.method = method
        self.url = url
        self.status = status
        self.body = body
        super().__init__('%s %s: HTTP %s: %s'
                         % (method, url, status, body[:2000]))


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body) if self.body else None


def request(method, url, token=None, body=None, data=None, headers=None,
            timeout=60):
    """One HTTP request; a Response, or ApiError for a status >= 300."""
    all_headers = {'Accept': 'application/json'}
    if body is not None:
        data = json.dumps(body).encode()
        all_headers['Content-Type'] = 'application/json'
    if token:
        all_headers['X-Auth-Token'] = token
    all_headers.update(headers or {})
    req = urllib.request.Request(url, data=data, method=method,
                                 headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return Response(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        raise ApiError(method, url, err.code,
                       err.read().decode(errors='replace')) from None


def probe(url, timeout=5):
    """The HTTP status that url answers a GET with, or None if nothing
    answers."""
    try:
        return request('GET', url, timeout=timeout).status
    except ApiError as err:
        return err.status
    except (OSError, ValueError):
        return None


def wait_for(what, check, timeout, interval=1.0, alive=None):
    """Call check() until it returns something true, and return that.

    Exceptions from check() count as "not yet"; the last one is named if
    the timeout passes. alive(), if given, is called first each round and
    may raise to end the wait early (a service that died)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        if alive:
            alive()
        try:
            result = check()
            if result:
                return result
        except Exception as err:  # noqa: BLE001 - reported on timeout
            last = err
        if time.monotonic() >= deadline:
            detail = ' (last error: %s)' % last if last else ''
            raise TimeoutError('%s: not after %.0f s%s'
                               % (what, timeout, detail))
        time.sleep(interval)


class Session:
    """A Keystone v3 token for one user and project, and the endpoints of
    the cloud (from its cloud.json)."""

    def __init__(self, cloud, user='admin'):
        self.cloud = cloud
        self.credentials = cloud['users'][user]
        self.endpoints = cloud['endpoints']
        self.token, self.token_body = get_token(cloud['auth_url'],
                                                self.credentials)
        self.project_id = self.token_body['token']['project']['id']

    def url(self, service, path):
        base = self.endpoints[service].replace('%(project_id)s',
                                               self.project_id)
        return base.rstrip('/') + path

    def call(self, method, service, path, body=None, headers=None,
             timeout=60, **kwargs):
        all_headers = dict(VERSION_HEADERS.get(service, {}))
        all_headers.update(headers or {})
        return request(method, self.url(service, path), token=self.token,
                       body=body, headers=all_headers, timeout=timeout,
                       **kwargs)

    def get(self, service, path, **kwargs):
        return self.call('GET', service, path, **kwargs).json()

    def post(self, service, path, body=None, **kwargs):
        return self.call('POST', service, path, body=body, **kwargs).json()

    def put(self, service, path, body=None, **kwargs):
        return self.call('PUT', service, path, body=body, **kwargs).json()

    def delete(self, service, path, **kwargs):
        return self.call('DELETE', service, path, **kwargs)


def boot_server(session, cloud, flavor_id, host, name, timeout=180):
    """Boot a server through Nova on host; its id once it is ACTIVE."""
    sid = session.post('compute', '/servers', {'server': {
        'name': name, 'imageRef': cloud['image']['id'],
        'flavorRef': flavor_id, 'networks': 'none',
        'host': host}})['server']['id']

    def active():
        s = session.get('compute', '/servers/%s' % sid)['server']
        if s['status'] == 'ERROR':
            raise AssertionError('server %s went to ERROR: %s'
                                 % (sid, s.get('fault')))
        return s['status'] == 'ACTIVE'

    wait_for('server %s ACTIVE' % sid, active, timeout, interval=1)
    return sid


def delete_server(session, sid):
    """Delete a server; one already gone is fine."""
    try:
        session.delete('compute', '/servers/%s' % sid)
    except ApiError as err:
        if err.status != 404:
            raise


def set_inventory(session, rp, resource_class, **fields):
    """Change some fields (max_unit, step_size, ...) of one inventory of
    provider rp through Placement; the fields it had before, to give back
    to restore_inventory."""
    path = '/resource_providers/%s/inventories/%s' % (rp, resource_class)
    before = session.get('placement', path)
    body = dict(before, **fields)
    session.put('placement', path, body)
    return {k: v for k, v in before.items()
            if k != 'resource_provider_generation'}


def restore_inventory(session, rp, resource_class, fields):
    """Put back what set_inventory returned, at the provider's generation now."""
    path = '/resource_providers/%s/inventories/%s' % (rp, resource_class)
    now = session.get('placement', path)
    session.put('placement', path, dict(
        fields, resource_provider_generation=now['resource_provider_generation']))


def set_traits(session, rp, traits):
    """Give provider rp exactly these traits (custom ones are created);
    the list it had before."""
    path = '/resource_providers/%s/traits' % rp
    before = session.get('placement', path)
    for trait in traits:
        if trait.startswith('CUSTOM_'):
            session.call('PUT', 'placement', '/traits/%s' % trait)
    session.put('placement', path, {
        'traits': list(traits),
        'resource_provider_generation': before['resource_provider_generation']})
    return before['traits']


def create_flavor(session, name, vcpus, ram, disk, extra_specs=None):
    """A new flavor through Nova, with its extra specs; its id."""
    fid = session.post('compute', '/flavors', {'flavor': {
        'name': name, 'vcpus': vcpus, 'ram': ram, 'disk': disk}})['flavor']['id']
    if extra_specs:
        session.post('compute', '/flavors/%s/os-extra_specs' % fid,
                     {'extra_specs': extra_specs})
    return fid


def get_token(auth_url, credentials):
    """(token, token document) for a password login scoped to a project."""
    body = {'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': credentials['username'],
            'password': credentials['password'],
            'domain': {'name': credentials['user_domain_name']}}}},
        'scope': {'project': {
            'name': credentials['project_name'],
            'domain': {'name': credentials['project_domain_name']}}}}}
    resp = request('POST', auth_url.rstrip('/') + '/auth/tokens', body=body)
    token = resp.headers.get('X-Subject-Token')
    if not token:
        raise ApiError('POST', auth_url + '/auth/tokens', resp.status,
                       'no X-Subject-Token header in the answer')
    return token, resp.json()


def load_cloud(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)
