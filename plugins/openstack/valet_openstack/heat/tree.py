"""The plan request of a ROOT stack's whole tree, built from Heat's own
stack objects.

Nested stacks (template resources, OS::Heat::ResourceGroup and
AutoScalingGroup members, provider templates) are parsed by Heat itself
(StackResource.child_template and child_params, as a stack preview does),
so their servers join the root's plan before any nested stack exists.
Every unit is keyed ``<root stack id>/<parent resource names>/<name>``,
which is what the Nova and Cinder filters compute from the scheduler hints
Heat adds with ``stack_scheduler_hints = true`` (heat_root_stack_id,
heat_path_in_stack, heat_resource_name).

Two forms (``[valet] plan_form`` in heat.conf):
- ``template`` (the default): the root stack's template, files,
  environment and parameters, expanded by valetd (the core's expansion,
  the one ``valet simulate --template`` uses);
- ``resources``: the units of the tree as Heat itself parses it (nothing
  is expanded here: Heat's own StackResource code makes each nested
  stack), for a valetd without the template form or a template valetd
  cannot expand statically.
"""

import logging

from heat.engine.resources import stack_resource

LOG = logging.getLogger(__name__)

SERVER = 'OS::Nova::Server'
VOLUME = 'OS::Cinder::Volume'
ATTACHMENT = 'OS::Cinder::VolumeAttachment'
ASSIGNMENT = 'OS::Valet::GroupAssignment'
GROUP = 'OS::Valet::Group'
PLAN = 'OS::Valet::Plan'
# Valet's own in-place group definition (docs/plan-request.md)
INPLACE_ASSIGNMENT = 'ATT::Valet::GroupAssignment'
UNITS = (SERVER, VOLUME)
FORMS = ('template', 'resources')
ENVIRONMENT_SECTIONS = ('resource_registry', 'parameters',
                        'parameter_defaults')


class PlanBuildError(Exception):
    """The stack cannot be described to Valet (says which resource)."""


def plan_body(stack, form='template', stack_id=None):
    """The body of POST /v1/plans for the root stack ``stack``, whose id
    is stack_id when given (an update's new stack has none of its own)."""
    if form not in FORMS:
        raise PlanBuildError('[valet] plan_form %r: expected one of %s'
                             % (form, ', '.join(FORMS)))
    stack_id = stack_id or stack.id
    body = {'plan_name': stack.name, 'stack_id': stack_id}
    if stack.context is not None and stack.context.project_id:
        body['tenant_id'] = stack.context.project_id
    if form == 'template':
        body.update(template_form(stack))
    else:
        body['resources'] = resources_form(stack, stack_id)
    return body


def template_form(stack):
    """The template as the user gave it, the files it nests (keyed as Heat
    keys them, which is how the environment and the template name them)
    and the environment's sections that bear on the expansion."""
    env = stack.env.user_env_as_dict()
    environment = {k: env[k] for k in ENVIRONMENT_SECTIONS if env.get(k)}
    return {'template': stack.t.t,
            'files': dict(stack.t.files),
            'environment': environment,
            'parameters': dict(env.get('parameters') or {})}


def resources_form(stack, root_id):
    """{key: resource} for every unit, volume attachment and group
    assignment of the tree under ``stack``, keyed under root_id."""
    out = {}
    levels = []
    groups = {}
    Level(stack, [root_id], levels, groups).walk()
    for level in levels:
        level.describe(out)
    return out


