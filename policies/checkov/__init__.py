"""checkov custom checks for inferplan's rendered Kubernetes manifests.

Loaded by checkov with ``--external-checks-dir policies/checkov`` (checkov needs this
``__init__.py`` to load the Python checks beside it). They run inside checkov's own environment
(.venv-checkov), never imported by inferplan itself.
"""
