"""The Debian packages, built, checked and installed into a clean root.

1. The source tree as git knows it (no build folders) is copied and built
   with dpkg-buildpackage -us -uc -b: valetd, valet-modules, libvalet-dev
   and python3-valet-openstack.
2. lintian over the build: no error.
3. What each package holds: the unit, the configuration, the man pages,
   the modules, the headers and the .pc, the plugins and their entry points.
4. A clean root of the machine's own Debian release (debootstrap, minbase),
   made once per build folder and kept as a tarball, unpacked afresh for
   every run; apt installs the four packages there with their dependencies
   from the machine's own mirror. No container: chroot(2) only, so that
   valetd in the root listens on the machine's loopback.
5. In the root: valetd --version, valetd --check-config with the installed
   configuration, valet simulate on the installed samples, then the quick
   start: valetd started, a plan created from the sample stack by the
   installed valet, read back over HTTP, the dashboard served, valetd
   stopped (exit 0); the Python plugins import; pkg-config finds
   valet-module.

Needs root (debootstrap, chroot), the packaging tools (scripts/install-deps)
and the mirror. Without them it is skipped (exit 77) saying why, and fails
instead under CI=true. VLT_TEST_PACKAGE=0 skips it; VLT_PACKAGE_KEEP=1 keeps
its folder.

usage: package_test.py SOURCE_DIR WORK_DIR
"""
import fnmatch
import glob
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import urllib.request

SKIP = 77
# Debian's own tools and Python, whatever comes first on PATH
PATH = '/usr/sbin:/usr/bin:/sbin:/bin'
TOOLS = {
    'dpkg-buildpackage': 'dpkg-dev',
    'dh': 'debhelper',
    'dh_python3': 'dh-python',
    'lintian': 'lintian',
    'debootstrap': 'debootstrap',
    'chroot': 'coreutils',
}
PACKAGES = ('valetd', 'valet-modules', 'libvalet-dev',
            'python3-valet-openstack')
CONF = '/etc/valet/valet.conf'
SAMPLES = '/usr/share/valet/'
WAIT_S = 120


def say(msg):
    print(msg, flush=True)


def fail(msg):
    raise SystemExit('FAIL: ' + msg)


def skip(reason):
    if os.environ.get('CI') == 'true':
        say('FAIL (CI=true, so not skipped): ' + reason)
        sys.exit(1)
    say('SKIP: ' + reason)
    sys.exit(SKIP)


def run(cmd, log=None, **kw):
    """Run cmd with Debian's PATH; on failure show the output's end, stop."""
    env = dict(os.environ, PATH=PATH, LC_ALL='C.UTF-8')
    env.update(kw.pop('env', {}))
    started = time.monotonic()
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, **kw)
    if log is not None:
        with open(log, 'w', encoding='utf-8') as f:
            f.write(r.stdout)
    if r.returncode != 0:
        say('\n'.join(r.stdout.splitlines()[-40:]))
        fail('%s exited %d' % (' '.join(cmd), r.returncode))
    name = cmd[2] if cmd[0] == 'chroot' else cmd[0]
    say('  %s: %.0f s' % (os.path.basename(name), time.monotonic() - started))
    return r.stdout


def check_preconditions():
    if os.environ.get('VLT_TEST_PACKAGE') == '0':
        say('SKIP: VLT_TEST_PACKAGE=0')
        sys.exit(SKIP)
    if os.geteuid() != 0:
        skip('needs root (debootstrap and chroot)')
    missing = ['%s (%s)' % (tool, package)
               for tool, package in TOOLS.items()
               if shutil.which(tool, path=PATH) is None]
    if missing:
        skip('not installed: %s; scripts/install-deps installs them'
             % ', '.join(missing))


# ---- 1. build

def copy_clean_tree(source, dest):
    """What git tracks or would track (no build folders), else all of it
    but the build folders."""
    r = subprocess.run(['git', '-C', source, 'ls-files', '-z', '-co',
                        '--exclude-standard'],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if r.returncode != 0 or not r.stdout:
        shutil.copytree(source, dest, symlinks=True,
                        ignore=shutil.ignore_patterns(
                            'build*', 'obj-*', '.pybuild', '__pycache__',
                            '.git', 'valet-data'))
        return
    for rel in r.stdout.decode().split('\0'):
        src = os.path.join(source, rel)
        if not rel or not os.path.lexists(src):
            continue   # deleted in the work tree
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, rel), follow_symlinks=False)


