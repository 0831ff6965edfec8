"""Kannel on loopback: bearerbox + smsbox + fakesmsc (the SMSC), for the tests and the
benchmark. Not used in production (there Kannel is the ISP's own).

    from messaging.kannel import kannel_installed, kannel_start

    server = kannel_start(directory)      # a pathlib.Path; config and logs are written there
    server.sendsms_url                    # "http://127.0.0.1:<port>/cgi-bin/sendsms"
    server.username, server.password      # the sendsms-user
    server.received()                     # list[Received]: what fakesmsc got, in order
    server.received_count()               # how many SMS (parts) fakesmsc got
    server.wait_received(n, timeout=10)   # the first n, waiting for them
    server.fakesmsc_log()                 # fakesmsc's output as text
    server.stop()                         # stops the three programs (idempotent)

``kannel_start`` raises ``KannelMissing`` when the Debian packages ``kannel`` and
``kannel-extras`` are not installed (``kannel_installed()`` says so beforehand) and
``KannelError`` when a program does not come up (its log is in ``directory``).

The sendsms-user takes up to 30 parts per SMS (``max-messages``), the sender is
"Abonent" unless the request names one (``global-sender``).

fakesmsc acknowledges every message: bearerbox then reports "SMSC submit" (DLR type 8,
answer "ACK/") and fakesmsc's own "delivered" (type 1) to the message's ``dlr-url``.
fakesmsc prints each SMS as ``sender receiver kind data``: kind ``text`` (GSM-7 text,
raw, a newline kept as is), ``ucs-2`` (UTF-16BE, URL-encoded) or ``udh <udh> data
<data>`` (one part of a concatenated SMS; its coding is not printed: ``reassemble`` is
told it).
"""

import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

BEARERBOX = "/usr/sbin/bearerbox"
SMSBOX = "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"


class KannelMissing(RuntimeError):
    pass


class KannelError(RuntimeError):
    pass


