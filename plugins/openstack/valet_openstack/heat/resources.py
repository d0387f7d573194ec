"""Heat resources for Valet, loaded from a directory of heat.conf's
``plugin_dirs`` (resource_mapping() below).

OS::Valet::Group
    A named group of Valet's registry: created, updated (description,
    members) and deleted through valet-api v1 /v1/groups. A new name, type
    or level replaces it.
OS::Valet::GroupAssignment
    Passive: puts resources in a group; only the plan reads it.
OS::Valet::Plan
    The stack's plan under Heat's convergence engine (its default), which
    never calls lifecycle plugins. The servers and volumes depend on it
    (a scheduler hint ``valet_plan: {get_resource: plan}``, or a property
    of a ResourceGroup or template resource that passes it on), so its
    create submits the ROOT stack's whole tree before any of them exists;
    every stack update updates the plan before they change; its delete,
    after theirs, releases it. With the lifecycle plugin also loaded both
    make the same plan of the same stack id, which is not an error.
"""

import logging

from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from heat.engine import resource
from heat.engine import support

from valet_openstack import client as valet_client
from valet_openstack.heat import common
from valet_openstack.heat import tree

LOG = logging.getLogger(__name__)
NAME_PATTERN = '^[A-Za-z0-9._~-]+$'
GROUP_TYPES = ('affinity', 'diversity', 'exclusivity')
LEVELS = ('host', 'rack', 'cluster')


