#!/usr/bin/python3
"""A loopback OpenStack (Debian 12's Zed packages) for the integration tests.

    cloud.py up --dir DIR [--hosts N] [--capture-scheduler]
        stops whatever an earlier run left in DIR, empties it, and starts on
        127.0.0.1 (every port chosen free at start): PostgreSQL (the
        services' databases), RabbitMQ (a node and epmd of its own),
        Keystone and Placement (uwsgi), Glance (file store, for the image
        servers boot from), Neutron (the API alone, no agents: Nova asks it
        for a server's ports), Nova (api, conductor, scheduler and N
        nova-compute hosts compute-1..N on the fake virt driver) and Cinder
        (api, scheduler, one volume service whose fake backend has pools of
        finite size). It seeds identity, flavors, an image and a volume
        type, waits until every host is a resource provider in Placement
        and a hypervisor in Nova and the Cinder pools are reported, writes
        DIR/cloud.json and returns, leaving the services running. With
        --capture-scheduler, nova-scheduler records every request it is
        asked in DIR/var/scheduler-capture (scheduler_capture.py).
    cloud.py down --dir DIR
        stops them: TERM to each service's process group, KILL after 20 s.
    cloud.py status --dir DIR
        which services are running.
    cloud.py valet-filters --dir DIR [--valet-url URL] [--failure-mode M]
        restarts nova-scheduler and cinder-scheduler with Valet's filters
        asking the valetd at URL, or without them (valet_filters.py).
    cloud.py heat-up --dir DIR [--valet-url URL] [--engine E]
        adds Heat to the running cloud of DIR (or restarts it): heat-all
        with the Valet plugins of plugins/openstack and the engine E,
        convergence (Heat's default) or legacy (where the stack lifecycle
        plugin runs), at the catalog's orchestration endpoint.
    cloud.py heat-down --dir DIR
        stops it.

Under ctest (tests/openstack/CMakeLists.txt), VLT_TEST_OPENSTACK=0 makes up
and down skip (exit 77), and VLT_OPENSTACK_KEEP=1 makes down leave the cloud
running.

DIR holds etc/ (configurations), var/ (state), log/ (every service's log)
and run/ (one PID file per process group). Needs the packages of
scripts/install-deps. Under root, PostgreSQL runs as the user postgres, with
its data in a temporary folder that user can reach (deleted by down).
"""

import argparse
import grp
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'helpers'))

import osapi  # noqa: E402
import rabbitmq  # noqa: E402  (shared with tests/notifications)

PYTHON = '/usr/bin/python3'
LAUNCH = os.path.join(HERE, 'launch.py')
PG_BIN = '/usr/lib/postgresql/15/bin'
REGION = 'RegionOne'
SERVICE_PASSWORD = 'servicepw'
SERVICE_USERS = ('nova', 'placement', 'glance', 'cinder', 'neutron')
USERS = {
    'admin': {'username': 'admin', 'password': 'adminpw',
              'project_name': 'admin'},
    'demo': {'username': 'demo', 'password': 'demopw',
             'project_name': 'demo'},
}
DATABASES = ('keystone', 'placement', 'glance', 'neutron', 'cinder',
             'nova_api', 'nova_cell0', 'nova')
FLAVORS = (  # name, vCPUs, memory MiB, disk GB
    ('m1.tiny', 1, 512, 1),
    ('m1.small', 2, 2048, 10),
    ('m1.medium', 4, 8192, 40),
)
VOLUME_TYPE = 'fake'
VOLUME_HOST = 'storage-1'
VOLUME_BACKEND = 'fake'
POOLS = (('gold', 1000), ('silver', 500))
IMAGE_NAME = 'fake-image'
HOST_SIZE = {'vcpus': 16, 'memory_mb': 65536, 'disk_gb': 1000}
STOP_GRACE = 20
# oslo.service waits this long (default 60 s) for requests in flight on TERM
GRACEFUL = 5
LOG_TAIL = 30


class HarnessError(Exception):
    """What failed, which service, and the end of its log."""


START = time.monotonic()


def log(message):
    elapsed = time.monotonic() - START
    print('[%5.1fs] %s' % (elapsed, message), flush=True)


def tail(path, lines=LOG_TAIL):
    try:
        with open(path, encoding='utf-8', errors='replace') as f:
            text = f.readlines()[-lines:]
    except OSError as err:
        return '    (cannot read %s: %s)' % (path, err)
    return ''.join('    ' + line for line in text).rstrip()


free_ports = rabbitmq.free_ports


def write_ini(path, sections):
    """An ini file from {section: {key: value}}; list values repeat the key
    (oslo.config's multi-valued options)."""
    with open(path, 'w', encoding='utf-8') as f:
        for section, options in sections.items():
            f.write('[%s]\n' % section)
            for key, value in options.items():
                values = value if isinstance(value, list) else [value]
                for v in values:
                    f.write('%s = %s\n' % (key, v))
            f.write('\n')


def keystone_auth(auth_url, user):
    """A keystoneauth password section for a service user."""
    return {
        'auth_url': auth_url,
        'auth_type': 'password',
        'username': user,
        'password': SERVICE_PASSWORD,
        'project_name': 'service',
        'user_domain_name': 'Default',
        'project_domain_name': 'Default',
        'region_name': REGION,
    }


def authtoken(auth_url, user):
    section = keystone_auth(auth_url, user)
    section['www_authenticate_uri'] = auth_url
    return section


class Service:
    """One started process group: its name, PID, and logs."""

    def __init__(self, name, proc, logs):
        self.name = name
        self.proc = proc
        self.logs = logs

    def check(self):
        code = self.proc.poll()
        if code is not None:
            raise HarnessError(describe_failure(
                '%s exited with status %s' % (self.name, code), self.logs))


def describe_failure(what, logs):
    parts = [what]
    for path in logs:
        if os.path.exists(path):
            parts.append('  log %s, last lines:\n%s' % (path, tail(path)))
    return '\n'.join(parts)


