"""valetd as a systemd service, without systemd: what it tells a notify
socket (READY=1, STATUS=, WATCHDOG=1, RELOADING=1, STOPPING=1), SIGHUP
reopening its log file and reading its log settings again, the journal's
"<N>" priorities when stderr is the journal's stream, --version, and the
unit file checked by systemd-analyze when it is there; under strace, the
system calls valetd makes while it starts, plans, reloads and stops, all
within the unit's SystemCallFilter=.

usage: valetd_systemd_test.py VALETD SOURCE_DIR VERSION UNIT [-- unittest args]
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

VALETD = SOURCE = VERSION = UNIT = None
# generous: the machine is shared, and the ASan build starts slower
WAIT_S = 60


def wait_for(predicate, what, timeout=WAIT_S):
    """Poll predicate until it is true; fail naming what was awaited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError('timed out waiting for ' + what)


def read(path):
    try:
        with open(path, encoding='utf-8') as f:
            return f.read()
    except FileNotFoundError:
        return ''


class Valetd:
    """A valetd on port 0 with the sample inventory, in a folder of its own."""

    def __init__(self, tmp, args=(), env=None, stderr=None, wrapper=()):
        inventory = os.path.join(SOURCE, 'conf/sample-inventory.json')
        cmd = list(wrapper) + [
            VALETD, '--listen', '127.0.0.1:0', '--inventory', inventory,
            '--data-dir', os.path.join(tmp, 'data')] + list(args)
        full_env = dict(os.environ)
        full_env.pop('NOTIFY_SOCKET', None)
        full_env.pop('WATCHDOG_USEC', None)
        full_env.pop('WATCHDOG_PID', None)
        full_env.pop('JOURNAL_STREAM', None)
        full_env.update(env or {})
        self.err_path = os.path.join(tmp, 'stderr')
        self.err = stderr or open(self.err_path, 'wb')
        self.proc = subprocess.Popen(cmd, env=full_env,
                                     stdout=subprocess.DEVNULL,
                                     stderr=self.err)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(WAIT_S)
        finally:
            self.err.close()
        return rc


