"""Reservation, savings-plan and spot price terms (``kind: price_terms``), one document.

``sizing.search.price_basis`` reads it: the price basis an environment pays on
(``spec.pricing``) and the always-on capacity's committed price in ``--explain``.
"""

from __future__ import annotations

from typing import Any

from sizing.catalog.entries import PriceTerms
from sizing.catalog.file_schema import Loc, document_entries
from sizing.catalog.loader import document_kind, register_kind

KIND = "price_terms"


def price_terms_entries(data: dict[str, Any], origin: str) -> list[tuple[str, Loc, Any]]:
    return document_entries(PriceTerms, data, origin)


register_kind(document_kind(KIND, price_terms_entries, PriceTerms, label="price terms catalog"))
