"""The tenant's gateways (its SMTP server, its SMS gateway): every write, validated.

One gateway per tenant and channel. The password (or the provider's token) is encrypted at
rest by the model field and write-only here: a form or an API call that leaves it empty
keeps the stored one, and nothing shows it back — not the pages, not the API, not the
action log (which says only that it changed).

``dlr_secret`` is what a gateway must present when it reports a delivery status back (the
DLR / status-callback URL, ``gateway_dlr_url``): generated when the gateway is created,
rotated on demand (reports carrying the old secret are refused from then on).
"""

import re
import secrets
import uuid
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator, validate_ipv46_address
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core import netguard
from core.actionlog import action_log, diff_fields, sentence

from .models import Channel, Gateway

# The kinds of gateway each channel can use.
KINDS: dict[str, tuple[str, ...]] = {
    Channel.EMAIL: (Gateway.Kind.SMTP,),
    Channel.SMS: (Gateway.Kind.KANNEL, Gateway.Kind.HTTP_SMS),
}
DEFAULT_PORT = {Gateway.Kind.SMTP: 587}
RATE_MAX = 10_000
# What the log may show of a change; the password is never among them.
LOGGED = ("kind", "host", "port", "url", "username", "use_tls", "use_ssl", "from_address",
          "rate_per_second")

# An SMS sender: a name of up to 11 letters and digits (operators' rule) or a number.
_SMS_SENDER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .\-]{0,10}|\+?[0-9]{3,15}")


# The webhook each SMS kind reports to (``messaging.urls_sms``); e-mail has none.
REPORT_VIEWS = {Gateway.Kind.KANNEL: "dlr_kannel", Gateway.Kind.HTTP_SMS: "sms_status"}


def dlr_secret_new() -> str:
    return secrets.token_urlsafe(32)


def gateway_report_url(gateway: Gateway) -> str:
    """The address the gateway reports delivery to, with the tenant's secret; ``{key}``
    stands for each attempt's key (the gateway is given the whole address with every
    message). Empty for a kind without reports."""
    from .gateways.kannel import report_url

    view = REPORT_VIEWS.get(gateway.kind)
    if view is None:
        return ""
    sample = uuid.UUID(int=0)
    return report_url(gateway, SimpleNamespace(key=sample), view).replace(str(sample), "{key}")


def _host_valid(host: str) -> bool:
    """An IP address, or a host name by the platform's one rule
    (``core.netguard.hostname_valid``)."""
    try:
        validate_ipv46_address(host)
        return True
    except ValidationError:
        return netguard.hostname_valid(host)


def gateway_clean(*, channel: str, kind: str, host: str = "", port=None, url: str = "",
                  username: str = "", password: str = "", use_tls: bool = False,
                  use_ssl: bool = False, from_address: str = "", rate_per_second=50,
                  options: dict | None = None, existing: Gateway | None = None) -> dict:
    """The fields as stored, checked for the kind: the one rule for the pages and the API.
    ``password`` empty keeps ``existing``'s. Raises ``ValidationError`` by field."""
    if channel not in KINDS:
        raise ValidationError({"channel": [_("Gateways are set up for SMS and e-mail.")]})
    if kind not in KINDS[channel]:
        raise ValidationError({"kind": [_("Choose one of: %(kinds)s.") % {
            "kinds": ", ".join(str(Gateway.Kind(k).label) for k in KINDS[channel])}]})
    errors: dict[str, list] = {}
    host, url, username = (host or "").strip(), (url or "").strip(), (username or "").strip()
    from_address = (from_address or "").strip()
    password = password or ""
    for name, value in (("host", host), ("url", url), ("username", username),
                        ("password", password), ("from_address", from_address)):
        if any(c in value for c in "\r\n\0"):
            errors[name] = [_("Line breaks are not allowed here.")]
    try:
        rate = int(rate_per_second)
    except (TypeError, ValueError):
        rate = 0
    if not 1 <= rate <= RATE_MAX:
        errors["rate_per_second"] = [_("Messages per second: from 1 to %(n)s.")
                                     % {"n": RATE_MAX}]
    has_password = bool(password) or bool(existing and existing.password
                                           and existing.kind == kind)
    if kind == Gateway.Kind.SMTP:
        if not host:
            errors.setdefault("host", [_("Enter the SMTP server's host name or address.")])
        elif not _host_valid(host):
            errors.setdefault("host", [_("Enter a valid host name or IP address.")])
        if port in (None, ""):
            port = DEFAULT_PORT[kind]
        try:
            port = int(port)
        except (TypeError, ValueError):
            port = 0
        if not 1 <= port <= 65535:
            errors["port"] = [_("A port is a number from 1 to 65535.")]
        if use_tls and use_ssl:
            errors["use_ssl"] = [_("Choose STARTTLS or SSL/TLS, not both.")]
        if not from_address:
            errors.setdefault("from_address", [_("Enter the From address of the e-mails.")])
        elif "from_address" not in errors:
            try:
                EmailValidator()(from_address)
            except ValidationError:
                errors["from_address"] = [_("Enter a valid e-mail address.")]
        if password and not username:
            errors.setdefault("username", [_("A password needs a user name.")])
        url = ""
    else:
        port, use_tls, use_ssl = None, False, False
        host = ""
        if not url:
            errors.setdefault("url", [_("Enter the gateway's URL.")])
        elif "url" not in errors:
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                errors["url"] = [_("Enter a valid http:// or https:// URL.")]
            if len(url) > 500:
                errors["url"] = [_("The URL is longer than 500 characters.")]
        if kind == Gateway.Kind.KANNEL and not username:
            errors.setdefault("username", [_("Enter Kannel's sendsms user name.")])
        if not has_password:
            errors.setdefault("password", [
                _("Enter the sendsms password.") if kind == Gateway.Kind.KANNEL
                else _("Enter the provider's API token.")])
        if from_address and "from_address" not in errors \
                and not _SMS_SENDER.fullmatch(from_address):
            errors["from_address"] = [_("A sender is a name of up to 11 letters and digits "
                                        "or a phone number.")]
    if len(username) > 200:
        errors["username"] = [_("The user name is longer than 200 characters.")]
    if len(password) > 1000:
        errors["password"] = [_("The password is longer than 1000 characters.")]
    if options is not None and not isinstance(options, dict):
        errors["options"] = [_("Options are a JSON object.")]
    if errors:
        raise ValidationError(errors)
    data = {"channel": channel, "kind": kind, "host": host, "port": port, "url": url,
            "username": username, "use_tls": bool(use_tls), "use_ssl": bool(use_ssl),
            "from_address": from_address, "rate_per_second": rate}
    if options is not None:
        data["options"] = options
    if password:
        data["password"] = password
    return data


