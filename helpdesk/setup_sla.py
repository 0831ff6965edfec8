"""Registrations of the helpdesk's sla part (called from helpdesk.setup)."""


def ready() -> None:
    pass
