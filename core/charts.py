"""Charts for staff pages (the helpdesk reports, revenue per tariff), drawn on the server
as inline SVG (no JavaScript, no CDN), the way the RADIUS login charts are
(``radius/ui/charts.py``).

``column_chart`` lays out one group of columns per category (a queue, a day): side by side
(``stacked=False``) or stacked in one column (``stacked=True``), each series in its colour,
with a legend. Coordinates are strings with a decimal point: SVG wants "12.5", never the
locale's "12,5".
"""

WIDTH, HEIGHT, TOP, BOTTOM, LEFT, RIGHT = 720, 200, 16, 22, 36, 4
# Enough colours to tell eight series apart; further series share "other".
PALETTE = ("#0d6efd", "#198754", "#dc3545", "#fd7e14", "#6f42c1", "#20c997", "#ffc107",
           "#6c757d")
MAX_SERIES = len(PALETTE)


def _n(value: float) -> str:
    return f"{value:.1f}"


def _scale_top(value: int) -> int:
    """A round top of the scale at or above ``value`` (1, 2, 5 × 10ⁿ)."""
    if value <= 0:
        return 0
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def series_limit(series: list[tuple[str, list[int]]], other_name: str):
    """At most ``MAX_SERIES`` series: the first ones kept, the rest summed as "other"."""
    if len(series) <= MAX_SERIES:
        return series
    kept = series[:MAX_SERIES - 1]
    rest = series[MAX_SERIES - 1:]
    summed = [sum(values[n] for _name, values in rest) for n in range(len(rest[0][1]))]
    return [*kept, (other_name, summed)]


def column_chart(categories: list[str], series: list[tuple[str, list[int]]], *,
                 stacked: bool = False, max_labels: int = 15) -> dict:
    """The chart for ``helpdesk/reports/_chart.html``: its columns (x, y, width, height,
    colour, title), the category labels (at most ``max_labels`` shown) and the legend.
    ``series``: ``(name, one value per category)``, at most ``MAX_SERIES`` (see
    ``series_limit``)."""
    series = series[:MAX_SERIES]
    if stacked:
        top_value = max((sum(values[n] for _name, values in series)
                         for n in range(len(categories))), default=0)
    else:
        top_value = max((v for _name, values in series for v in values), default=0)
    top = _scale_top(top_value)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(categories), 1)
    per_slot = 1 if stacked else max(len(series), 1)
    column_width = slot * 0.8 / per_slot
    label_every = max(1, -(-len(categories) // max_labels))
    columns, labels = [], []
    for n, category in enumerate(categories):
        x0 = LEFT + n * slot + slot * 0.1
        base = 0
        for s, (name, values) in enumerate(series):
            value = values[n]
            if not value:
                continue
            height = plot_height * value / top if top else 0
            if stacked:
                y = HEIGHT - BOTTOM - plot_height * (base + value) / top
                x = x0
                base += value
            else:
                y = HEIGHT - BOTTOM - height
                x = x0 + s * column_width
            columns.append({"x": _n(x), "y": _n(y), "width": _n(column_width),
                            "height": _n(height), "color": PALETTE[s % len(PALETTE)],
                            "title": f"{category} · {name}: {value}"})
        if n % label_every == 0:
            labels.append({"x": _n(LEFT + n * slot + slot / 2), "text": category})
    return {
        "width": WIDTH, "height": HEIGHT, "columns": columns, "labels": labels,
        "legend": [{"name": name, "color": PALETTE[s % len(PALETTE)]}
                   for s, (name, _values) in enumerate(series)],
        "top": top, "top_y": TOP, "axis_x": LEFT, "axis_y": HEIGHT - BOTTOM,
        "label_y": HEIGHT - 6, "mid": f"{top / 2:g}" if top else None,
        "mid_y": _n(HEIGHT - BOTTOM - plot_height / 2), "scale_x": LEFT - 4,
        "empty": not columns,
    }
