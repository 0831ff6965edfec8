"""Tenant A's ksef objects for the isolation walk (tests/test_tenant_isolation.py).

Each part has ``ksef/tests/isolation_<part>.py`` with ``build(objects, *, tenant, staff,
customer)`` that creates one of each of its objects through its services and puts them in
``objects`` under the model's lower-case name. Use distinctive strings ending in "Alfa"
(they are searched for in tenant B's pages).
"""

import importlib

PARTS = ('client', 'pipeline', 'offline')


def ksef_objects_build(objects: dict, *, tenant, staff, customer) -> None:
    for part in PARTS:
        try:
            module = importlib.import_module(f"ksef.tests.isolation_{part}")
        except ModuleNotFoundError as exc:
            if exc.name != f"ksef.tests.isolation_{part}":
                raise
            continue
        module.build(objects, tenant=tenant, staff=staff, customer=customer)
