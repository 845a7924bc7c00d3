"""The Pulumi program: declare this stack's datacenter definition as resources.

Wiring only (config → model → declare → export); the logic lives in
:mod:`twin.iac.declare`. The stack config picks the definition (``dctwin:definition``,
default: the stack name, or ``dctwin:model`` for a model document) and may override
service surges and demand (``dctwin:surges``, ``dctwin:demandScale``).
"""

import pulumi

from twin.iac.declare import declare_fleet, fleet_from_config

fleet = fleet_from_config(pulumi.Config("dctwin"), pulumi.get_stack())
declared = declare_fleet(fleet)
for key, value in declared.outputs.items():
    pulumi.export(key, value)
