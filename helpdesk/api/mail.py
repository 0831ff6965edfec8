"""API of the helpdesk's mail part."""


def register(router) -> None:
    pass
