"""Registrations of the helpdesk's mail part (called from helpdesk.setup)."""


def ready() -> None:
    pass
