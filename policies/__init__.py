"""Guardrails: policy rules over planned resources."""
