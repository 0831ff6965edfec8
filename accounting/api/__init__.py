"""The accounting app's API under /api/v1/: each part registers its viewsets."""

import importlib

PARTS = ('jpk', 'registers', 'debtors')


def register(router) -> None:
    for part in PARTS:
        importlib.import_module(f"accounting.api.{part}").register(router)