class Cloud:
    def __init__(self, directory, hosts, capture_scheduler=False):
        self.dir = os.path.abspath(directory)
        self.capture_scheduler = capture_scheduler
        self.etc = os.path.join(self.dir, 'etc')
        self.var = os.path.join(self.dir, 'var')
        self.logs = os.path.join(self.dir, 'log')
        self.run = os.path.join(self.dir, 'run')
        self.hosts = ['compute-%d' % i for i in range(1, hosts + 1)]
        self.services = {}
        self.lock = threading.Lock()
        self.is_root = os.geteuid() == 0
        names = ('postgres', 'epmd', 'amqp', 'dist', 'keystone', 'placement',
                 'glance', 'neutron', 'nova', 'cinder')
        self.port = dict(zip(names, free_ports(len(names))))
        self.auth_url = 'http://127.0.0.1:%d/v3' % self.port['keystone']
        self.endpoints = {
            'identity': self.auth_url,
            'placement': 'http://127.0.0.1:%d' % self.port['placement'],
            'compute': 'http://127.0.0.1:%d/v2.1' % self.port['nova'],
            'volumev3': 'http://127.0.0.1:%d/v3/%%(project_id)s'
                        % self.port['cinder'],
            'image': 'http://127.0.0.1:%d' % self.port['glance'],
            'network': 'http://127.0.0.1:%d' % self.port['neutron'],
        }
        self.transport = 'rabbit://guest:guest@127.0.0.1:%d/' % \
            self.port['amqp']
        self.env = dict(os.environ)
        self.env['PYTHONPATH'] = HERE
        self.env.pop('PYTHONHOME', None)

    # ------------------------------------------------------------ processes

    def spawn(self, argv, out, env, user, cwd, new_group):
        """Popen argv, its output appended to the file out, as user (for
        PostgreSQL under root) and in a process group of its own if
        new_group."""
        kwargs = {}
        if user:
            pw = pwd.getpwnam(user)
            kwargs = {'user': pw.pw_uid, 'group': pw.pw_gid,
                      'extra_groups': []}
        with open(out, 'ab') as f:
            return subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=f,
                stderr=subprocess.STDOUT, env=env or self.env,
                cwd=cwd or self.var, start_new_session=new_group, **kwargs)

    def start(self, name, argv, env=None, user=None, cwd=None, logs=()):
        """Start argv as a process group of its own, recorded in run/."""
        out = os.path.join(self.logs, name + '.out')
        proc = self.spawn(argv, out, env, user, cwd, True)
        with open(os.path.join(self.run, name + '.pid'), 'w') as f:
            f.write('%d\n' % proc.pid)
        service = Service(name, proc, list(logs) + [out])
        with self.lock:
            self.services[name] = service
        return service

    def command(self, name, argv, env=None, user=None, cwd=None, logs=()):
        """Run argv to its end, its output in log/NAME.log; fail loudly."""
        out = os.path.join(self.logs, name + '.log')
        code = self.spawn(argv, out, env, user, cwd, False).wait()
        if code != 0:
            raise HarnessError(describe_failure(
                '%s failed (status %d): %s' % (name, code, ' '.join(argv)),
                list(logs) + [out]))

    def launch(self, name, *args):
        return [PYTHON, LAUNCH, name] + list(args)

    def alive(self):
        with self.lock:
            services = list(self.services.values())
        for service in services:
            service.check()

    def wait_http(self, name, url, timeout=300):
        service = self.services[name]

        def answers():
            status = osapi.probe(url)
            return status is not None and status < 500

        try:
            osapi.wait_for('%s at %s' % (name, url), answers, timeout,
                           interval=0.5, alive=service.check)
        except TimeoutError as err:
            raise HarnessError(describe_failure(str(err), service.logs))
        log('%s answers at %s' % (name, url))

    # ------------------------------------------------------------ layout

    def prepare(self):
        for d in (self.etc, self.var, self.logs, self.run):
            os.makedirs(d)
        for d in ('keystone/fernet-keys', 'keystone/credential-keys',
                  'glance/images', 'glance/staging', 'glance/tasks',
                  'nova/instances', 'cinder', 'neutron', 'rabbitmq', 'lock'):
            os.makedirs(os.path.join(self.var, d))
        self.write_configs()

    def write_configs(self):
        var, logs, etc = self.var, self.logs, self.etc
        pg = 'postgresql+psycopg2://postgres@127.0.0.1:%d/' % \
            self.port['postgres']
        self.db_url = pg
        lock = {'lock_path': os.path.join(var, 'lock')}
        noop = {'driver': 'noop'}

        os.makedirs(os.path.join(etc, 'keystone'))
        write_ini(os.path.join(etc, 'keystone', 'keystone.conf'), {
            'DEFAULT': {'log_dir': logs, 'log_file': 'keystone.log'},
            'database': {'connection': pg + 'keystone'},
            'token': {'provider': 'fernet', 'expiration': 86400},
            'fernet_tokens': {'key_repository':
                              os.path.join(var, 'keystone/fernet-keys')},
            'fernet_receipts': {'key_repository':
                                os.path.join(var, 'keystone/fernet-keys')},
            'credential': {'key_repository':
                           os.path.join(var, 'keystone/credential-keys')},
            # one uwsgi process, so an in-memory cache is coherent; without
            # a cache every token validation takes about a second
            'cache': {'enabled': 'true',
                      'backend': 'dogpile.cache.memory'},
            # bcrypt's default 12 rounds cost ~0.5 s per password login
            'identity': {'password_hash_rounds': 4},
        })

        os.makedirs(os.path.join(etc, 'placement'))
        write_ini(os.path.join(etc, 'placement', 'placement.conf'), {
            'DEFAULT': {'log_dir': logs, 'log_file': 'placement.log'},
            'api': {'auth_strategy': 'keystone'},
            'keystone_authtoken': authtoken(self.auth_url, 'placement'),
            'placement_database': {'connection': pg + 'placement'},
        })

        write_ini(os.path.join(etc, 'glance-api.conf'), {
            'DEFAULT': {'bind_host': '127.0.0.1',
                        'bind_port': self.port['glance'], 'workers': 1,
                        'log_dir': logs, 'log_file': 'glance-api.log',
                'graceful_shutdown_timeout': GRACEFUL,
                        'enabled_backends': 'file:file'},
            'database': {'connection': pg + 'glance'},
            'keystone_authtoken': authtoken(self.auth_url, 'glance'),
            'paste_deploy': {'flavor': 'keystone', 'config_file':
                             os.path.join(HERE, 'paste', 'glance.ini')},
            'glance_store': {'default_backend': 'file'},
            'file': {'filesystem_store_datadir':
                     os.path.join(var, 'glance/images')},
            'os_glance_staging_store': {'filesystem_store_datadir':
                                        os.path.join(var, 'glance/staging')},
            'os_glance_tasks_store': {'filesystem_store_datadir':
                                      os.path.join(var, 'glance/tasks')},
            'oslo_concurrency': lock,
        })

        write_ini(os.path.join(etc, 'neutron.conf'), {
            'DEFAULT': {
                'bind_host': '127.0.0.1', 'bind_port': self.port['neutron'],
                'api_workers': 1, 'rpc_workers': 0,
                'rpc_state_report_workers': 0,
                # segments: routed networks, each segment mirrored into
                # Placement (a provider and an aggregate) and Nova (a host
                # aggregate) as Neutron does in a real cloud
                'core_plugin': 'ml2', 'service_plugins': 'segments',
                'auth_strategy': 'keystone', 'transport_url': self.transport,
                'notify_nova_on_port_status_changes': 'false',
                'notify_nova_on_port_data_changes': 'false',
                'api_paste_config': os.path.join(HERE, 'paste',
                                                 'neutron.ini'),
                'state_path': os.path.join(var, 'neutron'),
                'log_dir': logs, 'log_file': 'neutron-server.log',
                'graceful_shutdown_timeout': GRACEFUL},
            'database': {'connection': pg + 'neutron'},
            'keystone_authtoken': authtoken(self.auth_url, 'neutron'),
            # what the segments plugin calls to mirror segments
            'nova': keystone_auth(self.auth_url, 'neutron'),
            'placement': keystone_auth(self.auth_url, 'neutron'),
            'oslo_concurrency': lock,
            # an API with no agents and no mechanism drivers: enough for
            # Nova's port and security group lookups
            'ml2': {'type_drivers': 'flat,vlan', 'tenant_network_types': '',
                    'mechanism_drivers': '',
                    'extension_drivers': 'port_security'},
            # any physical network: a routed network's segments are flat
            # networks on physical networks of their own
            'ml2_type_flat': {'flat_networks': '*'},
            'securitygroup': {'enable_security_group': 'true',
                              'firewall_driver': 'noop'},
            'oslo_messaging_notifications': noop,
        })

        nova_auth = keystone_auth(self.auth_url, 'nova')
        nova = {
            'DEFAULT': {
                'transport_url': self.transport,
                'compute_driver': 'fake.FakeDriver',
                'state_path': os.path.join(var, 'nova'),
                'instances_path': os.path.join(var, 'nova/instances'),
                'log_dir': logs, 'my_ip': '127.0.0.1',
                'enabled_apis': 'osapi_compute',
                'osapi_compute_listen': '127.0.0.1',
                'osapi_compute_listen_port': self.port['nova'],
                'osapi_compute_workers': 1,
                'report_interval': 10, 'service_down_time': 60,
                'graceful_shutdown_timeout': GRACEFUL,
                'heal_instance_info_cache_interval': -1,
                # no Neutron agents: nothing sends vif-plugged events
                'vif_plugging_timeout': 0,
                'vif_plugging_is_fatal': 'false'},
            'api': {'auth_strategy': 'keystone'},
            'wsgi': {'api_paste_config': os.path.join(HERE, 'paste',
                                                      'nova.ini')},
            'api_database': {'connection': pg + 'nova_api'},
            'database': {'connection': pg + 'nova'},
            'keystone_authtoken': authtoken(self.auth_url, 'nova'),
            'placement': dict(keystone_auth(self.auth_url, 'placement'),
                              valid_interfaces='public'),
            'glance': {'endpoint_override': self.endpoints['image']},
            'neutron': dict(keystone_auth(self.auth_url, 'neutron'),
                            endpoint_override=self.endpoints['network']),
            'cinder': dict(keystone_auth(self.auth_url, 'cinder'),
                           os_region_name=REGION,
                           catalog_info='volumev3::publicURL'),
            'conductor': {'workers': 1},
            # nova-compute reads its provider back from Placement only at
            # start: an inventory's max_unit or step_size, or a trait, that
            # a test sets through Placement's API then stays until the test
            # puts it back, instead of being rewritten by the periodic
            # update after the association refresh (300 s by default)
            'compute': {'resource_provider_association_refresh': 0},
            'scheduler': {'workers': 1,
                          'discover_hosts_in_cells_interval': -1,
                          'max_attempts': 3},
            'oslo_concurrency': lock,
            'oslo_messaging_rabbit': {'heartbeat_timeout_threshold': 0},
            # what valetd's notifications listener consumes
            # (tests/openstack/nova_notifications_test.py): versioned
            # notifications on exchange nova, topic versioned_notifications
            'oslo_messaging_notifications': {
                'driver': 'messagingv2', 'topics': 'versioned_notifications'},
            'notifications': {'notification_format': 'versioned'},
            # Cinder refuses attachment deletes without a Nova service
            # token (ConflictNovaUsingAttachment, HTTP 409)
            'service_user': dict(nova_auth, send_service_user_token='true'),
        }
        if self.capture_scheduler:  # records what nova-scheduler is asked
            import scheduler_capture
            scheduler_capture.configure(
                nova, os.path.join(var, 'scheduler-capture'))
        write_ini(os.path.join(etc, 'nova.conf'), nova)
        # nova-compute has no database access; given the [database] of
        # the others it logs "No DB access allowed in nova-compute"
        write_ini(os.path.join(etc, 'nova-compute.conf'), {
            k: v for k, v in nova.items()
            if k not in ('database', 'api_database')})
        for host in self.hosts:
            write_ini(os.path.join(etc, 'nova-%s.conf' % host), {
                'DEFAULT': {'host': host,
                            'log_file': 'nova-compute-%s.log' % host}})

        write_ini(os.path.join(etc, 'cinder.conf'), {
            'DEFAULT': {
                'transport_url': self.transport, 'auth_strategy': 'keystone',
                'host': VOLUME_HOST, 'my_ip': '127.0.0.1',
                'osapi_volume_listen': '127.0.0.1',
                'osapi_volume_listen_port': self.port['cinder'],
                'osapi_volume_workers': 1,
                'api_paste_config': os.path.join(HERE, 'paste',
                                                 'cinder.ini'),
                'state_path': os.path.join(var, 'cinder'),
                'log_dir': logs,
                'enabled_backends': VOLUME_BACKEND,
                'default_volume_type': VOLUME_TYPE,
                'glance_api_servers': self.endpoints['image'],
                'report_interval': 10, 'service_down_time': 60,
                'graceful_shutdown_timeout': GRACEFUL,
                'periodic_interval': 10},
            VOLUME_BACKEND: {
                'volume_driver': 'fake_volume.PoolDriver',
                'volume_backend_name': VOLUME_BACKEND,
                'fake_pools': ','.join('%s:%d' % p for p in POOLS),
                'target_helper': 'fake'},
            'database': {'connection': pg + 'cinder'},
            'keystone_authtoken': authtoken(self.auth_url, 'cinder'),
            'nova': keystone_auth(self.auth_url, 'nova'),
            'oslo_concurrency': lock,
            'oslo_messaging_notifications': noop,
        })

        rabbit = os.path.join(var, 'rabbitmq')
        rabbitmq.write_config(etc, self.port['amqp'])
        self.rabbit_env = rabbitmq.broker_env(
            self.env, rabbit, etc, os.path.join(logs, 'rabbitmq'), self.port)

    # ------------------------------------------------------------ services

    def start_postgres(self):
        """A cluster of its own: initdb, start, and the empty databases."""
        user = None
        if self.is_root:
            # postgres refuses to run as root; its data goes where the
            # user postgres can reach it, whatever the build tree's modes
            user = 'postgres'
            data = tempfile.mkdtemp(prefix='valet-openstack-pg-')
            pw = pwd.getpwnam(user)
            os.chown(data, pw.pw_uid, pw.pw_gid)
        else:
            data = os.path.join(self.var, 'postgres')
            os.makedirs(data)
        with open(os.path.join(self.run, 'postgres.data'), 'w') as f:
            f.write(data + '\n')
        pglog = os.path.join(self.logs, 'postgres.out')
        self.command('postgres-initdb', [
            os.path.join(PG_BIN, 'initdb'), '-D', data, '-U', 'postgres',
            '--auth=trust', '-E', 'UTF8', '--no-sync'], user=user, cwd=data)
        service = self.start('postgres', [
            os.path.join(PG_BIN, 'postgres'), '-D', data,
            '-c', 'listen_addresses=127.0.0.1',
            '-c', 'port=%d' % self.port['postgres'],
            '-c', 'unix_socket_directories=',
            '-c', 'max_connections=500',
            '-c', 'fsync=off', '-c', 'synchronous_commit=off',
            '-c', 'full_page_writes=off'], user=user, cwd=data,
            logs=[pglog])
        import psycopg2

        def connect():
            return psycopg2.connect(host='127.0.0.1',
                                    port=self.port['postgres'],
                                    user='postgres', dbname='postgres')

        try:
            conn = osapi.wait_for('postgres', connect, 60, interval=0.3,
                                  alive=service.check)
        except TimeoutError as err:
            raise HarnessError(describe_failure(str(err), [pglog]))
        conn.autocommit = True
        with conn.cursor() as cur:
            for name in DATABASES:
                cur.execute('CREATE DATABASE %s' % name)
        conn.close()
        log('postgres ready on port %d, databases created'
            % self.port['postgres'])

    def start_rabbitmq(self):
        self.start('epmd', ['/usr/bin/epmd', '-port', str(self.port['epmd']),
                            '-address', '127.0.0.1'], env=self.rabbit_env)
        self.wait_port('epmd', self.port['epmd'])
        self.start('rabbitmq', [rabbitmq.RABBITMQ_SERVER], env=self.rabbit_env,
                   logs=[os.path.join(self.logs, 'rabbitmq',
                                      self.rabbit_env['RABBITMQ_NODENAME']
                                      + '.log')])

    def wait_port(self, name, port, timeout=60):
        service = self.services[name]

        def opens():
            with socket.create_connection(('127.0.0.1', port), timeout=2):
                return True

        try:
            osapi.wait_for('%s on port %d' % (name, port), opens, timeout,
                           interval=0.2, alive=service.check)
        except TimeoutError as err:
            raise HarnessError(describe_failure(str(err), service.logs))

    def wait_rabbitmq(self, timeout=180):
        """An AMQP 0-9-1 handshake: the broker answers Connection.Start."""
        service = self.services['rabbitmq']

        def handshake():
            return rabbitmq.handshake(self.port['amqp'])

        try:
            osapi.wait_for('rabbitmq on port %d' % self.port['amqp'],
                           handshake, timeout, interval=0.5,
                           alive=service.check)
        except TimeoutError as err:
            raise HarnessError(describe_failure(str(err), service.logs))
        log('rabbitmq ready on port %d' % self.port['amqp'])

    def keystone(self):
        conf = os.path.join(self.etc, 'keystone', 'keystone.conf')
        manage = ['--config-file', conf]
        who = [pwd.getpwuid(os.getuid()).pw_name,
               grp.getgrgid(os.getgid()).gr_name]
        self.command('keystone-db', self.launch('keystone-manage', *manage,
                                                'db_sync'))
        for setup in ('fernet_setup', 'credential_setup'):
            self.command('keystone-' + setup, self.launch(
                'keystone-manage', *manage, setup, '--keystone-user', who[0],
                '--keystone-group', who[1]))
        self.command('keystone-bootstrap', self.launch(
            'keystone-manage', *manage, 'bootstrap',
            '--bootstrap-password', USERS['admin']['password'],
            '--bootstrap-region-id', REGION,
            '--bootstrap-admin-url', self.auth_url,
            '--bootstrap-public-url', self.auth_url,
            '--bootstrap-internal-url', self.auth_url))
        env = dict(self.env, OS_KEYSTONE_CONFIG_DIR=os.path.dirname(conf))
        self.uwsgi('keystone', '/usr/bin/keystone-wsgi-public', env,
                   os.path.join(self.logs, 'keystone.log'))
        self.wait_http('keystone', self.auth_url)
        self.seed_identity()
        log('identity seeded')

    def uwsgi(self, name, wsgi_file, env, service_log):
        # --http-socket closes each connection; "Connection: close" tells
        # clients so, or a reused connection fails with RemoteDisconnected
        self.start(name, [
            '/usr/bin/uwsgi', '--plugin', 'python3',
            '--http-socket', '127.0.0.1:%d' % self.port[name],
            '--wsgi-file', wsgi_file, '--master', '--processes', '1',
            '--threads', '4', '--die-on-term', '--need-app',
            '--add-header', 'Connection: close'], env=env,
            logs=[service_log])

    def nova_db(self):
        conf = ['--config-file', os.path.join(self.etc, 'nova.conf')]
        steps = (
            ('api_db', 'sync'),
            ('cell_v2', 'map_cell0', '--database_connection',
             self.db_url + 'nova_cell0'),
            ('db', 'sync'),
            ('cell_v2', 'create_cell', '--name', 'cell1'),
        )
        for step in steps:
            self.command('nova-manage-' + '-'.join(step[:2]),
                         self.launch('nova-manage', *conf, *step))
        log('nova databases ready')

    def other_dbs(self):
        self.command('placement-db', self.launch(
            'placement-manage', '--config-file',
            os.path.join(self.etc, 'placement', 'placement.conf'),
            'db', 'sync'))
        self.command('glance-db', self.launch(
            'glance-manage', '--config-file',
            os.path.join(self.etc, 'glance-api.conf'), 'db_sync'))
        self.command('cinder-db', self.launch(
            'cinder-manage', '--config-file',
            os.path.join(self.etc, 'cinder.conf'), 'db', 'sync'))
        log('placement, glance and cinder databases ready')

    def neutron_db(self):
        self.command('neutron-db', self.launch(
            'neutron-db-manage', '--config-file',
            os.path.join(self.etc, 'neutron.conf'), 'upgrade', 'heads'))
        log('neutron database ready')

    def start_apis(self):
        env = dict(self.env, OS_PLACEMENT_CONFIG_DIR=os.path.join(
            self.etc, 'placement'))
        self.uwsgi('placement', '/usr/bin/placement-api', env,
                   os.path.join(self.logs, 'placement.log'))
        glance = os.path.join(self.etc, 'glance-api.conf')
        self.start('glance', self.launch('glance-api', '--config-file',
                                         glance),
                   logs=[os.path.join(self.logs, 'glance-api.log')])
        self.start('neutron', self.launch(
            'neutron-server', '--config-file',
            os.path.join(self.etc, 'neutron.conf')),
            logs=[os.path.join(self.logs, 'neutron-server.log')])
        nova = ['--config-file', os.path.join(self.etc, 'nova.conf')]
        for part in ('api', 'conductor', 'scheduler'):
            self.start('nova-' + part, self.launch(
                'nova-' + part, *nova, '--log-file', 'nova-%s.log' % part),
                logs=[os.path.join(self.logs, 'nova-%s.log' % part)])
        cinder = ['--config-file', os.path.join(self.etc, 'cinder.conf')]
        for part in ('api', 'scheduler', 'volume'):
            self.start('cinder-' + part, self.launch(
                'cinder-' + part, *cinder, '--log-file',
                'cinder-%s.log' % part),
                logs=[os.path.join(self.logs, 'cinder-%s.log' % part)])

    def start_computes(self):
        size = [str(HOST_SIZE[k]) for k in ('vcpus', 'memory_mb', 'disk_gb')]
        for host in self.hosts:
            self.start('nova-compute-' + host, [
                PYTHON, LAUNCH, '--fake-compute', *size,
                '--config-file', os.path.join(self.etc, 'nova-compute.conf'),
                '--config-file', os.path.join(self.etc,
                                              'nova-%s.conf' % host)],
                logs=[os.path.join(self.logs,
                                   'nova-compute-%s.log' % host)])

    # ------------------------------------------------------------ seeding

    def admin(self):
        return osapi.Session(self.describe(), 'admin')

    def seed_identity(self):
        """Projects, users, roles, services and endpoints in Keystone."""
        s = self.admin()

        def find(kind, name):
            found = s.get('identity', '/%s?name=%s' % (kind, name))[kind]
            return found[0]['id'] if found else None

        def create(kind, body):
            singular = kind[:-1]
            return s.post('identity', '/' + kind,
                          {singular: body})[singular]['id']

        roles = {}
        for role in ('admin', 'member', 'reader', 'service'):
            roles[role] = find('roles', role) or create('roles',
                                                        {'name': role})
        projects = {'admin': find('projects', 'admin')}
        for project in ('service', 'demo'):
            projects[project] = create('projects', {
                'name': project, 'domain_id': 'default'})

        def user(name, password, project, role_names):
            uid = create('users', {'name': name, 'password': password,
                                   'domain_id': 'default',
                                   'default_project_id': projects[project]})
            for role in role_names:
                s.call('PUT', 'identity', '/projects/%s/users/%s/roles/%s'
                       % (projects[project], uid, roles[role]))

        user('demo', USERS['demo']['password'], 'demo', ['member', 'reader'])
        for name in SERVICE_USERS:
            user(name, SERVICE_PASSWORD, 'service', ['admin', 'service'])
        catalog = (('nova', 'compute'), ('placement', 'placement'),
                   ('glance', 'image'), ('cinderv3', 'volumev3'),
                   ('neutron', 'network'))
        for name, kind in catalog:
            sid = create('services', {'name': name, 'type': kind})
            for interface in ('public', 'internal', 'admin'):
                create('endpoints', {'service_id': sid,
                                     'interface': interface,
                                     'url': self.endpoints[kind],
                                     'region_id': REGION})

    def seed(self):
        s = self.admin()
        timeout = 300

        def providers():
            found = s.get('placement', '/resource_providers')
            names = {rp['name'] for rp in found['resource_providers']}
            return set(self.hosts) <= names

        self.wait('every host a resource provider in placement', providers,
                  timeout)
        self.command('nova-manage-discover-hosts', self.launch(
            'nova-manage', '--config-file',
            os.path.join(self.etc, 'nova.conf'), 'cell_v2',
            'discover_hosts'))

        def hypervisors():
            found = s.get('compute', '/os-hypervisors/detail')['hypervisors']
            up = {h['hypervisor_hostname'] for h in found
                  if h['state'] == 'up'}
            return set(self.hosts) <= up

        self.wait('every host a hypervisor in nova', hypervisors, timeout)
        for name, vcpus, ram, disk in FLAVORS:
            s.post('compute', '/flavors', {'flavor': {
                'name': name, 'vcpus': vcpus, 'ram': ram, 'disk': disk}})
        image = s.post('image', '/v2/images', {
            'name': IMAGE_NAME, 'disk_format': 'raw',
            'container_format': 'bare', 'visibility': 'public'})
        s.call('PUT', 'image', '/v2/images/%s/file' % image['id'],
               data=b'\0' * 65536,
               headers={'Content-Type': 'application/octet-stream'})
        self.image_id = image['id']

        def image_active():
            return s.get('image', '/v2/images/%s' % self.image_id)[
                'status'] == 'active'

        self.wait('image %s active' % IMAGE_NAME, image_active, 60)
        vtype = s.post('volumev3', '/types', {'volume_type': {
            'name': VOLUME_TYPE, 'os-volume-type-access:is_public': True,
            'extra_specs': {'volume_backend_name': VOLUME_BACKEND}}})
        self.volume_type_id = vtype['volume_type']['id']
        want = {self.pool_name(p) for p, _ in POOLS}

        def pools():
            found = s.get('volumev3', '/scheduler-stats/get_pools')['pools']
            return want <= {p['name'] for p in found}

        self.wait('cinder pools %s' % ', '.join(sorted(want)), pools,
                  timeout)

        def volume_service():
            found = s.get('volumev3', '/os-services')['services']
            return any(v['binary'] == 'cinder-volume' and v['state'] == 'up'
                       for v in found)

        self.wait('cinder-volume up', volume_service, timeout)
        log('seeded: %d flavors, image %s, volume type %s'
            % (len(FLAVORS), IMAGE_NAME, VOLUME_TYPE))

    def wait(self, what, check, timeout, logs=()):
        try:
            osapi.wait_for(what, check, timeout, interval=1,
                           alive=self.alive)
        except TimeoutError as err:
            raise HarnessError(describe_failure(str(err), logs) + '\n'
                               + self.log_hint())
        log(what)

    def log_hint(self):
        return '  the services\' logs are in %s' % self.logs

    @staticmethod
    def pool_name(pool):
        return '%s@%s#%s' % (VOLUME_HOST, VOLUME_BACKEND, pool)

    def describe(self):
        users = {}
        for key, user in USERS.items():
            users[key] = dict(user, user_domain_name='Default',
                              project_domain_name='Default')
        return {
            'auth_url': self.auth_url,
            'region': REGION,
            'users': users,
            'endpoints': self.endpoints,
            'compute_hosts': [dict(HOST_SIZE, name=h) for h in self.hosts],
            'volume_pools': [{'name': self.pool_name(p), 'total_gb': gb}
                             for p, gb in POOLS],
            'volume_type': VOLUME_TYPE,
            'flavors': [{'name': n, 'vcpus': c, 'ram': r, 'disk': d}
                        for n, c, r, d in FLAVORS],
            'image': {'name': IMAGE_NAME,
                      'id': getattr(self, 'image_id', None)},
            'ports': self.port,
            'amqp_url': 'amqp://guest:guest@127.0.0.1:%d/' % self.port['amqp'],
            'dir': self.dir,
            'logs': self.logs,
        }

    # ------------------------------------------------------------ up

    def up(self):
        self.prepare()
        log('cloud in %s, %d compute hosts' % (self.dir, len(self.hosts)))
        threads = []
        errors = []

        def run(target):
            def body():
                try:
                    target()
                except BaseException as err:  # noqa: BLE001 - re-raised
                    errors.append(err)
            t = threading.Thread(target=body, daemon=True)
            t.start()
            threads.append(t)

        def join():
            for t in threads:
                t.join()
            threads.clear()
            if errors:
                raise errors[0]

        run(self.start_rabbitmq)
        self.start_postgres()
        run(self.keystone)
        run(self.nova_db)
        run(self.neutron_db)
        run(self.other_dbs)
        join()
        self.wait_rabbitmq()
        self.start_apis()
        self.start_computes()
        for name, url in (('placement', self.endpoints['placement']),
                          ('glance', self.endpoints['image']),
                          ('neutron', self.endpoints['network']),
                          ('nova-api', self.endpoints['compute']),
                          ('cinder-api', 'http://127.0.0.1:%d/'
                           % self.port['cinder'])):
            self.wait_http(name, url)
        self.seed()
        path = os.path.join(self.dir, 'cloud.json')
        with open(path + '.tmp', 'w', encoding='utf-8') as f:
            json.dump(self.describe(), f, indent=2)
            f.write('\n')
        os.replace(path + '.tmp', path)
        log('cloud up: %s' % path)


