"""Registrations of the helpdesk's reports part (called from helpdesk.setup)."""


def ready() -> None:
    pass
