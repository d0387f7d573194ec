"""Valet's scheduler filters in a running test cloud (cloud.py).

    switch(cloud_dir, valet_url, failure_mode='pass', nova_filters=...)

writes etc/nova-valet.conf and etc/cinder-valet.conf, overlays that give
nova-scheduler and cinder-scheduler the package's ValetFilter (last in
their filter lists) and a [valet] section (valetd's URL, failure_mode, and
the service's own credentials), and restarts the two schedulers with them;
``valet_url=None`` restarts them without the overlays, as ``up`` left
them. The package (plugins/openstack) is put on the schedulers' PYTHONPATH
as it is in the tree, with the entry point Cinder finds its filters by
(var/valet-plugins/valet_openstack.egg-info): nothing is installed.

``cloud.py valet-filters --dir DIR [--valet-url URL] [--failure-mode M]``
does the same from the command line.
"""
import os
import re
import signal
import subprocess
import time

import cloud as harness
import osapi

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.normpath(os.path.join(HERE, '..', '..', 'plugins',
                                        'openstack'))
# Nova's default filters but its server group ones: the tests check that
# Valet alone keeps a server group's policy
NOVA_FILTERS = ('ComputeFilter', 'ComputeCapabilitiesFilter',
                'ImagePropertiesFilter')
CINDER_FILTERS = ('AvailabilityZoneFilter', 'CapacityFilter',
                  'CapabilitiesFilter')
STARTED = {'nova-scheduler': re.compile(r'Starting scheduler node'),
           'cinder-scheduler': re.compile(r'Starting cinder-scheduler node')}
START_TIMEOUT = 180
RUNNING = []


def write_egg_info(directory):
    """The package's metadata where importlib.metadata (and so stevedore,
    Cinder's filter loader) finds its entry point."""
    egg = os.path.join(directory, 'valet_openstack.egg-info')
    os.makedirs(egg, exist_ok=True)
    with open(os.path.join(egg, 'PKG-INFO'), 'w', encoding='utf-8') as f:
        f.write('Metadata-Version: 2.1\nName: valet-openstack\n'
                'Version: 0.1.0\n')
    with open(os.path.join(egg, 'entry_points.txt'), 'w',
              encoding='utf-8') as f:
        f.write('[cinder.scheduler.filters]\n'
                'ValetFilter = valet_openstack.cinder.filter:ValetFilter\n')


def valet_section(auth_url, user, url, failure_mode):
    return dict(harness.keystone_auth(auth_url, user), url=url,
                failure_mode=failure_mode, timeout=10)


def write_overlays(cloud, url, failure_mode, nova_filters):
    etc = os.path.join(cloud['dir'], 'etc')
    nova = os.path.join(etc, 'nova-valet.conf')
    harness.write_ini(nova, {
        'filter_scheduler': {
            'available_filters': ['nova.scheduler.filters.all_filters',
                                  'valet_openstack.nova.filter.ValetFilter'],
            'enabled_filters': ','.join(list(nova_filters) +
                                        ['ValetFilter'])},
        'valet': valet_section(cloud['auth_url'], 'nova', url, failure_mode),
    })
    cinder = os.path.join(etc, 'cinder-valet.conf')
    harness.write_ini(cinder, {
        'DEFAULT': {'scheduler_default_filters': ','.join(
            list(CINDER_FILTERS) + ['ValetFilter'])},
        'valet': valet_section(cloud['auth_url'], 'cinder', url,
                               failure_mode),
    })
    return {'nova-scheduler': nova, 'cinder-scheduler': cinder}


def restart(cloud, name, overlay):
    """Stop the process group NAME of the cloud and start it again with
    its configuration, plus overlay (None: without)."""
    base = cloud['dir']
    pid_file = os.path.join(base, 'run', name + '.pid')
    with open(pid_file, encoding='utf-8') as f:
        pgid = int(f.read().split()[0])
    # a scheduler keeps nothing of its own, and on TERM oslo.service waits
    # out its graceful shutdown (20 s here): KILL at once; one this process
    # started is reaped, or it would linger as a zombie
    for proc in [p for p in RUNNING if p.pid == pgid]:
        os.killpg(pgid, signal.SIGKILL)
        proc.wait()
        RUNNING.remove(proc)
    harness.stop_groups({name: pgid}, signal.SIGKILL)
    service = name.split('-', 1)[0]
    args = ['--config-file', os.path.join(base, 'etc', service + '.conf')]
    if overlay:
        args += ['--config-file', overlay]
    log = os.path.join(cloud['logs'], name + '.log')
    offset = os.path.getsize(log) if os.path.exists(log) else 0
    plugins = os.path.join(base, 'var', 'valet-plugins')
    write_egg_info(plugins)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([HERE, PACKAGE,
                                                       plugins]))
    env.pop('PYTHONHOME', None)
    with open(os.path.join(cloud['logs'], name + '.out'), 'ab') as out:
        proc = subprocess.Popen(
            [harness.PYTHON, harness.LAUNCH, name, *args,
             '--log-file', name + '.log'],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            env=env, cwd=os.path.join(base, 'var'), start_new_session=True)
    with open(pid_file, 'w', encoding='utf-8') as f:
        f.write('%d\n' % proc.pid)
    RUNNING.append(proc)  # outlives this process: no ResourceWarning

    def started():
        if proc.poll() is not None:
            raise AssertionError('%s exited %s:\n%s' % (
                name, proc.returncode, harness.tail(log)))
        with open(log, encoding='utf-8', errors='replace') as f:
            f.seek(offset)
            return STARTED[name].search(f.read()) is not None

    osapi.wait_for('%s started' % name, started, START_TIMEOUT,
                   interval=0.5)
    return proc


def switch(cloud_dir, valet_url, failure_mode='pass',
           nova_filters=NOVA_FILTERS):
    cloud = osapi.load_cloud(os.path.join(cloud_dir, 'cloud.json'))
    overlays = (write_overlays(cloud, valet_url, failure_mode, nova_filters)
                if valet_url else {})
    for name in ('nova-scheduler', 'cinder-scheduler'):
        restart(cloud, name, overlays.get(name))
    # a scheduler that just started has no host yet: Nova reads them at
    # the first request, Cinder waits for the volume service's report
    time.sleep(1)
    return 0
