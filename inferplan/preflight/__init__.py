"""Preflight: the plan checked against the live Azure subscription, and catalog refresh.

Everything inferplan asks Azure goes through `client.AzureClient` (read-only GETs to Azure
Resource Manager, and the public Retail Prices API). ``apis`` turns each answer into typed
values, ``needs`` reads what a plan asks of Azure, ``checks`` compares the two (pure; by
domain in ``check_compute``, ``check_openai`` and ``check_platform``, their values in
``findings``), ``engine`` ties them together and ``report`` prints the result.
``refresh_vm_skus`` and ``refresh_azure_openai`` rewrite the catalog files from the same APIs.
"""