def build(source, work):
    tree = os.path.join(work, 'valet')
    copy_clean_tree(source, tree)
    say('building the packages')
    run(['dpkg-buildpackage', '-us', '-uc', '-b'],
        log=os.path.join(work, 'build.log'), cwd=tree,
        env={'DEB_BUILD_OPTIONS': 'parallel=2'})
    debs = {}
    for name in PACKAGES:
        found = glob.glob(os.path.join(work, name + '_*.deb'))
        if len(found) != 1:
            fail('expected one %s_*.deb in %s, found %r' % (name, work, found))
        debs[name] = found[0]
    return debs, glob.glob(os.path.join(work, '*.changes'))[0]


# ---- 2. and 3. lintian, contents

def check_lintian(changes, work):
    say('lintian')
    r = subprocess.run(['lintian', '--tag-display-limit', '0', changes],
                       env=dict(os.environ, PATH=PATH), text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    with open(os.path.join(work, 'lintian.log'), 'w', encoding='utf-8') as f:
        f.write(r.stdout)
    lines = r.stdout.splitlines()
    errors = [x for x in lines if x.startswith('E: ')]
    if errors:
        fail('lintian errors:\n' + '\n'.join(errors))
    say('  %d warnings' % sum(1 for x in lines if x.startswith('W: ')))


def open_deb(deb):
    """The .deb's files as a tarfile (the caller closes it)."""
    data = subprocess.run(['dpkg-deb', '--fsys-tarfile', deb],
                          stdout=subprocess.PIPE, check=True).stdout
    return tarfile.open(fileobj=io.BytesIO(data))


EXPECTED = {
    'valetd': [
        '/usr/bin/valetd', '/usr/bin/valet', CONF,
        '/lib/systemd/system/valetd.service',
        SAMPLES + 'sample-stack.json', SAMPLES + 'sample-inventory.json',
        SAMPLES + 'dashboard/index.html',
        '/usr/share/man/man8/valetd.8.gz', '/usr/share/man/man1/valet.1.gz',
        '/usr/share/man/man5/valet.conf.5.gz'],
    'valet-modules': ['/usr/lib/*/valet/%s.so' % m for m in (
        'source_static', 'source_nova', 'source_cinder', 'source_network',
        'policy_affinity', 'policy_diversity', 'policy_exclusivity',
        'solver_ostro', 'solver_exact', 'solver_nova',
        'store_sqlite', 'store_mongodb')],
    'libvalet-dev': [
        '/usr/include/valet/plugin.h', '/usr/include/valet/solver.h',
        '/usr/lib/*/pkgconfig/valet-module.pc'],
    'python3-valet-openstack': [
        '/usr/lib/python3/dist-packages/valet_openstack/' + f for f in (
            'client.py', 'scheduling.py', 'nova/filter.py',
            'cinder/filter.py', 'heat/lifecycle.py', 'heat/resources.py')],
}
# the plugins' entry points, as Cinder and Heat find them
ENTRY_POINTS = (
    'ValetFilter = valet_openstack.cinder.filter:ValetFilter',
    'valet = valet_openstack.heat.lifecycle:ValetLifecyclePlugin',
)


def check_contents(debs):
    for name, paths in EXPECTED.items():
        with open_deb(debs[name]) as t:
            members = [m.lstrip('.') for m in t.getnames()]
        for p in paths:
            if not fnmatch.filter(members, p):
                fail('%s lacks %s' % (os.path.basename(debs[name]), p))
    with open_deb(debs['python3-valet-openstack']) as t:
        info = [m for m in t.getnames()
                if m.endswith('.dist-info/entry_points.txt')]
        text = t.extractfile(info[0]).read().decode() if info else ''
    for line in ENTRY_POINTS:
        if line not in text:
            fail('entry_points.txt lacks %r:\n%s' % (line, text))
    say('contents: as expected')


# ---- 4. the clean root

def host_release():
    with open('/etc/os-release', encoding='utf-8') as f:
        fields = dict(line.rstrip('\n').split('=', 1)
                      for line in f if '=' in line)
    codename = fields.get('VERSION_CODENAME', '').strip('"')
    if fields.get('ID') != 'debian' or not codename:
        skip('the machine is not Debian (its /etc/os-release)')
    return codename


def apt_sources():
    paths = ['/etc/apt/sources.list']
    paths += sorted(glob.glob('/etc/apt/sources.list.d/*'))
    for path in paths:
        if path.endswith(('.list', '.sources')) and os.path.isfile(path):
            with open(path, encoding='utf-8') as f:
                yield path, f.read()


def mirror_in(path, text, codename):
    """The first enabled 'deb' source of codename in one apt file."""
    if path.endswith('.list'):
        for m in re.finditer(r'^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)',
                             text, re.M):
            if m.group(2) == codename:
                return m.group(1)
        return None
    for stanza in re.split(r'\n\s*\n', text):
        fields = dict(re.findall(r'^([A-Za-z-]+):\s*(.*)$', stanza, re.M))
        if (codename in fields.get('Suites', '').split()
                and 'deb' in fields.get('Types', '').split()
                and fields.get('Enabled', 'yes') != 'no'):
            return fields['URIs'].split()[0]
    return None


def host_mirror(codename):
    """The machine's own mirror of its release, from its apt sources."""
    for path, text in apt_sources():
        mirror = mirror_in(path, text, codename)
        if mirror:
            return mirror
    skip('no apt source of %s on this machine to make a root from'
         % codename)


def base_root(cache_dir, codename):
    """A tarball of a fresh debootstrap, made once per build folder."""
    tarball = os.path.join(cache_dir, 'root-%s-minbase.tar' % codename)
    if os.path.exists(tarball):
        return tarball
    mirror = host_mirror(codename)
    tmp = tarball + '.d'
    shutil.rmtree(tmp, ignore_errors=True)
    say("debootstrap %s from the machine's mirror (once per build folder)"
        % codename)
    run(['debootstrap', '--variant=minbase', codename, tmp, mirror],
        log=os.path.join(cache_dir, 'debootstrap.log'))
    run(['tar', '-C', tmp, '-cf', tarball + '.part', '.'])
    os.rename(tarball + '.part', tarball)
    shutil.rmtree(tmp, ignore_errors=True)
    return tarball


def make_root(work, tarball):
    root = os.path.join(work, 'root')
    os.makedirs(root)
    run(['tar', '-C', root, '-xf', tarball])
    shutil.copy('/etc/resolv.conf', os.path.join(root, 'etc/resolv.conf'))
    # no daemon starts inside the root while packages are installed
    policy = os.path.join(root, 'usr/sbin/policy-rc.d')
    with open(policy, 'w', encoding='utf-8') as f:
        f.write('#!/bin/sh\nexit 101\n')
    os.chmod(policy, 0o755)
    return root


def install(root, debs, work):
    os.makedirs(os.path.join(root, 'tmp/debs'))
    inside = []
    for name in PACKAGES:
        shutil.copy(debs[name], os.path.join(root, 'tmp/debs'))
        inside.append('/tmp/debs/' + os.path.basename(debs[name]))
    say('installing the packages in the root')
    env = {'DEBIAN_FRONTEND': 'noninteractive'}
    run(['chroot', root, 'apt-get', 'update'],
        log=os.path.join(work, 'apt-update.log'), env=env)
    run(['chroot', root, 'apt-get', 'install', '-y',
         '--no-install-recommends'] + inside,
        log=os.path.join(work, 'apt-install.log'), env=env)


# ---- 5. in the root

def in_root(root, *cmd):
    return run(['chroot', root] + list(cmd))


def expect_in(text, needle, what):
    if needle not in text:
        fail('%s: %r not in:\n%s' % (what, needle, text))


def multiarch():
    return run(['dpkg-architecture', '-qDEB_HOST_MULTIARCH']).strip()


def check_installed(root):
    moduledir = '/usr/lib/%s/valet' % multiarch()
    out = in_root(root, '/usr/bin/valetd', '--version')
    expect_in(out, 'valetd 0.1.0', 'valetd --version')
    out = in_root(root, '/usr/bin/valetd', '--check-config', '--config', CONF,
                  '--inventory', SAMPLES + 'sample-inventory.json',
                  '--data-dir', '/var/lib/valet')
    expect_in(out, 'configuration OK (%s)' % CONF, 'valetd --check-config')
    expect_in(out, moduledir + '/solver_ostro.so', 'the installed modules')
    out = in_root(root, '/usr/bin/valet', 'simulate',
                  '--inventory', SAMPLES + 'sample-inventory.json',
                  '--plan', SAMPLES + 'sample-stack.json', '--json')
    expect_in(out, '"status":{"type":"ok"', 'valet simulate')
    in_root(root, '/usr/bin/python3', '-c',
            'import valet_openstack.client, valet_openstack.scheduling')
    # relocatable: the path is relative to the .pc's folder, not normalised
    out = in_root(root, 'pkg-config', '--variable=moduledir', 'valet-module')
    if os.path.normpath(out.strip()) != moduledir:
        fail('pkg-config valet-module: moduledir %r' % out)


def wait_for_port(log, proc):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        log.seek(0)
        m = re.search(r'listening on 127\.0\.0\.1:(\d+)', log.read())
        if m:
            return int(m.group(1))
        if proc.poll() is not None:
            log.seek(0)
            fail('valetd exited %d:\n%s' % (proc.returncode, log.read()))
        time.sleep(0.1)
    fail('valetd did not listen within %d s' % WAIT_S)


def get(port, path):
    url = 'http://127.0.0.1:%d%s' % (port, path)
    with urllib.request.urlopen(url, timeout=WAIT_S) as r:
        return r.status, r.read().decode()


def create_plan(root, port):
    """The installed valet, as valetd's client, creates the sample's plan;
    the API and the dashboard answer for it."""
    url = 'http://127.0.0.1:%d' % port
    out = in_root(root, '/usr/bin/valet', '--url', url, 'plan', 'create',
                  SAMPLES + 'sample-stack.json', '-f', 'json')
    plan = json.loads(out)
    status, body = get(port, '/v1/plans/%s' % plan['id'])
    placements = json.loads(body).get('plan', {}).get('placements')
    if status != 200 or not placements:
        fail('GET /v1/plans/%s: %d %s' % (plan['id'], status, body))
    say('  plan %s: %d placements' % (plan['id'], len(placements)))
    status, body = get(port, '/dashboard/')
    if status != 200 or '<html' not in body.lower():
        fail('GET /dashboard/: %d %s' % (status, body[:200]))


def quick_start(root, work):
    """valetd from the root on a free port, a plan of the sample stack,
    a stop."""
    say('quick start in the root')
    log = open(os.path.join(work, 'valetd.log'), 'w+', encoding='utf-8')
    proc = subprocess.Popen(
        ['chroot', root, '/usr/bin/valetd', '--config', CONF,
         '--listen', '127.0.0.1:0',
         '--inventory', SAMPLES + 'sample-inventory.json',
         '--data-dir', '/var/lib/valet'],
        stdout=subprocess.DEVNULL, stderr=log, env=dict(os.environ, PATH=PATH))
    try:
        create_plan(root, wait_for_port(log, proc))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        rc = proc.wait(WAIT_S)
        log.seek(0)
        text = log.read()
        log.close()
    if rc != 0:
        fail('valetd exited %d:\n%s' % (rc, text))
    if not os.path.exists(os.path.join(root, 'var/lib/valet/valet.db')):
        fail("no store in the root's /var/lib/valet")


def main():
    source, work_base = sys.argv[1:3]
    check_preconditions()
    codename = host_release()
    os.makedirs(work_base, exist_ok=True)
    work = os.path.join(work_base, 'run')
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    started = time.monotonic()
    ok = False
    try:
        debs, changes = build(source, work)
        check_lintian(changes, work)
        check_contents(debs)
        root = make_root(work, base_root(work_base, codename))
        install(root, debs, work)
        check_installed(root)
        quick_start(root, work)
        ok = True
    finally:
        say('%s in %.0f s'
            % ('passed' if ok else 'failed', time.monotonic() - started))
        if ok and os.environ.get('VLT_PACKAGE_KEEP') != '1':
            shutil.rmtree(work, ignore_errors=True)
        else:
            say('kept ' + work)


if __name__ == '__main__':
    main()