# ---------------------------------------------------------------- heat

# Heat is optional: the Heat plugin's test adds it to a running cloud
# (heat_up), with one engine at a time: convergence (Heat's default) or
# legacy (convergence_engine = false, where stack lifecycle plugins run).
# Two heat-all processes on one broker would share its queues (a queue is
# named by its topic, whatever the exchange) and take each other's calls.
HEAT_ENGINES = {'convergence': True, 'legacy': False}
HEAT_PACKAGE = os.path.join(os.path.dirname(os.path.dirname(HERE)),
                            'plugins', 'openstack')
HEAT_PLUGIN_DIR = os.path.join(HEAT_PACKAGE, 'valet_openstack', 'heat')


def heat_entry_points(folder):
    """A dist-info in folder declaring the package's Heat entry points (as
    pyproject.toml does), so that Heat finds the lifecycle plugin on
    PYTHONPATH without installing the package."""
    import tomllib
    with open(os.path.join(HEAT_PACKAGE, 'pyproject.toml'), 'rb') as f:
        project = tomllib.load(f)['project']
    groups = {k: v for k, v in project.get('entry-points', {}).items()
              if k.startswith('heat.')}
    if not groups:
        raise HarnessError('%s declares no heat.* entry points'
                           % os.path.join(HEAT_PACKAGE, 'pyproject.toml'))
    info = os.path.join(folder, 'valet_openstack-%s.dist-info'
                        % project['version'])
    os.makedirs(info, exist_ok=True)
    with open(os.path.join(info, 'METADATA'), 'w') as f:
        f.write('Metadata-Version: 2.1\nName: valet-openstack\n'
                'Version: %s\n' % project['version'])
    with open(os.path.join(info, 'entry_points.txt'), 'w') as f:
        for group, entries in sorted(groups.items()):
            f.write('[%s]\n' % group)
            for name, target in sorted(entries.items()):
                f.write('%s = %s\n' % (name, target))
            f.write('\n')


