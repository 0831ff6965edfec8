"""A real FreeRADIUS for the tests, installed as the README says, and ``radclient`` to
talk to it.

``start`` copies Debian's ``/etc/freeradius/3.0`` and runs the README's install steps on
the copy (read from the README itself: the stock modules and the inner-tunnel site stay,
as on a real server, which is what decides how mschap names its Auth-Type); the test only
moves paths into its working directory, drops the user switch and the reject delay, and
puts the listeners on free loopback ports. ``RADIUSD_CONF`` is a minimal configuration
with the shipped files, kept for ``bench/radius.py``.
"""

import os
import re
import shlex
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "freeradius"
README = ROOT / "README.md"
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
    """A running FreeRADIUS; ``output`` is its log from ``offset`` (bytes) on.

    The tests share one per configuration (``radius/tests/conftest.py``): each test gets
    ``from_here()``, whose output is only what that test's requests logged.
    """

    process: subprocess.Popen
    auth_port: int
    acct_port: int
    log: Path
    workdir: Path = field(repr=False)
    offset: int = field(default=0, repr=False)

    def output(self) -> str:
        with self.log.open("rb") as stream:
            stream.seek(self.offset)
            return stream.read().decode(errors="replace")

    def from_here(self) -> "FreeRadius":
        """The same server, its output starting now."""
        return replace(self, offset=self.log.stat().st_size)

    def busy(self) -> list[str]:
        """The numbers of the requests in ``output`` not finished yet (a dropped packet
        is finished: "Dropping packet" follows its "Received")."""
        text = self.output()
        received = re.findall(r"(?m)^\((\d+)\) Received ", text)
        done = set(re.findall(r"(?m)^\((\d+)\) Finished request$", text))
        done |= set(re.findall(r"(?m)^\((\d+)\) Received .*\nDropping packet", text))
        return [number for number in received if number not in done]

    def wait_idle(self, timeout: float = 40) -> None:
        """Until every request in ``output`` is finished: nothing a test sent reaches
        Abonent after it (its database is emptied for the next test)."""
        deadline = time.monotonic() + timeout
        while busy := self.busy():
            if self.process.poll() is not None:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"FreeRADIUS still busy with requests {busy}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def readme_install_steps() -> list[list[str]]:
    """The file operations of the README's FreeRADIUS install block (``cp``, ``ln``,
    ``rm`` run in ``/etc/freeradius/3.0``), as argument lists, ``/path/to/abonent`` made
    this checkout. Every other line of the block must be one the tests stand in for
    (``README_ELSEWHERE``): a new kind of step fails here instead of being skipped."""
    text = README.read_text()
    section = text[text.index("## RADIUS (FreeRADIUS)"):]
    block = section[section.index("```sh\n") + 6:]
    block = block[:block.index("```")]
    steps = []
    for line in block.splitlines():
        line = line.strip()
        if not line or line.startswith(README_ELSEWHERE):
            continue
        words = shlex.split(line, comments=True)
        if words and words[0] in ("cp", "ln", "rm"):
            steps.append([w.replace("/path/to/abonent", str(ROOT)) for w in words])
        elif words:
            raise AssertionError(f"README step the tests do not know: {line!r}")
    return steps


# README steps the tests do their own way: packages are installed (scripts/test-deps.sh);
# the copy of /etc/freeradius/3.0 is the working directory; the clients file is written
# by ``start``; the key and URL (abonent.env) go into the environment; Debian's client
# localhost is removed by ``_for_test`` when the clients file names 127.0.0.1; FreeRADIUS
# is started by ``_launch`` (which waits until it is ready: the "-XC" check and more).
README_ELSEWHERE = ("apt-get install", "cd /etc/freeradius/3.0", "python manage.py",
                    "chown ", "echo '$INCLUDE abonent-clients.conf' >> clients.conf",
                    "install -m 600 /dev/null abonent.env", "echo 'ABONENT_",
                    "systemctl edit", "freeradius -XC")


