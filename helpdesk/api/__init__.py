"""The helpdesk's API under /api/v1/: each part registers its viewsets."""

import importlib

PARTS = ("tok", "cases", "sla", "routing", "mail", "reports", "schedule")


def register(router) -> None:
    for part in PARTS:
        importlib.import_module(f"helpdesk.api.{part}").register(router)
