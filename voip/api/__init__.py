"""The telephony in /api/v1/: numbering, phones, price lists and calls (``main``),
recordings (``recordings``)."""

from . import main, recordings


def register(router) -> None:
    main.register(router)
    recordings.register(router)
