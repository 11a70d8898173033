"""What a GPU pool and its pods need from Kubernetes, decided per VM size and pool setting.

* NVIDIA sizes: AKS installs the driver (``gpuProfile.driver: Install``), the NVIDIA device
  plugin advertises ``nvidia.com/gpu``, and pools are tainted ``nvidia.com/gpu`` (Learn, "Use
  NVIDIA GPUs on AKS"). A MIG pool (``gpuInstanceProfile``) runs the device plugin with the
  single MIG strategy, so each instance is advertised as one ``nvidia.com/gpu`` and a replica
  asks for one, as on a whole GPU (Learn, "Create a multi-instance GPU node pool in AKS": single
  shows ``nvidia.com/gpu: 56`` on an ND96asr_v4 with MIG1g; mixed would need the pods to name
  ``nvidia.com/mig-1g.5gb``, which changes with the GPU's memory). The plugin falls back to
  whole GPUs on nodes without MIG (k8s-device-plugin ``migStrategySingle``: "No MIG devices
  found. Falling back to mig.strategy=none"), so one DaemonSet serves both kinds of pool.
* AMD sizes (ND MI300X v5): the pool is created with ``gpuProfile.driver: None`` and the AMD
  GPU operator installs driver and device plugin, which advertises ``amd.com/gpu`` (Learn, "Use
  AMD GPUs on AKS"); inferplan taints those pools ``amd.com/gpu`` so only GPU pods land there.
* Spot pools: AKS sets priority Spot, eviction Delete and adds the taint
  ``kubernetes.azure.com/scalesetpriority=spot:NoSchedule`` (Learn, "Add an Azure Spot node
  pool to an AKS cluster"); pods placed there tolerate it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

SPOT_TAINT_KEY = "kubernetes.azure.com/scalesetpriority"
SPOT_TAINT = f"{SPOT_TAINT_KEY}=spot:NoSchedule"
SPOT_MAX_PRICE = -1  # pay up to the on-demand price; evicted for capacity only (Learn, spot pool)
MIG_STRATEGY = "single"  # NVIDIA device plugin MIG_STRATEGY on clusters with MIG pools


class GpuVendor(StrEnum):
    NVIDIA = "nvidia"
    AMD = "amd"


@dataclass(frozen=True)
class GpuPlatform:
    """The Kubernetes names one vendor's GPUs come with."""

    vendor: GpuVendor
    resource: str  # extended resource a pod requests per GPU (or MIG instance)
    taint_key: str  # the pool's taint key, value present, effect NoSchedule
    driver: Literal["Install", "None"]  # AgentPool gpuProfile.driver

    @property
    def taint(self) -> str:
        return f"{self.taint_key}=present:NoSchedule"


NVIDIA = GpuPlatform(GpuVendor.NVIDIA, "nvidia.com/gpu", "nvidia.com/gpu", "Install")
AMD = GpuPlatform(GpuVendor.AMD, "amd.com/gpu", "amd.com/gpu", "None")


def gpu_platform(gpu_driver: str) -> GpuPlatform:
    """The platform of a VM size's ``gpu_driver`` (vm_skus.yaml): AMD for the operator, NVIDIA
    for the AKS-installed drivers (datacenter and GRID)."""
    return AMD if gpu_driver == "amd-gpu-operator" else NVIDIA


def platform_of(vendor: str) -> GpuPlatform:
    """The platform by its vendor value, as a plan records it."""
    return AMD if vendor == GpuVendor.AMD else NVIDIA
