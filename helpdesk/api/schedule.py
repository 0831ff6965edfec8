"""API of the helpdesk's schedule part."""


def register(router) -> None:
    pass
