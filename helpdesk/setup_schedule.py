"""Registrations of the helpdesk's schedule part (called from helpdesk.setup)."""


def ready() -> None:
    pass
