"""Registrations of the ksef app's client part (called from ksef.setup).

The client part is a library and a test server: no models, tenant settings, sections or
events, so there is nothing to register. The pipeline part uses it and logs what it does."""


def ready() -> None:
    pass
