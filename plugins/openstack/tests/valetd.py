"""A real valetd for the package's tests: the binary of the build tree
(``$VALETD``, set by CTest), on a folder of its own, listening on a free
loopback port, with an inventory file or a configuration given by the
test."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.normpath(os.path.join(HERE, '..', '..', '..'))
SAMPLE_INVENTORY = os.path.join(SOURCE_DIR, 'conf', 'sample-inventory.json')


def valetd_binary():
    """The valetd to run: $VALETD, as CTest passes it."""
    path = os.environ.get('VALETD')
    if not path:
        raise RuntimeError('VALETD is not set: the path of the valetd binary '
                           'to test (CTest sets it)')
    if not os.access(path, os.X_OK):
        raise RuntimeError('VALETD=%s is not an executable file' % path)
    return path


class Valetd:
    """One valetd process; ``url`` is where it listens. ``stop()`` ends it,
    ``start()`` starts it again on the same data and port."""

    def __init__(self, inventory=SAMPLE_INVENTORY, conf_text=None,
                 args=()):
        self.dir = tempfile.mkdtemp(prefix='valetd-py-')
        self.args = [valetd_binary(), '--data-dir',
                     os.path.join(self.dir, 'data')]
        if conf_text is not None:
            conf = os.path.join(self.dir, 'valet.conf')
            with open(conf, 'w', encoding='utf-8') as f:
                f.write(conf_text)
            self.args += ['--config', conf]
        if inventory:
            self.args += ['--inventory', inventory]
        self.args += list(args)
        self.log = os.path.join(self.dir, 'valetd.err')
        self.proc = None
        self.port = 0
        self.start()

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    def start(self):
        with open(self.log, 'a', encoding='utf-8') as err:
            offset = err.tell()
            self.proc = subprocess.Popen(
                self.args + ['--listen', '127.0.0.1:%d' % self.port],
                stdout=subprocess.DEVNULL, stderr=err)
        self.port = self._wait_port(offset)

    def _wait_port(self, offset, timeout=60):
        tag = 'listening on 127.0.0.1:'
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with open(self.log, encoding='utf-8') as f:
                f.seek(offset)
                text = f.read()
            if tag in text:
                return int(text.split(tag, 1)[1].split()[0])
            if self.proc.poll() is not None:
                raise RuntimeError('valetd exited %s: %s'
                                   % (self.proc.returncode, text))
            time.sleep(0.1)
        raise RuntimeError('valetd did not listen in %d s: see %s'
                           % (timeout, self.log))

    def request(self, method, path, body=None, timeout=60):
        """valetd's own answer to a JSON request: (status, document or
        None)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                text = r.read()
                return r.status, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            text = e.read()
            return e.code, json.loads(text) if text else None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