def _install_like_readme(raddb: Path, *, clients: str) -> None:
    """Debian's configuration with the README's steps applied, in ``raddb``."""
    shutil.copytree(STOCK, raddb, symlinks=True)
    for step in readme_install_steps():
        subprocess.run(step, cwd=raddb, check=True)  # noqa: S603
    (raddb / "abonent-clients.conf").write_text(clients)
    with (raddb / "clients.conf").open("a") as conf:
        conf.write("\n$INCLUDE abonent-clients.conf\n")


def _for_test(raddb: Path, workdir: Path, *, auth_port: int, acct_port: int,
              inner_port: int, keep_localhost: bool) -> None:
    """What the tests change in the installed configuration, nothing else: paths into
    the working directory, no user/group switch (FreeRADIUS runs as whoever starts it),
    no reject delay (Debian's 1 s per reject), and loopback ports that are free."""
    conf = raddb / "radiusd.conf"
    text = conf.read_text()
    for name, value in (("raddbdir", raddb), ("logdir", workdir / "log"),
                        ("run_dir", workdir / "run")):
        text, count = re.subn(rf"(?m)^{name} = .*$", f"{name} = {value}", text)
        assert count == 1, f"radiusd.conf: {name} changed"
    text, count = re.subn(r"(?m)^\t(user|group) = freerad\n", "", text)
    assert count == 2, "radiusd.conf: user/group changed"
    text, count = re.subn(r"(?m)^(\treject_delay = )1$", r"\g<1>0", text)
    assert count == 1, "radiusd.conf: reject_delay changed"
    conf.write_text(text)
    # The README copied the site (cp): this rewrites the copy, not the checkout.
    (raddb / "sites-available" / "abonent").write_text(site_for_test(auth_port, acct_port))
    inner = raddb / "sites-available" / "inner-tunnel"
    text = inner.read_text()
    assert "port = 18120" in text, "inner-tunnel's port changed"
    inner.write_text(text.replace("port = 18120", f"port = {inner_port}"))
    if not keep_localhost:
        # Abonent's clients file names 127.0.0.1 itself: Debian's client of that address
        # would clash with it.
        clients = raddb / "clients.conf"
        text = clients.read_text()
        start = text.index("client localhost {")
        end = text.index("\n}\n", start) + 3
        clients.write_text(text[:start] + text[end:])


def start(workdir: Path, *, url: str, key: str, clients: str | None = None,
          tz: str | None = None) -> FreeRadius:
    """FreeRADIUS installed as the README says (Debian's configuration, the inner-tunnel
    site kept, the abonent module, policy and site), talking to Abonent at ``url``.

    ``clients``: the file ``radius_clients_conf`` writes (abonent-clients.conf); without
    it Debian's own client (127.0.0.1, SECRET) is the test's NAS. ``tz``: the host's
    time zone (``TZ``), which FreeRADIUS writes dates in.
    """
    binary = shutil.which("freeradius") or shutil.which("radiusd")
    assert binary, "FreeRADIUS is not installed (scripts/test-deps.sh installs it)"
    for sub in ("log", "run"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    auth_port, acct_port, inner_port = free_udp_ports(3)
    raddb = workdir / "raddb"
    _install_like_readme(raddb, clients=clients or "")
    _for_test(raddb, workdir, auth_port=auth_port, acct_port=acct_port,
              inner_port=inner_port, keep_localhost=clients is None)
    return _launch(raddb, auth_port, acct_port, log_dir=workdir,
                   env={"ABONENT_URL": url, "ABONENT_RADIUS_KEY": key,
                        **({"TZ": tz} if tz else {})})


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


# How many times ``_launch`` started FreeRADIUS in this process (the tests' summary
# line: the servers are shared, see radius/tests/conftest.py).
starts = 0


def _launch(workdir: Path, auth_port: int, acct_port: int, *, env: dict,
            log_dir: Path | None = None) -> FreeRadius:
    global starts
    starts += 1
    binary = shutil.which("freeradius") or shutil.which("radiusd")
    log = (log_dir or workdir) / "freeradius.log"
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
    """``radtest -t <method>`` (``mschap``: radtest computes an MS-CHAPv1 response)."""
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
