"""Messaging benchmark: 10,000 e-mails and 10,000 SMS end to end (``make bench``).

Runs against its own PostgreSQL database (``abonent_msg_bench``, created and migrated
when missing). The first run seeds one ISP with 10,000 customers by COPY, each with a
distinct name, customer number, e-mail address and mobile number (a few company names
carry quotes, ``&``, ``%`` and a backslash: text that crosses into SMTP headers and
Kannel's URL); later runs reuse them.

For each channel, the real servers run on loopback: an SMTP server (aiosmtpd,
``messaging/smtpd.py``) and Kannel bearerbox + smsbox with fakesmsc as the SMSC
(``messaging/kannel.py``). Celery worker processes (``--workers``, Redis on a free
database, flushed before and after) do the hand-over as in production, connected to
PostgreSQL as the application's role (row-level security on). A template per channel
with the customer's name and number is sent to a group of the first ``--emails`` /
``--sms`` customers through the product's bulk send (``messaging.bulk.bulk_send_start``:
a worker renders per recipient and queues in batches with
``services.message_bulk_queue``; other workers hand the batches to the gateway). The
clock runs from the call that starts the bulk send until every message is ``sent`` in
the database *and* received by the server; the figure is messages per second over that
time.

Every message the servers received is checked against its recipient's customer: the
subject and text must be exactly the ones built here from that customer's own data, the
customer number in them that customer's, and no recipient may get two. The workers time
each task's phases (claim / throttle / gateway / record, see
``messaging.services.message_send_run``) into Redis; RESULTS.md shows where the time went.

    scripts/with-postgres.sh .venv/bin/python bench/messaging.py [--emails N] [--sms N]
        [--workers 2] [--concurrency 1] [--batch-size 200]
"""

import argparse
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path, and its name would shadow
# the ``messaging`` app: the project root goes first and the bench folder is dropped.
sys.path[:] = [str(ROOT)] + [p for p in sys.path
                             if Path(p or ".").resolve() != ROOT / "bench"]

from bench import run as base  # noqa: E402

base.BENCH_DB = os.environ.get("BENCH_MESSAGING_DB", "abonent_msg_bench")
SECTION_START = "<!-- bench:messaging:start -->"
SECTION_END = "<!-- bench:messaging:end -->"
TENANT_SLUG = "bench-messaging"
TENANT_NAME = 'Sieć "Żuraw" & Syn'
STAFF_USERNAME = "bench-messaging"
TARGET = {"email": 200, "sms": 500}
# The bench's gateways may send as fast as the tenant setting allows (its maximum).
RATE_PER_SECOND = 10_000
PHASES_KEY = "bench:messaging:phases"

EMAIL_SUBJECT = "Saldo klienta nr {{ customer.number }}: {{ customer.name }}"
EMAIL_BODY = """Dzień dobry {{ customer.name }},

Twój numer klienta: {{ customer.number }}.
Rachunek do wpłat: {{ customer.account }}.

Pozdrawiamy
{{ tenant.name }}"""
SMS_BODY = "{{ customer.name }}, nr klienta {{ customer.number }}. Dziękujemy!"


def expected_email(c: dict) -> tuple[str, str]:
    """The subject and text customer ``c`` must receive, built without the template
    engine: what the rendering should produce."""
    subject = f"Saldo klienta nr {c['number']}: {c['name']}"
    body = (f"Dzień dobry {c['name']},\n\nTwój numer klienta: {c['number']}.\n"
            f"Rachunek do wpłat: {c['account']}.\n\nPozdrawiamy\n{TENANT_NAME}")
    return subject, body


def expected_sms(c: dict) -> str:
    return f"{c['name']}, nr klienta {c['number']}. Dziękujemy!"


# --------------------------------------------------------------------------- seeding

def ascii_slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return re.sub(r"[^a-z0-9]+", "", text.encode("ascii", "ignore").decode().lower())


