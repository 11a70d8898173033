"""Working hours of scale-to-zero environments: the hours they bill and the cron that runs them.

Pure functions over the environment's ``working_hours`` (days, start, end, time zone). The
billed hours reach the sizing request before any decision, so cost caps and the choice between
Azure OpenAI and GPU pools see the bill the environment actually pays.
"""

from __future__ import annotations

import math

from inputs.environment import WorkingHoursSpec
from sizing.plan import OffHoursAnswer, WorkingHours
from sizing.search.request import BatchTraffic, Schedule
from sizing.units import DAYS_PER_MONTH, HOURS_PER_WEEK, WEEKS_PER_MONTH

CRON_DAYS = {"mon-fri": "1-5", "mon-sat": "1-6", "every-day": "*"}
DAYS_PER_WEEK = {"mon-fri": 5, "mon-sat": 6, "every-day": 7}
ISO_WEEKDAYS = {d: tuple(range(1, n + 1)) for d, n in DAYS_PER_WEEK.items()}


def _minutes(hhmm: str) -> int:
    hour, minute = hhmm.split(":")
    return int(hour) * 60 + int(minute)


def span_minutes(hours: WorkingHoursSpec) -> int:
    """How long one day's working hours last (an end before the start wraps past midnight)."""
    return (_minutes(hours.end) - _minutes(hours.start)) % (24 * 60) or 24 * 60


def weekly_hours(hours: WorkingHoursSpec) -> float:
    """Hours a week inside the working hours (an end before the start wraps past midnight)."""
    return DAYS_PER_WEEK[hours.days] * span_minutes(hours) / 60.0


def working_hours(hours: WorkingHoursSpec) -> WorkingHours:
    """``07:00``-``19:00`` Mon-Fri -> ``0 7 * * 1-5`` and ``0 19 * * 1-5`` in the time zone."""

    def cron(hhmm: str) -> str:
        hour, minute = hhmm.split(":")
        return f"{int(minute)} {int(hour)} * * {CRON_DAYS[hours.days]}"

    return WorkingHours(hours.timezone, cron(hours.start), cron(hours.end))


def schedule_of(hours: WorkingHoursSpec | None) -> Schedule:
    """Always on (730 h) without working hours; else the working hours' share of the month:
    ``billed = weekly_hours x 730 / 168``."""
    if hours is None:
        return Schedule()
    weekly = weekly_hours(hours)
    return Schedule(
        scale_to_zero=True,
        billed_hours_per_month=weekly * WEEKS_PER_MONTH,
        description=(
            f"{weekly:g} h a week ({hours.days} {hours.start}-{hours.end} {hours.timezone}), "
            f"{weekly / HOURS_PER_WEEK:.0%} of the week"
        ),
        start_minute=_minutes(hours.start),
        cron_days=CRON_DAYS[hours.days],
        end_cron=working_hours(hours).end_cron,
        timezone=hours.timezone,
        span_minutes=span_minutes(hours),
        weekdays=ISO_WEEKDAYS[hours.days],
        hours=f"{hours.days} {hours.start}-{hours.end} {hours.timezone}",
    )


def off_hours_answer(schedule: Schedule, *, startup_s: int) -> OffHoursAnswer:
    """The gateway's answer while a scale-to-zero workload has no replica: 503 with
    Retry-After, until the working hours start or for a cold replica's start-up budget."""
    return OffHoursAnswer(
        timezone=schedule.timezone,
        weekdays=schedule.weekdays,
        start_minute=schedule.start_minute,
        span_minutes=schedule.span_minutes,
        startup_s=startup_s,
        description=schedule.hours,
    )


WAKE_STEP_MIN = 5  # the early start is rounded up to whole 5 minutes


def wake_hours(schedule: Schedule, *, startup_s: int) -> WorkingHours:
    """The cron trigger of a scale-to-zero workload: the working hours, started early by the
    replica's start-up budget (node provisioning, image pull, weights, load) so it serves at the
    start of the working hours rather than 12-18 minutes after it. Clamped at midnight: a start
    that would fall on the previous day keeps its days and starts at 00:00."""
    lead = math.ceil(startup_s / 60 / WAKE_STEP_MIN) * WAKE_STEP_MIN
    start = max(schedule.start_minute - lead, 0)
    return WorkingHours(
        schedule.timezone,
        f"{start % 60} {start // 60} * * {schedule.cron_days}",
        schedule.end_cron,
    )


def batch_window(batch: BatchTraffic) -> WorkingHours:
    """The daily window of offline work as cron expressions: ``start`` to ``start + window``."""
    start = _minutes(batch.start)
    end = (start + round(batch.completion_window_hours * 60)) % (24 * 60)
    return WorkingHours(
        batch.timezone, f"{start % 60} {start // 60} * * *", f"{end % 60} {end // 60} * * *"
    )


def batch_schedule(batch: BatchTraffic) -> Schedule:
    """GPU pools of offline work run only inside the daily window:
    ``billed = window_hours x 730 / 24``."""
    hours = batch.completion_window_hours
    return Schedule(
        scale_to_zero=True,
        billed_hours_per_month=hours * DAYS_PER_MONTH,
        description=f"{hours:g} h a day from {batch.start} {batch.timezone} (offline work)",
    )
