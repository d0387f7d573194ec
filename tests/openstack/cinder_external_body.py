#!/usr/bin/python3
"""Write the body SAP's Cinder fork sends to its external scheduler.

The fork (cinder/scheduler/external.py) posts, once its weighers are done,
``{"spec": <request spec>, "context": <request context without its
token>, "hosts": [{"host": pool}], "weights": {pool: weight}}``, the spec
being ``jsonutils.to_primitive`` of the scheduler's RequestSpec object.
This script makes that body with Cinder's own objects (Debian's cinder
package, so /usr/bin/python3), for a volume of a volume type on the pools
of tests/api/test_api_external_cinder.c's inventory, and writes it to
tests/data/api/built-cinder-create-volume.json. It is built, not
recorded: the loopback cloud runs upstream Cinder, which makes no such
call.

    /usr/bin/python3 tests/openstack/cinder_external_body.py [OUT]
    /usr/bin/python3 tests/openstack/cinder_external_body.py --check

--check compares the file with what Cinder's objects make now (the CTest
cinder_external_body), so that the test data cannot drift from Cinder's
shape unnoticed; it exits 77 (skipped) where Cinder is not installed.
"""
import json
import os
import sys

try:
    from cinder import context
    from cinder import objects
    from oslo_serialization import jsonutils
except ImportError as e:
    context = objects = jsonutils = None
    MISSING = str(e)

VOLUME_ID = 'c0ffee00-1111-4222-8333-444455556666'
PROJECT_ID = '5d6a5e3c2b1f4e0d9c8b7a6f5e4d3c2b'
USER_ID = '9a8b7c6d5e4f40312a1b2c3d4e5f6a7b'
TYPE_ID = '7f1c2a55-0b4e-4a57-9d0b-0c1f7a4b6e01'
POOLS = [('cinder-1@lvm#pool-a', 2.0), ('cinder-1@lvm#pool-b', 1.5),
         ('cinder-2@lvm#pool-a', 1.0)]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'data',
                   'api', 'built-cinder-create-volume.json')


def request_spec(ctx):
    """The RequestSpec cinder-scheduler holds for a new 10 GB volume."""
    volume_type = objects.VolumeType(
        ctx, id=TYPE_ID, name='lvm', description=None, is_public=True,
        qos_specs_id=None, extra_specs={'volume_backend_name': 'lvm'})
    properties = objects.VolumeProperties(
        size=10, availability_zone='nova', project_id=PROJECT_ID,
        user_id=USER_ID, status='creating', attach_status='detached',
        display_name='db-data', display_description=None, metadata={},
        volume_type_id=TYPE_ID, multiattach=False, encryption_key_id=None,
        group_id=None, consistencygroup_id=None, cgsnapshot_id=None,
        snapshot_id=None, source_volid=None, qos_specs=None,
        reservations=[], replication_status=None)
    return objects.RequestSpec(
        volume_id=VOLUME_ID, volume_properties=properties,
        volume_type=volume_type, snapshot_id=None, image_id=None,
        source_volid=None, consistencygroup_id=None, group_id=None,
        backup_id=None, cgsnapshot_id=None, source_replicaid=None,
        resource_backend=None, operation=None, availability_zones=['nova'])


def body():
    objects.register_all()
    ctx = context.RequestContext(
        user_id=USER_ID, project_id=PROJECT_ID, is_admin=True,
        request_id='req-3d1f0c9e-8b7a-4c6d-9e5f-a0b1c2d3e4f5',
        timestamp='2026-12-07T08:00:00.000000')
    ctx_dict = ctx.to_dict()
    ctx_dict.pop('auth_token', None)  # the fork leaves it out
    return {
        'spec': jsonutils.to_primitive(request_spec(ctx)),
        'context': ctx_dict,
        'hosts': [{'host': pool} for pool, _ in POOLS],
        'weights': dict(POOLS),
    }


def text():
    return json.dumps(body(), indent=1, sort_keys=True) + '\n'


def check():
    """0 when the file is what Cinder makes, 1 (saying where) when not."""
    with open(OUT, encoding='utf-8') as f:
        kept = f.read()
    if kept == text():
        print('%s: as Cinder makes it' % OUT)
        return 0
    print('%s: differs from what Cinder makes now; run %s to write it again'
          % (OUT, sys.argv[0]))
    return 1


def main(argv):
    if objects is None:
        print('SKIP: Cinder is not importable here (%s)' % MISSING)
        return 77
    if argv[1:] == ['--check']:
        return check()
    out = argv[1] if len(argv) > 1 else OUT
    with open(out, 'w', encoding='utf-8') as f:
        f.write(text())
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