def customer_rows(count: int) -> list[dict]:
    """``count`` customers with distinct names, numbers, e-mails and mobile numbers."""
    from faker import Faker

    rng = random.Random(1414)
    fake = Faker("pl_PL")
    fake.seed_instance(1414)
    firsts = sorted({fake.first_name() for _ in range(3000)})
    lasts = sorted({fake.last_name() for _ in range(20000)})
    seen, rows = set(), []
    for number in range(1, count + 1):
        if number % 499 == 0:  # text that crosses into other programs
            name = f'Firma "Żuk" & Syn\\Spółka {number}% „ą"'
            local = f"firma+zuk.{number}"
            rows.append({"number": number, "kind": "company", "company_name": name,
                         "first_name": "", "last_name": "", "name": name,
                         "email": f"{local}@example.pl", "phone": f"+4869{number:07d}"})
            continue
        while True:
            first, last = rng.choice(firsts), rng.choice(lasts)
            if (first, last) not in seen:
                seen.add((first, last))
                break
        rows.append({"number": number, "kind": "person", "company_name": "",
                     "first_name": first, "last_name": last, "name": f"{first} {last}",
                     "email": f"{ascii_slug(first)}.{ascii_slug(last)}.{number}@example.pl",
                     "phone": f"+4869{number:07d}"})
    return rows


def seed(count: int) -> dict:
    """The bench tenant with ``count`` customers (reused when already there)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from core.models import Membership, Tenant, User
    from core.roles import Role
    from customers import services
    from customers.models import Customer, Email, Phone
    from customers.validators import format_account

    tenant, _ = Tenant.objects.get_or_create(slug=TENANT_SLUG,
                                             defaults={"name": TENANT_NAME})
    if tenant.name != TENANT_NAME:
        Tenant.objects.filter(pk=tenant.pk).update(name=TENANT_NAME)
        tenant.refresh_from_db()
    staff = User.objects.filter(username=STAFF_USERNAME).first()
    if staff is None:
        staff = User.objects.create_user(username=STAFF_USERNAME,
                                         password=secrets.token_urlsafe(16),
                                         first_name="Bench", last_name="Messaging")
    Membership.objects.get_or_create(user=staff, tenant=tenant, defaults={"role": Role.ADMIN})

    rows = customer_rows(count)
    have = list(Customer.all_tenants.filter(tenant=tenant).order_by("number")
                .values_list("number", "first_name", "last_name", "company_name"))
    want = [(r["number"], r["first_name"], r["last_name"], r["company_name"]) for r in rows]
    if have != want:
        print(f"seeding {count:,} customers…")
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE customers_customer, core_actionlog RESTART IDENTITY "
                           "CASCADE")
        now = timezone.now()
        customers, phones, emails = [], [], []
        with base.cached_tenant_settings(), transaction.atomic():
            for i, r in enumerate(rows, start=1):
                customer = Customer(id=i, tenant=tenant, number=r["number"],
                                    kind=r["kind"], status=Customer.Status.CONNECTED,
                                    first_name=r["first_name"], last_name=r["last_name"],
                                    company_name=r["company_name"], created_at=now,
                                    updated_at=now)
                customer.virtual_account = services.virtual_account_number(
                    tenant=tenant, number=r["number"])
                customer.search_text = services.customer_search_text(
                    customer, phones=[r["phone"]], emails=[r["email"]])
                customers.append(customer)
                phones.append(Phone(id=i, tenant=tenant, customer_id=i, number=r["phone"],
                                    label="", for_notifications=True, for_invoices=False))
                emails.append(Email(id=i, tenant=tenant, customer_id=i, address=r["email"],
                                    label="", for_notifications=True, for_invoices=True))
            for model, objects in ((Customer, customers), (Phone, phones), (Email, emails)):
                base.copy_rows(model, objects)
        with connection.cursor() as cursor:
            for table in ("customers_customer", "customers_phone", "customers_email"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"coalesce((SELECT max(id) FROM {table}), 1))")
            cursor.execute("VACUUM ANALYZE")
        print(f"seeded in {time.perf_counter() - started:.1f} s")
    else:
        print(f"reusing the {count:,} seeded customers of {base.BENCH_DB}")
    accounts = dict(Customer.all_tenants.filter(tenant=tenant)
                    .values_list("number", "virtual_account"))
    for r in rows:
        r["account"] = format_account(accounts[r["number"]])
    return {"tenant": tenant, "staff": staff, "customers": rows}


def clear_messages() -> None:
    """Every run (and channel) starts from no messages."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE messaging_message, messaging_bulksend CASCADE")


# --------------------------------------------------------------------------- servers

