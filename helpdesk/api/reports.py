"""API of the helpdesk's reports part."""


def register(router) -> None:
    pass
