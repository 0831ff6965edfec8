"""API of the helpdesk's sla part."""


def register(router) -> None:
    pass
