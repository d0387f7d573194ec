#!/usr/bin/python3
"""`valet` with the test cloud's Keystone (tests/openstack/cloud.py): with
no VALET_URL, the endpoint is the catalog's valet service, found with a
password, an application credential or a token given; the token valet
sends is one Keystone validates; bad credentials exit 1 with Keystone's
answer and no secret; a region the catalog does not have exits 3.

The test registers a real valetd of its own as the catalog's `valet`
service (type valet, public, in the cloud's region) and removes it after.

Usage: cli_keystone_test.py VALET CLOUD_JSON (with $VALETD set)
"""
import os
import subprocess
import sys
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'openstack'))
sys.path.insert(0, HERE)
import cli_test  # noqa: E402  (its forwarding proxy and valetd)
import osapi  # noqa: E402

VALET = None
CLOUD = None
ADMIN = None  # an osapi.Session of the cloud's admin


def keystone_env(**extra):
    """The admin's password login as an openrc would give it, and extra."""
    admin = CLOUD['users']['admin']
    env = {'OS_AUTH_URL': CLOUD['auth_url'], 'OS_USERNAME': admin['username'],
           'OS_PASSWORD': admin['password'],
           'OS_PROJECT_NAME': admin['project_name'],
           'OS_USER_DOMAIN_NAME': admin['user_domain_name'],
           'OS_PROJECT_DOMAIN_NAME': admin['project_domain_name'],
           'OS_REGION_NAME': CLOUD['region']}
    env.update(extra)
    return env


def valet(*args, env, url=''):
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith('OS_') and k != 'VALET_URL'}
    environ.update(env)
    if url:
        environ['VALET_URL'] = url
    return subprocess.run([VALET, *args], capture_output=True, text=True,
                          env=environ, check=False, timeout=120)


class Catalog(unittest.TestCase):
    def ok(self, *args, **kw):
        out = valet(*args, **kw)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def test_password_finds_valet_in_the_catalog(self):
        self.assertEqual(self.ok('status', '-f', 'value', '-c', 'store.module',
                                 env=keystone_env()), 'sqlite\n')
        self.ok('group', 'create', 'ks-aff', '--type', 'affinity', env=keystone_env())
        shown = cli_test.api('GET', '/v1/groups/ks-aff')
        self.assertEqual(shown[0], 200)
        self.ok('group', 'delete', 'ks-aff', env=keystone_env())

    def test_token_given_reads_the_catalog_with_it(self):
        token, _ = osapi.get_token(CLOUD['auth_url'], CLOUD['users']['admin'])
        env = {'OS_AUTH_URL': CLOUD['auth_url'], 'OS_TOKEN': token,
               'OS_REGION_NAME': CLOUD['region']}
        self.assertEqual(self.ok('status', '-f', 'value', '-c', 'store.type', env=env),
                         'ok\n')

    def test_application_credential(self):
        user = ADMIN.token_body['token']['user']['id']
        name = 'valet-cli-' + uuid.uuid4().hex[:8]
        cred = ADMIN.post('identity', '/users/%s/application_credentials' % user,
                          {'application_credential': {'name': name}})
        cred = cred['application_credential']
        try:
            env = {'OS_AUTH_URL': CLOUD['auth_url'],
                   'OS_APPLICATION_CREDENTIAL_ID': cred['id'],
                   'OS_APPLICATION_CREDENTIAL_SECRET': cred['secret'],
                   'OS_REGION_NAME': CLOUD['region']}
            self.assertEqual(self.ok('status', '-f', 'value', '-c', 'store.type',
                                     env=env), 'ok\n')
        finally:
            ADMIN.delete('identity', '/users/%s/application_credentials/%s'
                         % (user, cred['id']))

    def test_the_token_sent_is_keystones(self):
        proxy = cli_test.Recorder
        server = cli_test.http.server.ThreadingHTTPServer(('127.0.0.1', 0), proxy)
        thread = cli_test.threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            proxy.seen.clear()
            self.ok('status', env=keystone_env(),
                    url='http://127.0.0.1:%d' % server.server_address[1])
            token = proxy.seen[-1].get('X-Auth-Token')
            self.assertTrue(token)
            got = osapi.request('GET', CLOUD['auth_url'].rstrip('/') + '/auth/tokens',
                                token=ADMIN.token, headers={'X-Subject-Token': token})
            self.assertEqual(got.json()['token']['user']['name'],
                             CLOUD['users']['admin']['username'])
        finally:
            server.shutdown()
            server.server_close()

    def test_bad_password_is_1_without_the_secret(self):
        out = valet('status', env=keystone_env(OS_PASSWORD='not-the-password-42'))
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertIn('401', out.stderr)
        self.assertIn('/auth/tokens', out.stderr)
        self.assertNotIn('not-the-password-42', out.stderr)

    def test_no_valet_in_the_region_is_3(self):
        out = valet('status', env=keystone_env(OS_REGION_NAME='nowhere'))
        self.assertEqual(out.returncode, 3, out.stderr)
        self.assertIn("type 'valet'", out.stderr)
        self.assertIn('nowhere', out.stderr)


def register(url):
    """valetd as the catalog's valet service; RET its service id."""
    sid = ADMIN.post('identity', '/services',
                     {'service': {'name': 'valet', 'type': 'valet'}})['service']['id']
    ADMIN.post('identity', '/endpoints', {'endpoint': {
        'service_id': sid, 'interface': 'public', 'url': url + '/v1',
        'region_id': CLOUD['region']}})
    return sid


def unregister(sid):
    for e in ADMIN.get('identity', '/endpoints?service_id=%s' % sid)['endpoints']:
        ADMIN.delete('identity', '/endpoints/%s' % e['id'])
    ADMIN.delete('identity', '/services/%s' % sid)


def main():
    global VALET, CLOUD, ADMIN
    if os.environ.get('VLT_TEST_OPENSTACK') == '0':
        print('SKIP: VLT_TEST_OPENSTACK=0')
        sys.exit(77)
    VALET, cloud_json = sys.argv[1], sys.argv[2]
    del sys.argv[1:3]
    CLOUD = osapi.load_cloud(cloud_json)
    ADMIN = osapi.Session(CLOUD)
    cli_test.DAEMON = cli_test.Valetd(inventory=os.path.join(
        HERE, '..', 'data', 'api', 'inventory.json'))
    sid = register(cli_test.DAEMON.url)
    try:
        unittest.main(verbosity=2)
    finally:
        unregister(sid)
        cli_test.DAEMON.close()


if __name__ == '__main__':
    main()
