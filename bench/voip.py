"""VoIP benchmark: 1,000,000 CDRs rated with a 5,000-prefix price list for 100,000 phones,
and 10,000 phones provisioned into Asterisk's realtime tables (``make bench``).

Its own databases, made afresh each run: ``abonent_bench_voip`` (or ``BENCH_VOIP_DB``,
migrated) and beside it ``<that>_asterisk`` with Asterisk's realtime schema loaded as the
VoIP tests load it (``voip/tests/conftest.py``). Untimed, in bulk but as the services
would leave the data:

* a tenant with ``--phones`` phones (100,000) on customers seeded by ``bench/run.py``'s
  seeder (1-2 phones each), their numbers taken from ranges made by the service, SIP
  passwords generated and encrypted as ``phone_create`` does; free minutes (with billing
  groups) on 30 % of them, free numbers on 5 %, an amount limit on 3 % and a notification
  threshold on 10 %;
* one price list of 5,000 prefixes over six billing groups (longest prefix wins: deeper
  prefixes under the country's, the mobile operators' and the zones');
* ``--cdrs`` CDRs (1,000,000) written into Asterisk's ``cdr`` table by COPY, as Asterisk
  writes them: the endpoint's ``accountcode`` as ``voip.asterisk`` provisions it, calls
  of the last 30 days (both billing periods), dialled as people dial (``+48…``,
  ``0048…``, 9 national digits, extensions), 15 % unanswered, some to free numbers, a few
  of phones since removed; plus 1 % of another tenant's, which the import must not read.

Timed, as the application's database role (row-level security on):

1. ``voip.cdr.cdr_import_asterisk`` end to end — read, rating, the calls stored, the
   usage rows, the limit blocks (and their provisioning, run eagerly here as Celery does
   without a broker) and the threshold notes on the cards → ``voip_cdr_rated_per_s``
   (target ≥ 50,000/s);
2. the same import again: it reads back one hour (late CDRs) and rates nothing;
3. every CDR read again (the import state reset): each one found rated already;
4. provisioning: ``--provision`` phones of a second tenant written one by one by
   ``asterisk.phone_provision`` (what the Celery task of a changed phone runs; the first
   ``--one-by-one`` of them), then all of them by ``asterisk.phones_reconcile`` (what
   ``manage.py voip_reconcile`` runs) → ``voip_provision_per_s``; and the reconciliation
   once more, finding nothing to do.

``--profile`` prints cProfile's view of the first import.

    scripts/with-postgres.sh .venv/bin/python bench/voip.py [--cdrs 1000000]
        [--phones 100000] [--provision 10000] [--profile] [--no-write]
"""

import argparse
import cProfile
import datetime
import json
import os
import pstats
import random
import sys
import time
import warnings
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path
                             if Path(p or ".").resolve() != ROOT / "bench"]

from bench import run as base  # noqa: E402

base.BENCH_DB = os.environ.get("BENCH_VOIP_DB", "abonent_bench_voip")
ASTERISK_DB = f"{base.BENCH_DB}_asterisk"
SECTION_START = "<!-- bench:voip:start -->"
SECTION_END = "<!-- bench:voip:end -->"
TARGET_CDR_PER_S = 50_000
FULL = {"cdrs": 1_000_000, "phones": 100_000, "provision": 10_000}
D = Decimal

# Billing groups: code → (name, share of the calls dialled).
GROUPS = {"pl": ("Stacjonarne", 0.33), "mobile": ("Komórkowe", 0.55),
          "premium": ("Numery specjalne", 0.01), "eu": ("Zagranica strefa 1", 0.06),
          "world": ("Zagranica strefa 2", 0.04), "far": ("Zagranica strefa 3", 0.01)}
