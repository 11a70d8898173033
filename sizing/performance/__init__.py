"""The performance model: memory, roofline step times, vLLM's scheduler (fast model and simulator),
capacity at the SLO, calibration."""
