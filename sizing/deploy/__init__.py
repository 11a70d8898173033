"""Deploy decisions taken from a chosen candidate: pools, images, flags, limits, quota,
schedules."""
