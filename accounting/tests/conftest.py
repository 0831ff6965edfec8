"""The accounting tests' fixtures, one module per part (real servers start once per run)."""

import importlib

PARTS = ('jpk', 'registers', 'debtors')

for _part in PARTS:
    try:
        _module = importlib.import_module(f"accounting.tests.fixtures_{_part}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"accounting.tests.fixtures_{_part}":
            raise
        continue
    globals().update({k: v for k, v in vars(_module).items() if not k.startswith("_")})
