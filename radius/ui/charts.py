"""The login's statistics as bar charts drawn on the server (inline SVG, no JavaScript).

``traffic_chart`` lays out the bars of ``radius.selectors.login_traffic``: one bar per
hour/day/month of the period, empty ones included, so the time axis reads evenly.
"""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ..selectors import TRAFFIC_PERIODS

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 720, 180, 14, 20, 4
KEY_FORMAT = {"hour": "%Y-%m-%d %H", "day": "%Y-%m-%d", "month": "%Y-%m"}
LABEL_FORMAT = {"hour": "%H:00", "day": "%d.%m", "month": "%m.%Y"}


def speed_text(bps: int | None) -> str:
    """Bits per second for people: "12.5 Mbit/s"."""
    if bps is None:
        return "–"
    for unit, size in (("Gbit/s", 10**9), ("Mbit/s", 10**6), ("kbit/s", 10**3)):
        if bps >= size:
            return f"{number_format(round(bps / size, 1), 1)} {unit}"
    return f"{bps} bit/s"


def _buckets(period: str, now: datetime) -> list[datetime]:
    """The starts (local time) of the period's bars, oldest first."""
    back, bucket = TRAFFIC_PERIODS[period]
    since = timezone.localtime(now - back)
    end = timezone.localtime(now)
    starts = []
    if bucket == "hour":
        moment = since.replace(minute=0, second=0, microsecond=0)
        while moment <= end:
            starts.append(timezone.localtime(moment))
            moment += timedelta(hours=1)
    elif bucket == "day":
        day = since.date()
        while day <= end.date():
            starts.append(datetime(day.year, day.month, day.day))
            day += timedelta(days=1)
    else:
        year, month = since.year, since.month
        while (year, month) <= (end.year, end.month):
            starts.append(datetime(year, month, 1))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return starts


def traffic_chart(rows: list[dict], *, period: str, now: datetime | None = None) -> dict:
    """``{"download": chart, "upload": chart}``; a chart is its bars (x, y, width, height,
    label, title) and the top of its scale, for ``radius/login/_chart.html``."""
    now = now or timezone.now()
    bucket = TRAFFIC_PERIODS[period][1]
    key_format = KEY_FORMAT[bucket]
    by_key = {timezone.localtime(row["at"]).strftime(key_format): row for row in rows}
    starts = _buckets(period, now)
    slot = (WIDTH - LEFT) / max(len(starts), 1)
    label_every = max(1, len(starts) // 12)
    charts = {}
    for direction in ("download", "upload"):
        top = max((row[f"{direction}_bps"] for row in rows), default=0)
        bars = []
        for n, start in enumerate(starts):
            row = by_key.get(start.strftime(key_format))
            bps = row[f"{direction}_bps"] if row else 0
            height = (HEIGHT - TOP - BOTTOM) * bps / top if top else 0
            when = start.strftime(LABEL_FORMAT[bucket])
            bars.append({
                # Strings: SVG wants "12.5", never the locale's "12,5".
                "x": _n(LEFT + n * slot + slot * 0.1), "width": _n(slot * 0.8),
                "y": _n(HEIGHT - BOTTOM - height), "height": _n(height),
                "label_x": _n(LEFT + n * slot + slot / 2),
                "label": when if n % label_every == 0 else "", "has_data": row is not None,
                "title": _("%(when)s: %(speed)s on average, %(bytes)s") % {
                    "when": start.strftime(KEY_FORMAT[bucket] + (":00" if bucket == "hour"
                                                                 else "")),
                    "speed": speed_text(bps),
                    "bytes": _bytes_text(row[f"{direction}_bytes"] if row else 0)},
            })
        charts[direction] = {"bars": bars, "top": speed_text(top) if top else "",
                             "width": WIDTH, "height": HEIGHT, "axis_y": HEIGHT - BOTTOM,
                             "label_y": HEIGHT - 5, "direction": direction}
    return charts


def _n(value: float) -> str:
    return f"{value:.1f}"


def _bytes_text(count: int) -> str:
    from django.template.defaultfilters import filesizeformat

    return str(filesizeformat(count))