class DlrSink:
    """Where Kannel posts its delivery reports during the bench: answered and counted,
    not processed (the bench measures queued → accepted by the gateway)."""

    def __init__(self):
        sink = self
        self.count = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                sink.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # Kannel hanging up early is no news here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def smtp_start():
    from messaging import smtpd

    return smtpd.smtpd_start()


def kannel_start(directory: Path):
    from messaging import kannel

    # Kannel's log at "warning": its debug lines for every SMS would cost CPU here.
    return kannel.kannel_start(directory, log_level=2)


def smtp_received(server) -> list:
    return server.messages


def smtp_count(server) -> int:
    return server.count


def sms_received(server) -> list[tuple[str, str]]:
    """(receiver, text) of every SMS fakesmsc got (the bench's are single-part)."""
    return [(m.receiver, m.text) for m in server.received()]


def sms_count(server) -> int:
    return server.received_count()


def gateways_set(ctx, smtp, kannel) -> None:
    """The tenant's e-mail and SMS gateways (``messaging.gateway_config``), pointed at
    this run's servers; a server not started: no gateway for its channel."""
    from messaging import gateway_config
    from messaging.models import Channel, Gateway

    staff = ctx["staff"]
    wanted = {}
    if smtp is not None:
        wanted[Channel.EMAIL] = {"kind": Gateway.Kind.SMTP, "host": smtp.host,
                                 "port": smtp.port, "from_address": "bok@zuraw.example.pl"}
    if kannel is not None:
        wanted[Channel.SMS] = {"kind": Gateway.Kind.KANNEL, "url": kannel.sendsms_url,
                               "username": kannel.username, "password": kannel.password,
                               "from_address": "Zuraw"}
    for gateway in Gateway.objects.all():
        if gateway.channel not in wanted:
            gateway_config.gateway_delete(actor=staff, gateway=gateway)
    for channel, values in wanted.items():
        values["rate_per_second"] = RATE_PER_SECOND
        gateway = Gateway.objects.filter(channel=channel).first()
        if gateway is None:
            gateway_config.gateway_create(actor=staff, channel=channel, **values)
        else:
            gateway_config.gateway_update(actor=staff, gateway=gateway, **values)


# --------------------------------------------------------------------------- workers

def free_redis_db() -> str:
    """The first empty Redis database from 14 down (15 is bench/documents.py's)."""
    import redis

    for db in range(14, 0, -1):
        url = f"redis://127.0.0.1:6379/{db}"
        if redis.Redis.from_url(url, socket_connect_timeout=2).dbsize() == 0:
            return url
    raise SystemExit("no empty Redis database (1-14) for the bench's Celery queue")


def worker_main(name: str, concurrency: int) -> None:
    """A Celery worker (``--worker``) whose tasks report their phases to Redis: the
    time in ``_claim``, ``_throttle``, ``_record`` and the rest of ``message_send_run``
    (the gateway), per task."""
    import django

    django.setup()
    import redis
    from celery.signals import task_postrun, task_prerun
    from django.db import connection

    from bench.radius import _ticks
    from config.celery import app
    from messaging import services

    r = redis.Redis.from_url(os.environ["REDIS_URL"])
    local = threading.local()

    def timed(phase, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                current = getattr(local, "phases", None)
                if current is not None:
                    current[phase] = current.get(phase, 0) + time.perf_counter() - started
        return wrapper

    for phase in ("_claim", "_throttle", "_record", "message_send_run"):
        setattr(services, phase, timed(phase.strip("_"), getattr(services, phase)))

    @task_prerun.connect(weak=False)
    def started(task_id=None, task=None, args=None, **kwargs):
        local.phases, local.started, local.at = {}, time.perf_counter(), time.time()

    @task_postrun.connect(weak=False)
    def finished(task_id=None, task=None, args=None, **kwargs):
        ids = args[1] if args and len(args) > 1 else None
        # Celery closes the database connection after each task (its Django fixup), so
        # the backend that served this task is gone before the bench could see it: its
        # CPU time is read now.
        backend = connection.connection
        pg_ticks = _ticks(backend.info.backend_pid) if backend is not None else 0
        r.rpush(PHASES_KEY, json.dumps({
            "task": task.name.rsplit(".", 1)[-1], "worker": name, "at": local.at,
            "total": time.perf_counter() - local.started, "pg_ticks": pg_ticks,
            "n": len(ids) if isinstance(ids, list) else 1, **local.phases}))
        local.phases = None

    app.worker_main(["worker", "-c", str(concurrency), "-n", f"{name}@%h",
                     "--loglevel=WARNING", "--without-gossip", "--without-mingle",
                     "--without-heartbeat"])


def start_worker(name: str, concurrency: int, env: dict, log_dir: Path) -> subprocess.Popen:
    log = open(log_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed by stop_workers
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--worker", name,
         "--concurrency", str(concurrency)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)  # its own process group: the pool's children go with it
    process.log = log
    return process


def stop_workers(workers) -> None:
    for process in workers:
        if process.poll() is None:
            process.terminate()
    for process in workers:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)  # a warm shutdown first
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the group of a worker started here
        process.wait()
        process.log.close()


