"""Registrations of the warehouse's ui part (called from WarehouseConfig.ready).

The staff menu's "Warehouse" ("Magazyn") is a template included by ``templates/base.html``
(``warehouse/staff/_menu.html``), as the telephony's is."""


def ready() -> None:
    from . import log_kinds_catalog  # noqa: F401  (the catalogue's action log kinds)
