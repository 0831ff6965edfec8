"""Registrations of the helpdesk's panel part (called from helpdesk.setup)."""


def ready() -> None:
    pass
