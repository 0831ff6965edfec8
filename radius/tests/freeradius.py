"""A real FreeRADIUS for the tests: the shipped ``deploy/freeradius`` files in a throwaway
server on loopback ports, and ``radclient`` to talk to it.

The configuration is a minimal ``radiusd.conf`` that includes Debian's stock modules (pap,
chap, mschap, always) and policies, and our module, policy and site; only the site's
listen ports are rewritten to free ones. No ``user``/``group``: FreeRADIUS runs as
whoever starts it, root included.
"""

import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "freeradius"
STOCK = Path("/etc/freeradius/3.0")
SECRET = "testing123"

RADIUSD_CONF = """\
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = {tmp}/log
raddbdir = {tmp}
radacctdir = {tmp}/radacct
name = freeradius
confdir = {tmp}
modconfdir = {stock}/mods-config
certdir = {stock}/certs
cadir = {stock}/certs
run_dir = {tmp}/run
db_dir = {tmp}
libdir = /usr/lib/freeradius
pidfile = {tmp}/run/radiusd.pid
max_request_time = 30
cleanup_delay = 0
max_requests = 16384
hostname_lookups = no
log {{
	destination = stdout
	colourise = no
	file = {tmp}/log/radius.log
	auth = no
}}
security {{
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
	status_server = yes
}}
proxy_requests = no
client localhost {{
	ipaddr = 127.0.0.1
	secret = {secret}
	nas_type = other
}}
thread pool {{
	start_servers = 2
	max_servers = 8
	min_spare_servers = 1
	max_spare_servers = 4
	max_requests_per_server = 0
	auto_limit_acct = no
}}
modules {{
	$INCLUDE {stock}/mods-available/pap
	$INCLUDE {stock}/mods-available/chap
	$INCLUDE {stock}/mods-available/mschap
	$INCLUDE {stock}/mods-available/always
	$INCLUDE {stock}/mods-available/expr
	$INCLUDE {stock}/mods-available/attr_filter
	$INCLUDE {deploy}/mods-available/abonent
}}
policy {{
	$INCLUDE {stock}/policy.d/accounting
	$INCLUDE {stock}/policy.d/filter
	$INCLUDE {deploy}/policy.d/abonent
}}
$INCLUDE {tmp}/site
"""


def free_udp_ports(count: int) -> list[int]:
    sockets, ports = [], []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
    return ports


