"""RADIUS benchmark: Access-Requests and Interim-Updates through FreeRADIUS → Abonent.

Uses the database of ``bench/run.py`` (``abonent_bench``, or ``BENCH_DB``; seeded by it
when missing). One login per customer (100,000), each with a subscription of a tariff
with speeds, an address from a pool and a MikroTik NAS on 127.0.0.1, so every answer
carries Framed-IP-Address and Mikrotik-Rate-Limit.

Measured in one run, on loopback, with the generator below (one Python process keeping
``--concurrency`` requests in flight, or sending at a fixed rate):

1. Abonent as production serves it: gunicorn (``config.wsgi``, where ``radius.fastpath``
   answers the rlm_rest endpoints) behind the shipped FreeRADIUS configuration
   (``deploy/freeradius``): PAP Access-Requests for random logins — the most it answers
   per second, then the latency at a fixed 2,000 requests/s (p50/p99).
2. The same logins from FreeRADIUS's own ``files`` module (a users file written from the
   database): the ceiling of FreeRADIUS with this generator on this machine.
3. Accounting: a Start for each of ``--sessions`` logins, then Interim-Updates for them.

    scripts/with-postgres.sh .venv/bin/python bench/radius.py [--requests N] [--no-write]
"""

import argparse
import hashlib
import hmac
import json
import os
import random
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path
                             if Path(p or ".").resolve() != ROOT / "bench"]

from bench import run as base  # noqa: E402

SECTION_START = "<!-- bench:radius:start -->"
SECTION_END = "<!-- bench:radius:end -->"
SECRET = b"bench-secret"
NAS_IP = "127.0.0.1"
LOGINS = 100_000
PASSWORD = "bench-pass-1"
TARGETS = {"radius_auth_per_s": 2000, "radius_auth_p99_ms": 20, "radius_interim_per_s": 3000}


# --------------------------------------------------------------------------- data

def ensure_logins(tenant) -> dict:
    """A tariff, a MikroTik NAS, a pool, a key and one login per customer (in bulk; the
    snapshots computed by ``login_snapshot`` and written by COPY)."""
    from datetime import date

    from django.db import connection, transaction

    from customers.models import Customer
    from finance.models import Subscription, Tariff
    from radius import services
    from radius.attributes import login_snapshot
    from radius.models import IpPool, Login, Nas, RadiusKey

    staff = base_staff()
    nas = Nas.objects.filter(ip=NAS_IP).first() or services.nas_create(
        actor=staff, name="bench-nas", ip=NAS_IP, secret="coa-secret", kind="mikrotik")
    pool = IpPool.objects.filter(name="bench").first() or services.pool_create(
        actor=staff, name="bench", network="10.64.0.0/14", range_start="10.64.0.1",
        range_end="10.67.255.254", gateway=None)
    RadiusKey.objects.filter(name="bench").delete()
    _key_row, key = services.radius_key_create(actor=staff, name="bench")
    have = Login.objects.count()
    if have == LOGINS:
        print(f"reusing {have:,} logins")
        return {"key": key, "nas": nas}
    print(f"writing {LOGINS:,} logins…")
    started = time.perf_counter()
    tariff = Tariff.objects.filter(name="Bench 300/50").first() or Tariff.objects.create(
        name="Bench 300/50", net_price="60.00", vat_rate="23", download_kbps=300_000,
        upload_kbps=50_000)
    customers = list(Customer.objects.order_by("id").values_list("id", flat=True)[:LOGINS])
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM radius_login_nases")
            cursor.execute("DELETE FROM radius_sessionsample")
            cursor.execute("DELETE FROM radius_radiussession")
            cursor.execute("DELETE FROM radius_authevent")
            cursor.execute("DELETE FROM radius_login")
        Subscription.objects.filter(tariff=tariff).delete()
        subscriptions = Subscription.objects.bulk_create(
            [Subscription(tenant_id=tenant.pk, customer_id=c, tariff=tariff,
                          start_date=date(2026, 1, 1))
             for c in customers], batch_size=5000)
        first = int.from_bytes(socket.inet_aton("10.64.0.1"), "big")
        logins = []
        for n, subscription in enumerate(subscriptions):
            logins.append(Login(
                tenant_id=tenant.pk, customer_id=subscription.customer_id,
                login=f"bench{n:06d}", password=PASSWORD, pool=pool,
                ip=socket.inet_ntoa((first + n).to_bytes(4, "big")),
                subscription=subscription))
        Login.objects.bulk_create(logins, batch_size=5000)
        # The snapshot as the services compute it (login_snapshot), written in bulk.
        rows = Login.objects.select_related("subscription__tariff").prefetch_related(
            "nases", "subscription__suspensions").order_by("id")

        snapshots = [(login.pk, json.dumps(login_snapshot(login, [])))
                     for login in rows.iterator(chunk_size=5000)]
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE bench_snapshot (id bigint, s jsonb) "
                           "ON COMMIT DROP")
            with cursor.cursor.copy("COPY bench_snapshot (id, s) FROM STDIN") as copy:
                for row in snapshots:
                    copy.write_row(row)
            cursor.execute("UPDATE radius_login l SET radius_snapshot = b.s "
                           "FROM bench_snapshot b WHERE b.id = l.id")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE radius_login")
    print(f"logins written in {time.perf_counter() - started:.1f} s")
    return {"key": key, "nas": nas}


