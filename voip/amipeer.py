"""A loopback Asterisk Manager Interface (AMI) peer for the tests, the benchmark and the
staff UI's browser tests.

Not a mock: it is a TCP server that speaks the AMI text protocol the way Asterisk 18/20
does, so the client (``voip.ami``, on panoramisk) is exercised on real bytes: the banner,
``Key: Value`` lines ending in CRLF, a blank line ending each message, ``ActionID`` echoed
in every response and list event, ``EventList: start`` … ``EventList: Complete`` lists.
The formats follow Asterisk's own code (``main/manager.c``, ``main/manager_channels.c``,
``res/res_pjsip/pjsip_configuration.c``, ``location.c``, ``pjsip_options.c``), including
two of its quirks a client has to live with: ``Unable to retrieve endpoint X`` is sent
with a stray ``\\n`` before the CRLF, and ``ActiveChannels`` of ``EndpointDetail`` is
empty (the endpoint's calls are only reliable from ``CoreShowChannels``).

API::

    with AmiPeer(username="abonent", secret="s3cret",
                 endpoints={"600": PeerEndpoint(contacts=[PeerContact("sip:600@10.0.0.5")])},
                 channels=[PeerChannel("PJSIP/600-0000001a", caller_num="600")]) as peer:
        peer.port                           # 127.0.0.1, a free port
        peer.endpoints["601"] = PeerEndpoint(device_state="Unavailable")   # change live
        peer.channels.clear()
        peer.actions                        # every action received, as dicts, in order

Options: ``delay`` (seconds before answering each action: a slow Asterisk),
``banner=False`` (accept the connection, then never say anything: a hung peer or a
firewall that lets SYN through), ``auth_fail_delay`` (Asterisk sleeps 1 s before
``Authentication failed``), ``chunk_size`` (write answers in pieces of that many bytes,
so a client must reassemble messages and multi-byte characters split across reads),
``denied`` (action names answered ``Permission denied`` after login, as for an AMI user
without the action's permission class), ``version`` (the banner's protocol version).
The state (credentials, endpoints, channels) is plain Python the test changes between
calls; it is read at each action.
"""

import asyncio
import contextlib
import hashlib
import threading
import time
from dataclasses import dataclass, field

__all__ = ["AmiPeer", "PeerChannel", "PeerContact", "PeerEndpoint"]

# ast_state2str(): the channel state numbers and the words AMI shows for them.
CHANNEL_STATES = {
    0: "Down",
    1: "Rsrvd",
    2: "OffHook",
    3: "Dialing",
    4: "Ring",
    5: "Ringing",
    6: "Up",
    7: "Busy",
    8: "Dialing Offhook",
    9: "Pre-ring",
}

# ast_false() / ast_true(): the words Asterisk reads as off / on in an Events header.
_FALSE_WORDS = {"no", "false", "n", "f", "0", "off"}
_TRUE_WORDS = {"yes", "true", "y", "t", "1", "on"}


@dataclass
class PeerContact:
    """One registered contact (a REGISTER binding) of an endpoint's AoR.

    ``expires_in`` is relative so a test need not know the clock: the peer sends
    ``RegExpire`` as an absolute Unix time, as Asterisk does. ``expires_in=None`` is a
    permanent contact from the AoR's configuration (``RegExpire: 0``).
    ``roundtrip_usec=None`` is sent as ``N/A`` (not qualified yet).
    """

    uri: str
    status: str = "Reachable"  # Reachable, Unreachable, NonQualified, Unknown
    roundtrip_usec: int | None = 1800
    user_agent: str = "Yealink SIP-T46S 66.86.0.15"
    expires_in: int | None = 3600
    via_address: str = ""  # "10.0.0.5:5060"; left out of the event when empty
    call_id: str = ""  # left out of the event when empty
    qualify_frequency: int = 60