class HeatCloud(Cloud):
    """The Cloud of a folder that cloud.py up made, read back from its
    cloud.json, to add Heat to."""

    def __init__(self, directory):
        super().__init__(directory, 0)
        self.described = osapi.load_cloud(os.path.join(self.dir,
                                                       'cloud.json'))
        self.port = dict(self.described['ports'])
        self.auth_url = self.described['auth_url']
        self.endpoints = dict(self.described['endpoints'])
        self.transport = 'rabbit://guest:guest@127.0.0.1:%d/' % \
            self.port['amqp']
        self.db_url = 'postgresql+psycopg2://postgres@127.0.0.1:%d/' % \
            self.port['postgres']
        pylib = os.path.join(self.var, 'heat-pylib')
        self.env['PYTHONPATH'] = os.pathsep.join((HERE, HEAT_PACKAGE, pylib))
        self.pylib = pylib

    def describe(self):
        return self.described

    def heat_conf(self, engine, port, valet_url, plan_form):
        """heat.conf of one engine; its path."""
        auth = keystone_auth(self.auth_url, 'heat')
        valet = dict(auth, plan_form=plan_form)
        if valet_url:
            valet['url'] = valet_url
        conf = os.path.join(self.etc, 'heat-%s.conf' % engine)
        write_ini(conf, {
            'DEFAULT': {
                'transport_url': self.transport,
                'num_engine_workers': 1,
                # lifecycle plugins run only under the legacy engine
                'convergence_engine': str(HEAT_ENGINES[engine]).lower(),
                'deferred_auth_method': 'trusts',
                'plugin_dirs': HEAT_PLUGIN_DIR,
                # the hints that key a server in the root stack's plan
                'stack_scheduler_hints': 'true',
                'region_name_for_services': REGION,
                'heat_metadata_server_url': 'http://127.0.0.1:%d' % port,
                'heat_waitcondition_server_url':
                    'http://127.0.0.1:%d/v1/waitcondition' % port,
                'log_dir': self.logs, 'log_file': 'heat-%s.log' % engine,
                'graceful_shutdown_timeout': GRACEFUL},
            'heat_all': {'enabled_services': 'api,engine'},
            'heat_api': {'bind_host': '127.0.0.1', 'bind_port': port,
                         'workers': 1},
            'paste_deploy': {'api_paste_config':
                             os.path.join(HERE, 'paste', 'heat.ini')},
            'database': {'connection': self.db_url + 'heat_' + engine},
            'keystone_authtoken': authtoken(self.auth_url, 'heat'),
            'trustee': {'auth_type': 'password', 'auth_url': self.auth_url,
                        'username': 'heat', 'password': SERVICE_PASSWORD,
                        'user_domain_name': 'Default'},
            'clients_keystone': {'auth_uri':
                                 self.auth_url.rsplit('/v3', 1)[0]},
            'valet': valet,
            'oslo_concurrency': {'lock_path': os.path.join(self.var,
                                                           'lock')},
            'oslo_messaging_notifications': {'driver': 'noop'},
        })
        return conf

    def heat_identity(self, url):
        """The heat service user, and the catalog's orchestration
        endpoints at url."""
        s = osapi.Session(self.described, 'admin')
        found = s.get('identity', '/services?type=orchestration')['services']
        if found:
            for e in s.get('identity', '/endpoints?service_id=%s'
                           % found[0]['id'])['endpoints']:
                s.call('PATCH', 'identity', '/endpoints/%s' % e['id'],
                       {'endpoint': {'url': url + '/%(project_id)s'}})
            return
        service = s.get('identity', '/projects?name=service')['projects']
        roles = {r['name']: r['id'] for r in
                 s.get('identity', '/roles')['roles']}
        uid = s.post('identity', '/users', {'user': {
            'name': 'heat', 'password': SERVICE_PASSWORD,
            'domain_id': 'default',
            'default_project_id': service[0]['id']}})['user']['id']
        for role in ('admin', 'service'):
            s.call('PUT', 'identity', '/projects/%s/users/%s/roles/%s'
                   % (service[0]['id'], uid, roles[role]))
        sid = s.post('identity', '/services', {'service': {
            'name': 'heat', 'type': 'orchestration'}})['service']['id']
        for interface in ('public', 'internal', 'admin'):
            s.post('identity', '/endpoints', {'endpoint': {
                'service_id': sid, 'interface': interface,
                'url': url + '/%(project_id)s', 'region_id': REGION}})

    def heat_database(self, engine):
        import psycopg2
        conn = psycopg2.connect(host='127.0.0.1', port=self.port['postgres'],
                                user='postgres', dbname='postgres')
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute('DROP DATABASE IF EXISTS heat_%s' % engine)
            cur.execute('CREATE DATABASE heat_%s' % engine)
        conn.close()

    def heat_up(self, valet_url, engine, plan_form):
        """Start heat-all with this engine (stopping the one running, if
        any); the URL of its API, with /v1 but no project."""
        if engine not in HEAT_ENGINES:
            raise HarnessError('heat engine %r: expected one of %s'
                               % (engine, ', '.join(HEAT_ENGINES)))
        self.stop_heat()
        os.makedirs(self.pylib, exist_ok=True)
        heat_entry_points(self.pylib)
        port = free_ports(1)[0]
        conf = self.heat_conf(engine, port, valet_url, plan_form)
        self.heat_database(engine)
        self.command('heat-db-%s' % engine, self.launch(
            'heat-manage', '--config-file', conf, 'db_sync'))
        self.start('heat', self.launch('heat-all', '--config-file', conf),
                   logs=[os.path.join(self.logs, 'heat-%s.log' % engine)])
        url = 'http://127.0.0.1:%d/v1' % port
        self.heat_identity(url)
        self.wait_http('heat', url.rsplit('/v1')[0])
        return url

    def stop_heat(self):
        """Stop the heat-all process this folder's run/ records. Its state
        is all in its database, and heat-all outlives the grace time of a
        TERM (it waits for its engine's threads): KILL."""
        pid = os.path.join(self.run, 'heat.pid')
        if not os.path.exists(pid):
            return
        with open(pid) as f:
            pgid = int(f.read().split()[0])
        os.unlink(pid)
        kill_group('heat', pgid)