MOBILE = ("45", "50", "51", "53", "57", "60", "66", "69", "72", "73", "78", "79", "88")
AREAS = ("12", "13", "14", "15", "16", "17", "18", "22", "23", "24", "25", "29", "32",
         "33", "34", "41", "42", "43", "44", "46", "48", "52", "54", "55", "56", "58",
         "59", "61", "62", "63", "65", "67", "68", "71", "74", "75", "76", "77", "81",
         "82", "83", "84", "85", "86", "87", "89", "91", "94", "95")
PREMIUM = ("48700", "48701", "48703", "48704", "48708", "48800", "48801", "48804")
EU = ("30", "31", "32", "33", "34", "351", "353", "354", "357", "358", "359", "36", "370",
      "371", "372", "380", "385", "386", "39", "40", "41", "420", "421", "43", "44", "45",
      "46", "47", "49")
WORLD = ("1", "7", "20", "27", "52", "54", "55", "61", "64", "81", "82", "86", "90", "91",
         "971", "972", "966")
FAR = ("212", "213", "216", "234", "254", "62", "63", "65", "66", "84", "880", "92", "93",
       "94", "95", "98", "670", "675", "676", "677", "678", "679", "680", "681", "682")


# --------------------------------------------------------------------------- databases

def fresh_databases(url: str) -> None:
    """Both bench databases dropped and made again."""
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in (base.BENCH_DB, ASTERISK_DB):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')


def asterisk_schema_load() -> None:
    """Asterisk's realtime schema, as the VoIP tests load it."""
    import psycopg
    from django.db import connections

    from voip.routers import ASTERISK
    from voip.tests.conftest import ASTERISK_SCHEMA, schema_statements

    params = connections[ASTERISK].get_connection_params()
    for key in ("cursor_factory", "context", "server_side_binding"):
        params.pop(key, None)
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(schema_statements(ASTERISK_SCHEMA.read_text()))


def asterisk_raw():
    import psycopg
    from django.db import connections

    from voip.routers import ASTERISK

    params = connections[ASTERISK].get_connection_params()
    for key in ("cursor_factory", "context", "server_side_binding"):
        params.pop(key, None)
    return psycopg.connect(**params, autocommit=True)


# --------------------------------------------------------------------------- seeding

def tenant_make(slug: str, name: str, staff, customers: int, seeder):
    from django.db import transaction

    from core.models import Membership, Tenant
    from core.roles import Role

    tenant = Tenant.objects.create(slug=slug, name=name)
    Membership.objects.create(user=staff, tenant=tenant, role=Role.ADMIN)
    with transaction.atomic():
        seeder.seed(tenant, customers)
    seeder.reset_sequences()
    return tenant


def price_list_make(rng: random.Random, prefixes: int) -> dict:
    """One price list of ``prefixes`` rules; billing group code → its rules' prefixes."""
    from voip.models import BillingGroup, PriceList, PriceRule

    groups = {code: BillingGroup.objects.create(name=name, code=code)
              for code, (name, _share) in GROUPS.items()}
    top = ([("48", "pl")] + [("48" + a, "pl") for a in AREAS]
           + [("48" + m, "mobile") for m in MOBILE] + [(p, "premium") for p in PREMIUM]
           + [(c, "eu") for c in EU] + [(c, "world") for c in WORLD]
           + [(c, "far") for c in FAR])
    chosen = dict(top)
    parents = list(top)
    while len(chosen) < prefixes:  # deeper prefixes under the ones there: an operator's
        parent, group = rng.choice(parents)  # block, a city's exchange, a zone's mobiles
        child = parent + "".join(rng.choice("0123456789")
                                 for _i in range(rng.choice((1, 1, 2, 3))))
        if len(child) <= 9 and child not in chosen:
            chosen[child] = group
            parents.append((child, group))
    price_list = PriceList.objects.create(name="Cennik 2026",
                                          valid_from=datetime.date(2025, 1, 1))
    terms = {  # price per minute range, increments, connection fee
        "pl": ((D("0.05"), D("0.12")), [(60, 60), (1, 1)], D("0")),
        "mobile": ((D("0.09"), D("0.29")), [(1, 1), (30, 6), (60, 1)], D("0")),
        "premium": ((D("0.99"), D("4.99")), [(1, 1), (60, 60)], D("0.50")),
        "eu": ((D("0.19"), D("0.79")), [(60, 60), (30, 30)], D("0.10")),
        "world": ((D("0.49"), D("2.49")), [(60, 60)], D("0.10")),
        "far": ((D("1.99"), D("6.99")), [(60, 60)], D("0.25")),
    }
    rules = []
    for prefix, group in chosen.items():
        (low, high), increments, fee = terms[group]
        price = (low + (high - low) * D(rng.randrange(0, 10_001)) / 10_000).quantize(
            D("0.0001"))
        first, following = rng.choice(increments)
        rules.append(PriceRule(tenant=price_list.tenant, price_list=price_list, prefix=prefix,
                               billing_group=groups[group], price_per_minute=price,
                               first_increment=first, next_increment=following,
                               connection_fee=fee if rng.random() < 0.7 else D("0")))
    PriceRule.objects.bulk_create(rules, batch_size=5000)
    by_group: dict[str, list[str]] = {}
    for prefix, group in chosen.items():
        by_group.setdefault(group, []).append(prefix)
    return {"groups": groups, "by_group": by_group, "rules": len(rules)}