def base_staff():
    from core.models import User

    return User.objects.get(username="bench")


# --------------------------------------------------------------------------- packets

def _attr(kind: int, value: bytes) -> bytes:
    return struct.pack("!BB", kind, len(value) + 2) + value


def _pap(password: bytes, authenticator: bytes) -> bytes:
    padded = password + b"\0" * (-len(password) % 16)
    out, last = b"", authenticator
    for i in range(0, len(padded), 16):
        digest = hashlib.md5(SECRET + last, usedforsecurity=False).digest()
        block = bytes(a ^ b for a, b in zip(padded[i:i + 16], digest, strict=True))
        out, last = out + block, block
    return out


def access_request(login: str) -> bytearray:
    """An Access-Request with PAP; its ID byte is set when sent (PAP does not sign it)."""
    authenticator = os.urandom(16)
    attributes = (_attr(1, login.encode()) + _attr(2, _pap(PASSWORD.encode(), authenticator))
                  + _attr(4, socket.inet_aton(NAS_IP)) + _attr(6, struct.pack("!I", 2))
                  + _attr(7, struct.pack("!I", 1)))
    return bytearray(struct.pack("!BBH", 1, 0, 20 + len(attributes)) + authenticator
                     + attributes)


def accounting_request(login: str, ip: str, status: int, seconds: int,
                       octets: int) -> bytearray:
    """An Accounting-Request without its authenticator (it covers the ID: see ``sign``)."""
    attributes = (_attr(40, struct.pack("!I", status)) + _attr(1, login.encode())
                  + _attr(44, f"s-{login}".encode()) + _attr(4, socket.inet_aton(NAS_IP))
                  + _attr(8, socket.inet_aton(ip)) + _attr(46, struct.pack("!I", seconds))
                  + _attr(42, struct.pack("!I", octets // 8))
                  + _attr(43, struct.pack("!I", octets)))
    return bytearray(struct.pack("!BBH", 4, 0, 20 + len(attributes)) + b"\0" * 16
                     + attributes)


def sign(packet: bytearray) -> None:
    packet[4:20] = b"\0" * 16
    packet[4:20] = hashlib.md5(bytes(packet) + SECRET, usedforsecurity=False).digest()


def drive(port: int, packets: list[bytearray], *, concurrency: int = 64,
          rate: float | None = None, signed: bool = False, timeout: float = 5.0) -> dict:
    """Send ``packets``: ``concurrency`` in flight, or at ``rate`` per second.

    Returns the wall time, answers by code and the latencies (ms) of the answered ones.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    free = list(range(256))
    in_flight: dict[int, float] = {}
    latencies, codes, lost = [], {}, 0
    sent = 0
    started = time.perf_counter()
    limit = min(concurrency, 256)
    while sent < len(packets) or in_flight:
        now = time.perf_counter()
        while sent < len(packets) and len(in_flight) < limit and free and (
                rate is None or now >= started + sent / rate):
            ident = free.pop()
            packet = packets[sent]
            packet[1] = ident
            if signed:
                sign(packet)
            sock.send(packet)
            in_flight[ident] = time.perf_counter()
            sent += 1
        wait = 0.05
        if rate is not None and sent < len(packets):
            wait = max(0.0, started + sent / rate - time.perf_counter())
        readable, _, _ = select.select([sock], [], [], wait)
        if readable:
            while True:
                try:
                    data = sock.recv(4096)
                except BlockingIOError:
                    break
                ident = data[1]
                at = in_flight.pop(ident, None)
                if at is None:
                    continue
                latencies.append((time.perf_counter() - at) * 1000)
                codes[data[0]] = codes.get(data[0], 0) + 1
                free.append(ident)
        now = time.perf_counter()
        for ident, at in list(in_flight.items()):
            if now - at > timeout:
                del in_flight[ident]
                free.append(ident)
                lost += 1
    wall = time.perf_counter() - started
    sock.close()
    latencies.sort()
    return {"wall_s": wall, "codes": codes, "lost": lost, "answered": len(latencies),
            "per_s": len(latencies) / wall,
            "p50_ms": base.percentile(latencies, 50) if latencies else None,
            "p99_ms": base.percentile(latencies, 99) if latencies else None}


# --------------------------------------------------------------------------- servers

def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web(url: str, server: str, workers: int, threads: int
              ) -> tuple[subprocess.Popen, int]:
    """The WSGI application (``config.wsgi``) under ``server``, as deployed."""
    port = free_tcp_port()
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "CONN_MAX_AGE": "600",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "DJANGO_SETTINGS_MODULE": "config.settings"}
    bin_dir = Path(sys.executable).parent
    if server == "granian":
        command = [str(bin_dir / "granian"), "--interface", "wsgi", "config.wsgi:application",
                   "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                   "--blocking-threads", str(threads), "--log-level", "warning",
                   "--no-access-log"]
    else:
        command = [str(bin_dir / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}",
                   "--workers", str(workers), "--threads", str(threads), "--worker-class",
                   "gthread" if threads > 1 else "sync", "--keep-alive", "60",
                   "--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/radius/rest/authorize",  # noqa: S310
                                   timeout=1)
        except urllib.error.HTTPError:
            break  # it answers (405 for a GET)
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start") from None
            time.sleep(0.2)
    return process, port


def freeradius_conf(workdir: Path, *, threads: int) -> None:
    """The test server's configuration with a production-sized thread pool, no debug."""
    from radius.tests import freeradius

    text = (workdir / "radiusd.conf").read_text()
    text = text.replace("max_servers = 8", f"max_servers = {threads}").replace(
        "start_servers = 2", f"start_servers = {threads}").replace(
        "max_spare_servers = 4", f"max_spare_servers = {threads}").replace(
        f"secret = {freeradius.SECRET}", f"secret = {SECRET.decode()}")
    (workdir / "radiusd.conf").write_text(text)


def start_freeradius(workdir: Path, *, url: str, key: str, threads: int, files: Path | None
                     ) -> tuple[subprocess.Popen, int, int]:
    """FreeRADIUS with the shipped site (``files``: a site answering from a users file)."""
    from radius.tests import freeradius

    for sub in ("log", "run", "radacct"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    auth_port, acct_port = freeradius.free_udp_ports(2)
    site = freeradius.site_for_test(auth_port, acct_port)
    if files is not None:
        site = FILES_SITE.format(auth_port=auth_port, users=files)
    (workdir / "site").write_text(site)
    (workdir / "radiusd.conf").write_text(freeradius.RADIUSD_CONF.format(
        tmp=workdir, stock=freeradius.STOCK, deploy=freeradius.DEPLOY,
        secret=freeradius.SECRET))
    freeradius_conf(workdir, threads=threads)
    if files is not None:
        text = (workdir / "radiusd.conf").read_text().replace(
            "modules {", "modules {\n\tfiles {\n\t\tfilename = " + str(files)
            + "\n\t\tacctusersfile = " + str(files) + "\n\t}", 1)
        (workdir / "radiusd.conf").write_text(text)
    (workdir / "dictionary").write_text("")
    binary = shutil.which("freeradius") or shutil.which("radiusd")
    log = workdir / "freeradius.log"
    process = subprocess.Popen(  # noqa: S603
        [binary, "-f", "-d", str(workdir), "-n", "radiusd", "-l", "stdout"],
        stdout=log.open("wb"), stderr=subprocess.STDOUT,
        env={**os.environ, "ABONENT_URL": url, "ABONENT_RADIUS_KEY": key})
    # Ready when it answers a Status-Server.
    deadline = time.monotonic() + 30
    while not _status_server(auth_port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"FreeRADIUS did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    return process, auth_port, acct_port


def _status_server(port: int) -> bool:
    """A Status-Server (RFC 5997) signed by its Message-Authenticator: an Access-Accept back."""
    attributes = _attr(80, b"\0" * 16)  # Message-Authenticator, filled in below
    packet = bytearray(struct.pack("!BBH", 12, 1, 20 + len(attributes)) + os.urandom(16)
                       + attributes)
    packet[22:38] = hmac.new(SECRET, bytes(packet), "md5").digest()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        try:
            sock.sendto(packet, ("127.0.0.1", port))
            return sock.recv(4096)[0] == 2
        except OSError:
            return False


FILES_SITE = """\
server files_only {{
listen {{
	type = auth
	ipaddr = 127.0.0.1
	port = {auth_port}
}}
authorize {{
	files
	pap
}}
authenticate {{
	Auth-Type PAP {{
		pap
	}}
}}
}}
"""


def users_file(path: Path) -> None:
    """Each login as FreeRADIUS's ``files`` module reads it, attributes as Abonent sends."""
    from radius.attributes import reply_for_nas
    from radius.models import Login

    with path.open("w") as out:
        for login, snapshot in Login.objects.order_by("id").values_list(
                "login", "radius_snapshot").iterator(chunk_size=10_000):
            reply = reply_for_nas(snapshot, "mikrotik")
            pairs = [f'{key.split(":", 1)[1]} {entry["op"]} "{value}"'
                     for key, entry in reply.items() for value in entry["value"]]
            out.write(f'{login} Cleartext-Password := "{PASSWORD}"\n\t'
                      + ",\n\t".join(pairs) + "\n\n")


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,  # noqa: S607
                         text=True).stdout
    return [int(p) for p in out.split()]


class CpuMeter:
    """CPU seconds each part spent during a measurement, from /proc (robust to load)."""

    def __init__(self, url: str, parts: dict[str, list[int]]):
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.parts = parts

    def _postgres(self) -> list[int]:
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()").fetchall()
        return [r[0] for r in rows]

    def checkpoint(self) -> None:
        """Start a measurement with nothing left to flush: a checkpoint that falls into one
        phase and not another made runs differ by a fifth."""
        self.conn.execute("CHECKPOINT")

    def snapshot(self) -> dict[str, int]:
        parts = {name: sum(_ticks(p) for p in pids) for name, pids in self.parts.items()}
        parts["postgres"] = sum(_ticks(p) for p in self._postgres())
        parts["generator"] = _ticks(os.getpid())
        return parts

    @staticmethod
    def per_request_ms(before: dict, after: dict, requests: int) -> dict[str, float]:
        hz = os.sysconf("SC_CLK_TCK")
        return {name: round((after[name] - before[name]) / hz * 1000 / requests, 3)
                for name in before}


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


# --------------------------------------------------------------------------- report

def render(args, figures: dict, info: dict) -> str:
    f = figures
    mark = {k: "✔" if (f[k] >= v if not k.endswith("_ms") else f[k] < v) else "✘"
            for k, v in TARGETS.items()}
    return "\n".join([
        "## RADIUS: FreeRADIUS → Abonent",
        "",
        f"`{info['command']}` — {f['radius_bench_logins']:,} logins, "
        f"{args.requests:,} Access-Requests per measurement, database `{base.BENCH_DB}`.",
        f"Machine: {info['cpu']} ({info['cores']} cores), {info['ram_gb']} GB RAM, PostgreSQL "
        f"{info['postgresql']}, Python {info['python']}, load at start {info['load']}. "
        f"Everything on this machine: the generator (one Python process), FreeRADIUS "
        f"3.2 ({args.radius_threads} threads), {args.server} ({args.workers} workers × "
        f"{args.threads} threads) and PostgreSQL.",
        "",
        "| measurement | figure | target |",
        "|---|---|---|",
        f"| Access-Requests/s through FreeRADIUS → Abonent ({args.concurrency} in flight) "
        f"| **{f['radius_auth_per_s']:,}** | ≥ 2,000 {mark['radius_auth_per_s']} |",
        f"| latency at a steady {args.rate:,}/s: p50 / p99 | {f['radius_auth_p50_ms']} / "
        f"**{f['radius_auth_p99_ms']} ms** | p99 < 20 ms {mark['radius_auth_p99_ms']} |",
        f"| latency at a steady {args.rate // 2:,}/s: p50 / p99 | "
        f"{f['radius_auth_half_rate_p50_ms']} / {f['radius_auth_half_rate_p99_ms']} ms | |",
        f"| the same from FreeRADIUS's `files` module (the ceiling) | "
        f"{f['freeradius_files_auth_per_s']:,} | |",
        f"| Interim-Updates/s through FreeRADIUS → Abonent | "
        f"**{f['radius_interim_per_s']:,}** | ≥ 3,000 {mark['radius_interim_per_s']} |",
        f"| Accounting Starts/s | {f['radius_start_per_s']:,} | |",
        "",
        f"Every Access-Request was answered with Access-Accept "
        f"({f['radius_auth_accepts']:,} of {f['radius_auth_sent']:,}; lost "
        f"{f['radius_auth_lost']}), each with Framed-IP-Address and Mikrotik-Rate-Limit; "
        f"every accounting request with an Accounting-Response. The shipped site runs as in "
        f"production: authorize checks the PAP password, logs the accept and flags it, so "
        f"FreeRADIUS makes one call per Access-Request (post-auth only for rejects and "
        f"MS-CHAP).",
        "",
        f"CPU per Access-Request (ms, from /proc during the first measurement): "
        f"{_cpu_text(f['radius_auth_cpu_ms'])}; per interim: "
        f"{_cpu_text(f['radius_interim_cpu_ms'])}. Two cores give about 2,000 ms of CPU a "
        f"second, so the sum bounds the rate.",
    ])


def _cpu_text(parts: dict) -> str:
    return ", ".join(f"{name} {ms}" for name, ms in parts.items()) + \
        f" (sum {sum(parts.values()):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=60_000)
    parser.add_argument("--sessions", type=int, default=30_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rate", type=int, default=2000)
    parser.add_argument("--server", choices=["granian", "gunicorn"], default="granian")
    # On 2 cores: 2 workers × 1 thread and 8 FreeRADIUS threads (more only queue and
    # switch: 2×2, 3×4 and 32 threads measured slower here).
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--radius-threads", type=int, default=8)
    parser.add_argument("--no-write", action="store_true",
                        help="print the figures only; leave RESULTS.md and results.json alone")
    args = parser.parse_args()
    base.LOAD_AT_START = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    warnings.filterwarnings("ignore", message="No directory at")
    url = base.bench_database_url()
    base.ensure_database(url)
    base.setup_django(url)
    from django.db import connection

    from core.models import Tenant
    from core.tenancy import tenant_context
    from radius.models import Login

    if Tenant.objects.filter(slug=base.MAIN_SLUG).first() is None:
        base.seed(100_000, 3_000)
    tenant = Tenant.objects.get(slug=base.MAIN_SLUG)
    with tenant_context(tenant):
        data = ensure_logins(tenant)
        logins = list(Login.objects.order_by("id").values_list("login", "ip"))
        with connection.cursor() as cursor:
            # Every run starts from empty logs. TRUNCATE, not DELETE: the dead rows a
            # DELETE leaves slow every lookup until a vacuum, and this machine's
            # PostgreSQL runs without autovacuum.
            cursor.execute("TRUNCATE radius_sessionsample, radius_radiussession, "
                           "radius_authevent CASCADE")  # the reloads that name a session
            cursor.execute("VACUUM ANALYZE radius_login, radius_nas, radius_radiuskey")
        workdir = Path(tempfile.mkdtemp(prefix="bench-radius-"))
        users = workdir / "users"
        users_file(users)
        role = base.as_app_role()
    connection.close()
    # The web server connects as the application's role (bench/run.py ``as_app_role``).
    parts = urlsplit(url)
    app_url = urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port or 5432}"))

    rng = random.Random(2865)
    figures = {"radius_bench_logins": len(logins)}

    def auth_packets(count: int) -> list[bytearray]:
        return [access_request(rng.choice(logins)[0]) for _ in range(count)]

    def at_rate(rate: float, seconds: int) -> dict:
        """Access-Requests sent at a steady ``rate`` for ``seconds``: the latency."""
        result = drive(auth_port, auth_packets(int(rate * seconds)), rate=rate,
                       concurrency=256)
        print(f"at {rate:g}/s:", result)
        return result

    web, web_port = start_web(app_url, args.server, args.workers, args.threads)
    radius, auth_port, acct_port = start_freeradius(
        workdir / "abonent", url=f"http://127.0.0.1:{web_port}", key=data["key"],
        threads=args.radius_threads, files=None)
    try:
        warm = drive(auth_port, auth_packets(3000), concurrency=args.concurrency)
        print("warm-up:", warm)
        meter = CpuMeter(url, {"web": [web.pid, *_children(web.pid)],
                               "freeradius": [radius.pid]})
        packets = auth_packets(args.requests)
        meter.checkpoint()
        before = meter.snapshot()
        run = drive(auth_port, packets, concurrency=args.concurrency)
        auth_cpu = CpuMeter.per_request_ms(before, meter.snapshot(), args.requests)
        print("max:", run, "CPU ms per request:", auth_cpu)
        steady = at_rate(args.rate, 15)
        half = at_rate(args.rate / 2, 10)
        sessions = logins[:args.sessions]
        starts = drive(acct_port, [accounting_request(login, ip, 1, 0, 0)
                                   for login, ip in sessions],
                       concurrency=args.concurrency, signed=True)
        print("starts:", starts)
        packets = [accounting_request(login, ip, 3, 300, 10_000_000 + n)
                   for n, (login, ip) in enumerate(sessions)]
        meter.checkpoint()
        before = meter.snapshot()
        interims = drive(acct_port, packets, concurrency=args.concurrency, signed=True)
        interim_cpu = CpuMeter.per_request_ms(before, meter.snapshot(), len(packets))
        print("interims:", interims, "CPU ms per request:", interim_cpu)
    finally:
        stop(radius)
        stop(web)
    files_radius, files_port, _ = start_freeradius(
        workdir / "files", url="http://127.0.0.1:9", key="-", threads=args.radius_threads,
        files=users)
    try:
        files_run = drive(files_port, auth_packets(args.requests),
                          concurrency=args.concurrency)
        print("files:", files_run)
    finally:
        stop(files_radius)
    shutil.rmtree(workdir, ignore_errors=True)

    figures.update({
        "radius_auth_per_s": round(run["per_s"]),
        "radius_auth_sent": args.requests,
        "radius_auth_accepts": run["codes"].get(2, 0),
        "radius_auth_lost": run["lost"],
        "radius_auth_p50_ms": round(steady["p50_ms"], 2),
        "radius_auth_p99_ms": round(steady["p99_ms"], 2),
        "radius_auth_half_rate_p50_ms": round(half["p50_ms"], 2),
        "radius_auth_half_rate_p99_ms": round(half["p99_ms"], 2),
        "radius_auth_max_p99_ms": round(run["p99_ms"], 2),
        "freeradius_files_auth_per_s": round(files_run["per_s"]),
        "radius_start_per_s": round(starts["per_s"]),
        "radius_interim_per_s": round(interims["per_s"]),
        "radius_auth_cpu_ms": auth_cpu,
        "radius_interim_cpu_ms": interim_cpu,
    })
    info = base.machine()
    info["command"] = "make bench (bench/radius.py)"
    if args.no_write:
        print(figures)
        return
    base.write_results(figures, render(args, figures, info), start=SECTION_START,
                       end=SECTION_END)
    print(figures)


if __name__ == "__main__":
    main()