@transaction.atomic
def gateway_create(*, actor, channel: str, kind: str, **fields) -> Gateway:
    """The tenant's gateway for ``channel``, with a new DLR secret; one per channel."""
    data = gateway_clean(channel=channel, kind=kind, **fields)
    if Gateway.objects.filter(channel=channel).exists():
        raise ValidationError({"channel": [_("A gateway for this channel is already set up; "
                                             "change it instead.")]})
    gateway = Gateway(dlr_secret=dlr_secret_new(), **data)
    try:
        with transaction.atomic():
            gateway.save()
    except IntegrityError:  # a concurrent request set it up first
        raise ValidationError({"channel": [_("A gateway for this channel is already set "
                                             "up; change it instead.")]}) from None
    action_log(actor=actor, kind="gateway.create",
               message=N_("%(channel)s gateway set up: %(kind)s"),
               params={"channel": gateway.get_channel_display(),
                       "kind": gateway.get_kind_display()})
    return gateway


@transaction.atomic
def gateway_update(*, actor, gateway: Gateway, **fields) -> Gateway:
    """Change the gateway; an empty ``password`` keeps the stored one (a new kind needs
    its own). Locks the gateway."""
    gateway = Gateway.objects.select_for_update().get(pk=gateway.pk)
    current = {f: getattr(gateway, f) for f in (*LOGGED, "options")}
    merged = {**current, **{k: v for k, v in fields.items() if v is not None}}
    merged.pop("kind")
    kind = fields.get("kind") or gateway.kind
    password = fields.get("password") or ""
    data = gateway_clean(channel=gateway.channel, existing=gateway, **{
        **merged, "kind": kind, "password": password})
    before = {f: getattr(gateway, f) for f in LOGGED}
    for name, value in data.items():
        setattr(gateway, name, value)
    changes = diff_fields(gateway, before, LOGGED)
    more = []
    if password:
        more.append(sentence(N_("The password was changed.")))
    if not changes and not more and data.get("options", gateway.options) == current["options"]:
        return gateway
    gateway.save()
    action_log(actor=actor, kind="gateway.update",
               message=N_("%(channel)s gateway changed"),
               params={"channel": gateway.get_channel_display()}, changes=changes, more=more)
    return gateway


@transaction.atomic
def gateway_dlr_rotate(*, actor, gateway: Gateway) -> Gateway:
    """A new DLR secret: reports with the old one are refused from now on."""
    gateway = Gateway.objects.select_for_update().get(pk=gateway.pk)
    gateway.dlr_secret = dlr_secret_new()
    gateway.save(update_fields=["dlr_secret", "updated_at"])
    action_log(actor=actor, kind="gateway.dlr_rotate",
               message=N_("%(channel)s gateway: new secret of the delivery report URL"),
               params={"channel": gateway.get_channel_display()})
    return gateway


@transaction.atomic
def gateway_delete(*, actor, gateway: Gateway) -> None:
    """Remove the gateway: the channel's messages wait as failed ("not set up")."""
    gateway = Gateway.objects.select_for_update().get(pk=gateway.pk)
    action_log(actor=actor, kind="gateway.delete",
               message=N_("%(channel)s gateway removed"),
               params={"channel": gateway.get_channel_display()})
    gateway.delete()
