"""API of the helpdesk's tok part."""


def register(router) -> None:
    pass
