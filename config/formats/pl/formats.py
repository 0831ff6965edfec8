"""Polish formats, one per kind everywhere (screens and PDFs): 03.12.2026, 03.12.2026 14:05,
1 234,56 zł (a non-breaking space between thousands and before "zł": core.templatetags.money).

Django's own Polish module mixes "3 grudnia 2026" and "03-12-2026"; an ISP's office writes
dates as on its documents. Input accepts the same form and ISO (what ``<input type="date">``
sends).
"""

DATE_FORMAT = "d.m.Y"
SHORT_DATE_FORMAT = "d.m.Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d.m.Y H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j E"
FIRST_DAY_OF_WEEK = 1  # Monday

DATE_INPUT_FORMATS = [
    "%d.%m.%Y",  # '03.12.2026'
    "%Y-%m-%d",  # '2026-12-03' (ISO: the date input, the API)
    "%d.%m.%y",  # '03.12.26'
]
DATETIME_INPUT_FORMATS = [
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",  # <input type="datetime-local">
    "%d.%m.%Y",
    "%Y-%m-%d",
]

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # non-breaking space: 1 234,56 never wraps
NUMBER_GROUPING = 3
