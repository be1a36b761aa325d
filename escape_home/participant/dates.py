"""Dates as people say them on the participant's pages."""

from __future__ import annotations

from datetime import date, datetime


def plain_day(day: date | str) -> str:
    """A date in plain words: "1 Dec" (an ISO time is read in local time)."""
    if isinstance(day, str):
        moment = datetime.fromisoformat(day)
        day = (moment.astimezone() if moment.tzinfo else moment).date()
    return f"{day.day} {day:%b}"
