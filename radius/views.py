"""The endpoints FreeRADIUS's rlm_rest calls (``deploy/freeradius``): lean Django views.

FreeRADIUS POSTs the request's attributes as JSON (``{"User-Name": {"type": "string",
"value": ["alice"]}, ...}``) with the tenant's key in ``X-Abonent-Key``. The HTTP status
is what rlm_rest turns into a module result (``../shared/notes/freeradius-rest.md`` §3.3):

* authorize — 200 with the reply attributes. Where Abonent can check the request itself
  (an unknown login, PAP, CHAP with a CHAP-Challenge, a DHCP authorization by MAC) it
  decides: an accept carries ``Auth-Type := Accept``, a reject is a 401 (with a
  Reply-Message for a disabled login); it logs that one answer with its reason
  (``AuthEvent.Reason``) and flags it, so the shipped site neither calls post-auth nor
  lets another module decide. Otherwise (MS-CHAP, CHAP without its challenge) the answer
  carries the password for FreeRADIUS to check, and post-auth logs the outcome: one
  outcome logged per Access-Request either way;
* every value goes out escaped for rlm_rest (``attributes.rlm_rest_answer``), so it
  arrives exactly as stored;
* accounting, post-auth — 204 when recorded; anything else (a bad key, a crash, the
  server down) makes FreeRADIUS withhold the Accounting-Response, so the NAS retries;
* a missing or wrong key is a 403 everywhere: authorize rejects, accounting retries;
* every answer is typed application/json (a 204 too): rlm_rest logs an error for a
  type it cannot parse, and that error would become the logged reason of a reject.
"""

import hashlib
import json
from datetime import UTC, datetime, timedelta
from functools import partial

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from core.models import Tenant
from core.tenancy import tenant_context

from . import access, selectors, services
from .attributes import reply_for_nas, rlm_rest_answer
from .crypto import password_proves
from .models import AuthEvent, Login

Reason = AuthEvent.Reason

KEY_HEADER = "HTTP_X_ABONENT_KEY"
# What authorize adds to the answer when it logged the accept itself; the shipped site
# (deploy/freeradius/sites-available/abonent) skips the post-auth call when it is set.
LOGGED_FLAG, LOGGED_VALUE = "control:Tmp-String-9", "abonent-logged"
RESULT_HEADER = "HTTP_X_ABONENT_RESULT"


class BadRequest(ValueError):
    pass


def _attributes(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise BadRequest("body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("body is not a JSON object")
    return body


def _value(attributes: dict, name: str, default=None):
    """The first value of attribute ``name`` as rlm_rest encodes it."""
    entry = attributes.get(name)
    if isinstance(entry, dict):
        values = entry.get("value")
        if isinstance(values, list) and values:
            return values[0]
    return default


def _string(attributes: dict, name: str, default: str | None = "") -> str | None:
    """A string attribute's first value as the NAS sent it.

    rlm_rest writes each byte of a value above 0x7f as its own ``\\u00XX`` escape, so
    JSON gives one character per byte: their Latin-1 encoding is the bytes the NAS sent,
    which are UTF-8 from any NAS that sends text. What is not UTF-8 stays as JSON gave it.
    """
    value = _value(attributes, name)
    if value is None:
        return default
    value = str(value)
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode()
    except UnicodeError:
        return value


def _int(attributes: dict, name: str) -> int:
    try:
        return max(0, int(_value(attributes, name, 0)))
    except (TypeError, ValueError):
        raise BadRequest(f"{name} is not a number") from None


_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


# FreeRADIUS writes a date in its host's local time with the zone's abbreviation
# (strftime "%b %e %Y %H:%M:%S %Z"): "Dec  3 2026 20:00:00 CET" is 19:00 UTC. The zones a
# RADIUS host is likely to run in; an abbreviation not here (ambiguous ones such as IST)
# falls back to the time of arrival, never to a guess.
_ZONES = {"UTC": 0, "GMT": 0, "UCT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "IST": None,
          "CET": 1, "CEST": 2, "MET": 1, "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3,
          "EST": -5, "EDT": -4, "CST": None, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8,
          "PDT": -7}


def _zone_offset(zone: str) -> timedelta | None:
    """The UTC offset a zone name stands for: an abbreviation, or glibc's "+03" /
    "+0530" / "-05" for a zone without one."""
    if zone[:1] in "+-" and zone[1:].isdigit() and len(zone) in (3, 5):
        sign = -1 if zone[0] == "-" else 1
        return sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5] or 0))
    hours = _ZONES.get(zone.upper())
    return None if hours is None else timedelta(hours=hours)


