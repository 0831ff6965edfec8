"""Registrations of the ksef app's offline part (called from ksef.setup): the KOD I /
KOD II print mark on invoices and corrections, the ``ksef.outage_changed`` event, the
log kinds."""

from core import events
from core.document_hooks import register_print_mark


def _print_mark(document) -> str:
    from .offline import print_mark

    return print_mark(document)


def ready() -> None:
    from . import log_kinds_offline  # noqa: F401  (registers the kinds)

    register_print_mark("ksef.codes", _print_mark)
    if "ksef.outage_changed" not in events.EVENTS:
        events.register_event("ksef.outage_changed",
                              ("outage_id", "kind", "starts_at", "ends_at"))
