"""The messaging app's API: each part adds its viewsets to the one router."""

from importlib import import_module


def register(router) -> None:
    for part in ("messages", "templates", "bulk", "gateways", "notices"):
        try:
            module = import_module(f"messaging.api.{part}")
        except ModuleNotFoundError as e:  # TEMPORARY while the parts are written
            if e.name != f"messaging.api.{part}":
                raise
            continue
        module.register(router)
