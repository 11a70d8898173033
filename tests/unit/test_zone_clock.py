"""The gateway's clock for scale-to-zero workloads: the zone's POSIX rule, the local time it
gives (the arithmetic the policy's C# does) against zoneinfo, and the wait until the working
hours open."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from sizing.deploy.zone_clock import (
    Switch,
    UnsupportedZoneRule,
    local_time,
    parse_posix,
    seconds_until_open,
    window_starts,
    zone_rule,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    "zone",
    [
        "Europe/Stockholm",
        "UTC",
        "America/New_York",
        "Australia/Sydney",  # southern hemisphere: daylight across the new year
        "Europe/Dublin",  # negative daylight saving (winter is the "daylight" period)
        "America/Santiago",  # switches at 24:00
        "Asia/Kolkata",  # half-hour offset, no daylight saving
    ],
)
def test_local_time_matches_zoneinfo_for_years(zone: str) -> None:
    rule = zone_rule(zone)
    tz = zoneinfo.ZoneInfo(zone)
    instant = dt.datetime(2027, 1, 1, tzinfo=UTC)
    while instant < dt.datetime(2029, 1, 1, tzinfo=UTC):
        expected = instant.astimezone(tz).replace(tzinfo=None)
        assert local_time(rule, instant) == expected, (zone, instant)
        instant += dt.timedelta(minutes=59)


def test_the_rule_is_read_from_the_posix_string() -> None:
    rule = parse_posix("Europe/Stockholm", "CET-1CEST,M3.5.0,M10.5.0/3")
    assert rule.standard_minutes == 60 and rule.daylight_delta == 60
    assert rule.start == Switch(3, 5, 0, 120) and rule.end == Switch(10, 5, 0, 180)
    assert parse_posix("Asia/Kolkata", "IST-5:30").standard_minutes == 330
    assert parse_posix("America/Sao_Paulo", "<-03>3").start is None


@pytest.mark.parametrize(
    ("posix", "message"),
    [("CET-1CEST,J60,J300", "not M-format"), ("EST5EDT", "names no switch dates")],
)
def test_rules_the_gateway_cannot_compute_are_refused(posix: str, message: str) -> None:
    with pytest.raises(UnsupportedZoneRule, match=message):
        parse_posix("X", posix)
    with pytest.raises(UnsupportedZoneRule, match="not in the IANA database"):
        zone_rule("Mars/Olympus_Mons")


STARTS = window_starts((1, 2, 3, 4, 5), 7 * 60)  # Mon-Fri from 07:00
SPAN = 12 * 60


@pytest.mark.parametrize(
    ("local", "seconds"),
    [
        (dt.datetime(2027, 3, 3, 12, 0), 0),  # Wednesday noon: open
        (dt.datetime(2027, 3, 3, 7, 0), 0),  # opening minute
        (dt.datetime(2027, 3, 3, 19, 0), 12 * 3600),  # closing: tomorrow 07:00
        (dt.datetime(2027, 3, 5, 19, 30, 15), (59 * 60 + 30) * 60 - 15),  # Friday night
        (dt.datetime(2027, 3, 8, 6, 59), 60),  # Monday, a minute early
    ],
)
def test_the_wait_runs_to_the_next_opening(local: dt.datetime, seconds: int) -> None:
    assert seconds_until_open(local, STARTS, SPAN) == seconds


def test_a_window_past_midnight_wraps() -> None:
    starts = window_starts((1, 2, 3, 4, 5, 6, 7), 22 * 60)  # every day 22:00-06:00
    assert seconds_until_open(dt.datetime(2027, 3, 7, 2, 0), starts, 8 * 60) == 0
    assert seconds_until_open(dt.datetime(2027, 3, 7, 6, 0), starts, 8 * 60) == 16 * 3600