def kannel_installed() -> bool:
    return all(shutil.which(p) for p in (BEARERBOX, SMSBOX, FAKESMSC))


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _conf_value(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Received:
    """One SMS (or one part of a concatenated SMS) as fakesmsc printed it."""

    sender: str
    receiver: str
    kind: str  # "text", "ucs-2", "data" or "udh"
    data: bytes  # the payload: UTF-8 for "text", UTF-16BE for "ucs-2", raw for "udh"
    udh: bytes = b""

    @property
    def text(self) -> str:
        """The text of a single-part SMS."""
        if self.kind == "ucs-2":
            return self.data.decode("utf-16-be")
        return self.data.decode("utf-8")

    @property
    def concat(self) -> tuple[int, int, int] | None:
        """``(reference, total, number)`` of a concatenated SMS's part, else None."""
        udh, i = self.udh[1:], 0
        while i + 1 < len(udh):
            iei, length = udh[i], udh[i + 1]
            value = udh[i + 2:i + 2 + length]
            if iei == 0x00 and length == 3:
                return value[0], value[1], value[2]
            if iei == 0x08 and length == 4:
                return value[0] << 8 | value[1], value[2], value[3]
            i += 2 + length
        return None


_LINE = re.compile(r"^\S+ \S+ \[\d+\] \[\d+\] DEBUG: Got message \d+: <(.*)>$", re.M)
_MESSAGE = re.compile(r"(.*?) (\+?\d+) (text|data|ucs-2|udh) (.*)")
_COUNT = re.compile(r"DEBUG: Got message \d+: <.*? \+?\d+ (?:text|data|ucs-2|udh) ")


def _unquote(value: str) -> bytes:
    return urllib.parse.unquote_to_bytes(value.replace("+", " "))


def parse_fakesmsc_log(text: str) -> list[Received]:
    """What fakesmsc received. Its protocol is one line per SMS: bearerbox sends a GSM-7
    text's newline as is, and fakesmsc reads the rest as a message of its own; such a
    line (not ``sender receiver kind ...``) is joined back to the text before it."""
    received: list[Received] = []
    for match in _LINE.finditer(text):
        parsed = _MESSAGE.fullmatch(match.group(1))
        if parsed is None:
            if received and received[-1].kind == "text":
                last = received[-1]
                received[-1] = Received(last.sender, last.receiver, last.kind,
                                        last.data + b"\n" + match.group(1).encode())
            continue
        sender, receiver, kind, rest = parsed.groups()
        if kind == "text":
            received.append(Received(sender, receiver, kind, rest.encode()))
        elif kind == "udh":
            udh, _data, data = rest.partition(" data ")
            received.append(Received(sender, receiver, kind, _unquote(data), _unquote(udh)))
        else:
            received.append(Received(sender, receiver, kind, _unquote(rest)))
    return received


def reassemble(received: list[Received], *, ucs2: bool) -> list[str]:
    """The texts of ``received``, concatenated parts joined (in the order their first part
    came); ``ucs2``: the concatenated ones were sent as UCS-2."""
    texts: list = []
    groups: dict = {}
    for r in received:
        concat = r.concat
        if concat is None:
            texts.append(r.text)
            continue
        key = (r.sender, r.receiver, concat[0], concat[1])
        if key not in groups:
            groups[key] = {}
            texts.append(key)
        groups[key][concat[2]] = r.data
    out = []
    for t in texts:
        if isinstance(t, str):
            out.append(t)
        else:
            data = b"".join(groups[t][n] for n in sorted(groups[t]))
            out.append(data.decode("utf-16-be" if ucs2 else "utf-8"))
    return out


class KannelServer:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        (self.admin_port, self.smsbox_port, self.smsc_port,
         self.sendsms_port) = _free_ports(4)
        self.username = "abonent"
        self.password = "sendsms-pw"
        self.admin_password = "admin-pw"
        self.sendsms_url = f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"
        self.config = self.directory / "kannel.conf"
        self.fakesmsc_path = self.directory / "fakesmsc.log"
        self._processes: list[subprocess.Popen] = []

    def _write_config(self, log_level: int) -> None:
        d = self.directory
        self.config.write_text(f"""\
group = core
admin-port = {self.admin_port}
admin-interface = 127.0.0.1
admin-password = {_conf_value(self.admin_password)}
admin-allow-ip = 127.0.0.1
smsbox-port = {self.smsbox_port}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = {_conf_value(str(d / "bearerbox.log"))}
log-level = {log_level}
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = {self.smsc_port}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.smsbox_port}
sendsms-port = {self.sendsms_port}
sendsms-interface = 127.0.0.1
global-sender = "Abonent"
sendsms-chars = "0123456789+"
log-file = {_conf_value(str(d / "smsbox.log"))}
log-level = {log_level}

group = sendsms-user
username = {_conf_value(self.username)}
password = {_conf_value(self.password)}
max-messages = 30
concatenation = true

group = sms-service
keyword = default
text = "No service"
""")

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen:
        with open(self.directory / log_name, "wb") as log:
            process = subprocess.Popen(  # noqa: S603 (our own fixed command)
                args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=self.directory, start_new_session=True)
        self._processes.append(process)
        return process

    def _status(self) -> str:
        url = (f"http://127.0.0.1:{self.admin_port}/status.txt?"
               + urllib.parse.urlencode({"password": self.admin_password}))
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return response.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _wait(self, what: str, ready, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in self._processes:
                if p.poll() is not None:
                    self.stop()
                    raise KannelError(f"{p.args[0]} exited ({p.returncode}); "
                                      f"see the logs in {self.directory}")
            if ready():
                return
            time.sleep(0.05)
        self.stop()
        raise KannelError(f"{what} did not come up in {timeout}s; see {self.directory}")

    def start(self, *, log_level: int = 1) -> "KannelServer":
        self.directory.mkdir(parents=True, exist_ok=True)
        self._write_config(log_level)
        self._spawn([BEARERBOX, "-v", "2", str(self.config)], "bearerbox.out")
        self._wait("bearerbox", lambda: "Status: running" in self._status())
        # -m 0: fakesmsc sends no messages of its own, it only receives.
        self._spawn([FAKESMSC, "-H", "127.0.0.1", "-r", str(self.smsc_port), "-m", "0",
                     "1 2 text -"], "fakesmsc.log")
        self._wait("fakesmsc", lambda: re.search(r"FAKE:\d+ \(online", self._status()))
        self._spawn([SMSBOX, "-v", "2", str(self.config)], "smsbox.out")
        self._wait("smsbox", self._smsbox_ready)
        return self

    def _smsbox_ready(self) -> bool:
        if "Box connections:" not in self._status():
            return False
        try:
            socket.create_connection(("127.0.0.1", self.sendsms_port), timeout=0.5).close()
        except OSError:
            return False
        return True

    def fakesmsc_log(self) -> str:
        try:
            return self.fakesmsc_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def received(self) -> list[Received]:
        return parse_fakesmsc_log(self.fakesmsc_log())

    def received_count(self) -> int:
        # Counted without parsing each message (a benchmark polls this for thousands).
        return len(_COUNT.findall(self.fakesmsc_log()))

    def wait_received(self, count: int, timeout: float = 10) -> list[Received]:
        deadline = time.monotonic() + timeout
        while self.received_count() < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received()[:count]

    def stop(self) -> None:
        # smsbox first, bearerbox last: bearerbox waits for its boxes to go.
        for process in reversed(self._processes):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self._processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._processes.clear()


def kannel_start(directory, *, log_level: int = 1) -> KannelServer:
    """Start bearerbox, fakesmsc and smsbox on free loopback ports, configured and logging
    in ``directory``; returns when smsbox accepts sendsms requests. ``log_level``: Kannel's
    (0 debug … 4 panic; 2 or more for a benchmark)."""
    if not kannel_installed():
        raise KannelMissing("Kannel is not installed (Debian packages kannel, kannel-extras)")
    return KannelServer(Path(directory)).start(log_level=log_level)
