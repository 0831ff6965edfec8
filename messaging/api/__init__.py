"""The messaging app's API: each part adds its viewsets to the one router."""

from . import bulk, gateways, messages, notices, templates


def register(router) -> None:
    for part in (messages, templates, bulk, gateways, notices):
        part.register(router)
