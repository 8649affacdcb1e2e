"""Jinja2 templates (autoescaped) and the filters pages use to put times, durations and numbers into words."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from markupsafe import Markup
from starlette.templating import Jinja2Templates

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _as_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def duration(value: Any) -> str:
    """A length of time in words: 45 s, 23 min, 3 h 5 min, 2 d 4 h."""
    if value is None:
        return "-"
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else float(value))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def ago(value: Any) -> str:
    """How long ago a time was: '23 min ago'."""
    moment = _as_datetime(value)
    if moment is None:
        return "never"
    delta = datetime.now(UTC) - moment
    return "just now" if delta.total_seconds() < 5 else f"{duration(delta)} ago"


def when(value: Any) -> str:
    """A time as UTC text, for a title tooltip or a table cell."""
    moment = _as_datetime(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def interval_words(value: Any) -> str:
    """PostgreSQL's interval text as a unit: '00:01:00' minute, '01:00:00' hour, '1 day' day."""
    return {"00:01:00": "minute", "01:00:00": "hour", "1 day": "day"}.get(str(value), str(value))


def percent(value: Any, digits: int = 2) -> str:
    return "-" if value is None else f"{float(value):.{digits}f} %"


def number(value: Any) -> str:
    return "-" if value is None else f"{int(value):,}".replace(",", "\u202f")


def epoch(value: Any) -> int | None:
    moment = _as_datetime(value)
    return int(moment.timestamp()) if moment else None


def chart_data(points: list[dict[str, Any]] | None, x: str, y: str, label: str, bars: bool = True) -> dict[str, Any]:
    """A series as the chart macro draws it (SVG) and app.js hands it to uPlot."""
    points = points or []
    values = [float(point.get(y) or 0) for point in points]
    # whole numbers without ".0": a day of minutes is 1,440 of them in the page
    plain = [int(value) if value.is_integer() else value for value in values]
    return {"x": [epoch(point[x]) for point in points], "y": plain, "label": label, "bars": bars,
            "max": max(values, default=0), "first": points[0][x] if points else None,
            "last": points[-1][x] if points else None}


def groupby_consecutive(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Runs of items with the same truthiness of `key` (stack frames: in-app runs, library runs)."""
    runs: list[dict[str, Any]] = []
    for item in items or []:
        flag = bool(item.get(key))
        if not runs or runs[-1][key] != flag:
            runs.append({key: flag, "frames": []})
        runs[-1]["frames"].append(item)
    return runs


def day_class(day: dict[str, Any]) -> str:
    """A daily bar's colour: the day's worst impact (Statuspage's green, yellow, orange, red)."""
    if not day.get("observed_seconds") and not day.get("maintenance_seconds"):
        return "none"
    for key, colour in (("major_outage_seconds", "major"), ("partial_outage_seconds", "partial"),
                        ("degraded_seconds", "degraded")):
        if day.get(key):
            return colour
    return "up" if day.get("observed_seconds") else "maintenance"


def as_json(value: Any) -> Markup:
    """JSON for a <script type="application/json"> block (</ cannot close the block)."""
    return Markup(json.dumps(value, default=str).replace("</", "<\\/"))


TEMPLATES.env.filters.update(duration=duration, ago=ago, when=when, percent=percent, number=number, as_json=as_json,
                             epoch=epoch, groupby_consecutive=groupby_consecutive,
                             interval_words=interval_words)
TEMPLATES.env.globals.update(chart_data=chart_data, day_class=day_class)
