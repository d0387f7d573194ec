"""Heat's side of Valet: the stack lifecycle plugin (lifecycle.py), the
resources OS::Valet::Group, OS::Valet::GroupAssignment and OS::Valet::Plan
(resources.py, loaded from heat.conf's plugin_dirs) and the plan body both
send (tree.py)."""
