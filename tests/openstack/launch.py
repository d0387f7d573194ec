#!/usr/bin/python3
"""Run one OpenStack command from the Debian python3-* packages.

    launch.py NAME [ARG...]
runs the console script NAME (nova-api, cinder-manage, ...) as declared in
its package's entry points, since the python3-* packages ship the code but
not the commands.

    launch.py --fake-compute VCPUS MEMORY_MB DISK_GB [ARG...]
runs nova-compute with Nova's fake virt driver (compute_driver =
fake.FakeDriver) sized as given, instead of its 1000 vCPUs, 800 GB of
memory and 600 TB of disk.
"""

import importlib.metadata
import sys


def console_script(name):
    for entry in importlib.metadata.entry_points(group='console_scripts'):
        if entry.name == name:
            return entry.load()
    sys.exit('launch.py: no console script %r is installed' % name)


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    if args[0] == '--fake-compute':
        from nova.virt import fake
        vcpus, memory_mb, disk_gb = (int(a) for a in args[1:4])
        fake.FakeDriver.vcpus = vcpus
        fake.FakeDriver.memory_mb = memory_mb
        fake.FakeDriver.local_gb = disk_gb
        name, rest = 'nova-compute', args[4:]
    else:
        name, rest = args[0], args[1:]
    sys.argv = [name] + rest
    sys.exit(console_script(name)())


if __name__ == '__main__':
    main()