class Level:
    """One stack of the tree: its resources, keyed under ``prefix``."""

    def __init__(self, stack, prefix, levels, groups):
        self.stack = stack
        self.prefix = prefix
        self.levels = levels
        self.groups = groups  # the tree's OS::Valet::Group resources by
        #                       their name property and physical id
        self.keys = {}      # a name or physical id here -> its key
        self.units = []     # the keys of the servers and volumes here
        self.nested = {}    # a nested stack resource's key -> its Level
        levels.append(self)

    def key(self, name):
        return '/'.join(self.prefix + [name])

    def walk(self):
        """Name everything of this level, then of the levels below."""
        self.resources = sorted(self.stack.resources.items())
        for name, rsrc in self.resources:
            self.keys[name] = self.key(name)
            if rsrc.resource_id is not None:
                self.keys[str(rsrc.resource_id)] = self.key(name)
            if rsrc.type() in UNITS:
                self.units.append(self.key(name))
            elif rsrc.type() == GROUP:
                for handle in (prop(rsrc, 'name'), rsrc.resource_id):
                    if handle:
                        self.groups[str(handle)] = rsrc
        for name, rsrc in self.resources:
            if isinstance(rsrc, stack_resource.StackResource):
                child = child_stack(rsrc)
                if child is not None:
                    self.nested[self.key(name)] = Level(
                        child, self.prefix + [name], self.levels,
                        self.groups).walk()
        return self

    def all_units(self):
        keys = list(self.units)
        for level in self.nested.values():
            keys.extend(level.all_units())
        return keys

    def describe(self, out):
        for name, rsrc in self.resources:
            describe = DESCRIBE.get(rsrc.type())
            if describe:
                out[self.key(name)] = describe(self, name, rsrc)

    def member_keys(self, rsrc, refs):
        """The keys of what a list of references names; a nested stack
        resource (a ResourceGroup, a template resource) stands for every
        server and volume beneath it."""
        keys = []
        for ref in refs or []:
            key = self.ref_key(rsrc, ref)
            nested = self.nested.get(key)
            keys.extend(nested.all_units() if nested else [key])
        return keys

    def ref_key(self, rsrc, ref):
        key = self.keys.get(str(ref))
        if key is None:
            raise PlanBuildError(
                'resource %s (%s): %r names no resource of stack %s'
                % (self.key(rsrc.name), rsrc.type(), ref, self.stack.name))
        return key

    def name_of(self, key):
        """A unit's readable name: its path below the root."""
        return key.split('/', 1)[1]


def child_stack(rsrc):
    """The nested stack ``rsrc`` would create, parsed but not stored; None
    for a stack resource Heat cannot preview (a remote stack)."""
    try:
        template = rsrc.child_template()
        params = rsrc.child_params()
    except NotImplementedError:
        LOG.info('valet: %s (%s) has no nested template to plan',
                 rsrc.name, rsrc.type())
        return None
    return rsrc._parse_nested_stack('%s-%s' % (rsrc.stack.name, rsrc.name),
                                    template, params)


def prop(rsrc, name):
    """A resolved property, or None when it cannot be resolved yet (an
    attribute of a resource not created)."""
    try:
        return rsrc.properties[name]
    except (KeyError, ValueError, TypeError):
        return None


def compact(mapping):
    return {k: v for k, v in mapping.items() if v not in (None, '', {})}


# the properties of each unit type that Valet reads (docs/plan-request.md)
UNIT_PROPERTIES = {
    SERVER: ('flavor', 'availability_zone', 'metadata'),
    VOLUME: ('size', 'volume_type', 'availability_zone'),
}


def entry(level, name, rtype, properties):
    """One resource of the plan request, named by its path below the
    root."""
    return {'name': level.name_of(level.key(name)), 'type': rtype,
            'properties': properties}


def describe_unit(level, name, rsrc):
    return entry(level, name, rsrc.type(), compact(
        {p: prop(rsrc, p) for p in UNIT_PROPERTIES[rsrc.type()]}))


def describe_attachment(level, name, rsrc):
    return entry(level, name, ATTACHMENT, {
        ref: level.ref_key(rsrc, prop(rsrc, ref))
        for ref in ('instance_uuid', 'volume_id')})


def describe_assignment(level, name, rsrc):
    """A group that an OS::Valet::Group of the tree makes (named by
    get_resource at its level, or by its name anywhere in the tree) is
    defined in place, with its name, type and level, so that the plan does
    not depend on whether Heat has created the group yet; any other group
    is the registry's."""
    members = level.member_keys(rsrc, prop(rsrc, 'resources'))
    group = prop(rsrc, 'group')
    here = level.stack.resources.get(str(group))
    if here is None or here.type() != GROUP:
        here = level.groups.get(str(group))
    if here is not None:
        return entry(level, name, INPLACE_ASSIGNMENT, compact({
            'group_name': prop(here, 'name'),
            'group_type': prop(here, 'type'),
            'level': prop(here, 'level'),
            'resources': members}))
    return entry(level, name, ASSIGNMENT,
                 {'group': group, 'resources': members})


DESCRIBE = {
    SERVER: describe_unit,
    VOLUME: describe_unit,
    ATTACHMENT: describe_attachment,
    ASSIGNMENT: describe_assignment,
}


def is_root(stack):
    """Nested stacks have a parent resource; their servers are in the
    root's plan."""
    return not stack.parent_resource and not stack.owner_id
