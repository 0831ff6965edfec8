"""Registrations of the helpdesk's routing part (called from helpdesk.setup)."""


def ready() -> None:
    from . import log_kinds_routing  # noqa: F401  (the action log's kinds of this part)
