"""The Pulumi policy pack: ``pulumi preview --policy-pack policies`` (rules in policies.rules)."""

from inferplan.policies.pack import build_pack

build_pack()