def _event_time(attributes: dict) -> datetime:
    """Event-Timestamp as an instant, else now less Acct-Delay-Time.

    FreeRADIUS sends "Dec  3 2026 20:00:00 CET" (its host's local time and zone) or, from
    a policy that converts it, the seconds since the epoch. Parsed by hand: ``strptime``
    cost more than the rest of an interim's parsing."""
    stamp = _value(attributes, "Event-Timestamp")
    if isinstance(stamp, int) or (isinstance(stamp, str) and stamp.isdigit()):
        try:
            return datetime.fromtimestamp(int(stamp), tz=UTC)
        except (OverflowError, OSError, ValueError):
            stamp = None
    if stamp:
        try:
            month, day, year, clock, zone = str(stamp).split()
            hour, minute, second = clock.split(":")
            offset = _zone_offset(zone)
            if offset is not None:
                return datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute),
                                int(second), tzinfo=UTC) - offset
        except (ValueError, KeyError):
            pass
    return timezone.now() - timedelta(seconds=_int(attributes, "Acct-Delay-Time"))


_tenants: dict[int, Tenant] = {}


def _tenant(tenant_id: int) -> Tenant:
    """The key's tenant as the tenant context needs it (only its id), made once."""
    tenant = _tenants.get(tenant_id)
    if tenant is None:
        tenant = _tenants[tenant_id] = Tenant(pk=tenant_id)
    return tenant


def freeradius_endpoint(view):
    """Authenticate FreeRADIUS by its key and run ``view`` in the key's tenant."""

    @csrf_exempt
    def wrapper(request):
        if request.method != "POST":
            response = JsonResponse({"error": "POST only"}, status=405)
            response["Allow"] = "POST"
            return response
        tenant_id = selectors.radius_key_tenant_id(request.META.get(KEY_HEADER, ""))
        if tenant_id is None:
            return JsonResponse({"error": "unknown FreeRADIUS key"}, status=403)
        try:
            attributes = _attributes(request)
            with tenant_context(_tenant(tenant_id)):
                return view(request, attributes)
        except BadRequest as e:
            return JsonResponse({"error": str(e)}, status=400)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _decided(log, *, accepted: bool, reason_code: str = "", reason: str = "",
             answer: dict | None = None, message: str = "") -> JsonResponse:
    """Abonent's own verdict: logged here, once, and flagged (``LOGGED_FLAG``) so the
    shipped site neither calls post-auth nor lets another module decide — an accept
    carries ``Auth-Type := Accept``, a reject is a 401 (rlm_rest: reject; with
    ``message`` as the Reply-Message the NAS shows). ``reason_code``: an
    ``AuthEvent.Reason``, ``reason`` its details."""
    log(accepted=accepted, reason_code=reason_code, reason=reason)
    if accepted:
        return JsonResponse({**answer, "control:Auth-Type": "Accept",
                             LOGGED_FLAG: LOGGED_VALUE})
    body = {LOGGED_FLAG: LOGGED_VALUE}
    if message:
        body["reply:Reply-Message"] = {"value": message, "do_xlat": False}
    return JsonResponse(rlm_rest_answer(body), status=401)


@freeradius_endpoint
def authorize(request, attributes):
    """The login's reply attributes, with Abonent's verdict where it can check the
    request (PAP, CHAP with a CHAP-Challenge, a DHCP authorization), else with the
    password for FreeRADIUS's chap and mschap to check (post-auth then logs the answer).

    A DHCP login is accepted only for a DHCP authorization, and a DHCP authorization
    only finds a DHCP login by its MAC (``radius.access``).
    """
    username = _string(attributes, "User-Name")
    nas_ip = _value(attributes, "NAS-IP-Address")
    calling = _string(attributes, "Calling-Station-Id")
    user_password = _string(attributes, "User-Password", None)
    mac = access.dhcp_mac(
        username=username, calling_station_id=calling, user_password=user_password,
        other_credential=any(name in attributes for name in access.CREDENTIALS),
        framed_protocol=_string(attributes, "Framed-Protocol"))
    row = selectors.login_authorize_get(username=username, nas_ip=nas_ip, dhcp_mac=mac)
    log = partial(services.auth_event_record, username=username, nas_ip=nas_ip,
                  login_id=row and row["id"], calling_station_id=calling)
    if row is None:
        # Decided here, not left to FreeRADIUS as "notfound": that ends in "No Auth-Type
        # found", an error in its log and a reason that names no cause.
        return _decided(log, accepted=False, reason_code=Reason.UNKNOWN_LOGIN)
    if mac is not None and row["login"] == username:
        return _decided(log, accepted=False, reason_code=Reason.NO_PASSWORD)
    if mac is None and row["auth_type"] == Login.AuthType.DHCP:
        return _decided(log, accepted=False, reason_code=Reason.DHCP_WITH_PASSWORD)
    if not row["enabled"]:
        message = row["disabled_reason"] or _("This login is disabled.")
        return _decided(log, accepted=False, reason_code=Reason.DISABLED,
                        reason=row["disabled_reason"], message=message)
    snapshot = row["radius_snapshot"]
    if snapshot.get("nas_ips") and nas_ip not in snapshot["nas_ips"]:
        return _decided(log, accepted=False, reason_code=Reason.NAS_NOT_ALLOWED,
                        reason=str(nas_ip or ""),
                        message=_("This login may not connect through this NAS."))
    answer = rlm_rest_answer(reply_for_nas(snapshot, row["nas_kind"]))
    if mac is not None:
        # A DHCP client proves nothing but its MAC: knowing the MAC is the authorization.
        return _decided(log, accepted=True, answer=answer)
    verdict = password_proves(
        row["password"], pap=user_password,
        chap=_octets(_value(attributes, "CHAP-Password")),
        chap_challenge=_octets(_value(attributes, "CHAP-Challenge")))
    if verdict is None:
        # MS-CHAP, CHAP whose challenge is the request authenticator: FreeRADIUS checks.
        answer["control:Cleartext-Password"] = rlm_rest_answer(
            {"p": {"value": row["password"], "do_xlat": False}})["p"]
        return JsonResponse(answer)
    return _decided(log, accepted=verdict, answer=answer,
                    reason_code="" if verdict else Reason.WRONG_PASSWORD)


