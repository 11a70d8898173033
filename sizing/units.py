"""Units and calendar conventions every cost and size in sizing uses, written once.

Azure prices a month as 730 hours (the Retail Prices API and the pricing calculator bill
hourly rates x 730); inferplan does the same so that its figures compare with Azure's.
"""

from __future__ import annotations

HOURS_PER_MONTH = 730.0
HOURS_PER_WEEK = 168.0
WEEKS_PER_MONTH = HOURS_PER_MONTH / HOURS_PER_WEEK  # about 4.35
DAYS_PER_MONTH = HOURS_PER_MONTH / 24.0  # about 30.4
SECONDS_PER_HOUR = 3600.0
GIB = 1024**3
MIB = 1024**2
