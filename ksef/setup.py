"""Wiring of the ksef app's parts: each part module has a ``ready()``."""

import importlib

PARTS = ('client', 'pipeline', 'offline')


def ready() -> None:
    for part in PARTS:
        importlib.import_module(f"ksef.setup_{part}").ready()
