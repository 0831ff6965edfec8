"""API of the helpdesk's routing part."""


def register(router) -> None:
    pass
