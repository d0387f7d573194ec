"""A RabbitMQ broker of a test's own: Debian's rabbitmq-server and epmd on
loopback, on free ports, with its node name, Erlang cookie (HOME), Mnesia
database, logs and configuration in a folder of the test's, the way the
OpenStack harness (tests/openstack/cloud.py) runs one for Nova. stop() and
start() keep its data: a durable queue outlives a restart."""
import os
import shutil
import socket
import subprocess
import tempfile
import time

RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'
RABBITMQCTL = '/usr/lib/rabbitmq/bin/rabbitmqctl'
EPMD = '/usr/bin/epmd'


def free_ports(count):
    """count distinct free TCP ports on 127.0.0.1."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(('127.0.0.1', 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def available():
    """Can this machine run a broker (Debian's rabbitmq-server and epmd)?"""
    return os.access(RABBITMQ_SERVER, os.X_OK) and os.access(EPMD, os.X_OK)


def write_config(etc, amqp_port):
    """rabbitmq.conf, an empty plugin list and env file, in etc."""
    with open(os.path.join(etc, 'rabbitmq.conf'), 'w') as f:
        f.write('listeners.tcp.default = 127.0.0.1:%d\n'
                'loopback_users = none\n'
                'default_user = guest\n'
                'default_pass = guest\n'
                'vm_memory_high_watermark.absolute = 512MiB\n'
                'disk_free_limit.absolute = 50MB\n' % amqp_port)
    with open(os.path.join(etc, 'rabbitmq-plugins'), 'w') as f:
        f.write('[].\n')
    with open(os.path.join(etc, 'rabbitmq-env.conf'), 'w') as f:
        f.write('# empty: the harness sets RABBITMQ_* itself\n')


def broker_env(base, home, etc, logs, port):
    """The environment of a broker: base plus its RABBITMQ_* and Erlang
    settings; port is a dict with 'amqp', 'dist' and 'epmd'."""
    return dict(
        base,
        HOME=home,  # its Erlang cookie, not the user's
        RABBITMQ_NODENAME='valet%d@localhost' % port['amqp'],
        RABBITMQ_NODE_IP_ADDRESS='127.0.0.1',
        RABBITMQ_NODE_PORT=str(port['amqp']),
        RABBITMQ_DIST_PORT=str(port['dist']),
        ERL_EPMD_ADDRESS='127.0.0.1',
        ERL_EPMD_PORT=str(port['epmd']),
        RABBITMQ_MNESIA_BASE=os.path.join(home, 'mnesia'),
        RABBITMQ_LOG_BASE=logs,
        RABBITMQ_PID_FILE=os.path.join(home, 'rabbit.pid'),
        RABBITMQ_CONFIG_FILE=os.path.join(etc, 'rabbitmq.conf'),
        RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(etc, 'rabbitmq-plugins'),
        RABBITMQ_CONF_ENV_FILE=os.path.join(etc, 'rabbitmq-env.conf'),
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=(
            '-kernel inet_dist_use_interface {127,0,0,1}'))


def handshake(port):
    """Does an AMQP 0-9-1 broker answer Connection.Start on port?"""
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
            s.sendall(b'AMQP\x00\x00\x09\x01')
            return s.recv(7)[:1] == b'\x01'
    except OSError:
        return False


class Broker:
    """One rabbitmq-server; ``url`` is its amqp:// URL (guest/guest)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='valet-rabbitmq-')
        amqp, dist, epmd = free_ports(3)
        self.port = {'amqp': amqp, 'dist': dist, 'epmd': epmd}
        etc, logs, home = (os.path.join(self.dir, d)
                           for d in ('etc', 'logs', 'home'))
        for d in (etc, logs, home):
            os.makedirs(d)
        write_config(etc, amqp)
        self.env = broker_env(os.environ, home, etc, logs, self.port)
        self.log = os.path.join(self.dir, 'rabbitmq.out')
        self.epmd = subprocess.Popen(
            [EPMD, '-port', str(epmd), '-address', '127.0.0.1'],
            env=self.env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.proc = None
        self.start()

    @property
    def url(self):
        return 'amqp://guest:guest@127.0.0.1:%d/' % self.port['amqp']

    @property
    def transport_url(self):
        """The same broker for oslo.messaging."""
        return 'rabbit://guest:guest@127.0.0.1:%d/' % self.port['amqp']

    def start(self, timeout=180):
        with open(self.log, 'a') as out:
            self.proc = subprocess.Popen([RABBITMQ_SERVER], env=self.env,
                                         stdout=out, stderr=out)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if handshake(self.port['amqp']):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.3)
        with open(self.log, errors='replace') as f:
            text = f.read()[-3000:]
        raise RuntimeError('rabbitmq-server did not start on port %d:\n%s'
                           % (self.port['amqp'], text))

    def stop(self):
        """End the broker (its data stays); the port closes."""
        if self.proc is not None and self.proc.poll() is None:
            subprocess.run([RABBITMQCTL, 'stop'], env=self.env,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=120,
                           check=False)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self):
        self.stop()
        if self.epmd.poll() is None:
            self.epmd.terminate()
            self.epmd.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)