class NotifySocket:
    """A datagram socket standing where systemd's notify socket would."""

    def __init__(self, tmp):
        self.path = os.path.join(tmp, 'notify')
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.05)
        self.messages = []

    def drain(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                return
            self.messages.append(data.decode())

    def lines(self):
        self.drain()
        return [line for m in self.messages for line in m.split('\n')]

    def count(self, line):
        return self.lines().count(line)

    def wait(self, line, n=1):
        wait_for(lambda: self.count(line) >= n,
                 '%d x %r on the notify socket (got %r)'
                 % (n, line, self.messages))

    def close(self):
        self.sock.close()


class NotifyCase(unittest.TestCase):
    """A folder of the test's and a notify socket in it."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='valetd-notify-')
        self.notify = NotifySocket(self.tmp)

    def tearDown(self):
        self.notify.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class TestNotify(NotifyCase):

    def test_ready_watchdog_reload_stopping(self):
        d = Valetd(self.tmp, env={'NOTIFY_SOCKET': self.notify.path,
                                  'WATCHDOG_USEC': '200000'})
        try:
            self.notify.wait('READY=1')
            lines = self.notify.lines()
            self.assertIn('STATUS=loading the modules', lines)
            self.assertIn('STATUS=reading the sources and the journal', lines)
            status = [s for s in lines
                      if s.startswith('STATUS=listening on 127.0.0.1:')]
            self.assertTrue(status, lines)
            self.assertIn('MAINPID=%d' % d.proc.pid, lines)
            # READY comes after the statuses of the start
            reading = 'STATUS=reading the sources and the journal'
            self.assertLess(lines.index(reading), lines.index('READY=1'))
            # pings at half of 200 ms: a few within a second
            pings = self.notify.count('WATCHDOG=1')
            self.notify.wait('WATCHDOG=1', pings + 3)

            d.signal(signal.SIGHUP)
            self.notify.wait('RELOADING=1')
            self.notify.wait('READY=1', 2)
            self.assertEqual(d.proc.poll(), None)
        finally:
            rc = d.stop()
        self.assertEqual(rc, 0, read(d.err_path))
        lines = self.notify.lines()
        self.assertIn('STOPPING=1', lines)
        self.assertIn('STATUS=stopping on SIGTERM', lines)

    def assert_no_pings(self, env):
        d = Valetd(self.tmp, env=dict(env, NOTIFY_SOCKET=self.notify.path))
        try:
            self.notify.wait('READY=1')
            time.sleep(0.5)
            self.assertEqual(self.notify.count('WATCHDOG=1'), 0)
        finally:
            self.assertEqual(d.stop(), 0)

    def test_no_watchdog_no_pings(self):
        self.assert_no_pings({})

    def test_watchdog_of_another_process_is_not_ours(self):
        # systemd names the process the watchdog is for; a child it did not
        # start must not ping for it
        self.assert_no_pings({'WATCHDOG_USEC': '200000', 'WATCHDOG_PID': '1'})

    def test_failed_start_says_why(self):
        bad = os.path.join(self.tmp, 'bad.conf')
        with open(bad, 'w', encoding='utf-8') as f:
            f.write('server: { threads = 0; };\n')
        d = Valetd(self.tmp, args=['--config', bad],
                   env={'NOTIFY_SOCKET': self.notify.path})
        self.assertEqual(d.proc.wait(WAIT_S), 2)
        d.err.close()
        failed = [s for s in self.notify.lines()
                  if s.startswith('STATUS=failed: ')]
        self.assertTrue(failed, self.notify.messages)
        self.assertIn('server.threads', failed[0])
        self.assertNotIn('READY=1', self.notify.lines())


class TestLogs(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='valetd-logs-')
        self.log = os.path.join(self.tmp, 'valetd.log')
        self.conf = os.path.join(self.tmp, 'valet.conf')

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write_conf(self, text):
        with open(self.conf, 'w', encoding='utf-8') as f:
            f.write(text)

    def write_log_conf(self, level):
        self.write_conf('log: { level = "%s"; file = "%s"; };\n'
                        % (level, self.log))

    def test_sighup_reopens_the_moved_log(self):
        self.write_log_conf('notice')
        d = Valetd(self.tmp, args=['--config', self.conf])
        try:
            wait_for(lambda: 'listening on 127.0.0.1:' in read(self.log),
                     'the first log')
            os.rename(self.log, self.log + '.1')     # what logrotate does
            # and the level changes in the file meanwhile
            self.write_log_conf('debug')
            d.signal(signal.SIGHUP)
            reopened = 'SIGHUP: logging at debug to %s' % self.log
            wait_for(lambda: reopened in read(self.log), 'the new log')
            self.assertNotIn('SIGHUP', read(self.log + '.1'))

            # a configuration that no longer reads changes nothing
            self.write_conf('log: { level = "loud"; };\n')
            d.signal(signal.SIGHUP)
            wait_for(lambda: "unknown log level 'loud'" in read(self.log),
                     'the refusal, in the same log')
            self.assertIn('the log settings stay as they were', read(self.log))
            # nothing is written on standard error: the file is the log
            self.assertNotIn('SIGHUP', read(d.err_path))
        finally:
            rc = d.stop()
        self.assertEqual(rc, 0)
        self.assertIn('stopped', read(self.log))

    def test_log_file_flag_wins_and_bad_one_stops(self):
        d = Valetd(self.tmp, args=['--log-file', self.log])
        try:
            wait_for(lambda: 'listening on' in read(self.log),
                     'the log of --log-file')
        finally:
            self.assertEqual(d.stop(), 0)
        nowhere = os.path.join(self.tmp, 'no/such/dir/x.log')
        d = Valetd(self.tmp, args=['--log-file', nowhere])
        self.assertEqual(d.proc.wait(WAIT_S), 2)
        d.err.close()
        self.assertIn('no/such/dir/x.log: cannot open: '
                      'No such file or directory', read(d.err_path))

    def journal(self):
        """A file for stderr, and JOURNAL_STREAM naming it as systemd would."""
        path = os.path.join(self.tmp, 'journal')
        err = open(path, 'wb')
        st = os.fstat(err.fileno())
        return path, err, {'JOURNAL_STREAM': '%d:%d' % (st.st_dev, st.st_ino)}

    def test_journal_priorities(self):
        err_path, err, env = self.journal()
        d = Valetd(self.tmp, env=env, stderr=err)
        try:
            wait_for(lambda: '<5>listening on 127.0.0.1:' in read(err_path),
                     'a NOTICE line with its priority')
        finally:
            self.assertEqual(d.stop(), 0)
        text = read(err_path)
        self.assertNotIn('NOTICE', text)
        for line in text.splitlines():
            self.assertRegex(line, r'^<[3-7]>')

    def test_journal_gets_a_failed_start_as_an_error(self):
        err_path, err, env = self.journal()
        d = Valetd(self.tmp, args=['--listen', 'nowhere'], env=env,
                   stderr=err)
        self.assertEqual(d.proc.wait(WAIT_S), 2)
        err.close()
        self.assertRegex(read(err_path), r'^<3>valetd: .*nowhere')

    def test_journal_stream_of_another_file_is_ignored(self):
        d = Valetd(self.tmp, env={'JOURNAL_STREAM': '1:1'})
        try:
            wait_for(lambda: 'NOTICE listening on' in read(d.err_path),
                     'a labelled line')
        finally:
            self.assertEqual(d.stop(), 0)


class TestProgram(unittest.TestCase):
    def test_version(self):
        out = subprocess.run([VALETD, '--version'], capture_output=True,
                             text=True, check=True).stdout
        self.assertRegex(out, r'^valetd %s \(module ABI \d+\.\d+\)\n$'
                         % re.escape(VERSION))

    def test_unit_verifies(self):
        analyze = shutil.which('systemd-analyze')
        if analyze is None:
            self.skipTest('systemd-analyze is not installed')
        with tempfile.TemporaryDirectory() as tmp:
            # the unit as installed, but with this build's valetd
            with open(UNIT, encoding='utf-8') as f:
                text = f.read()
            exec_line = [x for x in text.splitlines()
                         if x.startswith('ExecStart=')][0]
            binary = exec_line.split('=', 1)[1].split()[0]
            unit = os.path.join(tmp, 'valetd.service')
            with open(unit, 'w', encoding='utf-8') as f:
                f.write(text.replace(binary, VALETD))
            # its Documentation= man pages, from the source tree
            man = os.path.join(tmp, 'man')
            for page in ('valetd.8', 'valet.conf.5'):
                section = os.path.join(man, 'man' + page.rsplit('.', 1)[1])
                os.makedirs(section, exist_ok=True)
                shutil.copy(os.path.join(SOURCE, 'man', page), section)
            env = dict(os.environ, MANPATH=man)
            r = subprocess.run([analyze, 'verify', unit], capture_output=True,
                               text=True, env=env)
            complaints = [x for x in (r.stdout + r.stderr).splitlines()
                          if 'valetd.service' in x]
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(complaints, [])


def syscall_groups(analyze):
    """systemd-analyze's groups: {'@name': set of calls and '@groups'}."""
    out = subprocess.run([analyze, 'syscall-filter'], capture_output=True,
                         text=True, check=True).stdout
    groups, current = {}, None
    for line in out.splitlines():
        if line.startswith('@'):
            current = groups.setdefault(line.strip(), set())
        elif current is not None and line.strip() and \
                not line.strip().startswith('#'):
            current.add(line.strip())
    return groups


def expand(names, groups):
    """System call names, the groups among names expanded."""
    calls = set()
    for name in names:
        if name.startswith('@'):
            calls |= expand(groups.get(name, ()), groups)
        else:
            calls.add(name)
    return calls


def unit_filter(unit, groups):
    """What the unit's SystemCallFilter= lines allow, and deny."""
    allowed, denied = set(), set()
    with open(unit, encoding='utf-8') as f:
        for line in f:
            if not line.startswith('SystemCallFilter='):
                continue
            value = line.split('=', 1)[1].split()
            if value[0].startswith('~'):
                denied |= expand([value[0][1:]] + value[1:], groups)
            else:
                allowed |= expand(value, groups)
    return allowed - denied


class TestSystemCalls(NotifyCase):
    def test_within_the_units_filter(self):
        analyze = shutil.which('systemd-analyze')
        strace = shutil.which('strace')
        if analyze is None or strace is None:
            self.skipTest('needs systemd-analyze and strace')
        if os.environ.get('VLT_SANITIZE') == 'ON':
            # the sanitizers' runtime makes calls of its own
            self.skipTest('an ASan build is not what the unit runs')
        allowed = unit_filter(UNIT, syscall_groups(analyze))
        self.assertIn('openat', allowed)
        summary = os.path.join(self.tmp, 'strace')
        wrapper = [strace, '-f', '-qq', '-c', '-o', summary]
        if os.geteuid() == 0:
            # as the unit's DynamicUser= would: not root (SQLite, for one,
            # chowns its journal to the database's owner only as root)
            wrapper = ['setpriv', '--reuid=65534', '--regid=65534',
                       '--clear-groups'] + wrapper
            os.chmod(self.tmp, 0o777)
            os.chmod(self.notify.path, 0o777)
        d = Valetd(self.tmp, env={'NOTIFY_SOCKET': self.notify.path,
                                  'WATCHDOG_USEC': '200000'},
                   wrapper=wrapper)
        try:
            self.notify.wait('READY=1')
            lines = self.notify.lines()
            pid = int([x for x in lines if x.startswith('MAINPID=')][0][8:])
            port = [x for x in lines if x.startswith('STATUS=listening on ')]
            port = int(port[0].rsplit(':', 1)[1])
            with open(os.path.join(SOURCE, 'conf/sample-stack.json'),
                      'rb') as f:
                req = urllib.request.Request(
                    'http://127.0.0.1:%d/v1/plans' % port, data=f.read())
            with urllib.request.urlopen(req, timeout=WAIT_S) as r:
                self.assertEqual(r.status, 201)
            os.kill(pid, signal.SIGHUP)
            self.notify.wait('READY=1', 2)
            time.sleep(0.5)   # the sources' reading, on its thread
            os.kill(pid, signal.SIGTERM)
        finally:
            rc = d.stop()
        self.assertEqual(rc, 0, read(d.err_path))
        used = set()
        for line in read(summary).splitlines()[2:]:
            fields = line.split()
            if fields and not line.startswith(('-', '100.00')):
                used.add(fields[-1])
        # what was traced is the serving: the connection was accepted
        self.assertTrue(used & {'accept', 'accept4'}, used)
        self.assertEqual(sorted(used - allowed), [],
                         'system calls the unit would refuse')


if __name__ == '__main__':
    VALETD, SOURCE, VERSION, UNIT = sys.argv[1:5]
    unittest.main(argv=[sys.argv[0]] + sys.argv[5:])
