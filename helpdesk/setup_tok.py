"""Registrations of the helpdesk's tok part (called from helpdesk.setup)."""


def ready() -> None:
    pass
