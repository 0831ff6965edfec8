"""How an SMS text is counted: the alphabet it needs and the parts it is sent in.

GSM 03.38: a text that uses only the GSM-7 default alphabet (and its extension table,
whose characters take two septets: ``^{}\\[~]|€`` and form feed) is sent as GSM-7 — 160
characters in one part, 153 per part when concatenated (the UDH takes 7; an extension
character is never split between two parts, so a part may hold 152). Any other
character (Polish "ą", "ł", an emoji) sends the whole text as UCS-2: 70 in one part, 67
per part; a character outside the BMP (most emoji) takes two UCS-2 units (which may be
split between parts: Kannel splits UCS-2 by units). The same rule
is in ``static/messaging/sms_counter.js`` for the counter shown while typing.
"""

from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
_BASIC = frozenset(GSM7_BASIC) - {"\x1b"}
_EXTENDED = frozenset(GSM7_EXTENDED)


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or 16-bit units (UCS-2)
    parts: int
    per_part: int  # what one part holds in this text's encoding and length
    remaining: int  # units left in the last part


def is_gsm7(text: str) -> bool:
    return all(c in _BASIC or c in _EXTENDED for c in text)


def segments(text: str) -> Segments:
    if is_gsm7(text):
        units = sum(2 if c in _EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
        single, multi, encoding = 70, 67, "UCS-2"
    if units <= single:
        parts = 1 if units else 0
        return Segments(encoding=encoding, units=units, parts=parts, per_part=single,
                        remaining=single - units)
    if encoding == "UCS-2":
        parts = -(-units // multi)
        return Segments(encoding=encoding, units=units, parts=parts, per_part=multi,
                        remaining=parts * multi - units)
    # GSM-7 parts: an extension character (escape + character) is never split between
    # two parts (GSM 03.40; Kannel does so), so a part may end one septet short.
    parts, used = 1, 0
    for c in text:
        cost = 2 if c in _EXTENDED else 1
        if used + cost > multi:
            parts, used = parts + 1, 0
        used += cost
    return Segments(encoding=encoding, units=units, parts=parts, per_part=multi,
                    remaining=multi - used)
