"""What the lifecycle plugin and the OS::Valet::Plan resource share: the
[valet] options of heat.conf, one Valet client per engine process, and the
plan calls, each safe to make twice (both may run for one stack)."""

import logging
import threading

from oslo_config import cfg

from valet_openstack import client as valet_client
from valet_openstack.heat import tree

LOG = logging.getLogger(__name__)
GROUP = 'valet'
OPTS = [
    cfg.StrOpt('plan_form', default='template', choices=tree.FORMS,
               help='How a stack is sent to Valet: "template" (the root '
                    'template, files, environment and parameters, which '
                    'valetd expands) or "resources" (the servers, volumes, '
                    'attachments and group assignments of the whole tree, '
                    'as Heat itself parses it).'),
]

_lock = threading.Lock()
_client = None


class ValetPlanError(Exception):
    """Valet refused or could not take a plan: the message is Valet's."""


def conf():
    cfg.CONF.register_opts(OPTS, group=GROUP)
    return cfg.CONF


def client():
    """The engine's Valet client, with the service's own credentials from
    heat.conf [valet] (made once; keystoneauth renews its token)."""
    global _client
    with _lock:
        if _client is None:
            _client = valet_client.client_from_conf(conf(), group=GROUP)
        return _client


def call(what, stack_id, fn, *args):
    try:
        return fn(*args)
    except valet_client.ValetError as err:
        LOG.warning('valet: %s of stack %s: %s', what, stack_id, err)
        raise ValetPlanError('Valet: %s' % err.message) from None


def plan_body(stack, stack_id=None):
    try:
        return tree.plan_body(stack, conf()[GROUP].plan_form, stack_id)
    except tree.PlanBuildError as err:
        raise ValetPlanError('Valet: %s' % err) from None


def create_plan(stack):
    """POST the root stack's plan; a plan the stack already has is
    answered as it is (valetd's idempotent create)."""
    body = plan_body(stack)
    LOG.info('valet: plan of stack %s (%s): %d resources', stack.name,
             stack.id, len(body.get('resources', {})))
    return call('create', stack.id, client().create_plan, body)


def update_plan(stack_id, new_stack):
    """PUT the stack as it is now; a stack that has no plan yet gets one."""
    body = plan_body(new_stack, stack_id)
    try:
        return client().update_plan(stack_id, body)
    except valet_client.ValetError as err:
        if err.status != 404:
            LOG.warning('valet: update of stack %s: %s', stack_id, err)
            raise ValetPlanError('Valet: %s' % err.message) from None
    return call('create', stack_id, client().create_plan, body)


def delete_plan(stack_id):
    """Release the stack's plan; one already gone is fine."""
    return call('delete', stack_id, client().delete_plan, stack_id)