def wait_for_workers(names, workers, timeout_s: float = 60) -> None:
    from config.celery import app

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in workers):
            raise RuntimeError("a Celery worker exited while starting")
        replies = app.control.ping(timeout=1.0)
        answered = {name.split("@")[0] for reply in replies for name in reply}
        if set(names) <= answered:
            return
    raise RuntimeError(f"the Celery workers did not answer within {timeout_s:.0f} s")


# --------------------------------------------------------------------------- sending

def template_get(ctx, channel: str):
    """The bench's template of ``channel``, created or brought up to date."""
    from messaging import templates_admin
    from messaging.models import MessageTemplate

    subject, body = (EMAIL_SUBJECT, EMAIL_BODY) if channel == "email" else ("", SMS_BODY)
    name = f"Bench: {channel}"
    template = MessageTemplate.objects.filter(channel=channel, name=name).first()
    if template is None:
        return templates_admin.message_template_create(
            actor=ctx["staff"], channel=channel, name=name, subject=subject, body=body)
    return templates_admin.message_template_update(
        actor=ctx["staff"], template=template, subject=subject, body=body, is_active=True)


def group_for(ctx, count: int):
    """A customer group of the first ``count`` customers (memberships written by COPY,
    before the bench runs as the application's role), reused while it holds them."""
    from django.db import connection
    from django.utils import timezone

    from customers import services
    from customers.models import CustomerGroup, GroupMembership

    name = f"Bench: the first {count} customers"
    group = CustomerGroup.objects.filter(name=name).first() or \
        services.group_create(actor=ctx["staff"], name=name)
    if GroupMembership.objects.filter(group=group).count() != count:
        GroupMembership.objects.filter(group=group).delete()
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM customers_groupmembership")
            last = cursor.fetchone()[0]
        now = timezone.now()
        base.copy_rows(GroupMembership, [
            GroupMembership(id=last + i, tenant=ctx["tenant"], customer_id=i, group=group,
                            added_at=now) for i in range(1, count + 1)])
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(pg_get_serial_sequence('customers_groupmembership', "
                           "'id'), (SELECT max(id) FROM customers_groupmembership))")
    return group


def queue(ctx, channel: str, count: int, template) -> int:
    """Start the bulk send to the first ``count`` customers, as staff do (the tenant's
    cap per bulk send raised to ``count`` when below it); its id."""
    from core.services import tenant_setting_set
    from messaging import bulk

    if bulk.bulk_cap() < count:
        tenant_setting_set(actor=ctx["staff"], key="messaging.bulk_cap", raw_value=count)
    audience = bulk.audience_clean(group=ctx["groups"][count])
    return bulk.bulk_send_start(actor=ctx["staff"], channel=channel, template=template,
                                audience=audience).pk


def wait_until_sent(channel: str, count: int, counted, bulk_id: int, workers,
                    timeout_s: float) -> dict:
    """Poll until ``count`` messages of ``channel`` are sent and the server has them all;
    fails early when one failed, the bulk send failed or every worker died."""
    from django.db.models import Count

    from messaging.models import BulkSend, Message, Status

    deadline = time.perf_counter() + timeout_s
    accepted = (Status.SENT, Status.DELIVERED)
    while True:
        by_status = dict(Message.objects.filter(channel=channel).values_list("status")
                         .annotate(n=Count("pk")).values_list("status", "n"))
        sent = sum(n for status, n in by_status.items() if status in accepted)
        got = counted()
        if sent >= count and got >= count:
            return {"by_status": by_status, "received": got}
        bulk = BulkSend.objects.values("state", "error").get(pk=bulk_id)
        if bulk["state"] == BulkSend.State.FAILED:
            raise RuntimeError(f"{channel}: the bulk send failed: {bulk['error']}")
        bad = {s: n for s, n in by_status.items() if s not in accepted and s != Status.QUEUED}
        if bad:
            reasons = list(Message.objects.filter(channel=channel).exclude(
                status__in=(*accepted, Status.QUEUED)).values_list("status_reason", flat=True)
                .distinct()[:3])
            raise RuntimeError(f"{channel}: messages ended {bad}: {reasons}")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{channel}: {sent}/{count} sent, {got} received, "
                               f"{by_status} after {timeout_s:.0f} s")
        if all(p.poll() is not None for p in workers):
            raise RuntimeError("every Celery worker exited before the send was done")
        time.sleep(0.25)


