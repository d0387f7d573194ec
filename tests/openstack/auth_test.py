#!/usr/bin/python3
"""valetd under auth.strategy = keystone, against the test cloud's Keystone.

    auth_test.py VALETD INVENTORY CLOUD_JSON

The test makes, through Keystone's own API, two projects with a member, a
reader and an admin (only project A's), a user with the service role (as
Nova's and Heat's are) and valetd's own user, then checks
docs/security.md's promises: every endpoint of /v1 refuses a request
without a valid token (401, text/plain, "Authentication required"); a
project never sees or changes another's plans, placements or restricted
groups, whatever headers or tenant_id it sends; readers only read, and a
refusal names its rule (403); the service user reserves any project's
placement; a revoked token stops working once auth.cache_ttl_s has passed;
and the listener speaks TLS with a certificate the test makes (openssl),
asking for a client certificate when server.tls_client_ca is set.
"""

import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import osapi  # noqa: E402
import valetd_cloud_test  # noqa: E402

VALETD = None
INVENTORY = None
CLOUD = None
CACHE_TTL_S = 3
PASSWORD = 'auth-test-pw'
FLAVOR = 'm1.small'


class Valetd(valetd_cloud_test.Valetd):
    """valetd on a folder of its own, on a free loopback port (wait_port
    is valetd_cloud_test's), with an inventory and maybe TLS."""

    def __init__(self, conf_text, scheme='http', context=None):
        self.dir = tempfile.mkdtemp(prefix='valetd-auth-')
        conf = os.path.join(self.dir, 'valet.conf')
        with open(conf, 'w', encoding='utf-8') as f:
            f.write(conf_text)
        self.log = os.path.join(self.dir, 'valetd.err')
        self.context = context
        with open(self.log, 'w', encoding='utf-8') as err:
            self.proc = subprocess.Popen(
                [VALETD, '--config', conf, '--listen', '127.0.0.1:0',
                 '--data-dir', os.path.join(self.dir, 'data'),
                 '--inventory', INVENTORY],
                stdout=subprocess.DEVNULL, stderr=err)
        self.base = '%s://127.0.0.1:%d' % (scheme, self.wait_port())

    def call(self, method, path, token=None, body=None, headers=None):
        """(status, content type, body as JSON or text)."""
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {'Content-Type': 'application/json'}
        if token is not None:
            all_headers['X-Auth-Token'] = token
        all_headers.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data,
                                     method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(req, timeout=120,
                                        context=self.context) as resp:
                return self.parse(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as err:
            return self.parse(err.code, err.headers, err.read())

    @staticmethod
    def parse(status, headers, raw):
        ctype = headers.get('Content-Type') or ''
        if ctype.startswith('application/json'):
            return status, ctype, json.loads(raw)
        return status, ctype, raw.decode(errors='replace')

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=60)
        with open(self.log, encoding='utf-8') as f:
            log = f.read()
        shutil.rmtree(self.dir, ignore_errors=True)
        # a clean stop, and under the sanitizers no report
        assert code == 0, 'valetd exited %s: %s' % (code, log[-4000:])


