"""A Cinder volume driver for the test cloud: no storage, finite pools.

Volumes are rows in Cinder's database only. The backend reports the pools
named by ``fake_pools`` (``name:total_gb`` items) in its backend section;
each pool's free space is its total less the sizes of the volumes Cinder
placed in it, so the capacity filter and ``get_pools`` behave as on a real
backend. Loaded as ``volume_driver = fake_volume.PoolDriver`` with this
folder on PYTHONPATH.
"""

from oslo_config import cfg
from oslo_log import log as logging

from cinder import context
from cinder.tests import fake_driver
from cinder.volume import configuration
from cinder.volume import volume_utils

LOG = logging.getLogger(__name__)

POOL_OPTS = [
    cfg.ListOpt('fake_pools', default=['pool:100'],
                help='The pools of the backend, as name:total_gb items'),
]
cfg.CONF.register_opts(POOL_OPTS, group=configuration.SHARED_CONF_GROUP)


def parse_pools(items):
    """[(name, total_gb)] from ["gold:1000", "silver:500"]."""
    pools = []
    for item in items:
        name, sep, total = item.strip().partition(':')
        if not name or not sep:
            raise ValueError('fake_pools: %r is not name:total_gb' % item)
        pools.append((name, int(total)))
    return pools


class PoolDriver(fake_driver.FakeLoggingVolumeDriver):
    """FakeLoggingVolumeDriver with the pools of ``fake_pools``."""

    VERSION = '1.0.0'

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.configuration.append_config_values(POOL_OPTS)
        self.backend_name = (
            self.configuration.safe_get('volume_backend_name') or 'fake')
        self.pools = parse_pools(self.configuration.fake_pools)

    def _allocated_gb(self):
        """{pool: GB of the volumes Cinder placed there}."""
        allocated = {}
        ctx = context.get_admin_context()
        for volume in self.db.volume_get_all_by_host(ctx, self.host):
            pool = volume_utils.extract_host(volume.host, 'pool')
            allocated[pool] = allocated.get(pool, 0) + (volume.size or 0)
        return allocated

    def _update_volume_stats(self):
        try:
            allocated = self._allocated_gb()
        except Exception:  # a stats report must not fail the service
            LOG.exception('fake_volume: could not sum the volumes')
            allocated = {}
        pools = []
        for name, total in self.pools:
            used = allocated.get(name, 0)
            pools.append({
                'pool_name': name,
                'total_capacity_gb': total,
                'free_capacity_gb': max(total - used, 0),
                'allocated_capacity_gb': used,
                'provisioned_capacity_gb': used,
                'reserved_percentage': 0,
                'max_over_subscription_ratio': 1.0,
                'thin_provisioning_support': False,
                'thick_provisioning_support': True,
                'multiattach': True,
                'QoS_support': False,
            })
        self._stats = {
            'volume_backend_name': self.backend_name,
            'vendor_name': 'Valet tests',
            'driver_version': self.VERSION,
            'storage_protocol': 'fake',
            'pools': pools,
        }

    def initialize_connection(self, volume, connector, **kwargs):
        return {'driver_volume_type': 'fake',
                'data': {'volume_id': volume.id}}

    def terminate_connection(self, volume, connector, **kwargs):
        pass

    def copy_image_to_volume(self, context, volume, image_service, image_id,
                             disable_sparse=False):
        LOG.info('fake_volume: image %s "copied" to volume %s',
                 image_id, volume.id)

    def copy_volume_to_image(self, context, volume, image_service,
                             image_meta):
        LOG.info('fake_volume: volume %s "copied" to image %s',
                 volume.id, image_meta['id'])

    def clone_image(self, context, volume, image_location, image_meta,
                    image_service):
        return None, False
