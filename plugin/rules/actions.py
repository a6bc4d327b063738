"""Custom actions' rules: the period a cap counts in, and the points one award may carry."""

from __future__ import annotations

from datetime import datetime, timedelta

from plugin.rules.program import ActionPeriod, CustomAction


def period_start(per: ActionPeriod, now: datetime) -> datetime:
    """The start of the cap's period `now` falls in: midnight, Monday's midnight or the 1st's midnight."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if per is ActionPeriod.WEEK:
        return midnight - timedelta(days=midnight.weekday())
    if per is ActionPeriod.MONTH:
        return midnight.replace(day=1)
    return midnight


def award_points(action: CustomAction, asked: int | None) -> int:
    """What one award of `action` credits: the action's points, or fewer if the caller asks (ValueError beyond)."""
    if asked is None:
        return action.points
    if not 1 <= asked <= action.points:
        raise ValueError(f"points: between 1 and {action.points} for the action {action.name}")
    return asked


def within_cap(action: CustomAction, awarded_in_period: int) -> bool:
    """Whether a member awarded `awarded_in_period` times this period (reversals not counted) may get one more."""
    return awarded_in_period < action.cap
