"""The working hours as the gateway computes them: local time from UTC by the time zone's own
rule, and the week's working windows, for the off-hours answer of scale-to-zero workloads
(``components/apim_xml/api-policy.xml.j2`` renders the same arithmetic in C#).

API Management policy expressions may use ``System.DateTime``, ``TimeSpan`` and ``Math`` (Learn,
"API Management policy expressions", .NET Framework types allowed), but whether a gateway knows an
IANA zone id depends on the host it runs on. So the policy carries the zone's rule itself: the
POSIX TZ string that ends each zone's TZif file in the IANA database (the ``tzdata`` package
pinned in requirements.lock), e.g. ``CET-1CEST,M3.5.0,M10.5.0/3``: standard offset, daylight
offset, and the month/week/weekday/time of each switch (POSIX.1-2017, "TZ" in Environment
Variables; RFC 9636 section 3.3). ``local_time`` is the same arithmetic in Python, which the
tests compare with ``zoneinfo`` over years of instants.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import re
from dataclasses import dataclass

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY

_NAME = r"(?:<[^>]+>|[A-Za-z]{3,})"
_OFFSET = r"[+-]?\d{1,3}(?::\d{1,2}){0,2}"
_SWITCH = r"M(\d{1,2})\.(\d)\.(\d)(?:/(" + _OFFSET + r"))?"
_POSIX = re.compile(rf"^{_NAME}({_OFFSET})(?:({_NAME})({_OFFSET})?(?:,{_SWITCH},{_SWITCH})?)?$")


class UnsupportedZoneRule(ValueError):
    """A zone whose rule the gateway cannot compute (a Julian-day switch, say)."""


@dataclass(frozen=True)
class Switch:
    """A daylight-saving switch: the ``week``-th (5: last) ``weekday`` (0 Sunday) of ``month``,
    at ``minute`` local time (standard time for the start, daylight time for the end)."""

    month: int
    week: int
    weekday: int
    minute: int


@dataclass(frozen=True)
class ZoneRule:
    """UTC to local time: ``standard_minutes`` east of UTC, plus ``daylight_delta`` minutes
    between ``start`` and ``end`` (None: no daylight saving)."""

    zone: str
    posix: str
    standard_minutes: int
    daylight_delta: int = 0
    start: Switch | None = None
    end: Switch | None = None


def _minutes(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")]
    hours, minutes = parts[0], parts[1] if len(parts) > 1 else 0
    return sign * (hours * 60 + minutes)


def parse_posix(zone: str, posix: str) -> ZoneRule:
    """The rule of a POSIX TZ string (offsets there count west of UTC, hence the sign flip)."""
    match = _POSIX.match(posix)
    if match is None:
        raise UnsupportedZoneRule(f"time zone {zone}: rule {posix!r} is not M-format POSIX TZ")
    std, dst_name, dst, *switches = match.groups()
    standard = -_minutes(std)
    if dst_name is None:
        return ZoneRule(zone, posix, standard)
    if switches[0] is None:
        raise UnsupportedZoneRule(f"time zone {zone}: rule {posix!r} names no switch dates")
    daylight = -_minutes(dst) if dst is not None else standard + 60
    m1, w1, d1, t1, m2, w2, d2, t2 = switches
    start = Switch(int(m1), int(w1), int(d1), _minutes(t1) if t1 else 120)
    end = Switch(int(m2), int(w2), int(d2), _minutes(t2) if t2 else 120)
    return ZoneRule(zone, posix, standard, daylight - standard, start, end)


def zone_rule(zone: str) -> ZoneRule:
    """The rule of an IANA zone from the tzdata package's TZif file (its last line)."""
    try:
        data = importlib.resources.files("tzdata.zoneinfo").joinpath(*zone.split("/"))
        footer = data.read_bytes().rstrip(b"\n").rsplit(b"\n", 1)[1].decode()
    except (FileNotFoundError, IsADirectoryError, ModuleNotFoundError, IndexError) as err:
        raise UnsupportedZoneRule(f"time zone {zone!r} is not in the IANA database") from err
    return parse_posix(zone, footer)


def _switch_day(year: int, switch: Switch) -> dt.datetime:
    """Midnight of the switch day, as the policy computes it."""
    first = dt.datetime(year, switch.month, 1)
    weekday = (first.weekday() + 1) % 7  # .NET DayOfWeek: 0 Sunday
    day = first + dt.timedelta(days=(switch.weekday - weekday + 7) % 7 + 7 * (switch.week - 1))
    while day.month != switch.month:
        day -= dt.timedelta(days=7)
    return day


def local_time(rule: ZoneRule, utc: dt.datetime) -> dt.datetime:
    """Local wall time at ``utc`` (naive), by the same steps as the policy's C#."""
    now = utc.replace(tzinfo=None) + dt.timedelta(minutes=rule.standard_minutes)
    if rule.start is None or rule.end is None:
        return now
    start = _switch_day(now.year, rule.start) + dt.timedelta(minutes=rule.start.minute)
    end = _switch_day(now.year, rule.end) + dt.timedelta(
        minutes=rule.end.minute - rule.daylight_delta
    )
    daylight = (start <= now < end) if start < end else (now >= start or now < end)
    return now + dt.timedelta(minutes=rule.daylight_delta) if daylight else now


def window_starts(weekdays: tuple[int, ...], start_minute: int) -> tuple[int, ...]:
    """Each working window's start in minutes after Monday 00:00 local time."""
    return tuple((day - 1) * MINUTES_PER_DAY + start_minute for day in weekdays)


def seconds_until_open(local: dt.datetime, starts: tuple[int, ...], span_minutes: int) -> int:
    """0 inside a working window; else the seconds until the next one opens (the policy's C#)."""
    minute = local.weekday() * MINUTES_PER_DAY + local.hour * 60 + local.minute
    wait = MINUTES_PER_WEEK
    for opens in starts:
        if (minute - opens + MINUTES_PER_WEEK) % MINUTES_PER_WEEK < span_minutes:
            return 0
        wait = min(wait, (opens - minute + MINUTES_PER_WEEK) % MINUTES_PER_WEEK)
    return wait * 60 - local.second
