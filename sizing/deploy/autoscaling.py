"""KEDA's bounds and target for a self-hosted workload, decided from the plan's sizes.

* Target: a replica is worth adding once a quarter of its concurrency waits in the queue,
  ``max(1, ceil(concurrency_per_replica / 4))`` waiting requests per replica (the Plan's
  queue-depth alert fires at the same number).
* Bounds: the planned replicas per region (0 where the environment scales GPU pools to zero)
  up to what the pool's autoscaler ceiling holds, ``max_nodes x replicas_per_node``.
* Fallback: when KEDA's query fails it holds the planned replicas, never zero.
"""

from __future__ import annotations

import math
from dataclasses import replace

from sizing.plan import AksPlan, Autoscaling, WorkingHours


def queue_depth_target(concurrency_per_replica: int) -> float:
    return float(max(1, math.ceil(concurrency_per_replica / 4)))


def autoscaling(
    *,
    replicas_per_region: int,
    replicas_per_node: int,
    max_nodes_per_region: int,
    concurrency_per_replica: int,
) -> Autoscaling:
    return Autoscaling(
        min_replicas=replicas_per_region,
        max_replicas=max(max_nodes_per_region * replicas_per_node, replicas_per_region, 1),
        fallback_replicas=replicas_per_region,
        queue_depth_target=queue_depth_target(concurrency_per_replica),
        working_hours_replicas=None,
    )


def scaled_to_zero(aks: AksPlan, wake: WorkingHours | None = None) -> AksPlan:
    """The same plan in an environment whose GPU pools scale to zero: no autoscaler floor, no
    replica floor, and a cron trigger that holds the planned replicas during working hours
    (with zero replicas there is no queue metric to wake the workload), over ``wake``: the
    working hours started early by the start-up budget (working_hours.wake_hours)."""
    return replace(
        aks,
        min_nodes_per_region=0,
        autoscaling=replace(
            aks.autoscaling,
            min_replicas=0,
            working_hours_replicas=aks.replicas_per_region,
            wake_hours=wake,
        ),
    )
