"""Throttling of the customer panel's login ("panel klienta"), used by
``customers.services.panel_authenticate`` and the services that lift a lock.

Two locks refuse a panel login:

- The account's own: ``customer.panel_max_attempts`` wrong secrets lock it for
  ``customer.panel_lock_minutes`` (tenant settings). The panel does not tell it: a locked
  account answers as a wrong password does, so the page tells nobody which logins exist
  or are locked. Staff see and lift it on the card; a new password or PIN lifts it too.
- The client address's: ``PANEL_LOGIN_ADDRESS_FAILURE_LIMIT`` failed logins (unknown
  logins, wrong secrets, tries on a locked account) from one address within
  ``PANEL_LOGIN_ADDRESS_COOLOFF_MINUTES``, over all ISPs, refuse that address until the
  cool-off after its last failure. The panel says so: it tells nothing of any account.
  Refused attempts are not counted, so the lock ends when the page says.

The address is ``core.access.login_client_address`` (``TRUSTED_PROXY_COUNT``; an IPv6
client by its /64 network). Failures are rows of ``PanelAddressFailure`` in PostgreSQL, so
every process and server counts the same; attempts from one address are taken one at a
time (an advisory lock for the transaction), so a burst of guesses sent at once gets no
more tries than the same guesses sent one by one.

Every answer but the address lock's costs the same hashes (``secrets_check``): how many
depends on the typed secret alone, never on the login — the password slot always, the PIN
slot too when the secret has the shape of a PIN, a dummy hash with the current hasher
standing in for an empty slot or an unknown login. An unknown login takes as long as a
known one.
"""

import zlib
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import OperationalError, connection
from django.db.models import Count, Max
from django.utils.crypto import get_random_string

from core.tenancy import current_tenant
from core.tenant_settings import REGISTRY

from .models import PanelAddressFailure

ADDRESS_LOCK_CLASS = 0x504C  # advisory lock namespace of panel logins by address ("PL")
WAIT = "5s"
LOCK_NOT_AVAILABLE = "55P03"


class AddressBusy(Exception):
    """Another login from the same address held it longer than ``WAIT``."""


def cool_off() -> timedelta:
    return timedelta(minutes=settings.PANEL_LOGIN_ADDRESS_COOLOFF_MINUTES)


@lru_cache
def _dummy_hash(hasher: str) -> str:
    return make_password(get_random_string(32))


def _check(secret: str, encoded: str) -> bool:
    """``check_password`` that costs one hash also when there is nothing to check against."""
    matches = check_password(secret, encoded or _dummy_hash(settings.PASSWORD_HASHERS[0]))
    return matches and bool(encoded)


def _pin_shaped(secret: str) -> bool:
    """Digits as many as any PIN has (``customer.pin_length``, whatever a tenant chose
    when the PIN was made)."""
    length = REGISTRY["customer.pin_length"]
    return secret.isascii() and secret.isdigit() \
        and length.min_value <= len(secret) <= length.max_value


def secrets_check(secret: str, *, password_hash: str, pin_hash: str) -> tuple[bool, bool]:
    """Whether ``secret`` is the password, and whether it is the PIN. Hashes once, twice for
    a secret shaped as a PIN: a password login pays for one hash, and the cost tells
    nothing of the account."""
    password_ok = _check(secret, password_hash)
    pin_ok = _check(secret, pin_hash) if _pin_shaped(secret) else False
    return password_ok, pin_ok


def address_serialize(address: str | None) -> None:
    """Wait for the other logins from ``address`` to end (PostgreSQL; inside the login's
    transaction, which holds the lock to its end). Raises ``AddressBusy`` after ``WAIT``:
    the transaction is then broken and must be left."""
    if address is None or connection.vendor != "postgresql":
        return
    key = zlib.crc32(address.encode()) - 2**31
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('lock_timeout')")
        (previous,) = cursor.fetchone()
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [WAIT])
        try:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADDRESS_LOCK_CLASS, key])
        except OperationalError as e:
            if getattr(e.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                raise AddressBusy(address) from e
            raise
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def address_lock_until(*, address: str | None, now: datetime) -> datetime | None:
    """When the lock on ``address`` ends, or None if it is not locked. Queries: one."""
    if address is None:
        return None
    row = (PanelAddressFailure.objects.filter(address=address, at__gte=now - cool_off())
           .aggregate(n=Count("id"), last=Max("at")))
    if row["n"] >= settings.PANEL_LOGIN_ADDRESS_FAILURE_LIMIT:
        return row["last"] + cool_off()
    return None


def address_failure_record(*, login: str, address: str | None, now: datetime) -> None:
    """Count a failed login on ``login`` (of the active tenant) against ``address``."""
    if address is None:
        return
    # Failures older than the cool-off count no more: the table keeps only the live ones.
    PanelAddressFailure.objects.filter(at__lt=now - cool_off()).delete()
    PanelAddressFailure.objects.create(tenant=current_tenant(), login=login.lower()[:50],
                                       address=address, at=now)


def address_failures_forget(*, login: str, address: str | None = None) -> int:
    """Forgive the failures on ``login`` of the active tenant (from ``address`` only, if
    given); failures on other logins still count. Returns how many were forgiven."""
    failures = PanelAddressFailure.objects.filter(tenant=current_tenant(),
                                                  login=login.lower()[:50])
    if address is not None:
        failures = failures.filter(address=address)
    deleted, _by_model = failures.delete()
    return deleted
