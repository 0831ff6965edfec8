"""The accounting app's action-log kinds (found by ``core.actionlog``), one module per part."""

from . import (  # noqa: F401
    log_kinds_debtors,
    log_kinds_jpk,
    log_kinds_registers,
)
