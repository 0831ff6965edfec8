"""The tenant's exchanges: their AMI access and a check that logs in."""

import ipaddress
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core import netguard
from core.actionlog import N_, action_log, diff_fields

from ..models import (
    ExchangeServer,
    VoipPhone,
)
from .checks import (
    AMI_SECRET_MAX_LENGTH,
    check,
    has_control,
    int_clean,
    raise_errors,
    text_clean,
)

EXCHANGE_FIELDS = ("name", "ami_host", "ami_port", "ami_username", "is_active")


def _host_clean(value) -> str:
    host = str(value or "").strip()
    if not host:
        raise ValidationError(_("Give the exchange's address."))
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        pass
    else:
        netguard.host_check(address, what=_("the exchange"))  # the platform's own: refused
        return address
    if not netguard.hostname_valid(host):  # the platform's one rule of a host name
        raise ValidationError(_("“%(h)s” is neither an IP address nor a host name.")
                              % {"h": host[:60]})
    return host.lower()


def _username_clean(value) -> str:
    name = text_clean(value, max_length=80, empty=_("Give the AMI user name."))
    if any(ch.isspace() for ch in name):
        raise ValidationError(_("An AMI user name has no spaces."))
    return name


def _secret_clean(value) -> str:
    secret = str(value or "")
    if not secret:
        raise ValidationError(_("Give the AMI secret."))
    if len(secret) > AMI_SECRET_MAX_LENGTH:
        raise ValidationError(_("At most %(n)s characters.") % {"n": AMI_SECRET_MAX_LENGTH})
    if has_control(secret):
        # AMI has no escaping: a line break would end the Secret header.
        raise ValidationError(_("Control characters (a line break, a tab) are not allowed."))
    return secret


def _exchange_values(values: dict) -> dict:
    checks = {
        "name": lambda v: text_clean(v, max_length=100,
                                      empty=_("Give the exchange a name.")),
        "ami_host": _host_clean,
        "ami_port": lambda v: int_clean(v, 1, 65535),
        "ami_username": _username_clean,
        "ami_secret": _secret_clean,
        "is_active": bool,
    }
    errors: dict = {}
    clean = {key: check(errors, key, checks[key], value) for key, value in values.items()}
    raise_errors(errors)
    return clean


def _exchange_name_free(name: str, *, exclude_pk=None) -> None:
    if ExchangeServer.objects.filter(name=name).exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": [_("An exchange of this name exists.")]})


def exchange_server_create(*, actor, name: str, ami_host: str, ami_port=5038,
                           ami_username: str, ami_secret: str) -> ExchangeServer:
    """An exchange of the tenant and its AMI access; the secret is kept encrypted and
    never written to the action log."""
    clean = _exchange_values({"name": name, "ami_host": ami_host, "ami_port": ami_port,
                              "ami_username": ami_username, "ami_secret": ami_secret})
    with transaction.atomic():
        _exchange_name_free(clean["name"])
        try:
            with transaction.atomic():
                server = ExchangeServer.objects.create(**clean)
        except IntegrityError:
            raise ValidationError({"name": [_("An exchange of this name exists.")]}) from None
        action_log(actor=actor, kind="exchangeserver.add",
                   message=N_("Exchange %(e)s added"), params={"e": server.name},
                   changes={k: [None, getattr(server, k)] for k in EXCHANGE_FIELDS
                            if k not in ("name", "is_active")})
    return server


def exchange_server_update(*, actor, server: ExchangeServer, name: str | None = None,
                           ami_host: str | None = None, ami_port=None,
                           ami_username: str | None = None, ami_secret: str | None = None,
                           is_active: bool | None = None) -> ExchangeServer:
    """Change an exchange; a value left None stays, and so does the secret when it is
    None or empty (the form never shows it) — unless the host or the port changes: then
    the secret must be typed again (it is never sent to a new address unasked); typed,
    it is given even when it is the one kept. Locks the exchange."""
    given = {"name": name, "ami_host": ami_host, "ami_port": ami_port,
             "ami_username": ami_username, "ami_secret": ami_secret or None,
             "is_active": is_active}
    clean = _exchange_values({k: v for k, v in given.items() if v is not None})
    with transaction.atomic():
        server = ExchangeServer.objects.select_for_update().get(pk=server.pk)
        if "name" in clean:
            _exchange_name_free(clean["name"], exclude_pk=server.pk)
        before = {k: getattr(server, k) for k in (*EXCHANGE_FIELDS, "ami_secret")}
        for key, value in clean.items():
            setattr(server, key, value)
        changes = diff_fields(server, before, EXCHANGE_FIELDS)
        secret_changed = before["ami_secret"] != server.ami_secret
        moved = server.ami_host != before["ami_host"] or server.ami_port != before["ami_port"]
        # typed now (the same as kept or not): staff send it to the new address knowingly
        if moved and "ami_secret" not in clean:
            # The kept secret would be sent to whatever now answers there.
            raise ValidationError({"ami_secret": [_(
                "The exchange's address changed: type its AMI secret again.")]})
        if changes or secret_changed:
            server.save()
            if secret_changed:
                changes["ami_secret"] = ["•••", "•••"]
            action_log(actor=actor, kind="exchangeserver.change",
                       message=N_("Exchange %(e)s changed"), params={"e": server.name},
                       changes=changes)
    return server


def exchange_server_delete_refusal(server: ExchangeServer) -> str:
    phones = VoipPhone.objects.filter(server=server).count()
    if phones:
        return _("%(n)s phones register with this exchange; move them to another one "
                 "first.") % {"n": phones}
    return ""


def exchange_server_delete(*, actor, server: ExchangeServer) -> None:
    """Delete an exchange no phone uses. Locks the exchange."""
    with transaction.atomic():
        server = ExchangeServer.objects.select_for_update().get(pk=server.pk)
        refusal = exchange_server_delete_refusal(server)
        if refusal:
            raise ValidationError(refusal)
        name = server.name
        try:
            with transaction.atomic():
                server.delete()
        except IntegrityError:  # a phone given this exchange meanwhile
            raise ValidationError(_("A phone uses this exchange now; it is kept.")) from None
        action_log(actor=actor, kind="exchangeserver.delete",
                   message=N_("Exchange %(e)s deleted"), params={"e": name})


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


# An endpoint no exchange has: asking for it proves the login and the permission to read
# endpoints, which a phone's window needs, without touching any phone.
CHECK_ENDPOINT = "abonent-connection-check"


def exchange_server_check(*, server: ExchangeServer, timeout: float = 5.0) -> ConnectionCheck:
    """Log in to the exchange's AMI and ask for an endpoint (what a phone's window does):
    the result for staff. Talks to the network: never call it inside a transaction."""
    from .. import ami

    address = f"{server.ami_host}:{server.ami_port}"
    try:
        ami.phone_status(host=server.ami_host, port=server.ami_port,
                         username=server.ami_username, secret=server.ami_secret,
                         endpoint=CHECK_ENDPOINT, timeout=timeout)
    except ami.AmiEndpointNotFound:
        pass  # logged in and answered: the endpoint is ours to make up
    except ami.AmiError as exc:
        return ConnectionCheck(False, str(exc))
    return ConnectionCheck(True, _("Logged in to the exchange at %(a)s as %(u)s; it answers.")
                           % {"a": address, "u": server.ami_username})

