"""Every write of the warehouse's stock: the documents that move it and a serial's card.

Each document kind is posted when made (there is no draft stock): its service checks
everything first (``ValidationError`` saying what and where, nothing written), then in one
transaction locks what it changes — the serials in primary-key order, then the stock
levels, then the kind's number series — and writes the numbered document, its lines, each
serial's history (``ItemMove``), the stock levels and the action log. A form's one-time
``request_token`` posts one document however often it is sent. Callers import from here:
``from warehouse.services import issue_post``.
"""

from .base import (
    date_range,
    gpon_serial_clean,
    mac_clean,
    serial_clean,
    where_text,
)
from .inventory import inventory_post
from .issues import issue_post
from .items import item_description_set, item_login_bind
from .moves import internal_post, move_post
from .receipts import receipt_post
from .returns import return_post

__all__ = [
    "date_range",
    "gpon_serial_clean",
    "internal_post",
    "inventory_post",
    "issue_post",
    "item_description_set",
    "item_login_bind",
    "mac_clean",
    "move_post",
    "receipt_post",
    "return_post",
    "serial_clean",
    "where_text",
]