def kill_group(name, pgid):
    """KILL a process group of a service that keeps no state of its own.
    Its leader, when a child of this process, is waited for: until then it
    is a zombie, and its group looks alive."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        return
    try:
        os.waitpid(pgid, 0)
    except ChildProcessError:
        pass
    stop_groups({name: pgid}, signal.SIGKILL)


def heat_up(directory, valet_url=None, engine='convergence',
            plan_form='template'):
    """Heat with this engine on the running cloud of directory: the URL
    of its API."""
    return HeatCloud(directory).heat_up(valet_url, engine, plan_form)


def heat_down(directory):
    HeatCloud(directory).stop_heat()


def heat_command(action, directory, valet_url, engine):
    if action == 'heat-down':
        heat_down(directory)
        return 0
    try:
        url = heat_up(directory, valet_url, engine)
    except HarnessError as err:
        print('cloud.py heat-up: %s' % err, file=sys.stderr)
        return 1
    print('%s engine: %s' % (engine, url))
    return 0


# ---------------------------------------------------------------- down

def group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def stop_groups(groups, sig=signal.SIGTERM):
    """sig to each process group, then KILL to those left after the
    grace time."""
    for pgid in groups.values():
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + STOP_GRACE
    while time.monotonic() < deadline and any(map(group_alive,
                                                  groups.values())):
        time.sleep(0.2)
    for name, pgid in groups.items():
        if group_alive(pgid):
            log('%s did not stop %d s after %s: KILL'
                % (name, STOP_GRACE, sig.name))
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def down(directory):
    """Stop every process group recorded in DIR/run; True if any ran."""
    run = os.path.join(directory, 'run')
    if not os.path.isdir(run):
        return False
    groups = {}
    for entry in sorted(os.listdir(run)):
        if entry.endswith('.pid'):
            with open(os.path.join(run, entry)) as f:
                groups[entry[:-4]] = int(f.read().split()[0])
    live = {n: g for n, g in groups.items() if group_alive(g)}
    # the services first, then what they use: PostgreSQL (SIGINT, its
    # fast shutdown, which does not wait for clients), the broker, epmd
    last = ('postgres', 'rabbitmq', 'epmd')
    stop_groups({n: g for n, g in live.items() if n not in last})
    for name in last:
        if name in live:
            stop_groups({name: live[name]},
                        signal.SIGINT if name == 'postgres'
                        else signal.SIGTERM)
    for name in groups:
        os.unlink(os.path.join(run, name + '.pid'))
    data = os.path.join(run, 'postgres.data')
    if os.path.exists(data):
        with open(data) as f:
            folder = f.read().strip()
        if folder.startswith(tempfile.gettempdir()) and \
                os.path.basename(folder).startswith('valet-openstack-pg-'):
            shutil.rmtree(folder, ignore_errors=True)
        os.unlink(data)
    if live:
        log('stopped %d services in %s' % (len(live), directory))
    return bool(live)


def status(directory):
    run = os.path.join(directory, 'run')
    names = sorted(e[:-4] for e in os.listdir(run) if e.endswith('.pid')) \
        if os.path.isdir(run) else []
    if not names:
        print('no cloud in %s' % directory)
        return 1
    for name in names:
        with open(os.path.join(run, name + '.pid')) as f:
            pgid = int(f.read())
        print('%-28s %s' % (name, 'running' if group_alive(pgid)
                            else 'stopped'))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('action',
                        choices=('up', 'down', 'status', 'valet-filters',
                                 'heat-up', 'heat-down'))
    parser.add_argument('--dir', required=True,
                        help='the folder of the cloud (emptied by up)')
    parser.add_argument('--hosts', type=int,
                        default=int(os.environ.get('VLT_OPENSTACK_HOSTS',
                                                   '3')),
                        help='fake compute hosts (3, or '
                             '$VLT_OPENSTACK_HOSTS)')
    # valet-filters: restart the schedulers with Valet's filters asking
    # --valet-url, or, without it, as up started them (valet_filters.py);
    # heat-up: the valetd that Heat's [valet] calls
    parser.add_argument('--valet-url')
    parser.add_argument('--failure-mode', choices=('pass', 'refuse'),
                        default='pass')
    parser.add_argument('--engine', choices=('convergence', 'legacy'),
                        default='convergence',
                        help='heat-up: Heat\'s engine (convergence)')
    parser.add_argument('--capture-scheduler', action='store_true',
                        help='record each scheduling request in '
                             'DIR/var/scheduler-capture '
                             '(scheduler_capture.py)')
    args = parser.parse_args()
    directory = os.path.abspath(args.dir)
    if args.action == 'valet-filters':
        import valet_filters
        return valet_filters.switch(directory, args.valet_url,
                                    args.failure_mode)
    if args.action.startswith('heat-'):
        return heat_command(args.action, directory, args.valet_url,
                            args.engine)
    if args.action != 'status' and \
            os.environ.get('VLT_TEST_OPENSTACK') == '0':
        print('SKIP: VLT_TEST_OPENSTACK=0: no OpenStack cloud')
        return 77
    if args.action == 'down':
        if os.environ.get('VLT_OPENSTACK_KEEP') == '1':
            print('VLT_OPENSTACK_KEEP=1: the cloud of %s keeps running; '
                  'stop it with %s down --dir %s'
                  % (directory, os.path.abspath(__file__), directory))
            return 0
        down(directory)
        return 0
    if args.action == 'status':
        return status(directory)
    if down(directory):
        log('stopped the cloud an earlier run left in %s' % directory)
    shutil.rmtree(directory, ignore_errors=True)
    cloud = Cloud(directory, args.hosts, args.capture_scheduler)
    try:
        cloud.up()
    except BaseException as err:
        if isinstance(err, HarnessError):
            print('cloud.py up: %s' % err, file=sys.stderr)
        elif isinstance(err, KeyboardInterrupt):
            print('cloud.py up: interrupted', file=sys.stderr)
        else:
            import traceback
            traceback.print_exc()
            print('cloud.py up: %s\n%s' % (err, cloud.log_hint()),
                  file=sys.stderr)
        print('cloud.py up: stopping what was started', file=sys.stderr)
        down(directory)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