def phones_make(tenant, staff, count: int, first_number: int, rng: random.Random,
                groups: dict | None) -> list[tuple]:
    """``count`` phones of the tenant's customers on a range made by the service, written
    by COPY as ``phone_create`` would leave them; (id, number, free number or None)."""
    from core.sql import objects_rows, rows_copy
    from customers.models import Customer
    from voip import services
    from voip.models import FreeNumber, PhoneNumber, VoipPhone

    through = VoipPhone.free_minute_groups.through
    made = []
    customers = list(Customer.objects.order_by("number").values_list("pk", flat=True))
    for start in range(0, count, 100_000):  # a range holds at most 100,000 numbers
        size = min(100_000, count - start)
        first = first_number + start
        numbers_range = services.number_range_create(
            actor=staff, name=f"Bench {first}", first=f"+{first}", last=f"+{first + size - 1}")
        numbers = list(PhoneNumber.objects.filter(range=numbers_range).order_by("number")
                       .values_list("pk", "number"))
        PhoneNumber.objects.filter(range=numbers_range).update(state="assigned")
        phones, frees = [], []
        for i, (number_id, number) in enumerate(numbers, start=start):
            customer_id = customers[i % len(customers)]
            phone = VoipPhone(tenant=tenant, customer_id=customer_id, number_id=number_id,
                              password=services.password_generate(), created_by=staff,
                              billing_type="prepaid" if rng.random() < 0.1 else "postpaid")
            if phone.billing_type == "prepaid":  # topped up, as a prepaid phone that calls is
                phone.prepaid_balance = rng.choice((D("20.00"), D("50.00"), D("100.00")))
            if rng.random() < 0.2:
                phone.voicemail_pin = str(rng.randrange(1000, 99_999_999))
                if rng.random() < 0.5:
                    phone.voicemail_email = f"poczta{i}@example.pl"
            if groups is not None and rng.random() < 0.3:
                phone.free_minutes = rng.choice((60, 100, 300, 1000))
            if rng.random() < 0.03:
                phone.amount_limit = rng.choice((D("10.00"), D("20.00"), D("50.00")))
            if rng.random() < 0.10:
                phone.notify_threshold = rng.choice((D("5.00"), D("15.00"), D("30.00")))
            free = None
            if rng.random() < 0.05:
                phone.free_numbers_count = 2
                free = f"48{rng.choice(MOBILE)}{rng.randrange(10 ** 6, 10 ** 7)}"
                frees.append((phone, free))
            phones.append(phone)
            made.append((phone, number, free))
        model, columns, rows = objects_rows(phones)
        rows_copy(model, columns, rows)
        FreeNumber.objects.bulk_create([FreeNumber(tenant=tenant, phone=p, number=n)
                                        for p, n in frees], batch_size=5000)
        if groups is not None:
            free_groups = [groups["pl"].pk, groups["mobile"].pk]
            through.objects.bulk_create([through(voipphone_id=p.pk, billinggroup_id=g)
                                         for p in phones if p.free_minutes
                                         for g in free_groups], batch_size=10_000)
    return [(p.pk, number, free) for p, number, free in made]