def closed_tcp_port() -> int:
    """A loopback TCP port nobody listens on (it was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def site_for_test(auth_port: int, acct_port: int) -> str:
    """The shipped site with its listen sections on loopback and the given ports."""
    site = (DEPLOY / "sites-available" / "abonent").read_text()
    listens = re.findall(r"listen \{\n\ttype = (auth|acct)\n\tipaddr = \*\n\tport = 0\n\}", site)
    assert listens == ["auth", "acct"], "the shipped site's listen sections changed"
    for kind, port in (("auth", auth_port), ("acct", acct_port)):
        site = site.replace(f"\ttype = {kind}\n\tipaddr = *\n\tport = 0\n",
                            f"\ttype = {kind}\n\tipaddr = 127.0.0.1\n\tport = {port}\n")
    return site


@dataclass
class FreeRadius:
    process: subprocess.Popen
    auth_port: int
    acct_port: int
    log: Path
    workdir: Path = field(repr=False)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


CLIENT_BLOCK = """client localhost {{
	ipaddr = 127.0.0.1
	secret = {secret}
	nas_type = other
}}"""


def start(workdir: Path, *, url: str, key: str, clients: str | None = None) -> FreeRadius:
    """``freeradius -f`` with the shipped configuration, talking to Abonent at ``url``.

    ``clients``: clients.conf text replacing the test's own client (127.0.0.1, SECRET).
    """
    binary = shutil.which("freeradius") or shutil.which("radiusd")
    assert binary, "FreeRADIUS is not installed (scripts/test-deps.sh installs it)"
    for sub in ("log", "run", "radacct"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    auth_port, acct_port = free_udp_ports(2)
    (workdir / "site").write_text(site_for_test(auth_port, acct_port))
    conf = RADIUSD_CONF.format(tmp=workdir, stock=STOCK, deploy=DEPLOY, secret=SECRET)
    if clients is not None:
        (workdir / "clients.conf").write_text(clients)
        block = CLIENT_BLOCK.format(secret=SECRET)
        assert block in conf, "the test configuration's client changed"
        conf = conf.replace(block, f"$INCLUDE {workdir}/clients.conf")
    (workdir / "radiusd.conf").write_text(conf)
    # Debian's dictionary file in raddb only includes the shipped ones; keep it empty.
    (workdir / "dictionary").write_text("")
    return _launch(workdir, auth_port, acct_port,
                   env={"ABONENT_URL": url, "ABONENT_RADIUS_KEY": key})


# A NAS for CoA tests: FreeRADIUS listening for CoA/Disconnect-Requests. It knows one
# session (Acct-Session-Id "81a00003"): a request about it is ACKed, any other NAKed
# with Error-Cause Session-Context-Not-Found. Packets with a wrong secret are dropped.
COA_PEER_CONF = """\
prefix = /usr
localstatedir = /var
logdir = {tmp}/log
raddbdir = {tmp}
confdir = {tmp}
run_dir = {tmp}/run
libdir = /usr/lib/freeradius
pidfile = {tmp}/run/radiusd.pid
max_request_time = 30
cleanup_delay = 0
max_requests = 1024
log {{
	destination = stdout
	colourise = no
}}
security {{
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 0
}}
proxy_requests = no
client localhost {{
	ipaddr = 127.0.0.1
	secret = {secret}
}}
thread pool {{
	start_servers = 1
	max_servers = 2
	min_spare_servers = 1
	max_spare_servers = 1
}}
modules {{
	$INCLUDE {stock}/mods-available/always
}}
listen {{
	type = coa
	ipaddr = 127.0.0.1
	port = {port}
	virtual_server = nas
}}
server nas {{
	recv-coa {{
		if (&Acct-Session-Id == "81a00003") {{
			ok
		}}
		else {{
			update reply {{
				&Error-Cause := Session-Context-Not-Found
			}}
			reject
		}}
	}}
	send-coa {{
		ok
	}}
}}
"""


def start_coa_peer(workdir: Path) -> FreeRadius:
    """A FreeRADIUS acting as the NAS; its CoA port is ``auth_port``."""
    for sub in ("log", "run"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    port = free_udp_ports(1)[0]
    (workdir / "radiusd.conf").write_text(COA_PEER_CONF.format(
        tmp=workdir, stock=STOCK, secret=SECRET, port=port))
    (workdir / "dictionary").write_text("")
    return _launch(workdir, port, port, env={})


def _launch(workdir: Path, auth_port: int, acct_port: int, *, env: dict) -> FreeRadius:
    binary = shutil.which("freeradius") or shutil.which("radiusd")
    log = workdir / "freeradius.log"
    process = subprocess.Popen(  # noqa: S603
        [binary, "-f", "-xx", "-d", str(workdir), "-n", "radiusd", "-l", "stdout"],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, env={**os.environ, **env})
    server = FreeRadius(process, auth_port, acct_port, log, workdir)
    deadline = time.monotonic() + 20
    while "Ready to process requests" not in server.output():
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"FreeRADIUS did not start:\n{server.output()[-4000:]}")
        time.sleep(0.1)
    return server


@dataclass
class Reply:
    code: str | None  # "Access-Accept", "Access-Reject", "Accounting-Response" or None
    attributes: list[tuple[str, str]]
    output: str

    def get(self, name: str) -> list[str]:
        return [v for n, v in self.attributes if n == name]


def radclient(server: FreeRadius, kind: str, attributes: dict, *, timeout: float = 3,
              retries: int = 1, secret: str = SECRET) -> Reply:
    """Send one request with ``radclient`` and parse what came back.

    ``kind``: "auth" or "acct". ``attributes``: name → value (strings are quoted).
    """
    port = server.auth_port if kind == "auth" else server.acct_port
    lines = []
    for name, value in attributes.items():
        if isinstance(value, str) and not value.startswith("0x"):
            value = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines.append(f"{name} = {value}")
    result = subprocess.run(  # noqa: S603
        [shutil.which("radclient"), "-x", "-t", str(timeout), "-r", str(retries),
         f"127.0.0.1:{port}", kind, secret],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60)
    return _parse(result.stdout + result.stderr)


def radtest(server: FreeRadius, user: str, password: str, *, method: str) -> Reply:
    """``radtest -t <method>``: radtest computes MS-CHAPv2 itself, radclient cannot."""
    result = subprocess.run(  # noqa: S603
        [shutil.which("radtest"), "-t", method, user, password,
         f"127.0.0.1:{server.auth_port}", "0", SECRET, "0", "127.0.0.1"],
        capture_output=True, text=True, timeout=60)
    return _parse(result.stdout + result.stderr)


def _parse(output: str) -> Reply:
    code = None
    parsed: list[tuple[str, str]] = []
    received = re.search(r"^Received (\S+) Id \d+ .*$", output, re.MULTILINE)
    if received:
        code = received.group(1)
        for line in output[received.end():].splitlines()[1:]:
            match = re.match(r"^\s+([\w-]+) = (.*)$", line)
            if not match:
                break
            parsed.append((match.group(1), match.group(2).strip().strip('"')))
    return Reply(code, parsed, output)