def db_span(channel: str, started_at) -> dict:
    """From the database: the start call to the first message written, and that to the
    last one accepted by the gateway."""
    from django.db.models import Max, Min

    from messaging.models import Message

    span = Message.objects.filter(channel=channel).aggregate(
        first=Min("created_at"), last=Max("sent_at"))
    return {"start_to_first_queued_s": round((span["first"] - started_at).total_seconds(), 2),
            "first_queued_to_last_sent_s": round((span["last"] - span["first"])
                                                 .total_seconds(), 2)}


def phases(redis_url: str) -> dict:
    """The workers' tasks of this round, summed per phase (seconds) and per worker."""
    import redis

    r = redis.Redis.from_url(redis_url)
    rows = [json.loads(x) for x in r.lrange(PHASES_KEY, 0, -1)]
    r.delete(PHASES_KEY)
    out = {"tasks": {}, "send": {}, "workers": sorted({x["worker"] for x in rows}),
           "pg_ticks": sum(x.get("pg_ticks", 0) for x in rows)}
    for x in rows:
        t = out["tasks"].setdefault(x["task"], {"count": 0, "total_s": 0.0})
        t["count"] += 1
        t["total_s"] += x["total"]
        if "message_send_run" in x:
            s = out["send"]
            s["tasks"] = s.get("tasks", 0) + 1
            s["messages"] = s.get("messages", 0) + x["n"]
            for key in ("claim", "throttle", "record", "message_send_run"):
                s[key] = s.get(key, 0.0) + x.get(key, 0.0)
            s["task_total"] = s.get("task_total", 0.0) + x["total"]
    s = out["send"]
    if s:
        s["gateway"] = s["message_send_run"] - s["claim"] - s["throttle"] - s["record"]
        s["task_overhead"] = s["task_total"] - s["message_send_run"]
        for key in list(s):
            if isinstance(s[key], float):
                s[key] = round(s[key], 2)
    for t in out["tasks"].values():
        t["total_s"] = round(t["total_s"], 2)
    return out


# --------------------------------------------------------------------------- checking

def email_text(message) -> tuple[str, str, str]:
    """(To address, Subject, text) of a received e-mail, decoded."""
    from email.header import decode_header, make_header
    from email.utils import getaddresses

    to = getaddresses([str(message["To"])])[0][1].lower()
    subject = str(make_header(decode_header(str(message["Subject"]))))
    part = next((p for p in message.walk() if p.get_content_type() == "text/plain"), None)
    payload = part.get_payload(decode=True) if part is not None else b""
    text = payload.decode(part.get_content_charset() or "utf-8") if payload else ""
    return to, " ".join(subject.split()), text.replace("\r\n", "\n").strip()


def check_personalisation(channel: str, received: list, customers: list[dict],
                          count: int) -> dict:
    """Every received message against its recipient's customer: exactly that customer's
    text, no number but theirs, one message per customer. Returns the counts and up to
    five examples of what went wrong."""
    key = "email" if channel == "email" else "phone"
    by_recipient = {c[key].lower() if channel == "email" else c[key].lstrip("+"): c
                    for c in customers[:count]}
    numbers = re.compile(r"klienta(?: nr)?:? (\d+)")
    seen, problems = set(), []
    for item in received:
        if channel == "email":
            recipient, subject, text = email_text(item)
        else:
            recipient, text = item
            recipient, subject = recipient.lstrip("+"), None
        c = by_recipient.get(recipient)
        if c is None:
            problems.append(f"to an unknown recipient {recipient!r}")
            continue
        if recipient in seen:
            problems.append(f"{recipient} got a second message")
        seen.add(recipient)
        if channel == "email":
            want_subject, want_text = expected_email(c)
            if subject != want_subject:
                problems.append(f"{recipient}: subject {subject!r} != {want_subject!r}")
        else:
            want_text = expected_sms(c)
        if text != want_text:
            problems.append(f"{recipient}: text {text!r} != {want_text!r}")
        found = set(numbers.findall(f"{subject or ''}\n{text}"))
        if found != {str(c["number"])}:
            problems.append(f"{recipient}: customer numbers {sorted(found)} in the message")
    missing = count - len(seen)
    if missing:
        problems.append(f"{missing} customers received nothing")
    return {"checked": len(received), "ok": not problems, "problems": len(problems),
            "examples": problems[:5]}