def cdrs_write(tenant, other, phones: list[tuple], other_phones: list[tuple], count: int,
               by_group: dict, rng: random.Random) -> dict:
    """``count`` CDRs of ``tenant``'s phones (and 1 % of ``other``'s) into Asterisk's
    ``cdr`` table by COPY; the calls are of the last 30 days, in Asterisk's local time."""
    from django.utils import timezone

    now = timezone.localtime().replace(tzinfo=None, microsecond=0)
    window = 30 * 86_400
    begin = now - datetime.timedelta(seconds=window + 3600)
    groups = list(GROUPS)
    weights = [GROUPS[g][1] for g in groups]
    gone = max(p[0] for p in phones) + 1_000_000  # phones since removed
    kinds = {"calls": 0, "other_tenant": 0, "unanswered": 0, "free_number": 0,
             "extension": 0, "removed_phone": 0}
    columns = ("accountcode, src, dst, dcontext, clid, channel, dstchannel, lastapp, lastdata, "
               'start, answer, "end", duration, billsec, disposition, amaflags, uniqueid, '
               "linkedid, sequence")
    with asterisk_raw() as conn, conn.cursor() as cursor, cursor.copy(
            f"COPY cdr ({columns}) FROM STDIN") as copy:
        total = count + count // 100
        for seq in range(total):
            if seq % 101 == 100:
                owner, (phone_id, number, free) = other, rng.choice(other_phones)
                kinds["other_tenant"] += 1
            else:
                owner, (phone_id, number, free) = tenant, rng.choice(phones)
                kinds["calls"] += 1
            r = rng.random()
            if r < 0.001:
                phone_id = gone + seq
                kinds["removed_phone"] += 1
            src = str(number)
            if free is not None and r < 0.25:
                dst = free
                kinds["free_number"] += 1
            elif r < 0.04:
                dst = rng.choice(("100", "101", "200", "*97", "s"))
                kinds["extension"] += 1
            else:
                group = rng.choices(groups, weights)[0]
                prefix = rng.choice(by_group[group])
                digits = prefix + "".join(rng.choice("0123456789")
                                          for _i in range(max(11 - len(prefix), 3)))
                f = rng.random()
                if digits.startswith("48") and len(digits) == 11 and f < 0.3:
                    dst = digits[2:]
                elif f < 0.6:
                    dst = "+" + digits
                elif f < 0.75:
                    dst = "00" + digits
                else:
                    dst = digits
            answered = rng.random() >= 0.15
            billsec = min(int(rng.expovariate(1 / 150)) + 1, 7200) if answered else 0
            kinds["unanswered"] += not answered
            ring = rng.randrange(1, 25)
            start = begin + datetime.timedelta(seconds=rng.randrange(window))
            answer = start + datetime.timedelta(seconds=ring) if answered else None
            end = start + datetime.timedelta(seconds=ring + billsec)
            unique_id = f"{int(start.timestamp())}.{seq}"
            copy.write_row((
                f"abonent-{owner.pk}-{phone_id}", src, dst, "from-customers",
                f'"{src}" <{src}>', f"PJSIP/{src}-{seq:08x}", f"PJSIP/trunk-{seq + 1:08x}",
                "Dial", f"PJSIP/{dst}@trunk,60", start, answer, end, ring + billsec, billsec,
                "ANSWERED" if answered else "NO ANSWER", "DOCUMENTATION", unique_id,
                unique_id, seq))
    with asterisk_raw() as conn:
        conn.execute("VACUUM ANALYZE cdr")
    return kinds


