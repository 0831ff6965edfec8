"""A phone's PJSIP registration and current calls, read from Asterisk over AMI.

Staff open a VoIP phone's window and the view calls :func:`phone_status`, a plain
synchronous function: it opens one AMI connection (panoramisk), logs in with events off,
asks ``PJSIPShowEndpoint`` and ``CoreShowChannels``, logs off and closes, all within one
deadline. Every failure comes back as an :class:`AmiError` whose ``str()`` is a message
for staff (translatable), so a view can show it instead of the status; nothing hangs and
nothing is left behind (its own event loop, closed at the end).

What panoramisk does for a long-lived connection is switched off here: it would log in
by itself, ping every 10 s and reconnect forever after a refusal or a drop. It also
decodes each TCP read on its own (a UTF-8 character split across two reads would be
lost), so the connection runs in Latin-1, which maps bytes to characters one to one, and
values are turned back into UTF-8 text here.
"""

import asyncio
import logging
import os
import re
import secrets
import socket
import time
from dataclasses import dataclass, field
from itertools import count

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from panoramisk import Manager
from panoramisk.message import Message

from core import netguard

__all__ = [
    "AmiAuthError",
    "AmiConnectionError",
    "AmiEndpointNotFound",
    "AmiError",
    "AmiPermissionError",
    "AmiProtocolError",
    "AmiTimeoutError",
    "Call",
    "Contact",
    "PhoneStatus",
    "phone_status",
]

logger = logging.getLogger(__name__)

# Byte-transparent on the wire: see the module docstring.
_WIRE_ENCODING = "latin-1"
# Asterisk writes "<unknown>" for an empty caller / connected line number or name.
_UNKNOWN = "<unknown>"


@dataclass(frozen=True)
class Contact:
    """A registered contact (a REGISTER binding) of the endpoint."""

    uri: str
    status: str  # Reachable, Unreachable, NonQualified, Unknown
    user_agent: str
    roundtrip_ms: float | None  # None until qualified, or when not reachable
    expires_s: int | None  # seconds left; None for a permanent contact from the config


@dataclass(frozen=True)
class Call:
    """A channel of the endpoint, as Asterisk lists it in CoreShowChannels."""

    channel: str  # PJSIP/600-0000001a
    state: str  # Up, Ringing, Ring, Busy, …
    caller: str  # '"Kowalski, Jan" <600>', "600" or "" (Asterisk's CallerID notation)
    connected: str  # the other party, same notation
    exten: str
    context: str
    duration_s: int
    unique_id: str


@dataclass
class PhoneStatus:
    registered: bool
    device_state: str  # Not in use, In use, Ringing, Unavailable, …
    contacts: list[Contact] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)


class AmiError(Exception):
    """Asking Asterisk failed; ``str(error)`` says why, for staff."""

    code = "error"


class AmiConnectionError(AmiError):
    code = "connection"


class AmiTimeoutError(AmiError):
    code = "timeout"


class AmiAuthError(AmiError):
    code = "auth"


class AmiPermissionError(AmiError):
    code = "permission"


class AmiEndpointNotFound(AmiError):
    code = "endpoint"


class AmiProtocolError(AmiError):
    code = "protocol"


def phone_status(
    *,
    host: str,
    port: int,
    username: str,
    secret: str,
    endpoint: str,
    timeout: float = 5.0,
) -> PhoneStatus:
    """The registration state and the calls of one PJSIP endpoint.

    Synchronous, for Django views and workers: it runs its own event loop, so it must be
    called from a thread without a running loop (from async code, through
    ``asyncio.to_thread`` or ``sync_to_async``). ``timeout`` bounds the whole exchange,
    connecting included. Raises only :class:`AmiError` subclasses.
    """
    endpoint = endpoint.strip()
    if endpoint.lower().startswith("pjsip/"):
        endpoint = endpoint[6:]  # Asterisk accepts the channel-style name too
    _check_values(username=username, secret=secret, endpoint=endpoint)
    request = _Request(host, port, username, secret, endpoint, timeout)
    try:
        return asyncio.run(_phone_status(request))
    except AmiError:
        raise
    except Exception as exc:  # the view must get a message, never a traceback
        logger.exception("AMI query of %s:%s failed", host, port)
        raise AmiProtocolError(
            _("Unexpected error while talking to the telephone exchange: %(error)s")
            % {"error": exc}
        ) from exc


