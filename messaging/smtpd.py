"""A real SMTP server on loopback for the e-mail tests and the benchmark (aiosmtpd).

Not a mock: the SMTP gateway (``messaging.gateways.smtp``) talks SMTP to it over TCP, and
what it received is read back as parsed e-mails. It can refuse chosen recipients with the
reply a real server would give (``550 5.1.1 …`` at RCPT, ``451 4.3.0 …`` at DATA), and can
require a login.

API (also used by the benchmark)::

    server = smtpd_start()                      # 127.0.0.1, a free port, in a thread
    server.host, server.port                    # where to point the Gateway row
    server.fail["nobody@example.com"] = "550 5.1.1 No such user"      # always, at RCPT
    server.fail["later@example.com"] = ["451 4.3.0 Try again later"]  # once, then accept
    server.fail_data["big@example.com"] = "552 5.3.4 Message too big"  # at end of DATA
    ...send...
    server.count                                # messages accepted so far
    server.connections                          # SMTP sessions (EHLO/HELO) so far
    server.messages                             # parsed ``email.message.EmailMessage``s
    server.received                             # ``Received`` (mail_from, rcpt_tos, data)
    server.wait_for(10, timeout=5)              # block until 10 were accepted
    server.clear()                              # forget received messages and fail rules
    server.stop()

Options of ``smtpd_start``: ``keep=False`` counts messages without keeping them (a
benchmark of many thousands); ``auth=("user", "pass")`` requires AUTH PLAIN/LOGIN with
those (checked at MAIL: ``530`` without); ``fail=`` / ``fail_data=`` set the refusals at
start (keys are addresses in lower case); ``process=True`` runs the server in a child
process instead of a thread, so it does not share the sender's interpreter (a benchmark
measures the sender, not the GIL): the same API, except that ``fail`` and ``fail_data``
are fixed at start and received messages are read back from a spool directory. The
server is also a context manager (``with smtpd_start() as server: ...``).
"""

import logging
import multiprocessing
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

__all__ = ["Received", "SmtpProcess", "SmtpServer", "smtpd_start"]

# aiosmtpd logs every session at INFO: thousands of lines in a benchmark.
logging.getLogger("mail.log").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes  # the message exactly as the client sent it after DATA

    def parsed(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.data)


def _reply(rules: dict, address: str) -> str | None:
    """The reply ``rules`` give ``address`` now: a string always, a list once per entry."""
    rule = rules.get(address.lower())
    if isinstance(rule, list):
        return rule.pop(0) if rule else None
    return rule


