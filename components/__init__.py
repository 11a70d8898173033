"""Pulumi components that turn a Plan into Azure resources (see issue: infrastructure)."""