# -- the exchange -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    host: str
    port: int
    username: str
    secret: str
    endpoint: str
    timeout: float

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


class _OneShotManager(Manager):
    """panoramisk's Manager for one short exchange: no keep-alive ping, no reconnect
    after a failed connect or a drop; a drop is reported through ``lost`` so pending
    requests fail at once instead of waiting for the deadline."""

    def __init__(self, **config):
        super().__init__(**config)
        self.lost = self.loop.create_future()

    def connection_made(self, f):
        if f.cancelled() or f.exception() is not None:
            return  # the caller awaits the same task and reports the failure
        super().connection_made(f)

    def ping(self):
        pass

    def connection_lost(self, exc):
        self._connected = False
        if self.pinger is not None:
            self.pinger.cancel()
            self.pinger = None
        if not self.lost.done():
            self.lost.set_result(exc)


async def _addresses(request: _Request) -> list[str]:
    """The exchange's addresses, each one the platform may connect to (core.netguard):
    resolved here, within the deadline, and connected to as checked — not by the name
    again."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            request.host, request.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise _no_service(request, exc) from None
    try:
        return netguard.addresses_check(request.host, (info[4][0] for info in infos),
                                        what=_("the telephone exchange"))
    except ValidationError as exc:
        raise AmiConnectionError(" ".join(exc.messages)) from None


def _manager(address: str, request: _Request) -> "_OneShotManager":
    return _OneShotManager(host=address, port=request.port, loop=asyncio.get_running_loop(),
                           encoding=_WIRE_ENCODING, events="off")


async def _connect_any(request: _Request) -> "_OneShotManager":
    """A manager connected to the first of the exchange's addresses that answers (a name
    with an IPv6 and an IPv4 address, the exchange listening on one)."""
    error = None
    for address in await _addresses(request):
        manager = _manager(address, request)
        try:
            await _connect(manager, request)
            return manager
        except AmiConnectionError as exc:
            manager.close()
            error = exc
        except BaseException:  # the deadline: nothing left half-open
            manager.close()
            raise
    raise error


async def _phone_status(request: _Request) -> PhoneStatus:
    manager = None
    ids = _ActionIds()
    logged_in = False
    try:
        try:
            async with asyncio.timeout(request.timeout) as deadline:
                manager = await _connect_any(request)
                await _login(manager, request, ids)
                logged_in = True
                details = await _show_endpoint(manager, request, ids)
                channels = await _show_channels(manager, request, ids)
        except TimeoutError:
            if not logged_in:  # no banner, no answer to the login: nothing is known to answer
                raise _no_service(request, "timed out before the login") from None
            raise AmiTimeoutError(
                _("The telephone exchange at %(address)s did not answer within %(seconds)s s.")
                % {"address": request.address, "seconds": f"{request.timeout:g}"}
            ) from None
        await _logoff(manager, ids, deadline.when())
    finally:
        if manager is not None:
            manager.close()
            if not manager.lost.done():
                manager.lost.cancel()
        await asyncio.sleep(0)  # let the transport close its socket before the loop ends
    return _build_status(details, channels, request.endpoint)


async def _connect(manager: _OneShotManager, request: _Request) -> None:
    try:
        await manager.connect()
    except OSError as exc:
        raise _no_service(request, exc) from exc
    while manager.protocol is None:  # connection_made runs as a callback of the task
        await asyncio.sleep(0)


def _no_service(request: _Request, reason) -> AmiConnectionError:
    """Whatever kept the exchange from answering before the AMI login was taken — a name
    that does not resolve, a port refused or silent, no AMI banner — told the same way:
    which one it was would let whoever types an exchange's address probe what listens on
    a host. The reason itself goes to the server's log."""
    logger.info("AMI at %s: no service (%s)", request.address,
                _os_reason(reason) if isinstance(reason, OSError) else reason)
    return AmiConnectionError(
        _("No AMI service answered at %(address)s (check the address, the port and the "
          "firewall).") % {"address": request.address})


