"""Sizing engine: catalogs, estimator and optimizer. Pure Python, no cloud, no Pulumi."""
