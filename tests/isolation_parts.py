"""Tenant A's objects of the apps built in parts, for the isolation walk
(tests/test_tenant_isolation.py).

Each part of such an app has ``<app>/tests/isolation_<part>.py`` with ``build(objects, *,
tenant, staff, customer)`` that creates one of each of its objects through its services
and puts them in ``objects`` under the model's lower-case name ("interaction", "case"…).
Use distinctive strings ending in "Alfa" (they are searched for in tenant B's pages). A
part without such a module has nothing to add.
"""

import importlib

PARTS = {
    "helpdesk": ("tok", "cases", "sla", "routing", "mail", "panel", "reports", "schedule"),
    "ksef": ("client", "pipeline", "offline"),
    "accounting": ("jpk", "registers", "debtors"),
    "lmsimport": ("runs",),
    "voip": ("phones",),
    "warehouse": ("catalog", "olt", "card"),
}


def parts_objects_build(objects: dict, *, tenant, staff, customer) -> None:
    for app, parts in PARTS.items():
        for part in parts:
            name = f"{app}.tests.isolation_{part}"
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            module.build(objects, tenant=tenant, staff=staff, customer=customer)
