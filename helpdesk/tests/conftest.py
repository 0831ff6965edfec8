"""The helpdesk tests' fixtures, one module per part (real servers start once per run)."""

import importlib

PARTS = ("tok", "cases", "sla", "routing", "mail", "panel", "reports", "schedule")

for _part in PARTS:
    try:
        _module = importlib.import_module(f"helpdesk.tests.fixtures_{_part}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"helpdesk.tests.fixtures_{_part}":
            raise
        continue
    globals().update({k: v for k, v in vars(_module).items() if not k.startswith("_")})
