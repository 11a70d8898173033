"""Guardrails: policy rules over planned resources (``rules``), the Pulumi policy pack that runs
them in the Pulumi CLI (``pack``, ``__main__``) and checkov checks for the rendered Kubernetes
manifests (``checkov/``). See docs/policies.md."""
