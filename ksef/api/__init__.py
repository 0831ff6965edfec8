"""The ksef app's API under /api/v1/: each part registers its viewsets."""

import importlib

PARTS = ('pipeline',)


def register(router) -> None:
    for part in PARTS:
        importlib.import_module(f"ksef.api.{part}").register(router)