class Identity:
    """Projects, users and role assignments made in the cloud's Keystone
    for this test run, removed at its end."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.admin = osapi.Session(cloud, 'admin')
        self.tag = uuid.uuid4().hex[:8]
        self.made = []  # (kind, id), deleted in reverse
        self.roles = {r['name']: r['id'] for r in
                      self.admin.get('identity', '/roles')['roles']}
        self.projects = {}
        self.users = {}

    def project(self, name):
        pid = self.admin.post('identity', '/projects', {'project': {
            'name': '%s-%s' % (name, self.tag),
            'domain_id': 'default'}})['project']['id']
        self.made.append(('projects', pid))
        self.projects[name] = pid
        return pid

    def user(self, name, project_id, roles):
        uname = '%s-%s' % (name, self.tag)
        uid = self.admin.post('identity', '/users', {'user': {
            'name': uname, 'password': PASSWORD, 'domain_id': 'default',
            'default_project_id': project_id}})['user']['id']
        self.made.append(('users', uid))
        for role in roles:
            self.admin.call('PUT', 'identity', '/projects/%s/users/%s/roles/%s'
                            % (project_id, uid, self.roles[role]))
        project_name = self.admin.get(
            'identity', '/projects/%s' % project_id)['project']['name']
        self.users[name] = {'username': uname, 'password': PASSWORD,
                            'project_name': project_name,
                            'user_domain_name': 'Default',
                            'project_domain_name': 'Default'}
        return uid

    def token(self, name):
        return osapi.get_token(self.cloud['auth_url'], self.users[name])[0]

    def revoke(self, token):
        self.admin.call('DELETE', 'identity', '/auth/tokens',
                        headers={'X-Subject-Token': token})

    def remove(self):
        for kind, oid in reversed(self.made):
            try:
                self.admin.call('DELETE', 'identity', '/%s/%s' % (kind, oid))
            except osapi.ApiError:
                pass


def keystone_conf(identity, extra=''):
    v = identity.users['valet']
    return '''auth: {
  strategy = "keystone";
  cache_ttl_s = %d;
  auth_url = "%s";
  username = "%s";
  password = "%s";
  project = "%s";
};
%s''' % (CACHE_TTL_S, identity.cloud['auth_url'], v['username'],
         v['password'], v['project_name'], extra)


def stack(name, servers=1, groups=None):
    resources = {}
    for i in range(servers):
        orch = str(uuid.uuid4())
        props = {'flavor': FLAVOR}
        if groups:
            props['metadata'] = {'valet': {'groups': groups}}
        resources[orch] = {'name': '%s-%d' % (name, i),
                           'type': 'OS::Nova::Server',
                           'properties': props}
    return {'plan_name': name, 'stack_id': str(uuid.uuid4()),
            'resources': resources}


def service_project_id(identity):
    found = identity.admin.get('identity',
                               '/projects?name=service')['projects']
    return found[0]['id']


class KeystoneAuth(unittest.TestCase):
    """One valetd under keystone for every test of the class."""

    @classmethod
    def setUpClass(cls):
        cls.identity = Identity(CLOUD)
        idn = cls.identity
        pa = idn.project('valet-a')
        pb = idn.project('valet-b')
        svc = service_project_id(idn)
        idn.user('a_member', pa, ['member'])
        idn.user('a_reader', pa, ['reader'])
        idn.user('a_admin', pa, ['admin'])
        idn.user('b_member', pb, ['member'])
        idn.user('scheduler', svc, ['service'])
        idn.user('valet', svc, ['service'])
        cls.tokens = {name: idn.token(name) for name in idn.users}
        cls.valetd = Valetd(keystone_conf(idn))

    @classmethod
    def tearDownClass(cls):
        cls.valetd.stop()
        cls.identity.remove()

    def call(self, user, method, path, body=None, headers=None):
        return self.valetd.call(method, path, self.tokens[user], body,
                                headers)

    def create_plan(self, user, name, **kwargs):
        status, _, doc = self.call(user, 'POST', '/v1/plans',
                                   stack(name, **kwargs))
        self.assertEqual(status, 201, doc)
        return doc['plan']

    def assert_refused_by(self, answer, rule):
        status, _, doc = answer
        self.assertEqual(status, 403, doc)
        self.assertIn("rule '%s'" % rule, doc['explanation'])

    def test_every_endpoint_needs_a_valid_token(self):
        plan = self.create_plan('a_member', 'tokens')
        pid = next(iter(plan['placements']))
        gid = 'no-such-group'
        calls = [('GET', '/v1/plans'), ('POST', '/v1/plans'),
                 ('GET', '/v1/plans/' + plan['id']),
                 ('PUT', '/v1/plans/' + plan['id']),
                 ('DELETE', '/v1/plans/' + plan['id']),
                 ('GET', '/v1/placements'),
                 ('GET', '/v1/placements/' + pid),
                 ('POST', '/v1/placements/' + pid),
                 ('DELETE', '/v1/placements/' + pid),
                 ('GET', '/v1/groups'), ('POST', '/v1/groups'),
                 ('GET', '/v1/groups/' + gid), ('PUT', '/v1/groups/' + gid),
                 ('DELETE', '/v1/groups/' + gid),
                 ('PUT', '/v1/groups/%s/members' % gid),
                 ('DELETE', '/v1/groups/%s/members' % gid),
                 ('GET', '/v1/groups/%s/members/x' % gid),
                 ('DELETE', '/v1/groups/%s/members/x' % gid),
                 ('HEAD', '/v1/status'), ('GET', '/v1/status'),
                 ('GET', '/v1/resources'), ('GET', '/v1/topology'),
                 ('POST', '/scheduler/nova/external'),
                 ('POST', '/scheduler/cinder/external'),
                 ('POST', '/scheduler/manila/external')]
        for token in (None, '', 'not-a-token', 'gAAAAA' + 'x' * 180):
            for method, path in calls:
                status, ctype, body = self.valetd.call(
                    method, path, token, {} if method in ('POST', 'PUT')
                    else None,
                    headers={'X-Project-Id': self.identity.projects['valet-a'],
                             'X-Roles': 'admin'})
                self.assertEqual(status, 401, (method, path, token, body))
                self.assertTrue(ctype.startswith('text/plain'), ctype)
                if method != 'HEAD':
                    self.assertEqual(body, 'Authentication required')
        # the plan is still there: nothing was changed
        status, _, _ = self.call('a_member', 'GET', '/v1/plans/' + plan['id'])
        self.assertEqual(status, 200)
        # the versions document stays open, as upstream
        self.assertEqual(self.valetd.call('GET', '/')[0], 200)

    def test_projects_never_see_each_other(self):
        pa = self.identity.projects['valet-a']
        a = self.create_plan('a_member', 'apart-a', servers=2)
        # tenant_id and the project headers do not make it A's
        claim = dict(stack('apart-b'), tenant_id=pa)
        status, _, doc = self.call(
            'b_member', 'POST', '/v1/plans', claim,
            headers={'X-Project-Id': pa, 'X-Tenant-Id': pa})
        self.assertEqual(status, 201, doc)
        b = doc['plan']
        a_pids = set(a['placements'])  # orchestration ids

        def plan_ids(user):
            status, _, doc = self.call(user, 'GET', '/v1/plans')
            self.assertEqual(status, 200, doc)
            return {p['id'] for p in doc['plans']}

        self.assertIn(a['id'], plan_ids('a_member'))
        self.assertNotIn(b['id'], plan_ids('a_member'))
        self.assertNotIn(a['id'], plan_ids('b_member'))
        self.assertIn(b['id'], plan_ids('b_member'))
        self.assertTrue({a['id'], b['id']} <= plan_ids('a_admin'))
        self.assertTrue({a['id'], b['id']} <= plan_ids('scheduler'))

        # B reads, changes and deletes nothing of A's: as if it were not there
        pid = next(iter(a_pids))
        for method, path, body in (
                ('GET', '/v1/plans/' + a['id'], None),
                ('GET', '/v1/plans/' + a['stack_id'], None),
                ('PUT', '/v1/plans/' + a['id'],
                 {'action': 'update', 'resources': {}}),
                ('DELETE', '/v1/plans/' + a['id'], None),
                ('GET', '/v1/placements/' + pid, None),
                ('POST', '/v1/placements/' + pid,
                 {'locations': ['compute-01-03']}),
                ('DELETE', '/v1/placements/' + pid, None)):
            status, _, doc = self.call('b_member', method, path, body)
            self.assertEqual(status, 404, (method, path, doc))

        # listings and their filters show B none of A's placements
        def orch_ids(doc):
            return {p['orchestration_id'] for p in doc['placements']}

        for query in ('', '?plan_id=' + a['id'], '?orchestration_id=' + pid,
                      '?name=apart-a-0'):
            status, _, doc = self.call('b_member', 'GET',
                                       '/v1/placements' + query)
            self.assertEqual(status, 200, doc)
            self.assertFalse(orch_ids(doc) & a_pids, query)
        status, _, doc = self.call('a_member', 'GET',
                                   '/v1/placements?plan_id=' + a['id'])
        self.assertEqual(orch_ids(doc), a_pids)
        status, _, doc = self.call('a_member', 'GET',
                                   '/v1/placements?orchestration_id=' + pid)
        self.assertEqual(orch_ids(doc), {pid})
        # A's plan is untouched
        status, _, doc = self.call('a_member', 'GET', '/v1/plans/' + a['id'])
        self.assertEqual(status, 200, doc)
        self.assertEqual(set(doc['plan']['placements']), a_pids)

    def test_readers_only_read(self):
        a = self.create_plan('a_member', 'readers')
        pid = next(iter(a['placements']))
        self.assertEqual(self.call('a_reader', 'GET',
                                   '/v1/plans/' + a['id'])[0], 200)
        self.assertEqual(self.call('a_reader', 'GET',
                                   '/v1/placements/' + pid)[0], 200)
        self.assert_refused_by(self.call('a_reader', 'POST', '/v1/plans',
                                         stack('by-reader')), 'plans_create')
        self.assert_refused_by(self.call('a_reader', 'DELETE',
                                         '/v1/plans/' + a['id']),
                               'plans_delete')
        self.assert_refused_by(self.call('a_reader', 'POST',
                                         '/v1/placements/' + pid,
                                         {'locations': ['compute-01-03']}),
                               'placements_reserve')
        self.assert_refused_by(self.call('a_member', 'GET', '/v1/resources'),
                               'resources')
        self.assertEqual(self.call('a_admin', 'GET', '/v1/resources')[0], 200)
        self.assert_refused_by(self.call('a_member', 'POST',
                                         '/scheduler/nova/external', {}),
                               'nova_external')

    def test_service_user_reserves_any_project(self):
        b = self.create_plan('b_member', 'by-service')
        pid, where = next(iter(b['placements'].items()))
        host = where['location']
        rid = str(uuid.uuid4())
        status, _, doc = self.call('scheduler', 'POST',
                                   '/v1/placements/' + pid,
                                   {'locations': [host], 'resource_id': rid})
        self.assertEqual(status, 201, doc)
        self.assertTrue(doc['placement']['reserved'])
        # still B's: B sees it reserved, A does not see it
        status, _, doc = self.call('b_member', 'GET', '/v1/placements/' + pid)
        self.assertEqual(status, 200, doc)
        self.assertEqual(doc['placement']['resource_id'], rid)
        self.assertEqual(self.call('a_member', 'GET',
                                   '/v1/placements/' + pid)[0], 404)
        # the scheduler's own project gets nothing out of it
        status, _, doc = self.call('scheduler', 'GET', '/v1/plans/' + b['id'])
        self.assertEqual(status, 200, doc)
        # and the service role reaches the external-scheduler endpoint
        status, _, doc = self.call('scheduler', 'POST',
                                   '/scheduler/nova/external', {})
        self.assertEqual(status, 400, doc)

    def test_volumes_like_servers(self):
        # the Cinder filter reserves volumes: the service user may, the
        # other project sees nothing of them
        pools = ['cinder-vol1@lvm#rack01', 'cinder-vol2@ceph#volumes']
        body = stack('with-volume')
        vol = str(uuid.uuid4())
        body['resources'][vol] = {'name': 'data', 'type': 'OS::Cinder::Volume',
                                  'properties': {'size': 10}}
        status, _, doc = self.call('a_member', 'POST', '/v1/plans', body)
        self.assertEqual(status, 201, doc)
        for user in ('b_member', 'a_reader'):
            status, _, doc = self.call(user, 'POST', '/v1/placements/' + vol,
                                       {'locations': pools})
            self.assertEqual(status, 404 if user == 'b_member' else 403, doc)
        status, _, doc = self.call('scheduler', 'POST',
                                   '/v1/placements/' + vol,
                                   {'locations': pools,
                                    'resource_id': str(uuid.uuid4())})
        self.assertEqual(status, 201, doc)
        self.assertIn(doc['placement']['location'], pools)

    def test_service_user_plans_for_a_project(self):
        # Heat's plugin plans with its service user and names the stack's
        # project in tenant_id: the plan is that project's
        pb = self.identity.projects['valet-b']
        status, _, doc = self.call('scheduler', 'POST', '/v1/plans',
                                   dict(stack('for-b'), tenant_id=pb))
        self.assertEqual(status, 201, doc)
        plan = doc['plan']
        self.assertEqual(self.call('b_member', 'GET',
                                   '/v1/plans/' + plan['id'])[0], 200)
        self.assertEqual(self.call('a_member', 'GET',
                                   '/v1/plans/' + plan['id'])[0], 404)
        status, _, doc = self.call('b_member', 'DELETE',
                                   '/v1/plans/' + plan['id'])
        self.assertEqual(status, 204, doc)

    def test_restricted_groups(self):
        pa = self.identity.projects['valet-a']
        name = 'excl-' + self.identity.tag
        status, _, group = self.call('a_member', 'POST', '/v1/groups',
                                     {'name': name, 'type': 'exclusivity'})
        self.assertEqual(status, 201, group)
        self.assertEqual(group['owner'], pa)
        status, _, doc = self.call('a_member', 'PUT',
                                   '/v1/groups/%s/members' % name,
                                   {'members': [pa]})
        self.assertEqual(status, 201, doc)
        # B neither sees it, nor joins it, nor changes it, nor uses it
        self.assertEqual(self.call('b_member', 'GET',
                                   '/v1/groups/' + name)[0], 404)
        status, _, doc = self.call('b_member', 'GET', '/v1/groups')
        self.assertNotIn(name, [g['name'] for g in doc['groups']])
        pb = self.identity.projects['valet-b']
        for method, path, body in (
                ('PUT', '/v1/groups/%s/members' % name, {'members': [pb]}),
                ('PUT', '/v1/groups/' + name, {'description': 'mine'}),
                ('DELETE', '/v1/groups/%s/members/%s' % (name, pa), None),
                ('DELETE', '/v1/groups/' + name, None)):
            status, _, doc = self.call('b_member', method, path, body)
            self.assertEqual(status, 404, (method, path, doc))
        status, _, doc = self.call('b_member', 'POST', '/v1/plans',
                                   stack('intruder', groups=[name]))
        self.assertEqual(status, 409, doc)
        # A's reader reads it but does not change it
        self.assertEqual(self.call('a_reader', 'GET',
                                   '/v1/groups/' + name)[0], 200)
        self.assert_refused_by(
            self.call('a_reader', 'PUT', '/v1/groups/%s/members' % name,
                      {'members': [pb]}), 'groups_members')
        # A uses it; the admin may change it
        self.create_plan('a_member', 'insider', groups=[name])
        status, _, doc = self.call('a_admin', 'PUT', '/v1/groups/' + name,
                                   {'description': 'by the admin'})
        self.assertEqual(status, 201, doc)
        status, _, doc = self.call('a_member', 'GET', '/v1/groups/' + name)
        self.assertEqual(doc['group']['members'], [pa])

    def test_revocation(self):
        token = self.identity.token('a_member')
        status, _, doc = self.valetd.call('GET', '/v1/plans', token)
        self.assertEqual(status, 200, doc)
        self.identity.revoke(token)
        # the cache may answer from what it knew for at most cache_ttl_s
        time.sleep(CACHE_TTL_S + 1)
        status, ctype, body = self.valetd.call('GET', '/v1/plans', token)
        self.assertEqual(status, 401, body)
        self.assertEqual(body, 'Authentication required')
        # another token of the same user still works
        status, _, _ = self.valetd.call('GET', '/v1/plans',
                                        self.identity.token('a_member'))
        self.assertEqual(status, 200)


class OpenRule(unittest.TestCase):
    """A rule the operator opens to everyone ("@") needs no token: the
    external-scheduler call of a Nova that sends none."""

    def test_open_rule(self):
        identity = Identity(CLOUD)
        try:
            identity.user('valet', service_project_id(identity), ['service'])
            valetd = Valetd(keystone_conf(identity).replace(
                'strategy = "keystone";',
                'strategy = "keystone";\n  rules: { nova_external = "@"; };'))
            try:
                status, _, doc = valetd.call(
                    'POST', '/scheduler/nova/external', None, {})
                self.assertEqual(status, 400, doc)  # the body, not the token
                self.assertEqual(valetd.call('GET', '/v1/plans')[0], 401)
            finally:
                valetd.stop()
        finally:
            identity.remove()


def openssl(*args):
    subprocess.run(('openssl',) + args, check=True, capture_output=True)


def make_certificates(folder):
    """A CA, a server certificate for 127.0.0.1 and a client certificate,
    both signed by the CA; and a self-signed client certificate."""
    def path(name):
        return os.path.join(folder, name)

    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
            '-subj', '/CN=valet test CA', '-keyout', path('ca.key'),
            '-out', path('ca.pem'))
    ext = path('server.ext')
    with open(ext, 'w', encoding='utf-8') as f:
        f.write('subjectAltName = IP:127.0.0.1\n')
    for name, extra in (('server', ['-extfile', ext]), ('client', [])):
        openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj',
                '/CN=%s' % name, '-keyout', path(name + '.key'),
                '-out', path(name + '.csr'))
        openssl('x509', '-req', '-in', path(name + '.csr'), '-CA',
                path('ca.pem'), '-CAkey', path('ca.key'), '-CAcreateserial',
                '-days', '2', '-out', path(name + '.pem'), *extra)
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
            '-subj', '/CN=stranger', '-keyout', path('stranger.key'),
            '-out', path('stranger.pem'))
    return path


class Tls(unittest.TestCase):
    """The listener under TLS, with Keystone's tokens as before."""

    @classmethod
    def setUpClass(cls):
        if shutil.which('openssl') is None:
            raise unittest.SkipTest('openssl is not installed')
        cls.identity = Identity(CLOUD)
        svc = service_project_id(cls.identity)
        pa = cls.identity.project('valet-tls')
        cls.identity.user('valet', svc, ['service'])
        cls.identity.user('member', pa, ['member'])
        cls.certs = tempfile.mkdtemp(prefix='valet-tls-')
        cls.path = staticmethod(make_certificates(cls.certs))

    @classmethod
    def tearDownClass(cls):
        cls.identity.remove()
        shutil.rmtree(cls.certs, ignore_errors=True)

    def server_conf(self, client_ca=False):
        tls = 'server: {\n  tls_cert = "%s";\n  tls_key = "%s";\n' % (
            self.path('server.pem'), self.path('server.key'))
        if client_ca:
            tls += '  tls_client_ca = "%s";\n' % self.path('ca.pem')
        return keystone_conf(self.identity, tls + '};\n')

    def context(self, client=None):
        ctx = ssl.create_default_context(cafile=self.path('ca.pem'))
        if client:
            ctx.load_cert_chain(self.path(client + '.pem'),
                                self.path(client + '.key'))
        return ctx

    def test_https_with_a_token(self):
        valetd = Valetd(self.server_conf(), 'https', self.context())
        try:
            token = self.identity.token('member')
            status, _, doc = valetd.call('GET', '/v1/plans', token)
            self.assertEqual(status, 200, doc)
            self.assertEqual(valetd.call('GET', '/v1/plans')[0], 401)
            status, _, doc = valetd.call('GET', '/')
            self.assertTrue(doc['versions'][0]['links'][0]['href']
                            .startswith('https://'), doc)
            # plain HTTP on the TLS port gets no API answer
            plain = valetd.base.replace('https://', 'http://')
            with self.assertRaises((urllib.error.URLError, OSError,
                                    ValueError)):
                urllib.request.urlopen(plain + '/v1/plans', timeout=10).read()
            # a client that does not trust the certificate refuses it
            strict = Valetd.__new__(Valetd)
            strict.base, strict.context = valetd.base, \
                ssl.create_default_context()
            with self.assertRaises(urllib.error.URLError):
                strict.call('GET', '/')
        finally:
            valetd.stop()

    def test_bad_tls_files_stop_the_start(self):
        for cert, why in ((self.path('nowhere.pem'), 'cannot read'),
                          (self.path('server.key'), 'server.tls_cert')):
            conf = self.server_conf().replace(self.path('server.pem'), cert)
            with self.assertRaises(AssertionError) as caught:
                Valetd(conf, 'https', self.context()).stop()
            self.assertIn(why, str(caught.exception))

    def test_client_certificate(self):
        valetd = Valetd(self.server_conf(client_ca=True), 'https',
                        self.context('client'))
        try:
            token = self.identity.token('member')
            status, _, doc = valetd.call('GET', '/v1/plans', token)
            self.assertEqual(status, 200, doc)
            for client in (None, 'stranger'):
                valetd.context = self.context(client)
                try:
                    status, _, doc = valetd.call('GET', '/v1/plans', token)
                except (urllib.error.URLError, ssl.SSLError,
                        ConnectionError):
                    continue  # refused during the handshake
                self.assertEqual(status, 403, (client, doc))
                self.assertIn('tls_client_ca', doc['explanation'])
        finally:
            valetd.stop()


def main():
    global VALETD, INVENTORY, CLOUD
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    if os.environ.get('VLT_TEST_OPENSTACK') == '0':
        print('SKIP: VLT_TEST_OPENSTACK=0')
        sys.exit(77)
    VALETD, INVENTORY = sys.argv[1], sys.argv[2]
    CLOUD = osapi.load_cloud(sys.argv[3])
    del sys.argv[1:]
    unittest.main(verbosity=2)


if __name__ == '__main__':
    main()