def valet_call(what, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except valet_client.ValetError as err:
        raise common.ValetPlanError('Valet: %s: %s' % (what, err.message)) \
            from None


def replace_members(client, group_id, members):
    """Make the group's members exactly ``members``: valet-api adds with
    PUT and removes with DELETE."""
    client.delete_members(group_id)
    if members:
        client.set_members(group_id, members)


class ValetGroup(resource.Resource):
    """A group of Valet's registry."""

    support_status = support.SupportStatus(version='19.0.0')

    PROPERTIES = (NAME, TYPE, LEVEL, DESCRIPTION, MEMBERS) = (
        'name', 'type', 'level', 'description', 'members')
    ATTRIBUTES = (GROUP_ID, GROUP_NAME) = ('id', 'name')

    properties_schema = {
        NAME: properties.Schema(
            properties.Schema.STRING, 'Name of the group, unique in Valet.',
            required=True,
            constraints=[constraints.Length(1, 255),
                         constraints.AllowedPattern(NAME_PATTERN)]),
        TYPE: properties.Schema(
            properties.Schema.STRING,
            'affinity (together), diversity (apart) or exclusivity (hosts '
            'of its own).',
            required=True,
            constraints=[constraints.AllowedValues(GROUP_TYPES)]),
        LEVEL: properties.Schema(
            properties.Schema.STRING,
            'Where the rule applies: host, rack or cluster.',
            default='host',
            constraints=[constraints.AllowedValues(LEVELS)]),
        DESCRIPTION: properties.Schema(
            properties.Schema.STRING, 'Free text.', default='',
            update_allowed=True),
        MEMBERS: properties.Schema(
            properties.Schema.LIST,
            'Project ids that may use the group (none: any project).',
            default=[], update_allowed=True,
            schema=properties.Schema(
                properties.Schema.STRING,
                constraints=[constraints.Length(1, 255),
                             constraints.AllowedPattern(NAME_PATTERN)])),
    }
    attributes_schema = {
        GROUP_ID: attributes.Schema('The group id in Valet.',
                                    type=attributes.Schema.STRING),
        GROUP_NAME: attributes.Schema('The group name.',
                                      type=attributes.Schema.STRING),
    }

    def handle_create(self):
        props = self.properties
        group = valet_call(
            'group %s' % props[self.NAME], common.client().create_group,
            props[self.NAME], props[self.TYPE], props[self.LEVEL],
            description=props[self.DESCRIPTION])
        group = group.get('group', group)
        self.resource_id_set(group['id'])
        if props[self.MEMBERS]:
            valet_call('members of group %s' % props[self.NAME],
                       common.client().set_members, group['id'],
                       props[self.MEMBERS])

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        name = self.properties[self.NAME]
        if self.DESCRIPTION in prop_diff:
            valet_call('group %s' % name, common.client().update_group,
                       self.resource_id,
                       description=prop_diff[self.DESCRIPTION])
        if self.MEMBERS in prop_diff:
            valet_call('members of group %s' % name,
                       replace_members, common.client(), self.resource_id,
                       prop_diff[self.MEMBERS])

    def handle_delete(self):
        if self.resource_id is None:
            return
        client = common.client()
        if self.properties[self.MEMBERS]:
            valet_call('members of group %s' % self.properties[self.NAME],
                       client.delete_members, self.resource_id)
        valet_call('group %s' % self.properties[self.NAME],
                   client.delete_group, self.resource_id)

    def _resolve_attribute(self, name):
        if name == self.GROUP_ID:
            return self.resource_id
        if name == self.GROUP_NAME:
            return self.properties[self.NAME]
        return None


class ValetGroupAssignment(resource.Resource):
    """Puts resources in a group; the plan reads it, Heat makes nothing."""

    support_status = support.SupportStatus(version='19.0.0')

    PROPERTIES = (GROUP, RESOURCES) = ('group', 'resources')

    properties_schema = {
        GROUP: properties.Schema(
            properties.Schema.STRING,
            'The group: {get_resource: an OS::Valet::Group}, or the name or '
            'id of a group in Valet\'s registry.',
            required=True, update_allowed=True,
            constraints=[constraints.Length(1, 255)]),
        RESOURCES: properties.Schema(
            properties.Schema.LIST,
            'The members: servers, volumes, or nested stack resources '
            '(a ResourceGroup stands for every server and volume in it).',
            required=True, update_allowed=True,
            constraints=[constraints.Length(min=1)],
            schema=properties.Schema(properties.Schema.STRING)),
    }

    def handle_create(self):
        self.resource_id_set(self.physical_resource_name())

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        pass  # the plan, updated before the members change, reads it


class ValetPlan(resource.Resource):
    """The stack's plan in Valet (see the module's comment)."""

    support_status = support.SupportStatus(version='19.0.0')

    ATTRIBUTES = (PLAN_ID, PLACEMENTS) = ('plan_id', 'placements')
    properties_schema = {}
    attributes_schema = {
        PLAN_ID: attributes.Schema('The plan id in Valet.',
                                   type=attributes.Schema.STRING),
        PLACEMENTS: attributes.Schema(
            'The plan\'s placements: {key: {name, location}}.',
            type=attributes.Schema.MAP),
    }

    def root(self):
        if not tree.is_root(self.stack):
            LOG.info('valet: %s in nested stack %s does nothing: the root '
                     'stack\'s plan holds its servers', self.name,
                     self.stack.name)
            return None
        return self.stack

    def handle_create(self):
        stack = self.root()
        if stack is None:
            return
        plan = common.create_plan(stack)
        self.resource_id_set(stack.id)
        self.data_set('plan_id', plan.get('plan', {}).get('id') or '')

    def _needs_update(self, after, before, after_props, before_props,
                      prev_resource, check_init_complete=True):
        # every stack update may change what the plan holds: update it
        super()._needs_update(after, before, after_props, before_props,
                              prev_resource, check_init_complete)
        return True

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        stack = self.root()
        if stack is None:
            return
        if not stack.convergence:
            # the legacy engine updates resources in the old stack object:
            # only the lifecycle plugin sees the new template
            LOG.info('valet: %s: under the legacy engine the lifecycle '
                     'plugin updates the plan', self.name)
            return
        common.update_plan(stack.id, stack)
        self.resource_id_set(stack.id)

    def handle_delete(self):
        if self.resource_id is not None:
            common.delete_plan(self.resource_id)

    def _resolve_attribute(self, name):
        if self.resource_id is None:
            return None
        if name == self.PLAN_ID:
            return self.data().get('plan_id')
        if name == self.PLACEMENTS:
            try:
                plan = common.client().get_plan(self.resource_id)
            except valet_client.ValetError:
                return None
            return plan.get('plan', {}).get('placements')
        return None


def resource_mapping():
    return {
        'OS::Valet::Group': ValetGroup,
        'OS::Valet::GroupAssignment': ValetGroupAssignment,
        'OS::Valet::Plan': ValetPlan,
    }
