"""REST API of the finance app: every part registers its viewsets on the one router."""

from . import bank, billing, exports, ledger


def register(router) -> None:
    for part in (ledger, billing, bank, exports):
        part.register(router)
