"""Registrations of the helpdesk's routing part (called from helpdesk.setup)."""


def ready() -> None:
    pass
