"""The ksef tests' fixtures, one module per part (real servers start once per run)."""

import importlib

PARTS = ('client', 'pipeline', 'offline')

for _part in PARTS:
    try:
        _module = importlib.import_module(f"ksef.tests.fixtures_{_part}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"ksef.tests.fixtures_{_part}":
            raise
        continue
    globals().update({k: v for k, v in vars(_module).items() if not k.startswith("_")})