# --------------------------------------------------------------------------- a round

def cpu_meter(superuser_url: str, workers, kannel):
    """CPU time of each part from /proc (``bench/radius.py``): robust to other work on
    the machine, which the wall time is not."""
    from bench.radius import CpuMeter, _children

    worker_pids = [pid for p in workers for pid in (p.pid, *_children(p.pid))]
    parts = {"workers": worker_pids}
    if kannel is not None:
        parts["kannel"] = [p.pid for p in kannel._processes]
    return CpuMeter(superuser_url, parts)


def run_round(ctx, channel: str, count: int, counted, received, workers, redis_url: str,
              timeout_s: float, meter) -> dict:
    """Send ``count`` messages of ``channel``; ``counted()`` says how many the server has
    got so far, ``received()`` lists them for the check."""
    from django.utils import timezone

    from bench.radius import CpuMeter
    from core.tenancy import tenant_context

    clear_messages()
    phases(redis_url)  # forget the tasks of an earlier round
    with tenant_context(ctx["tenant"]):
        template = template_get(ctx, channel)
        print(f"{channel}: {count:,} messages…")
        meter.checkpoint()
        before = meter.snapshot()
        started, started_at = time.perf_counter(), timezone.now()
        bulk_id = queue(ctx, channel, count, template)
        done = wait_until_sent(channel, count, counted, bulk_id, workers, timeout_s)
        wall_s = time.perf_counter() - started
        cpu = CpuMeter.per_request_ms(before, meter.snapshot(), count)
        span = db_span(channel, started_at)
    time.sleep(0.5)  # let the last tasks report their phases
    spent = phases(redis_url)
    # The meter sees the backends alive at its snapshots; the workers' (one per task)
    # reported theirs.
    cpu["postgres"] = round(cpu["postgres"] + spent["pg_ticks"] / os.sysconf("SC_CLK_TCK")
                            * 1000 / count, 3)
    result = {"count": count, "wall_s": round(wall_s, 2), "per_s": round(count / wall_s, 1),
              **span, "by_status": done["by_status"], "phases": spent,
              "cpu_ms_per_message": {"total": round(sum(cpu.values()), 2), **cpu},
              "load": " / ".join(f"{x:.1f}" for x in os.getloadavg())}
    result["check"] = check_personalisation(channel, received(), ctx["customers"], count)
    print(f"{channel}: {result['per_s']}/s ({count:,} in {wall_s:.1f} s); "
          f"check: {result['check']}")
    return result


# --------------------------------------------------------------------------- reporting

