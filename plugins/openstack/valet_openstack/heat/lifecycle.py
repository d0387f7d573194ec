"""ValetLifecyclePlugin: Heat's stack lifecycle plugin
(entry point heat.stack_lifecycle_plugins).

Heat calls it only under the legacy engine (heat.conf
``convergence_engine = false``): before a ROOT stack is created or updated
it sends the whole tree to Valet, and a refusal fails the stack before any
resource is made, with Valet's explanation as the stack's status reason;
before the stack is deleted it releases the plan. Nested stacks do nothing:
their servers are in the root's plan. Under the convergence engine, Heat's
default, the OS::Valet::Plan resource does the same work.
"""

import logging

from heat.engine import lifecycle_plugin

from valet_openstack.heat import common
from valet_openstack.heat import tree

LOG = logging.getLogger(__name__)


class ValetLifecyclePlugin(lifecycle_plugin.LifecyclePlugin):

    def get_ordinal(self):
        return 100

    def do_pre_op(self, cnxt, stack, current_stack=None, action=None):
        if not tree.is_root(stack):
            return
        LOG.info('valet: lifecycle pre-op %s of stack %s (%s)', action,
                 stack.name, stack.id)
        if action == 'CREATE':
            common.create_plan(stack)
        elif action in ('UPDATE', 'ROLLBACK') and current_stack is not None:
            common.update_plan(stack.id, current_stack)
        elif action == 'DELETE':
            common.delete_plan(stack.id)

    def do_post_op(self, cnxt, stack, current_stack=None, action=None,
                   is_stack_failure=False):
        pass
