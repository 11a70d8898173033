"""The weights store under Pulumi mocks: one storage account per environment that stages a
pinned checkpoint, closed to anonymous, shared-key and (in a private environment) public access,
reached through a blob private endpoint, read by the vLLM identities and written only by the
staging identity."""

from __future__ import annotations

import dataclasses

import pytest

from components import roles
from sizing.catalog import default_catalog
from sizing.deploy.container_images import WEIGHTS_COPY_IMAGE_ID, planned_image
from sizing.deploy.model_weights import weights_staging
from tests.conftest import _stack_plan, capture_environment

SHA = "0e9e39f249a16976918f6564b8830bc894c89659"
ACCOUNT = "azure-native:storage:StorageAccount"
CONTAINER = "azure-native:storage:BlobContainer"
ENDPOINT = "azure-native:network:PrivateEndpoint"
ZONE = "azure-native:privatedns:PrivateZone"
ROLE = "azure-native:authorization:RoleAssignment"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"


def staged(plan):
    """The plan with every self-hosted workload's checkpoint pinned (and so staged)."""

    def pin(w):
        if w.aks is None:
            return w
        weights = weights_staging(w.aks.hf_model, SHA)
        args = tuple(
            f"--model={weights.local_dir}" if a.startswith("--model=") else a
            for a in w.aks.vllm_args
        )
        aks = dataclasses.replace(w.aks, hf_revision=SHA, weights=weights, vllm_args=args)
        return dataclasses.replace(w, aks=aks)

    copy_image = planned_image(default_catalog(), WEIGHTS_COPY_IMAGE_ID)
    environments = tuple(
        dataclasses.replace(e, images=(*e.images, copy_image)) for e in plan.environments
    )
    return dataclasses.replace(
        plan, workloads=tuple(pin(w) for w in plan.workloads), environments=environments
    )


@pytest.fixture(scope="module")
def prod_staged():
    return capture_environment(staged(_stack_plan("prod")), "prod")


@pytest.fixture(scope="module")
def dev_staged():
    return capture_environment(staged(_stack_plan("dev")), "dev")


def test_a_private_environment_stores_weights_with_no_public_anonymous_or_key_access(prod_staged):
    [account] = prod_staged.of_type(ACCOUNT)
    inputs = account.inputs
    assert inputs["kind"] == "StorageV2"
    assert inputs["allowBlobPublicAccess"] is False
    assert inputs["allowSharedKeyAccess"] is False
    assert inputs["minimumTlsVersion"] == "TLS1_2"
    assert inputs["enableHttpsTrafficOnly"] is True
    assert inputs["publicNetworkAccess"] == "Disabled"
    assert inputs["networkRuleSet"]["defaultAction"] == "Deny"
    assert 3 <= len(inputs["accountName"]) <= 24 and inputs["accountName"].isalnum()
    [container] = prod_staged.of_type(CONTAINER)
    assert container.inputs["containerName"] == "models"
    assert container.inputs["publicAccess"] == "None"


def test_the_store_is_reached_through_a_blob_private_endpoint_in_the_one_blob_zone(prod_staged):
    [endpoint] = [
        e
        for e in prod_staged.of_type(ENDPOINT)
        if e.inputs["privateEndpointName"].endswith("-weights")
    ]
    [connection] = endpoint.inputs["privateLinkServiceConnections"]
    assert connection["groupIds"] == ["blob"]
    # Azure Monitor's endpoint registers in the same zone: it is created once, not twice.
    blob_zones = [
        z
        for z in prod_staged.of_type(ZONE)
        if z.inputs["privateZoneName"] == "privatelink.blob.core.windows.net"
    ]
    assert len(blob_zones) == 1


def test_vllm_identities_read_and_only_the_staging_identity_writes_the_container(prod_staged):
    assignments = [
        r
        for r in prod_staged.of_type(ROLE)
        if r.inputs["roleDefinitionId"].endswith(
            (roles.STORAGE_BLOB_DATA_READER, roles.STORAGE_BLOB_DATA_CONTRIBUTOR)
        )
    ]
    scopes = {r.inputs["scope"] for r in assignments}
    assert len(scopes) == 1 and next(iter(scopes)).endswith("/BlobContainer/weights-models")
    writers = [
        r
        for r in assignments
        if r.inputs["roleDefinitionId"].endswith(roles.STORAGE_BLOB_DATA_CONTRIBUTOR)
    ]
    readers = [r for r in assignments if r not in writers]
    assert len(writers) == 1
    clusters = {r.name for r in prod_staged.of_type(IDENTITY) if r.name.endswith("-vllm-identity")}
    assert len(readers) == len(clusters) >= 1
    staging = [r for r in prod_staged.of_type(IDENTITY) if r.name.endswith("-staging-identity")]
    assert len(staging) == 1


def test_a_public_environment_keeps_the_account_public_but_still_keyless(dev_staged):
    [account] = dev_staged.of_type(ACCOUNT)
    assert account.inputs["publicNetworkAccess"] == "Enabled"
    assert account.inputs["allowSharedKeyAccess"] is False
    assert not [e for e in dev_staged.of_type(ENDPOINT) if "weights" in e.name]


def test_no_store_where_nothing_is_staged(dev_capture):
    assert not dev_capture.of_type(ACCOUNT)
