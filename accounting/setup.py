"""Wiring of the accounting app's parts: each part module has a ``ready()``."""

import importlib

PARTS = ('jpk', 'registers', 'debtors')


def ready() -> None:
    for part in PARTS:
        importlib.import_module(f"accounting.setup_{part}").ready()