class _Handler:
    """aiosmtpd's hooks; ``sink`` holds the rules and takes what was received."""

    def __init__(self, sink):
        self.sink = sink

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        self.sink.hello()
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):  # noqa: N802
        self.sink.hello()
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        if self.sink.auth is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        reply = _reply(self.sink.fail, address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        for address in envelope.rcpt_tos:
            reply = _reply(self.sink.fail_data, address)
            if reply:
                return reply
        self.sink.accept(Received(mail_from=envelope.mail_from,
                                  rcpt_tos=tuple(envelope.rcpt_tos),
                                  data=envelope.original_content or envelope.content))
        return "250 2.0.0 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        auth = self.sink.auth
        ok = (isinstance(auth_data, LoginPassword) and auth is not None
              and auth_data.login.decode() == auth[0]
              and auth_data.password.decode() == auth[1])
        return AuthResult(success=ok, handled=False)


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _controller_start(sink, host: str, port: int) -> tuple[Controller, int]:
    """Start aiosmtpd for ``sink`` on ``host``: ``port``, or a free one (0)."""
    handler = _Handler(sink)
    kwargs = {}
    if sink.auth is not None:
        # Checked at MAIL (``handle_MAIL``): aiosmtpd's own ``auth_required`` warns on
        # every connection that AUTH without TLS is unsafe — on loopback, for a test, fine.
        kwargs = {"authenticator": handler.authenticate, "auth_require_tls": False}
    for _try in range(5):  # a free port may be taken between the probe and the bind
        chosen = port or _free_port(host)
        controller = Controller(handler, hostname=host, port=chosen, decode_data=False,
                                enable_SMTPUTF8=True, data_size_limit=64 * 1024 * 1024,
                                **kwargs)
        try:
            controller.start()
        except (OSError, RuntimeError):
            if port:
                raise
            continue
        return controller, chosen
    raise RuntimeError(f"no free port for the SMTP server on {host}")


# --- in a thread ---------------------------------------------------------------------

@dataclass
class SmtpServer:
    host: str
    port: int
    keep: bool = True
    auth: tuple[str, str] | None = None
    # recipient (lower case) -> reply, or a list of replies used one per try
    fail: dict = field(default_factory=dict)
    fail_data: dict = field(default_factory=dict)
    count: int = 0
    connections: int = 0  # sessions greeted (EHLO/HELO): one per connection
    received: list[Received] = field(default_factory=list)
    _controller: Controller | None = None
    _cond: threading.Condition = field(default_factory=threading.Condition)

    @property
    def messages(self) -> list[EmailMessage]:
        with self._cond:
            received = list(self.received)
        return [r.parsed() for r in received]

    def hello(self) -> None:
        with self._cond:
            self.connections += 1

    def accept(self, received: Received) -> None:
        with self._cond:
            self.count += 1
            if self.keep:
                self.received.append(received)
            self._cond.notify_all()

    def wait_for(self, count: int, *, timeout: float = 10) -> bool:
        """Block until at least ``count`` messages were accepted; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.count < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def clear(self) -> None:
        with self._cond:
            self.count = self.connections = 0
            self.received.clear()
        self.fail.clear()
        self.fail_data.clear()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# --- in a child process --------------------------------------------------------------

class _SpoolSink:
    """The child process's side: counters in shared memory, messages in files."""

    def __init__(self, *, auth, fail, fail_data, spool, count, connections):
        self.auth, self.fail, self.fail_data = auth, fail, fail_data
        self.spool, self.count, self.connections = spool, count, connections

    def hello(self) -> None:
        with self.connections.get_lock():
            self.connections.value += 1

    def accept(self, received: Received) -> None:
        if self.spool is not None:
            with self.count.get_lock():
                number = self.count.value + 1
                name = Path(self.spool) / f"{number:09d}"
                name.with_suffix(".env").write_text(
                    "\n".join([received.mail_from, *received.rcpt_tos]), encoding="utf-8")
                name.with_suffix(".eml").write_bytes(received.data)
                self.count.value = number
        else:
            with self.count.get_lock():
                self.count.value += 1


def _serve(host, port, sink_kwargs, ready, stop) -> None:
    """The child process: serve until ``stop`` is set; ``ready`` gets the port."""
    sink = _SpoolSink(**sink_kwargs)
    controller, chosen = _controller_start(sink, host, port)
    ready.send(chosen)
    stop.wait()
    controller.stop()


@dataclass
class SmtpProcess:
    host: str
    port: int
    spool: str | None
    _count: object = None
    _connections: object = None
    _process: object = None
    _stop: object = None
    fail: dict = field(default_factory=dict)  # as started: changes do not reach the child
    fail_data: dict = field(default_factory=dict)

    @property
    def count(self) -> int:
        return self._count.value

    @property
    def connections(self) -> int:
        return self._connections.value

    @property
    def received(self) -> list[Received]:
        if self.spool is None:
            return []
        out = []
        for eml in sorted(Path(self.spool).glob("*.eml")):
            env = eml.with_suffix(".env")
            if not env.exists():
                continue
            mail_from, *rcpt = env.read_text(encoding="utf-8").split("\n")
            out.append(Received(mail_from=mail_from, rcpt_tos=tuple(rcpt),
                                data=eml.read_bytes()))
        return out

    @property
    def messages(self) -> list[EmailMessage]:
        return [r.parsed() for r in self.received]

    def wait_for(self, count: int, *, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while self.count < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def clear(self) -> None:
        with self._count.get_lock():
            if self.spool is not None:
                for path in Path(self.spool).iterdir():
                    path.unlink()
            self._count.value = 0
        with self._connections.get_lock():
            self._connections.value = 0

    def stop(self) -> None:
        if self._process is not None:
            self._stop.set()
            self._process.join(10)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(5)
            self._process = None
        if self.spool is not None:
            shutil.rmtree(self.spool, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _process_start(*, host, port, fail, fail_data, keep, auth) -> SmtpProcess:
    ctx = multiprocessing.get_context("spawn")  # no copy of the parent's connections
    spool = tempfile.mkdtemp(prefix="abonent-smtpd-") if keep else None
    count, connections = ctx.Value("q", 0), ctx.Value("q", 0)
    parent, child = ctx.Pipe(duplex=False)
    stop = ctx.Event()
    sink_kwargs = {"auth": auth, "fail": fail, "fail_data": fail_data, "spool": spool,
                   "count": count, "connections": connections}
    process = ctx.Process(target=_serve, args=(host, port, sink_kwargs, child, stop),
                          daemon=True, name="abonent-smtpd")
    process.start()
    if not parent.poll(30):
        process.terminate()
        raise RuntimeError("the SMTP server process did not start")
    chosen = parent.recv()
    return SmtpProcess(host=host, port=chosen, spool=spool, _count=count,
                       _connections=connections, _process=process, _stop=stop,
                       fail=fail, fail_data=fail_data)


def smtpd_start(*, host: str = "127.0.0.1", port: int = 0, fail: dict | None = None,
                fail_data: dict | None = None, keep: bool = True,
                auth: tuple[str, str] | None = None,
                process: bool = False) -> SmtpServer | SmtpProcess:
    """Start an SMTP server on ``host`` (``port`` 0: a free one) and return it running
    (see the module docstring). ``fail`` / ``fail_data``: recipient → reply (or a list of
    replies, one per try) refused at RCPT / at the end of DATA."""
    fail = {k.lower(): v for k, v in (fail or {}).items()}
    fail_data = {k.lower(): v for k, v in (fail_data or {}).items()}
    if process:
        return _process_start(host=host, port=port, fail=fail, fail_data=fail_data,
                              keep=keep, auth=auth)
    server = SmtpServer(host=host, port=port, keep=keep, auth=auth, fail=fail,
                        fail_data=fail_data)
    server._controller, server.port = _controller_start(server, host, port)
    return server
