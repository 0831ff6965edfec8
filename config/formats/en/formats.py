"""English formats: ISO dates (2026-12-03, 2026-12-03 14:05) and a 24-hour clock, amounts as
"PLN 1,234.56" (core.templatetags.money).

ISO rather than Django's US forms ("Dec. 3, 2026", "12/03/2026"): the English UI is read
in Poland next to Polish documents, where 03/12 would be ambiguous between the US and
British orders; ISO is read the same way by everyone.
"""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "F j"
FIRST_DAY_OF_WEEK = 1  # Monday, as in Poland

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # '2026-12-03' (ISO: the date input, the API)
    "%d.%m.%Y",  # '03.12.2026', as on Polish documents
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",  # <input type="datetime-local">
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%d",
    "%d.%m.%Y",
]

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