@dataclass
class PeerEndpoint:
    """A PJSIP endpoint with its AoR (named like the endpoint) and inbound auth."""

    context: str = "from-internal"
    device_state: str = "Not in use"  # ast_devstate_str(): Unavailable, In use, Ringing…
    contacts: list[PeerContact] = field(default_factory=list)
    callerid: str = ""
    transport: str = "transport-udp"
    max_contacts: int = 2


@dataclass
class PeerChannel:
    """A channel as ``CoreShowChannels`` lists it; empty caller fields go out as
    ``<unknown>``, as Asterisk sends them."""

    channel: str  # "PJSIP/600-0000001a"
    state: int = 6  # AST_STATE_UP
    caller_num: str = ""
    caller_name: str = ""
    connected_num: str = ""
    connected_name: str = ""
    exten: str = ""
    context: str = "from-internal"
    priority: int = 1
    unique_id: str = "1718000000.1"
    linked_id: str = ""  # defaults to unique_id
    bridge_id: str = ""
    application: str = "Dial"
    application_data: str = ""
    account_code: str = ""
    language: str = "pl"
    duration_s: int = 0


@dataclass
class _Session:
    authenticated: bool = False


class AmiPeer:
    """An AMI server on loopback, its asyncio loop running in a background thread."""

    def __init__(
        self,
        *,
        username: str = "abonent",
        secret: str = "abonent",  # noqa: S107 - a test peer's credentials
        endpoints: dict[str, PeerEndpoint] | None = None,
        channels: list[PeerChannel] | None = None,
        version: str = "9.0.0",
        delay: float = 0.0,
        banner: bool = True,
        auth_fail_delay: float = 1.0,
        chunk_size: int = 0,
        denied: tuple[str, ...] = (),
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.username = username
        self.secret = secret
        self.endpoints = endpoints if endpoints is not None else {}
        self.channels = channels if channels is not None else []
        self.version = version
        self.delay = delay
        self.banner = banner
        self.auth_fail_delay = auth_fail_delay
        self.chunk_size = chunk_size
        self.denied = {name.lower() for name in denied}
        self.host = host
        self.port = port
        self.actions: list[dict[str, str]] = []
        self.connections = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopping: asyncio.Event | None = None
        self._sessions: set[asyncio.Task] = set()
        self._error: BaseException | None = None

    # -- start / stop, usable from synchronous test code ---------------------------------

    def start(self) -> "AmiPeer":
        self._thread = threading.Thread(target=self._run, name="ami-peer", daemon=True)
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            raise RuntimeError(f"AMI peer did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> "AmiPeer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start(); the thread must not die silently
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._session, self.host, self.port)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stopping.wait()
            server.close()
            # Open sessions are cancelled, or closing the server would wait for them.
            for task in list(self._sessions):
                task.cancel()
            await asyncio.gather(*self._sessions, return_exceptions=True)

    # -- one TCP session -----------------------------------------------------------------

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        task = asyncio.current_task()
        self._sessions.add(task)
        self.connections += 1
        try:
            if not self.banner:
                while await reader.read(4096):
                    pass  # swallow whatever the client says, answer nothing
                return
            # The banner ends with one CRLF only: it is a line, not a message.
            await self._write(writer, f"Asterisk Call Manager/{self.version}\r\n")
            session = _Session()
            while (action := await _read_action(reader)) is not None:
                self.actions.append(action)
                if self.delay:
                    await asyncio.sleep(self.delay)
                if not await self._answer(action, session, writer):
                    break  # Logoff, or a failed Login: Asterisk ends the session
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass  # stop(): Python 3.11 logs a session task that ends cancelled as an error
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()
            self._sessions.discard(task)

    async def _write(self, writer: asyncio.StreamWriter, text: str) -> None:
        data = text.encode("utf-8")
        step = self.chunk_size or len(data) or 1
        for start in range(0, len(data), step):
            if start:
                await asyncio.sleep(0.0005)  # let the client read the last piece on its own
            writer.write(data[start : start + step])
            await writer.drain()

    async def _answer(self, action, session: _Session, writer) -> bool:
        """Answer one action as process_message() in manager.c does; False ends the
        session."""
        name = _header(action, "Action")
        if not name:
            await self._write(writer, _response(action, "Error", "Missing action in request"))
            return True
        if not session.authenticated and name.lower() not in ("login", "logoff", "challenge"):
            await self._write(writer, _response(action, "Error", "Permission denied"))
            return True
        if name.lower() in self.denied:  # the AMI user lacks the action's class in manager.conf
            await self._write(writer, _response(action, "Error", "Permission denied"))
            return True
        handler = {
            "login": self._login,
            "logoff": self._logoff,
            "ping": self._ping,
            "pjsipshowendpoint": self._show_endpoint,
            "coreshowchannels": self._show_channels,
        }.get(name.lower())
        if handler is None:
            message = (
                f"Invalid/unknown command: {name}. "
                "Use Action: ListCommands to show available commands."
            )
            await self._write(writer, _response(action, "Error", message))
            return True
        return await handler(action, session, writer)

    async def _login(self, action, session: _Session, writer) -> bool:
        if session.authenticated:
            await self._write(writer, _response(action, "Success", "Already authenticated"))
            return True
        # Asterisk finds the user case-insensitively and compares the secret exactly.
        user_ok = _header(action, "Username").lower() == self.username.lower()
        if not user_ok or _header(action, "Secret") != self.secret:
            await asyncio.sleep(self.auth_fail_delay)
            await self._write(writer, _response(action, "Error", "Authentication failed"))
            return False
        session.authenticated = True
        text = _response(action, "Success", "Authentication accepted")
        # FullyBooted goes only to sessions that receive "system" events.
        if _wants_system_events(_header(action, "Events")):
            text += _block(
                [
                    ("Event", "FullyBooted"),
                    ("Privilege", "system,all"),
                    ("Uptime", "86400"),
                    ("LastReload", "3600"),
                    ("Status", "Fully Booted"),
                ]
            )
        await self._write(writer, text)
        return True

    async def _logoff(self, action, session: _Session, writer) -> bool:
        await self._write(writer, _response(action, "Goodbye", "Thanks for all the fish."))
        return False

    async def _ping(self, action, session: _Session, writer) -> bool:
        pairs = [("Response", "Success"), *_action_id(action), ("Ping", "Pong")]
        pairs.append(("Timestamp", f"{time.time():.6f}"))
        await self._write(writer, _block(pairs))
        return True

    async def _show_endpoint(self, action, session: _Session, writer) -> bool:
        name = _header(action, "Endpoint")
        if name.lower().startswith("pjsip/"):
            name = name[6:]
        if not name:
            message = "PJSIPShowEndpoint requires an endpoint name\n"
            await self._write(writer, _response(action, "Error", message))
            return True
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            # Asterisk's format string ends in "\n", and it is sent as is.
            message = f"Unable to retrieve endpoint {name}\n"
            await self._write(writer, _response(action, "Error", message))
            return True
        message = "Following are Events for each object associated with the the Endpoint"
        events = _endpoint_events(name, endpoint)
        text = _response(action, "Success", message, event_list="start")
        text += "".join(_block([pairs[0], *_action_id(action), *pairs[1:]]) for pairs in events)
        text += _list_complete(action, "EndpointDetailComplete", len(events))
        await self._write(writer, text)
        return True

    async def _show_channels(self, action, session: _Session, writer) -> bool:
        channels = list(self.channels)
        text = _response(action, "Success", "Channels will follow", event_list="start")
        for channel in channels:
            pairs = _channel_pairs(channel)
            text += _block([pairs[0], *_action_id(action), *pairs[1:]])
        text += _list_complete(action, "CoreShowChannelsComplete", len(channels))
        await self._write(writer, text)
        return True


# -- the wire format ----------------------------------------------------------------------


async def _read_action(reader: asyncio.StreamReader) -> dict[str, str] | None:
    """Read ``Key: Value`` lines up to a blank line; None at end of stream.

    Keys keep the client's spelling; the first of repeated keys wins, as
    astman_get_header() returns the first match."""
    action: dict[str, str] = {}
    while True:
        line = await reader.readline()
        if not line:
            return None
        text = line.decode("utf-8", "replace").rstrip("\r\n")
        if not text:
            if action:
                return action
            continue  # stray blank lines between actions are skipped
        key, sep, value = text.partition(":")
        if sep and key.strip() and not _has_key(action, key.strip()):
            action[key.strip()] = value.strip()


def _has_key(action: dict[str, str], key: str) -> bool:
    return any(existing.lower() == key.lower() for existing in action)


def _header(action: dict[str, str], key: str) -> str:
    """The value of a header, matched case-insensitively as Asterisk does."""
    for existing, value in action.items():
        if existing.lower() == key.lower():
            return value
    return ""


def _action_id(action: dict[str, str]) -> list[tuple[str, str]]:
    action_id = _header(action, "ActionID")
    return [("ActionID", action_id)] if action_id else []


def _block(pairs: list[tuple[str, str]]) -> str:
    """One AMI message: a line per header and a blank line at the end.

    A value with a line break would forge headers (or end the message early), so the
    peer refuses to send one, except the single trailing "\\n" Asterisk itself leaves
    in some error messages."""
    for key, value in pairs:
        if "\r" in value or "\n" in value.removesuffix("\n"):
            raise ValueError(f"AMI header {key} has a line break: {value!r}")
    return "".join(f"{key}: {value}\r\n" for key, value in pairs) + "\r\n"


def _response(action, response: str, message: str, *, event_list: str = "") -> str:
    """astman_send_response_full(): Response, ActionID, EventList, Message."""
    pairs = [("Response", response), *_action_id(action)]
    if event_list:
        pairs.append(("EventList", event_list))
    pairs.append(("Message", message))
    return _block(pairs)


def _list_complete(action, event: str, count: int) -> str:
    """astman_send_list_complete_start() + _end(): the event closing a list."""
    pairs = [("Event", event), *_action_id(action), ("EventList", "Complete")]
    return _block([*pairs, ("ListItems", str(count))])


def _wants_system_events(events: str) -> bool:
    words = {word.strip().lower() for word in events.split(",") if word.strip()}
    if not words or words & _TRUE_WORDS:
        return True
    if words & _FALSE_WORDS:
        return False
    return bool(words & {"system", "all"})


def _endpoint_events(name: str, endpoint: PeerEndpoint) -> list[list[tuple[str, str]]]:
    """The detail events of PJSIPShowEndpoint, EndpointDetail first (ActionID is
    inserted after each Event line by the caller)."""
    contact_ids = ",".join(f"{name}/{contact.uri}" for contact in endpoint.contacts)
    detail = [
        ("Event", "EndpointDetail"),
        ("ObjectType", "endpoint"),
        ("ObjectName", name),
        ("Context", endpoint.context),
        ("Disallow", ""),
        ("Allow", "(alaw|ulaw|g722)"),
        ("DtmfMode", "rfc4733"),
        ("Aors", name),
        ("Auth", name),
        ("OutboundAuth", ""),
        ("Transport", endpoint.transport),
        ("Callerid", endpoint.callerid or "<unknown>"),
        ("DirectMedia", "false"),
        ("RewriteContact", "true"),
        ("DeviceStateBusyAt", "0"),
        ("DeviceState", endpoint.device_state),
        ("ActiveChannels", ""),  # always empty in Asterisk's own output
    ]
    aor = [
        ("Event", "AorDetail"),
        ("ObjectType", "aor"),
        ("ObjectName", name),
        ("MinimumExpiration", "60"),
        ("DefaultExpiration", "3600"),
        ("MaximumExpiration", "7200"),
        ("QualifyFrequency", "60"),
        ("QualifyTimeout", "3.000000"),
        ("MaxContacts", str(endpoint.max_contacts)),
        ("RemoveExisting", "true"),
        ("Contacts", contact_ids),
        ("TotalContacts", str(len(endpoint.contacts))),
        ("ContactsRegistered", str(sum(1 for c in endpoint.contacts if c.expires_in))),
        ("EndpointName", name),
    ]
    auth = [
        ("Event", "AuthDetail"),
        ("ObjectType", "auth"),
        ("ObjectName", name),
        ("Username", name),
        ("Password", ""),
        ("Md5Cred", ""),
        ("Realm", ""),
        ("NonceLifetime", "32"),
        ("AuthType", "userpass"),
        ("EndpointName", name),
    ]
    transport = [
        ("Event", "TransportDetail"),
        ("ObjectType", "transport"),
        ("ObjectName", endpoint.transport),
        ("Protocol", "udp"),
        ("Bind", "0.0.0.0:5060"),
        ("EndpointName", name),
    ]
    contacts = [_contact_pairs(name, contact) for contact in endpoint.contacts]
    return [detail, aor, auth, transport, *contacts]


def _contact_pairs(name: str, contact: PeerContact) -> list[tuple[str, str]]:
    """ast_sip_format_contact_ami(): the order of res_pjsip/pjsip_options.c."""
    expires = int(time.time()) + contact.expires_in if contact.expires_in else 0
    digest = hashlib.md5(contact.uri.encode(), usedforsecurity=False).hexdigest()
    pairs = [
        ("Event", "ContactStatusDetail"),
        ("AOR", name),
        ("URI", contact.uri),
        ("UserAgent", contact.user_agent),
        ("RegExpire", str(expires)),
    ]
    if contact.via_address:
        pairs.append(("ViaAddress", contact.via_address))
    if contact.call_id:
        pairs.append(("CallID", contact.call_id))
    rtt = "N/A" if contact.roundtrip_usec is None else str(contact.roundtrip_usec)
    pairs += [
        ("Status", contact.status),
        ("RoundtripUsec", rtt),
        ("EndpointName", name),
        ("ID", f"{name};@{digest}"),
        ("AuthenticateQualify", "0"),
        ("OutboundProxy", ""),
        ("Path", ""),
        ("QualifyFrequency", str(contact.qualify_frequency)),
        ("QualifyTimeout", "3.000"),
    ]
    return pairs


def _channel_pairs(channel: PeerChannel) -> list[tuple[str, str]]:
    """A CoreShowChannel event: the channel state string of manager_channels.c, then
    the bridge, the application and the duration."""
    hours, rest = divmod(max(channel.duration_s, 0), 3600)
    minutes, seconds = divmod(rest, 60)
    return [
        ("Event", "CoreShowChannel"),
        ("Channel", channel.channel),
        ("ChannelState", str(channel.state)),
        ("ChannelStateDesc", CHANNEL_STATES.get(channel.state, "Unknown")),
        ("CallerIDNum", channel.caller_num or "<unknown>"),
        ("CallerIDName", channel.caller_name or "<unknown>"),
        ("ConnectedLineNum", channel.connected_num or "<unknown>"),
        ("ConnectedLineName", channel.connected_name or "<unknown>"),
        ("Language", channel.language),
        ("AccountCode", channel.account_code),
        ("Context", channel.context),
        ("Exten", channel.exten),
        ("Priority", str(channel.priority)),
        ("Uniqueid", channel.unique_id),
        ("Linkedid", channel.linked_id or channel.unique_id),
        ("BridgeId", channel.bridge_id),
        ("Application", channel.application),
        ("ApplicationData", channel.application_data),
        ("Duration", f"{hours:02d}:{minutes:02d}:{seconds:02d}"),
    ]