def _os_reason(exc: OSError) -> str:
    """The system's words, e.g. "Connection refused", not asyncio's "Connect call failed"."""
    if isinstance(exc, socket.gaierror) or not exc.errno:
        return exc.strerror or str(exc)
    return os.strerror(exc.errno)


async def _login(manager: _OneShotManager, request: _Request, ids: "_ActionIds") -> None:
    action = {
        "Action": "Login",
        "Username": request.username,
        "Secret": request.secret,
        "Events": "off",  # no unsolicited events: only the answers asked for
    }
    response = (await _ask(manager, action, ids))[0]
    if response.success:
        return
    raise AmiAuthError(
        _("The telephone exchange refused the AMI login of user %(username)s: %(reason)s.")
        % {"username": request.username, "reason": _field(response, "Message") or "?"}
    )


async def _show_endpoint(manager, request: _Request, ids) -> list[Message]:
    action = {"Action": "PJSIPShowEndpoint", "Endpoint": request.endpoint}
    messages = await _ask(manager, action, ids)
    reason = _field(messages[0], "Message")
    if messages[0].success:
        return messages[1:]
    if reason.startswith("Unable to retrieve endpoint"):
        raise _endpoint_not_found(request.endpoint)
    raise _refused(request, "PJSIPShowEndpoint", reason)


async def _show_channels(manager, request: _Request, ids) -> list[Message]:
    messages = await _ask(manager, {"Action": "CoreShowChannels"}, ids)
    if messages[0].success:
        return messages[1:]
    raise _refused(request, "CoreShowChannels", _field(messages[0], "Message"))


async def _logoff(manager, ids, deadline: float | None) -> None:
    """Say goodbye within what is left of the deadline; the answers are already in."""
    try:
        async with asyncio.timeout_at(deadline):
            await _ask(manager, {"Action": "Logoff"}, ids)
    except (TimeoutError, AmiError):
        pass


async def _ask(manager: _OneShotManager, action: dict, ids: "_ActionIds") -> list[Message]:
    """Send one action and wait for its answer: the response first, then the events of a
    list (panoramisk gathers them up to the ``…Complete`` event by ActionID)."""
    wire = {key: _wire(value) for key, value in action.items()}
    wire["ActionID"] = ids.next()
    future = manager.send_action(wire)
    await asyncio.wait({future, manager.lost}, return_when=asyncio.FIRST_COMPLETED)
    if not future.done():
        address = f"{manager.config['host']}:{manager.config['port']}"
        raise AmiConnectionError(
            _("The telephone exchange at %(address)s closed the connection.") % {"address": address}
        )
    result = future.result()
    return result if isinstance(result, list) else [result]


class _ActionIds:
    """ActionIDs of our own: panoramisk's shared generator is not safe when several
    threads ask at the same time, and a per-call prefix keeps calls apart in logs."""

    def __init__(self):
        self.prefix = f"abonent-{secrets.token_hex(4)}"
        self.numbers = count(1)

    def next(self) -> str:
        return f"{self.prefix}-{next(self.numbers)}"


def _refused(request: _Request, action: str, reason: str) -> AmiError:
    if reason.lower().startswith("permission denied"):
        return AmiPermissionError(
            _(
                "The AMI user %(username)s may not run %(action)s; "
                "check its permissions in manager.conf."
            )
            % {"username": request.username, "action": action}
        )
    return AmiProtocolError(
        _("The telephone exchange refused %(action)s: %(reason)s")
        % {"action": action, "reason": reason or "?"}
    )


def _endpoint_not_found(endpoint: str) -> AmiEndpointNotFound:
    return AmiEndpointNotFound(
        _("The telephone exchange has no PJSIP endpoint named %(endpoint)s.")
        % {"endpoint": endpoint}
    )