def render_markdown(args, results: dict, skipped: dict, info: dict, batch_size: int) -> str:
    lines = [
        f"## Messaging: {args.emails:,} e-mails and {args.sms:,} SMS end to end "
        "(bench/messaging.py)",
        "",
        "Command: `make bench` (= `scripts/with-postgres.sh .venv/bin/python "
        f"bench/messaging.py --emails {args.emails} --sms {args.sms} --workers "
        f"{args.workers} --concurrency {args.concurrency}`), own database "
        f"`{base.BENCH_DB}`; MESSAGING_BATCH_SIZE={batch_size}; {args.workers} Celery "
        f"worker processes (`-c {args.concurrency}` each) on Redis, connected as the "
        "application's role (row-level security on). Servers on loopback: aiosmtpd "
        "(`messaging/smtpd.py`, in the bench's process), Kannel bearerbox + smsbox + "
        "fakesmsc (`messaging/kannel.py`; its delivery reports go to a sink in the bench's "
        "process that answers 200). The send is the product's bulk send to a customer "
        "group (`messaging.bulk.bulk_send_start`: one task splits the recipients into "
        "batches of 500, each batch a task that renders per recipient and queues; the "
        "messages go to the gateways as each batch commits). Timed from "
        "that call until every message is `sent` in the database and received by the "
        "server; the gateways' rate limit at its maximum "
        f"({RATE_PER_SECOND:,}/s).",
        "",
        "| channel | messages | wall s | messages/s | target | start → first queued s | "
        "first queued → last accepted s | personalisation check |",
        "|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for channel, r in results.items():
        met = "met" if r["per_s"] >= TARGET[channel] else "MISSED"
        check = r["check"]
        verdict = (f"{check['checked']:,} received, each exactly its customer's text"
                   if check["ok"] else
                   f"**{check['problems']} problems**: {'; '.join(check['examples'])}")
        lines.append(f"| {channel} | {r['count']:,} | {r['wall_s']} | **{r['per_s']}** | "
                     f"≥ {TARGET[channel]} ({met}) | {r['start_to_first_queued_s']} | "
                     f"{r['first_queued_to_last_sent_s']} | {verdict} |")
    for channel, why in skipped.items():
        lines.append(f"| {channel} | — | — | not measured | ≥ {TARGET[channel]} | — | — | "
                     f"{why} |")
    if results:
        lines += ["", "Where the workers' time went: seconds summed over the tasks of all "
                  "workers (wall time inside each task; `message_send_run` = claim + "
                  "throttle + gateway + record, `messaging.services`), and the share of "
                  "`message_send_run`:", "",
                  "| channel | send tasks | claim | throttle | gateway | record | "
                  "rendering (`bulk_send_run` + `bulk_send_batch`) |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for channel, r in results.items():
            s, tasks = r["phases"]["send"], r["phases"]["tasks"]
            run = s.get("message_send_run") or 1

            def part(key, s=s, run=run):
                return f"{s.get(key, 0)} ({s.get(key, 0) / run:.0%})"

            render = round(sum(tasks.get(t, {}).get("total_s", 0)
                               for t in ("bulk_send_run", "bulk_send_batch")), 2)
            lines.append(f"| {channel} | {s.get('tasks', 0)} | {part('claim')} | "
                         f"{part('throttle')} | {part('gateway')} | {part('record')} | "
                         f"{render} |")
        largest = []
        for channel, r in results.items():
            s = r["phases"]["send"]
            if s.get("message_send_run"):
                top = max(("claim", "throttle", "gateway", "record"), key=lambda k: s[k])
                largest.append(f"{channel}: the largest phase is {top}, "
                               f"{s[top] / s['message_send_run']:.0%} of the hand-over's time "
                               f"({s[top] * 1000 / s['messages']:.1f} ms per message).")
        lines += ["", " ".join(largest)] if largest else []
        lines += ["", "CPU time per message, from /proc (robust to other work on the "
                  "machine, unlike the wall time), and the rate those figures would allow "
                  f"on {info['cores']} otherwise idle cores:", "",
                  "| channel | workers ms | Kannel ms | PostgreSQL ms | bench process ms "
                  "(SMTP server, DLR sink) | total ms | ceiling messages/s | load at the end |",
                  "|---|---:|---:|---:|---:|---:|---:|---|"]
        for channel, r in results.items():
            c = r["cpu_ms_per_message"]
            ceiling = round(info["cores"] * 1000 / c["total"]) if c["total"] else "—"
            lines.append(f"| {channel} | {c['workers']} | {c.get('kannel', '—')} | "
                         f"{c['postgres']} | {c['generator']} | {c['total']} | {ceiling} | "
                         f"{r['load']} |")
    lines += [
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB RAM; "
        f"PostgreSQL {info['postgresql']}; Python {info['python']}; {info['date']}; "
        f"load average {info['load']} at the start. The workers, the servers, PostgreSQL "
        "and the bench share these cores.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--sms", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=10_000,
                        help="customers seeded (the sends go to the first ones)")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=1, help="-c of each worker")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="MESSAGING_BATCH_SIZE (default: the setting's)")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds to wait for each channel")
    parser.add_argument("--no-write", action="store_true",
                        help="print the figures only (results.json and RESULTS.md untouched)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker_main(args.worker, args.concurrency)
    if min(args.emails, args.sms) < 0 or max(args.emails, args.sms) == 0:
        parser.error("--emails and --sms must not be negative, and one above zero")
    base.LOAD_AT_START = " / ".join(f"{x:.1f}" for x in os.getloadavg())

    url = base.bench_database_url()
    base.ensure_database(url)
    from bench.documents import redis_reachable

    if (why := redis_reachable("redis://127.0.0.1:6379/0")) is not None:
        sys.exit(f"bench/messaging.py needs Redis on 127.0.0.1:6379 ({why})")
    redis_url = free_redis_db()
    os.environ["REDIS_URL"] = redis_url  # before Django starts: Celery and the cache
    if args.batch_size:
        os.environ["MESSAGING_BATCH_SIZE"] = str(args.batch_size)
    base.setup_django(url)
    from django.conf import settings
    from django.db import connection

    from bench.documents import flush_redis
    from core.tenancy import tenant_context

    batch_size = settings.MESSAGING_BATCH_SIZE
    ctx = seed(max(args.customers, args.emails, args.sms))
    clear_messages()
    with tenant_context(ctx["tenant"]):
        ctx["groups"] = {n: group_for(ctx, n) for n in {args.emails, args.sms} if n}
    role = base.as_app_role()
    parts = urlsplit(url)
    app_url = urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port or 5432}"))

    results, skipped = {}, {}
    workdir = Path(tempfile.mkdtemp(prefix="abonent-bench-messaging-"))
    log_dir = workdir / "logs"
    log_dir.mkdir()
    stack = contextlib.ExitStack()
    workers = []
    try:
        flush_redis(redis_url)
        sink = DlrSink()
        stack.callback(sink.stop)
        smtp = kannel = None
        if args.emails:
            smtp = smtp_start()
            stack.callback(smtp.stop)
        if args.sms:
            from messaging.kannel import KannelMissing

            try:
                kannel = kannel_start(workdir / "kannel")
                stack.callback(kannel.stop)
            except KannelMissing as e:
                skipped["sms"] = str(e)
                print(f"SMS not measured: {e}")
        with tenant_context(ctx["tenant"]):
            gateways_set(ctx, smtp, kannel)
        connection.close()
        env = {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": app_url, "DEBUG": "0",
               "LOG_LEVEL": "WARNING", "CONN_MAX_AGE": "60", "PYTHONPATH": str(ROOT),
               "MESSAGING_BATCH_SIZE": str(batch_size), "MESSAGING_PUBLIC_URL": sink.url,
               "DJANGO_SETTINGS_MODULE": "config.settings"}
        names = [f"m{i + 1}" for i in range(args.workers)]
        workers = [start_worker(name, args.concurrency, env, log_dir) for name in names]
        wait_for_workers(names, workers)
        meter = cpu_meter(url, workers, kannel)
        stack.callback(meter.conn.close)
        rounds = (("email", args.emails, lambda: smtp_count(smtp),
                   lambda: smtp_received(smtp)),
                  ("sms", args.sms, lambda: sms_count(kannel), lambda: sms_received(kannel)))
        for channel, count, counted, received in rounds:
            if channel in skipped:
                continue
            if count:
                results[channel] = run_round(ctx, channel, count, counted, received, workers,
                                             redis_url, args.timeout, meter)
            else:
                skipped[channel] = "not asked for (0)"
        print(f"Kannel delivery reports received by the sink: {sink.count}")
    except Exception:
        for log in sorted(log_dir.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")
        raise
    finally:
        stop_workers(workers)
        stack.close()
        flush_redis(redis_url)
        shutil.rmtree(workdir, ignore_errors=True)

    figures = {f"{channel}_per_s": r["per_s"] for channel, r in results.items()}
    checks_ok = all(r["check"]["ok"] for r in results.values())
    print(json.dumps({"figures": figures, "results": results}, indent=1, default=str))
    if not args.no_write:
        # Not measured is null, never an earlier run's figure left standing.
        figures = {"email_per_s": None, "sms_per_s": None, **figures,
                   "messaging_personalisation_ok": checks_ok,
                   "messaging_workers": args.workers * args.concurrency}
        base.write_results(figures, render_markdown(args, results, skipped, base.machine(),
                                                    batch_size),
                           start=SECTION_START, end=SECTION_END)
    if not checks_ok:
        sys.exit("the personalisation check failed: see above")


if __name__ == "__main__":
    main()
