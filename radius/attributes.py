"""What a login sends to the NAS: the one place that computes it.

``login_snapshot`` turns a login (its tariff, block, temporary speed and extra attribute
rows) into the JSON FreeRADIUS's rlm_rest understands; services store it on
``Login.radius_snapshot`` in the transaction that changes any input, and the authorize
endpoint serves it as is. Nothing else builds reply attributes, so the stored snapshot and
a fresh computation cannot disagree. Inputs that change with the calendar (a subscription
starting or ending, a suspension, a temporary speed running out) are refreshed by the
periodic tasks (``radius.services.states``).

Speeds (kbit/s) per NAS type, every attribute one of FreeRADIUS's dictionaries:

* MikroTik: ``Mikrotik-Rate-Limit = "<upload>k/<download>k"`` (rx/tx as the router sees
  them: what it receives from the subscriber is the upload);
* accel-ppp: ``Filter-Id = "<download>/<upload>"``, the format of accel-ppp's shaper
  (``[shaper] attr=Filter-Id``, kbit/s);
* Cisco IOS: two ``Cisco-AVPair`` ``lcp:interface-config`` lines with ``rate-limit input``
  (upload) and ``rate-limit output`` (download) in bit/s, bursts of 1.5 s (normal) and 3 s;
* Juniper (ERX/JUNOS): ``ERX-Ingress-Policy-Name = "up-<upload>k"`` and
  ``ERX-Egress-Policy-Name = "down-<download>k"``: the router holds policers/filters of
  those names (ingress: from the subscriber);
* any other NAS: ``WISPr-Bandwidth-Max-Down``/``-Up`` in bit/s.

A blocked login (by staff, for debt) or one whose tariff is suspended today gets the
tenant's block profile (setting ``computer.block_attributes``) instead of any speed.
"""

import re
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# The snapshot's shape (``Login.radius_snapshot``)::
#
#     {"reply": {"reply:Framed-IP-Address": {...}, ...},      # for every NAS
#      "by_kind": {"mikrotik": {"reply:Mikrotik-Rate-Limit": {...}}, ...},  # per NAS type
#      "nas_ips": ["10.0.0.1", ...]}                           # empty: any NAS
#
# ``reply_for_nas`` is the one merge of the two, used by authorize and by the CoA.

# Only reply attributes, by plain dictionary name: an operator cannot reach the control
# list (Auth-Type, Cleartext-Password) or FreeRADIUS's xlat through an extra attribute.
ATTRIBUTE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,63}")

NAS_KINDS = ("mikrotik", "cisco", "juniper", "accel-ppp", "generic")
# Attributes a NAS takes several of: the login's own rows and the speed's add up.
MULTI_VALUED = {"Cisco-AVPair"}
# WISPr speeds are 32-bit integers (bit/s).
_UINT32_MAX = 2**32 - 1


def _entry(op: str, *values) -> dict:
    return {"op": op, "value": [str(v) for v in values], "do_xlat": False}