CTX_FILE = Path("/tmp") / f"{base.BENCH_DB}.json"


def reuse(args) -> dict | None:
    """The databases seeded by an earlier run of the same sizes, put back as they were
    before its imports (while developing: ``--reuse-db``)."""
    from django.db import connection

    from core.models import Tenant, User

    try:
        saved = json.loads(CTX_FILE.read_text())
    except (OSError, ValueError):
        return None
    if saved.get("sizes") != [args.cdrs, args.phones, args.provision]:
        return None
    tenant = Tenant.objects.get(slug="bench-voip")
    prov = Tenant.objects.get(slug="bench-voip-prov")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE voip_call, voip_phoneusage, voip_cdrimportstate CASCADE")
        cursor.execute("DELETE FROM customers_annotation WHERE tenant_id = %s", [tenant.pk])
        cursor.execute("UPDATE voip_voipphone SET blocked_limit = false, provisioned_at = NULL")
        cursor.execute("VACUUM ANALYZE voip_voipphone")
    with asterisk_raw() as conn:
        conn.execute("TRUNCATE ps_endpoints, ps_auths, ps_aors, voicemail")
    return {**saved, "tenant": tenant, "prov": prov,
            "staff": User.objects.get(username="bench-voip")}


def seed(args) -> dict:
    from django.db import connection

    from core.models import User
    from core.tenancy import tenant_context

    rng = random.Random(18)
    staff = User.objects.create_user(username="bench-voip", password="bench-only-2026",
                                     first_name="Bench", last_name="VoIP")
    seeder = base.BulkSeeder(seed=18)
    started = time.perf_counter()
    main = tenant_make("bench-voip", "Bench VoIP ISP", staff, args.phones * 4 // 5, seeder)
    prov = tenant_make("bench-voip-prov", "Bench VoIP ISP 2", staff,
                       max(args.provision * 4 // 5, 1), seeder)
    print(f"customers seeded in {time.perf_counter() - started:.0f} s", flush=True)
    with tenant_context(main):
        prices = price_list_make(rng, 5000)
        phones = phones_make(main, staff, args.phones, 48_223_000_000, rng, prices["groups"])
    with tenant_context(prov):
        price_list_make(rng, 50)
        prov_phones = phones_make(prov, staff, args.provision, 48_583_000_000, rng, None)
    print(f"phones made in {time.perf_counter() - started:.0f} s", flush=True)
    kinds = cdrs_write(main, prov, phones, prov_phones, args.cdrs, prices["by_group"], rng)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    seeding_s = time.perf_counter() - started
    print(f"seeded in {seeding_s:.0f} s: {kinds}", flush=True)
    saved = {"rules": prices["rules"], "kinds": kinds, "seeding_s": round(seeding_s, 1),
             "sizes": [args.cdrs, args.phones, args.provision]}
    CTX_FILE.write_text(json.dumps(saved))
    return {**saved, "tenant": main, "prov": prov, "staff": staff}


# --------------------------------------------------------------------------- measuring

def backends_cpu() -> float | None:
    """CPU seconds the PostgreSQL backends of this process's two connections have used
    (from /proc: the server runs on this machine), or None where that cannot be read."""
    from django.db import connections

    from voip.routers import ASTERISK

    total = 0.0
    for alias in ("default", ASTERISK):
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


CPU: dict[str, tuple[float, float | None]] = {}  # label → (bench s, PostgreSQL s)


def timed(label: str, work, profile: str | None = None):
    """``work()`` timed (wall), with the CPU seconds of the bench process and of its
    PostgreSQL backends kept in ``CPU``: the machine is shared, the CPU seconds say what
    the work itself costs."""
    profiler = cProfile.Profile() if profile else None
    db_before, cpu_before = backends_cpu(), time.process_time()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    out = work()
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    cpu, db_after = time.process_time() - cpu_before, backends_cpu()
    CPU[label] = (round(cpu, 2), None if db_before is None or db_after is None
                  else round(db_after - db_before, 2))
    print(f"{label}: CPU s (bench, PostgreSQL) {CPU[label]}", flush=True)
    if profiler:
        profiler.dump_stats(profile)
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(40)
        stats.sort_stats("tottime").print_stats(30)
    print(f"{label}: {seconds:.2f} s", flush=True)
    return out, seconds


def imports(tenant, profile: bool) -> dict:
    from django.db.models import Count, Sum

    from core.tenancy import tenant_context
    from customers.models import Annotation
    from voip.cdr import cdr_import_asterisk
    from voip.models import Call, CdrImportState, PhoneUsage, VoipPhone

    out = {}
    with tenant_context(tenant):
        first, seconds = timed("first import", lambda: cdr_import_asterisk(tenant=tenant),
                               "/tmp/voip_import.prof" if profile else None)
        calls = Call.objects.aggregate(n=Count("id"), amount=Sum("amount"))
        usage = PhoneUsage.objects.aggregate(n=Count("id"), amount=Sum("amount"))
        out["first"] = {
            "s": round(seconds, 2), "read": first.read, "rated": first.rated,
            "already": first.already, "no_rule": first.no_rule,
            "unknown_phone": len(first.unknown_phone), "amount": str(first.amount),
            "blocked": len(first.blocked), "calls_stored": calls["n"],
            "calls_amount": str(calls["amount"]), "usage_rows": usage["n"],
            "usage_amount": str(usage["amount"]),
            "blocked_phones": VoipPhone.objects.filter(blocked_limit=True).count(),
            "threshold_notes": Annotation.objects.count(),  # the seed makes none
            "free_minutes_calls": Call.objects.filter(free_seconds__gt=0).count(),
        }
        again, seconds = timed("second import", lambda: cdr_import_asterisk(tenant=tenant))
        out["second"] = {"s": round(seconds, 2), "read": again.read, "rated": again.rated,
                         "already": again.already}
        CdrImportState.objects.update(last_end=None)  # the whole table read again
        everything, seconds = timed("re-read of every CDR",
                                    lambda: cdr_import_asterisk(tenant=tenant))
        out["reread"] = {"s": round(seconds, 2), "read": everything.read,
                         "rated": everything.rated, "already": everything.already}
        assert Call.objects.count() == calls["n"], "a call was rated twice"
    return out


def provisioning(tenant, one_by_one: int) -> dict:
    from core.tenancy import tenant_context
    from voip import asterisk
    from voip.models import VoipPhone

    with tenant_context(tenant):
        ids = list(VoipPhone.objects.order_by("pk").values_list("pk", flat=True))
        some = ids[:one_by_one]

        def each():
            return [asterisk.phone_provision(tenant, pk) for pk in some]

        done, single_s = timed(f"phone_provision × {len(some)}", each)
        assert set(done) == {"written"}, set(done)
        with asterisk_raw() as conn:  # the exchange's database as it was: empty
            conn.execute("TRUNCATE ps_endpoints, ps_auths, ps_aors, voicemail")
        VoipPhone.objects.update(provisioned_at=None)
        result, bulk_s = timed(f"phones_reconcile of {len(ids)} phones",
                               lambda: asterisk.phones_reconcile(tenant))
        assert len(result.written) == len(ids), (len(result.written), len(ids))
        again, again_s = timed("phones_reconcile again", lambda: asterisk.phones_reconcile(tenant))
        assert not again.written and again.unchanged == len(ids)
        with asterisk_raw() as conn:
            rows = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
                    for t in ("ps_endpoints", "ps_auths", "ps_aors", "voicemail")}
    return {"phones": len(ids), "one_by_one": len(some), "one_by_one_s": round(single_s, 2),
            "one_by_one_per_s": round(len(some) / single_s, 1),
            "bulk_s": round(bulk_s, 2), "bulk_per_s": round(len(ids) / bulk_s, 1),
            "again_s": round(again_s, 2), "rows": rows}


# --------------------------------------------------------------------------- reporting

def render_markdown(args, ctx: dict, runs: dict, prov: dict, info: dict) -> str:
    first, second, reread = runs["first"], runs["second"], runs["reread"]
    rate = round(first["rated"] / first["s"]) if first["s"] else 0
    kinds = ctx["kinds"]
    verdict = "meets" if rate >= TARGET_CDR_PER_S else "misses"
    cpu = CPU.get("first import", (0, None))
    return "\n".join([
        "## VoIP: CDR rating and provisioning (bench/voip.py)",
        "",
        f"Command: `scripts/with-postgres.sh .venv/bin/python bench/voip.py --cdrs "
        f"{args.cdrs} --phones {args.phones} --provision {args.provision}` (in `make bench`); "
        f"databases `{base.BENCH_DB}` and `{ASTERISK_DB}` (Asterisk's realtime schema) made "
        f"afresh (seeding {ctx['seeding_s']} s, untimed). Run as the application's database "
        "role (row-level security on).",
        "",
        f"{args.phones:,} phones of one ISP on {args.phones * 4 // 5:,} customers (free "
        "minutes on 30 %, free numbers on 5 %, an amount limit on 3 %, a notification "
        f"threshold on 10 %); one price list of {ctx['rules']:,} prefixes in six billing "
        f"groups. Asterisk's `cdr` table: {kinds['calls']:,} CDRs of the ISP's phones over "
        f"the last 30 days ({kinds['unanswered']:,} unanswered, {kinds['extension']:,} to "
        f"extensions, {kinds['free_number']:,} to free numbers, {kinds['removed_phone']:,} "
        f"of removed phones) and {kinds['other_tenant']:,} of another ISP's.",
        "",
        "| `cdr_import_asterisk` | seconds | CDRs read | rated | already rated | per s |",
        "|---|---:|---:|---:|---:|---:|",
        f"| first import (read, rate, store calls and usage, blocks, notes) | "
        f"**{first['s']}** | {first['read']:,} | {first['rated']:,} | {first['already']:,} | "
        f"**{rate:,}** |",
        f"| the same import again (reads back the last hour) | {second['s']} | "
        f"{second['read']:,} | {second['rated']:,} | {second['already']:,} | |",
        f"| every CDR read again (import state reset) | {reread['s']} | {reread['read']:,} "
        f"| {reread['rated']:,} | {reread['already']:,} | "
        f"{round(reread['read'] / reread['s']) if reread['s'] else 0:,} |",
        "",
        f"The first import: {first['calls_stored']:,} calls stored (amount "
        f"{first['calls_amount']} = usage {first['usage_amount']} over "
        f"{first['usage_rows']:,} phone-months), {first['no_rule']:,} without a price rule, "
        f"{first['unknown_phone']:,} of unknown phones, {first['free_minutes_calls']:,} "
        f"using free minutes, {first['blocked_phones']:,} phones blocked over their limit "
        f"(provisioned eagerly, as Celery runs without a broker), "
        f"{first['threshold_notes']:,} threshold notes on cards.",
        "",
        f"CPU seconds of the first import (the machine is shared; these say what the "
        f"work costs): the bench process {cpu[0]} s, its PostgreSQL backends {cpu[1]} s "
        f"— {round(first['rated'] / (cpu[0] + (cpu[1] or 0))):,} CDRs per CPU second "
        "of both.",
        "",
        f"Target ≥ {TARGET_CDR_PER_S:,} CDRs/s end to end: {rate:,}/s ({verdict}).",
        "",
        f"Provisioning into the realtime tables (`ps_endpoints`, `ps_auths`, `ps_aors`, "
        f"`voicemail`) of another ISP's {prov['phones']:,} phones: "
        f"`asterisk.phones_reconcile` (bulk; `manage.py voip_reconcile`) "
        f"**{prov['bulk_s']} s = {prov['bulk_per_s']:,} phones/s**; run again, nothing to "
        f"write: {prov['again_s']} s. One by one, as the Celery task of a changed phone "
        f"does (`asterisk.phone_provision`), {prov['one_by_one']:,} phones: "
        f"{prov['one_by_one_s']} s = {prov['one_by_one_per_s']:,} phones/s. Rows written: "
        + ", ".join(f"{t} {n:,}" for t, n in prov["rows"].items()) + ".",
        "",
        f"Machine: {info['cpu']} ({info['cores']} cores, {info['ram_gb']} GB), PostgreSQL "
        f"{info['postgresql']}, Python {info['python']}, load {info['load']} at the start, "
        f"{info['date']} (PostgreSQL and the bench share the cores).",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cdrs", type=int, default=FULL["cdrs"])
    parser.add_argument("--phones", type=int, default=FULL["phones"])
    parser.add_argument("--provision", type=int, default=FULL["provision"])
    parser.add_argument("--one-by-one", type=int, default=1000,
                        help="phones provisioned one at a time first (phone_provision)")
    parser.add_argument("--profile", action="store_true",
                        help="print cProfile's view of the first import "
                             "(kept in /tmp/voip_import.prof)")
    parser.add_argument("--reuse-db", action="store_true",
                        help="keep the databases of an earlier run of these sizes (while "
                             "developing: nothing is written)")
    parser.add_argument("--no-write", action="store_true",
                        help="print the figures only (results files untouched; also for "
                             "sizes other than the full one)")
    args = parser.parse_args()
    base.LOAD_AT_START = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    warnings.filterwarnings("ignore", message="No directory at")
    url = base.bench_database_url()
    asterisk_url = urlunsplit(urlsplit(url)._replace(path=f"/{ASTERISK_DB}"))
    if not args.reuse_db:
        fresh_databases(url)
    os.environ["ASTERISK_DATABASE_URL"] = asterisk_url
    started = time.perf_counter()
    base.setup_django(url)
    print(f"migrated {base.BENCH_DB} in {time.perf_counter() - started:.0f} s", flush=True)
    if args.reuse_db:
        ctx = reuse(args)
        if ctx is None:
            sys.exit(f"no databases of these sizes to reuse ({CTX_FILE}): run without "
                     "--reuse-db first")
    else:
        asterisk_schema_load()
        ctx = seed(args)
    base.as_app_role()
    runs = imports(ctx["tenant"], args.profile)
    print(json.dumps(runs, indent=1), flush=True)
    prov = provisioning(ctx["prov"], args.one_by_one)
    print(json.dumps(prov, indent=1), flush=True)

    markdown = render_markdown(args, ctx, runs, prov, base.machine())
    print(f"{SECTION_START}\n{markdown}\n{SECTION_END}")
    full = all(getattr(args, k) == v for k, v in FULL.items())
    if args.no_write or args.reuse_db or not full:
        return
    first = runs["first"]
    figures = {
        "voip_cdr_rated_per_s": round(first["rated"] / first["s"]),
        "voip_cdr_import_s": first["s"],
        "voip_cdr_reimport_s": runs["second"]["s"],
        "voip_cdr_reread_s": runs["reread"]["s"],
        "voip_bench_cdrs": first["read"],
        "voip_bench_phones": args.phones,
        "voip_cdr_import_cpu_s": {"bench": CPU["first import"][0],
                                  "postgres": CPU["first import"][1]},
        "voip_provision_per_s": prov["bulk_per_s"],
        "voip_provision_one_by_one_per_s": prov["one_by_one_per_s"],
    }
    base.write_results(figures, markdown, start=SECTION_START, end=SECTION_END)


if __name__ == "__main__":
    main()
