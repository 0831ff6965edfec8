"""API of the helpdesk's cases part."""


def register(router) -> None:
    pass