def _check_values(*, username: str, secret: str, endpoint: str) -> None:
    """Refuse values that would break out of their header line (AMI has no escaping)
    before anything is sent; such an endpoint or user cannot exist in Asterisk."""
    if not endpoint or _has_control(endpoint):
        raise _endpoint_not_found(endpoint)
    if _has_control(username) or _has_control(secret):
        raise AmiAuthError(
            _("The AMI user name or secret contains characters that cannot be sent.")
        )


def _has_control(value: str) -> bool:
    return any(ord(char) < 32 or ord(char) == 127 for char in value)


# -- reading the answers ------------------------------------------------------------------


def _build_status(details: list[Message], channels: list[Message], endpoint: str):
    now = time.time()
    device_state = ""
    contacts = []
    for event in details:
        if event.event == "EndpointDetail":
            device_state = _field(event, "DeviceState")
        elif event.event == "ContactStatusDetail":
            contacts.append(_contact(event, now))
    calls = [
        _call(event)
        for event in channels
        if event.event == "CoreShowChannel"
        and _is_endpoint_channel(_field(event, "Channel"), endpoint)
    ]
    registered = any(contact.expires_s for contact in contacts)
    return PhoneStatus(registered, device_state, contacts, calls)


def _contact(event: Message, now: float) -> Contact:
    status = _field(event, "Status")
    expire = _int(_field(event, "RegExpire"))
    return Contact(
        uri=_field(event, "URI"),
        status=status,
        user_agent=_field(event, "UserAgent"),
        roundtrip_ms=_roundtrip_ms(_field(event, "RoundtripUsec"), status),
        # RegExpire is absolute (Asterisk's clock); 0 marks a permanent contact.
        expires_s=max(0, expire - int(now)) if expire else None,
    )


def _roundtrip_ms(usec: str, status: str) -> float | None:
    """The last qualify's round trip; meaningless (0 or stale) unless reachable."""
    if status != "Reachable" or not usec.isdigit():
        return None
    return int(usec) / 1000


def _call(event: Message) -> Call:
    return Call(
        channel=_field(event, "Channel"),
        state=_field(event, "ChannelStateDesc"),
        caller=_party(_field(event, "CallerIDNum"), _field(event, "CallerIDName")),
        connected=_party(_field(event, "ConnectedLineNum"), _field(event, "ConnectedLineName")),
        exten=_field(event, "Exten"),
        context=_field(event, "Context"),
        duration_s=_duration_s(_field(event, "Duration")),
        unique_id=_field(event, "Uniqueid"),
    )


def _is_endpoint_channel(channel: str, endpoint: str) -> bool:
    """PJSIP names a channel ``PJSIP/<endpoint>-<8 hex digits>``; the whole name must
    match, or endpoint 4822300001 would take the calls of 48223000012 (and ``biuro``
    those of ``biuro-2``)."""
    pattern = rf"PJSIP/{re.escape(endpoint)}-[0-9a-fA-F]{{8}}"
    return re.fullmatch(pattern, channel) is not None


def _party(number: str, name: str) -> str:
    """Asterisk's CallerID notation: '"name" <number>', or whichever part is known."""
    number = "" if number == _UNKNOWN else number
    name = "" if name == _UNKNOWN else name
    if name and number:
        return f'"{name}" <{number}>'
    return number or name


def _duration_s(text: str) -> int:
    """Asterisk's HH:MM:SS (hours may exceed two digits) to seconds; 0 if unreadable."""
    parts = text.split(":")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return 0
    hours, minutes, seconds = (int(part) for part in parts)
    return hours * 3600 + minutes * 60 + seconds


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0


def _field(message: Message, key: str) -> str:
    """A header as text; the first one when Asterisk repeated it."""
    value = message.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return _text(value).strip()


def _wire(value) -> str:
    """Text to send: its UTF-8 bytes, one Latin-1 character each."""
    return str(value).encode("utf-8").decode(_WIRE_ENCODING)


def _text(value: str) -> str:
    """Received Latin-1 characters back to the UTF-8 text Asterisk sent."""
    return value.encode(_WIRE_ENCODING).decode("utf-8", "replace")