def speed_attributes(download_kbps: int, upload_kbps: int) -> dict[str, dict]:
    """The speed attributes per NAS type (``NAS_KINDS``) for the given kbit/s."""
    down_bps, up_bps = download_kbps * 1000, upload_kbps * 1000

    def cisco(direction: str, bps: int, index: int) -> str:
        normal = max(8000, bps * 3 // 16)  # bytes: 1.5 s of traffic, Cisco's rule of thumb
        return (f"lcp:interface-config#{index}=rate-limit {direction} {bps} {normal} "
                f"{2 * normal} conform-action transmit exceed-action drop")

    return {
        "mikrotik": {"reply:Mikrotik-Rate-Limit": _entry(
            ":=", f"{upload_kbps}k/{download_kbps}k")},
        "accel-ppp": {"reply:Filter-Id": _entry(":=", f"{download_kbps}/{upload_kbps}")},
        "cisco": {"reply:Cisco-AVPair": _entry(
            "+=", cisco("input", up_bps, 1), cisco("output", down_bps, 2))},
        "juniper": {"reply:ERX-Ingress-Policy-Name": _entry(":=", f"up-{upload_kbps}k"),
                    "reply:ERX-Egress-Policy-Name": _entry(":=", f"down-{download_kbps}k")},
        "generic": {"reply:WISPr-Bandwidth-Max-Down": _entry(
                        ":=", min(down_bps, _UINT32_MAX)),
                    "reply:WISPr-Bandwidth-Max-Up": _entry(":=", min(up_bps, _UINT32_MAX))},
    }


def block_profile_parse(text: str) -> list[tuple[str, str, str]]:
    """``computer.block_attributes``: "Attribute op value" rows, one a line or separated
    by ";" (the settings page has a one-line field). Raises ``ValidationError``."""
    from .validators import clean_attribute

    rows = []
    for number, line in enumerate(re.split(r"[;\n]", text or ""), start=1):
        line = line.strip()
        if not line:
            continue
        parts = line.split(None, 2)
        if len(parts) != 3:
            raise ValidationError(_("Row %(n)s (“%(row)s”): write “Attribute := value”.")
                                  % {"n": number, "row": line})
        try:
            rows.append(clean_attribute(*parts))
        except ValidationError as e:
            raise ValidationError(_("Row %(n)s: %(error)s")
                                  % {"n": number, "error": " ".join(e.messages)}) from None
    return rows


def block_profile_validate(text: str) -> str:
    """The setting's validator: the rows as they will be stored ("A := v; B += w")."""
    return "; ".join(" ".join(row) for row in block_profile_parse(text))


def login_speed(login, *, today: date | None = None,
                now: datetime | None = None) -> tuple[int, int] | None:
    """(download, upload) kbit/s the login gets now: the temporary speed until it ends,
    else its current subscription's tariff; None: no limit to send."""
    now = now or timezone.now()
    if login.temp_speed_until is not None and login.temp_speed_until > now:
        return login.temp_download_kbps, login.temp_upload_kbps
    subscription = login.subscription
    if subscription is None or not _current(subscription, today or timezone.localdate()):
        return None
    tariff = subscription.tariff
    if tariff.download_kbps and tariff.upload_kbps:
        return tariff.download_kbps, tariff.upload_kbps
    return None


def _current(subscription, today: date) -> bool:
    return subscription.start_date <= today and (
        subscription.end_date is None or subscription.end_date >= today)


def login_suspended(login, *, today: date | None = None) -> bool:
    """Whether the login's tariff is suspended today (``finance.Suspension``)."""
    if login.subscription is None:
        return False
    today = today or timezone.localdate()
    return any(s.date_from <= today <= s.date_to for s in login.subscription.suspensions.all())


def _add_rows(reply: dict[str, dict], rows) -> dict[str, dict]:
    """Add (attribute, op, value) rows to ``reply``; a repeated attribute gains a value."""
    for name, op, value in rows:
        key = f"reply:{name}"
        if key in reply:
            reply[key]["value"].append(value)
        else:
            reply[key] = _entry(op, value)
    return reply


# Reply attributes other apps add to a login while something of theirs lasts (a device
# message's redirect until the customer reads it). A provider is ``fn(logins)`` → ``{login
# id: [(attribute, op, value), ...]}`` for the given ``Login`` rows, a fixed number of
# queries for any number of them; apps register theirs in ``ready()``. The radius app
# never imports them: it asks the registry whenever it computes a snapshot.
_EXTRA_PROVIDERS: list = []


def register_extra_attributes(provider) -> None:
    """Add ``provider`` (see above); registering the same one twice is harmless."""
    if provider not in _EXTRA_PROVIDERS:
        _EXTRA_PROVIDERS.append(provider)


def extra_attributes(logins) -> dict[int, list[tuple[str, str, str]]]:
    """The rows every registered provider adds to ``logins``, by login id."""
    logins = list(logins)
    extra: dict[int, list[tuple[str, str, str]]] = {}
    if not logins:
        return extra
    for provider in _EXTRA_PROVIDERS:
        for login_id, rows in provider(logins).items():
            extra.setdefault(login_id, []).extend(rows)
    return extra


def login_snapshot(login, attributes, *, block_profile=None, today: date | None = None,
                   now: datetime | None = None, extra=()) -> dict:
    """The snapshot (shape above) of ``login``.

    ``attributes``: the login's ``LoginAttribute`` rows in order. Values never go through
    FreeRADIUS's xlat (``do_xlat: false``): they are data typed by people. A row typed for
    the login wins over the tariff's speed of the same attribute (``Cisco-AVPair`` rows add
    up). ``block_profile``: parsed rows (``block_profile_parse``); read from the tenant's
    setting when not given. Reads ``login.subscription.tariff`` and its suspensions:
    callers refreshing many logins select/prefetch them. ``extra``: the rows other apps
    add (``extra_attributes``), after the login's own (a repeated attribute gains a
    value); a block profile still replaces them.
    """
    reply: dict[str, dict] = {}
    if login.ip:
        reply["reply:Framed-IP-Address"] = _entry(":=", login.ip)
    _add_rows(reply, ((a.attribute, a.op, a.value) for a in attributes))
    _add_rows(reply, extra)
    by_kind: dict[str, dict] = {}
    if login.block or login_suspended(login, today=today):
        if block_profile is None:
            from core.tenant_settings import setting_get

            block_profile = block_profile_parse(setting_get("computer.block_attributes"))
        reply.update(_add_rows({}, block_profile))
    else:
        speed = login_speed(login, today=today, now=now)
        if speed is not None:
            for kind, speed_reply in speed_attributes(*speed).items():
                for key, entry in speed_reply.items():
                    own = reply.get(key)
                    if own is None:
                        continue
                    if key.split(":", 1)[1] in MULTI_VALUED:
                        speed_reply[key] = {**own, "value": own["value"] + entry["value"]}
                    else:
                        speed_reply[key] = own
                by_kind[kind] = speed_reply
    return {"reply": reply, "by_kind": by_kind,
            "nas_ips": sorted(nas.ip for nas in login.nases.all())}


def reply_for_nas(snapshot: dict, kind: str | None) -> dict:
    """The reply attributes for a NAS of type ``kind`` (an unknown NAS: generic)."""
    reply = dict(snapshot.get("reply", {}))
    by_kind = snapshot.get("by_kind") or {}
    reply.update(by_kind.get(kind or "generic") or by_kind.get("generic") or {})
    return reply


def rlm_rest_answer(reply: dict) -> dict:
    """``reply`` (rlm_rest's shape) as it must be written for rlm_rest to read it back
    exactly.

    FreeRADIUS 3.2's rlm_rest hands every value — ``do_xlat: false`` only skips the
    ``%{…}`` expansion — to ``fr_pair_value_from_str``, which parses it as the inside of
    a double-quoted string: ``\\\\`` becomes ``\\``, ``\\"`` ``"``, ``\\n`` a newline,
    ``\\101`` an octal byte, and a backslash at the end fails (the attribute is dropped).
    Doubling every backslash is the exact inverse of that parse, so what Abonent stores
    (passwords, attribute values, messages) is what the NAS and the pap/chap/mschap
    modules see. Only here: the CoA (pyrad) and the pages use the values as they are.
    """
    answer = {}
    for key, entry in reply.items():
        if isinstance(entry, dict):
            values = entry["value"]
            if isinstance(values, list):
                if any("\\" in value for value in values):
                    entry = {**entry, "value": [value.replace("\\", "\\\\")
                                                for value in values]}
            elif "\\" in values:
                entry = {**entry, "value": values.replace("\\", "\\\\")}
        answer[key] = entry
    return answer


def reply_removes(before: dict, after: dict, kind: str | None) -> list[str]:
    """The attributes a NAS of type ``kind`` got from snapshot ``before`` that snapshot
    ``after`` no longer sends (sorted names).

    How a NAS drops an attribute from a live session, per type: a CoA-Request sets the
    attributes it carries and leaves every other one as it was — MikroTik keeps a session's
    ``Mikrotik-Address-List`` entry until the session ends, Cisco its ``Cisco-AVPair``
    interface configuration, Juniper a policy no CoA names again, accel-ppp its
    ``Filter-Id`` shaper — and RFC 5176 has no "remove this attribute" for a CoA. So for
    every type an attribute is removed live by a Disconnect-Request: the session comes
    back at once and is authorized afresh with exactly the new attributes. An attribute
    whose value only changes (a speed, a Juniper policy replaced by another) goes by CoA;
    a generic NAS is always disconnected (``radius.services.login_reload_attempt``).
    """
    old = reply_for_nas(before or {}, kind)
    new = reply_for_nas(after or {}, kind)
    return sorted(key.split(":", 1)[1] for key in old.keys() - new.keys())
