"""``{{ login.temp_download_kbps|kbps }}``: a speed in kbit/s for people ("50 Mbit/s")."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def kbps(value) -> str:
    """kbit/s as Mbit/s when a whole number of them (50000 → "50 Mbit/s"), else as typed
    ("1500 kbit/s" → "1,5 Mbit/s" in Polish)."""
    if value in (None, ""):
        return "–"
    value = int(value)
    if value >= 1000:
        mbit = value / 1000
        text = str(value // 1000) if value % 1000 == 0 else number_format(mbit, 1)
        return f"{text} Mbit/s"
    return f"{value} kbit/s"
