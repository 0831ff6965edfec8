"""Wiring of the helpdesk's parts: each part module has a ``ready()`` that registers its
tenant settings, card sections, sidebar actions, event handlers and log kinds."""

import importlib

# One module per part; each exists with a ``ready()`` (helpdesk/setup_<part>.py).
PARTS = ("tok", "cases", "sla", "routing", "mail", "panel", "reports", "schedule")


def ready() -> None:
    for part in PARTS:
        importlib.import_module(f"helpdesk.setup_{part}").ready()
