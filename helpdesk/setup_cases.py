"""Registrations of the helpdesk's cases part (called from helpdesk.setup)."""


def ready() -> None:
    pass
