"""The dctwin CrossGuard policy pack: wiring only, the policies are twin.iac.policies.

Constructing a PolicyPack starts the analyzer the Pulumi engine talks to, so this file is
run by ``pulumi preview --policy-pack policy`` and nothing else; tests import the
policies from :mod:`twin.iac.policies`.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from twin.iac.policies import PACK_NAME, POLICIES

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