def _octets(value) -> bytes | None:
    """An octets attribute as rlm_rest writes it ("0x0a1b…")."""
    if not isinstance(value, str) or not value.startswith("0x"):
        return None
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        return None


@freeradius_endpoint
def post_auth(request, attributes):
    """Record the answer FreeRADIUS gave: ``X-Abonent-Result`` says accept or reject."""
    accepted = request.META.get(RESULT_HEADER, "").lower() == "accept"
    # A module's complaint on the way to an accept (a realm not proxied, …) is no reason.
    reason = "" if accepted else str(_value(attributes, "Module-Failure-Message") or "")
    services.auth_event_record(
        username=_string(attributes, "User-Name"), accepted=accepted,
        reason_code="" if accepted else _post_auth_reason(reason), reason=reason,
        nas_ip=_value(attributes, "NAS-IP-Address"),
        calling_station_id=_string(attributes, "Calling-Station-Id"))
    return _no_content()


# The modules that check a password authorize handed over (Module-Failure-Message
# starts with the module's name: "mschap: MS-CHAP2-Response is incorrect").
_PASSWORD_MODULES = ("mschap:", "chap:", "pap:")


def _post_auth_reason(message: str) -> str:
    """Post-auth sees only the requests authorize left to FreeRADIUS (MS-CHAP, CHAP
    without its challenge): a reject by the module that checked the password is a wrong
    password; anything else is FreeRADIUS's own (its message is the detail)."""
    if message.startswith(_PASSWORD_MODULES):
        return Reason.WRONG_PASSWORD
    return Reason.FREERADIUS


def _no_content() -> HttpResponse:
    """204 typed as JSON: rlm_rest logs an error for any type it cannot parse
    (Django's default text/html), even on a body it does not read."""
    return HttpResponse(status=204, content_type="application/json")


@freeradius_endpoint
def accounting(request, attributes):
    """Sessions and interim samples from Start / Interim-Update / Stop / Accounting-On/Off."""
    nas_ip = _value(attributes, "NAS-IP-Address") or _value(attributes, "NAS-IPv6-Address")
    if not nas_ip:
        raise BadRequest("NAS-IP-Address is missing")
    username = _string(attributes, "User-Name")
    session_id = _string(attributes, "Acct-Session-Id")
    unique_id = _value(attributes, "Acct-Unique-Session-Id") or hashlib.md5(
        f"{nas_ip} {session_id} {username}".encode(), usedforsecurity=False).hexdigest()
    services.accounting_record(services.Accounting(
        status=str(_value(attributes, "Acct-Status-Type", "")),
        nas_ip=nas_ip,
        event_at=_event_time(attributes),
        username=username,
        unique_id=str(unique_id)[:64],
        acct_session_id=session_id,
        framed_ip=_value(attributes, "Framed-IP-Address"),
        calling_station_id=_string(attributes, "Calling-Station-Id"),
        session_time=_int(attributes, "Acct-Session-Time"),
        input_bytes=_int(attributes, "Acct-Input-Octets")
        + (_int(attributes, "Acct-Input-Gigawords") << 32),
        output_bytes=_int(attributes, "Acct-Output-Octets")
        + (_int(attributes, "Acct-Output-Gigawords") << 32),
        terminate_cause=str(_value(attributes, "Acct-Terminate-Cause", "")),
    ))
    return _no_content()
