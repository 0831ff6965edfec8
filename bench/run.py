"""Customer search and card benchmark at 100,000 customers (``make bench``).

Runs against its own PostgreSQL database: the name in ``DATABASE_URL`` is replaced by
``abonent_bench``, which is created and migrated when missing, so dev and test data are
never touched.  The first run seeds one ISP with 100,000 customers (plus a few thousand
of a second ISP) by COPY, with ``search_text`` and the individual account computed by the
product's own functions; later runs reuse the seeded database.

Then, with warm caches, it times the staff customer list (``customers:list?q=…``) for
four kinds of query and the customer card (``customers:card``) through the Django test
client, logged in as staff.  Where a page does not exist yet it times the selector
behind it instead and says so.  Figures go to ``bench/results.json`` (merged with other
benchmarks' keys) and to this benchmark's section of ``bench/RESULTS.md``.

    scripts/with-postgres.sh .venv/bin/python bench/run.py [--customers N] [--samples N]
"""

import argparse
import datetime
import json
import os
import platform
import random
import re
import statistics
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
BENCH_DB = os.environ.get("BENCH_DB", "abonent_bench")  # another name: a separate copy
SECTION_START = "<!-- bench:customers:start -->"
SECTION_END = "<!-- bench:customers:end -->"

MAIN_SLUG, OTHER_SLUG = "bench-main", "bench-other"
RICH_CUSTOMERS = 40  # built through the services, with a full card and action log
LOAD_AT_START = ""


# --------------------------------------------------------------------------- database

def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/run.py needs DATABASE_URL of a PostgreSQL server "
                 "(run it through scripts/with-postgres.sh).")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              [BENCH_DB]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
            print(f"created database {BENCH_DB}")


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    # Production-like: no query log kept in memory, no debug pages.
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# Measured as the application runs in production: as a role row-level security binds
# (core/rls.py); seeding, truncating and VACUUM before it run as the superuser. With
# DB_RLS=False the same role without policies: bench/RESULTS.md "RLS cost" compares both.
APP_ROLE = os.environ.get("BENCH_APP_ROLE", "abonent_bench_app")


def as_app_role() -> str:
    """From here on this process's queries run as ``APP_ROLE`` (created, with LOGIN for
    the servers the RADIUS bench starts); returns the role."""
    from django.db import connection

    from core.rls import app_role_assume

    with connection.cursor() as cursor:
        cursor.execute(f"DO $$ BEGIN CREATE ROLE {APP_ROLE} LOGIN; "
                       f"EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    app_role_assume(role=APP_ROLE)
    return APP_ROLE


# --------------------------------------------------------------------------- seeding

@contextmanager
def cached_tenant_settings():
    """``setting_get`` once per key: the bulk seed computes 100,000 accounts."""
    from customers import services

    real, cache = services.setting_get, {}

    def cached(key, *, tenant=None):
        pk = tenant.pk if tenant is not None else None
        if (key, pk) not in cache:
            cache[key, pk] = real(key, tenant=tenant)
        return cache[key, pk]

    with mock.patch.object(services, "setting_get", cached):
        yield


class BulkSeeder:
    """Customers with phones, e-mails and residence addresses, written by COPY."""

    def __init__(self, seed: int):
        from faker import Faker

        from customers.demo import DEMO_TENANTS

        self.rng = random.Random(seed)
        fake = Faker("pl_PL")
        fake.seed_instance(seed)
        self.fake = fake
        self.cities = [c for t in DEMO_TENANTS for c in t.cities]
        # Faker draws names by their real frequency; pools keep 100k rows fast.
        self.male = [(fake.first_name_male(), fake.last_name_male()) for _ in range(5000)]
        self.female = [(fake.first_name_female(), fake.last_name_female())
                       for _ in range(5000)]
        self.companies = [fake.company() for _ in range(3000)]
        self.streets = [fake.street_name() for _ in range(400)]
        self.ids = {}

    def next_id(self, table: str) -> int:
        from django.db import connection

        if table not in self.ids:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
                self.ids[table] = cursor.fetchone()[0]
        self.ids[table] += 1
        return self.ids[table]

    def seed(self, tenant, count: int) -> None:
        from django.utils import timezone

        from customers import services
        from customers.demo import id_card_number, mobile_phone, pesel_for
        from customers.models import Address, Customer, Email, Phone

        rng, fake = self.rng, self.fake
        now = timezone.now()
        start = (Customer.all_tenants.filter(tenant=tenant).order_by("-number")
                 .values_list("number", flat=True).first() or 0)
        customers, phones, emails, addresses = [], [], [], []
        with cached_tenant_settings():
            for number in range(start + 1, start + count + 1):
                customer = Customer(id=self.next_id("customers_customer"), tenant=tenant,
                                    number=number, created_at=now, updated_at=now,
                                    status=rng.choices(("connected", "suspended",
                                                        "disconnected", "interested"),
                                                       (80, 6, 9, 5))[0])
                if rng.random() < 0.8:
                    sex = rng.choice("MF")
                    first, last = rng.choice(self.male if sex == "M" else self.female)
                    customer.kind = Customer.Kind.PERSON
                    customer.first_name, customer.last_name = first, last
                    customer.pesel = pesel_for(fake, rng, sex)
                    customer.id_document_type = Customer.IdDocumentType.ID_CARD
                    customer.id_document_number = id_card_number(rng)
                else:
                    customer.kind = Customer.Kind.COMPANY
                    customer.company_name = rng.choice(self.companies)
                    customer.nip, customer.regon = fake.nip(), fake.regon()
                customer.virtual_account = services.virtual_account_number(tenant=tenant,
                                                                           number=number)
                own_phones = ["+48" + re.sub(r"\D", "", mobile_phone(rng))
                              for _ in range(rng.choice((1, 1, 1, 2)))]
                own_phones = list(dict.fromkeys(own_phones))
                for e164 in own_phones:
                    phones.append(Phone(id=self.next_id("customers_phone"), tenant=tenant,
                                        customer_id=customer.id, number=e164, label="",
                                        for_notifications=True, for_invoices=False))
                own_emails = []
                if rng.random() < 0.6:
                    local = re.sub(r"[^a-z0-9]", "", (customer.last_name
                                                      or customer.company_name).lower()
                                   .translate(str.maketrans("ąćęłńóśźż", "acelnoszz")))
                    own_emails.append(f"{local or 'klient'}{number}@example.pl")
                    emails.append(Email(id=self.next_id("customers_email"), tenant=tenant,
                                        customer_id=customer.id, address=own_emails[0],
                                        label="", for_notifications=True, for_invoices=True))
                city = rng.choice(self.cities)
                address = Address(id=self.next_id("customers_address"), tenant=tenant,
                                  customer_id=customer.id, kind=Address.Kind.RESIDENCE,
                                  street=rng.choice(self.streets),
                                  building_no=str(rng.randrange(1, 150)),
                                  apartment_no=str(rng.randrange(1, 90))
                                  if rng.random() < 0.5 else "",
                                  postal_code=rng.choice(city.postal_codes), city=city.name,
                                  country="PL")
                addresses.append(address)
                customer.search_text = services.customer_search_text(
                    customer, phones=own_phones, emails=own_emails, addresses=[address])
                customers.append(customer)
        for model, rows in ((Customer, customers), (Phone, phones), (Email, emails),
                            (Address, addresses)):
            copy_rows(model, rows)

    @staticmethod
    def reset_sequences() -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            for table in ("customers_customer", "customers_phone", "customers_email",
                          "customers_address"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"coalesce((SELECT max(id) FROM {table}), 1))")


def copy_rows(model, objects) -> None:
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {model._meta.db_table} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objects:
            copy.write_row([getattr(obj, f.attname) for f in fields])


def seed(customers: int, others: int) -> dict:
    """Seed (or reuse) the bench tenants; returns the objects the measurements use."""
    from django.db import connection, transaction

    from core.models import Membership, Tenant, User
    from core.roles import Role
    from core.tenancy import tenant_context
    from customers.demo import DEMO_TENANTS, DemoTenant, DemoTenantBuilder
    from customers.models import Customer

    main, _ = Tenant.objects.get_or_create(slug=MAIN_SLUG, defaults={"name": "Bench ISP"})
    other, _ = Tenant.objects.get_or_create(slug=OTHER_SLUG,
                                            defaults={"name": "Bench ISP 2"})
    staff = User.objects.filter(username="bench").first()
    if staff is None:
        staff = User.objects.create_user(username="bench", password="bench-only-2025",
                                         first_name="Bench", last_name="Operator")
    Membership.objects.get_or_create(user=staff, tenant=main, defaults={"role": Role.ADMIN})

    have = Customer.all_tenants.filter(tenant=main).count()
    expected = customers + RICH_CUSTOMERS
    seeding_s = None
    if have != expected or Customer.all_tenants.filter(tenant=other).count() != others:
        print(f"seeding {customers} + {RICH_CUSTOMERS} customers (+{others} of another ISP)…")
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE customers_customer, core_actionlog RESTART IDENTITY CASCADE")
        for model_table in ("customers_attributetype", "customers_customergroup",
                            "documents_documenttemplate"):
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {model_table} CASCADE")
        seeder = BulkSeeder(seed=100)
        with transaction.atomic():
            seeder.seed(main, customers)
            seeder.seed(other, others)
        seeder.reset_sequences()
        bulk_s = time.perf_counter() - started
        # A few customers as staff build them: every section of the card filled in.
        spec = DemoTenant("Bench ISP", MAIN_SLUG, "", DEMO_TENANTS[0].cities)
        with tenant_context(main), transaction.atomic():
            builder = DemoTenantBuilder(spec, admin=staff, operator=staff, seed=7)
            builder.catalogue()
            for _ in range(RICH_CUSTOMERS):
                enrich(builder.add_customer(), staff, builder.rng)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        seeding_s = time.perf_counter() - started
        print(f"seeded in {seeding_s:.1f} s (bulk COPY part {bulk_s:.1f} s)")
    else:
        print(f"reusing the seeded {BENCH_DB} ({have} customers)")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"tenant": main, "staff": staff, "seeding_s": seeding_s}


def enrich(customer, staff, rng) -> None:
    """Months of a customer's life: notes, changes of status and contact data."""
    from customers import services
    from customers.demo import ANNOTATIONS, mobile_phone

    for _ in range(6):
        services.annotation_add(actor=staff, customer=customer, text=rng.choice(ANNOTATIONS),
                                pinned=rng.random() < 0.2)
    for status in ("suspended", "connected", "suspended", "connected"):
        services.customer_update(actor=staff, customer=customer, status=status)
    phone = services.phone_add(actor=staff, customer=customer, number=mobile_phone(rng))
    services.phone_update(actor=staff, phone=phone, label="praca")
    services.folder_create(actor=staff, customer=customer, name="Umowy",
                           archive_location="Szafa 2, półka 3")


# --------------------------------------------------------------------------- measuring

def percentile(values, q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(times_s) -> dict:
    ms = [t * 1000 for t in times_s]
    return {"p50": round(statistics.median(ms), 2), "p95": round(percentile(ms, 95), 2),
            "max": round(max(ms), 2), "samples": len(ms)}


def search_terms(tenant, samples: int, rng: random.Random) -> dict[str, list[str]]:
    """Queries as staff type them, drawn from the seeded customers."""
    from core.tenancy import tenant_context
    from customers.models import Customer, Phone
    from customers.validators import format_account

    with tenant_context(tenant):
        last_names = list(Customer.objects.filter(kind="person").order_by("?")
                          .values_list("last_name", flat=True)[:samples])
        phones = list(Phone.objects.order_by("?").values_list("number", flat=True)[:samples])
        nips = list(Customer.objects.exclude(nip="").order_by("?")
                    .values_list("nip", flat=True)[:samples])
        accounts = list(Customer.objects.order_by("?")
                        .values_list("virtual_account", flat=True)[:samples])
    names = []
    for name in last_names:
        letters = name.lower()
        names.append(letters[: rng.choice((3, 4, 5))])
    return {
        "name": names,
        "phone": [f"{p[3:6]} {p[6:9]} {p[9:]}" for p in phones],
        "nip": [f"{n[:3]}-{n[3:6]}-{n[6:8]}-{n[8:]}" for n in nips],
        "virtual_account": [format_account(a) for a in accounts],
    }


def url_or_none(name: str, **kwargs):
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def time_page(client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return elapsed


def time_selector_search(tenant, query: str) -> float:
    from core.tenancy import tenant_context
    from customers.selectors import customer_list

    with tenant_context(tenant):
        started = time.perf_counter()
        customers = customer_list(query=query)
        list(customers[:50])
        customers.count()
        return time.perf_counter() - started


def measure_search(ctx, terms, client, list_url) -> dict:
    """Per kind: the page (when it exists), the count the page then loads by htmx, and
    the selector alone, for the SQL's share."""
    from urllib.parse import urlencode

    count_url = url_or_none("customers:count")

    def page(q):
        return time_page(client, f"{list_url}?{urlencode({'q': q})}")

    def count(q):
        return time_page(client, f"{count_url}?{urlencode({'q': q})}")

    def selector(q):
        return time_selector_search(ctx["tenant"], q)

    results = {}
    for kind, queries in terms.items():
        runs = (selector, page) if list_url else (selector,)
        for run in runs + ((count,) if list_url and count_url else ()):
            for query in queries[:20]:  # warm-up
                run(query)
            results.setdefault(kind, {})[run.__name__] = summary([run(q) for q in queries])
        results[kind]["main"] = results[kind]["page" if list_url else "selector"]
    return results


@contextmanager
def count_queries():
    """Counts every query; unlike ``CaptureQueriesContext`` it survives the request
    signals that reset ``connection.queries``."""
    from django.db import connection

    counter = {"queries": 0}

    def wrapper(execute, sql, params, many, context):
        counter["queries"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


def measure_card(ctx, client, samples: int) -> dict:
    from core.tenancy import tenant_context
    from customers.models import Customer

    with tenant_context(ctx["tenant"]):
        rich = list(Customer.objects.order_by("-number").values_list("pk", flat=True)
                    [:RICH_CUSTOMERS])
    card_url = url_or_none("customers:card", customer_id=rich[0])
    if card_url:
        urls = [url_or_none("customers:card", customer_id=pk) for pk in rich]

        def run(i):
            return time_page(client, urls[i % len(urls)])

        with count_queries() as counted:
            run(0)
    else:
        from customers import selectors

        def load(pk):
            with tenant_context(ctx["tenant"]):
                customer = selectors.customer_card_get(pk=pk)
                list(selectors.action_log_list(customer=customer)[:20])
                selectors.action_log_kinds(customer=customer)

        def run(i):
            started = time.perf_counter()
            load(rich[i % len(rich)])
            return time.perf_counter() - started

        with count_queries() as counted:
            load(rich[0])
    for i in range(20):
        run(i)
    result = summary([run(i) for i in range(samples)])
    result["queries"] = counted["queries"]
    result["via"] = "page" if card_url else "selectors"
    return result


def explain(tenant, query: str) -> str:
    """EXPLAIN ANALYZE of the list's page and count queries for ``query``."""
    from django.db import connection

    from core.tenancy import tenant_context
    from customers.selectors import customer_list

    out = []
    with tenant_context(tenant):
        qs = customer_list(query=query)
        for label, sql_qs in (("page", qs[:50]), ("count", None)):
            if sql_qs is None:
                sql, params = qs.order_by().values("pk").query.sql_with_params()
                sql = f"SELECT count(*) FROM ({sql}) c"
            else:
                sql, params = sql_qs.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                out.append(f"-- {label} q={query!r}\n" +
                           "\n".join(row[0] for row in cursor.fetchall()))
    return "\n\n".join(out)


# --------------------------------------------------------------------------- reporting

def machine() -> dict:
    from django.db import connection

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": ram_gb, "postgresql": pg,
            "python": platform.python_version(), "load": LOAD_AT_START,
            "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")}


def write_results(figures: dict, markdown: str, *, start: str = SECTION_START,
                  end: str = SECTION_END) -> None:
    """Merge ``figures`` into results.json and put ``markdown`` between the markers
    ``start`` and ``end`` of RESULTS.md (each benchmark has its own pair)."""
    path = BENCH_DIR / "results.json"
    merged = json.loads(path.read_text()) if path.exists() else {}
    merged.update(figures)
    path.write_text(json.dumps(merged, indent=2, ensure_ascii=False, sort_keys=True) + "\n")

    md = BENCH_DIR / "RESULTS.md"
    text = md.read_text() if md.exists() else "# Benchmarks\n"
    section = f"{start}\n{markdown.strip()}\n{end}"
    if start in text and end in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end),
                      lambda _m: section, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    md.write_text(text)


def render(args, search, card, via_page, info, seeding_s, customers) -> str:
    labels = {"name": "name fragment (3-5 letters)", "phone": "phone “601 234 567”",
              "nip": "NIP “123-456-78-90”", "virtual_account": "individual account (26 digits)"}
    target = "the staff list page `GET customers:list?q=…`" if via_page else \
        "the selector `customer_list(query=…)` (first 50 rows + count): the list page " \
        "did not exist yet"
    lines = [
        "## Customer search and card (bench/run.py)",
        "",
        "Command: `make bench` (= `scripts/with-postgres.sh .venv/bin/python bench/run.py"
        f" --customers {args.customers} --samples {args.samples}`), own database "
        f"`{BENCH_DB}`.",
        "",
        f"{customers:,} customers of one ISP (+{args.others:,} of another), each with a "
        "residence address, 1-2 phones, 0-1 e-mails; "
        f"{RICH_CUSTOMERS} customers with a full card built through the services. "
        f"Search timed through {target}; warm caches, {args.samples} samples per kind.",
        "",
        "| measurement | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|",
    ]
    for kind, both in search.items():
        figures = both["main"]
        lines.append(f"| search by {labels[kind]} | {figures['p50']} | {figures['p95']} | "
                     f"{figures['max']} |")
    lines.append(f"| customer card ({card['via']}), {card['queries']} queries | {card['p50']} |"
                 f" {card['p95']} | {card['max']} |")
    if any("count" in both for both in search.values()):
        lines += ["", "The list page shows its first page without counting every match; when "
                  "the matches do not fit one page it loads the total by htmx from "
                  "`GET customers:count?q=…`, timed separately:", "",
                  "| kind | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|"]
        for kind, both in search.items():
            f = both["count"]
            lines.append(f"| {kind} | {f['p50']} | {f['p95']} | {f['max']} |")
    if via_page:
        lines += ["", "The same searches through the selector alone (first 50 rows + count, no "
                  "request, no template) — the database's share:", "",
                  "| kind | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|"]
        for kind, both in search.items():
            f = both["selector"]
            lines.append(f"| {kind} | {f['p50']} | {f['p95']} | {f['max']} |")
    worst = max(f["main"]["p95"] for f in search.values())
    lines += [
        "",
        f"Targets: search p95 < 50 ms — worst kind {worst} ms "
        f"({'met' if worst < 50 else 'MISSED'}); card p95 < 150 ms — {card['p95']} ms "
        f"({'met' if card['p95'] < 150 else 'MISSED'}).",
    ]
    if seeding_s is not None:
        lines.append(f"Seeding took {seeding_s:.1f} s on this run.")
    lines += [
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB RAM; "
        f"PostgreSQL {info['postgresql']}; Python {info['python']}; {info['date']}; "
        f"load average {info['load']} at the start (other work on the machine skews "
        "the figures upwards).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--others", type=int, default=3_000,
                        help="customers of the second ISP")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--explain", metavar="QUERY", action="append", default=[],
                        help="print EXPLAIN ANALYZE of the search for QUERY")
    parser.add_argument("--card-only", action="store_true",
                        help="time the customer card only and print its figures (no search, "
                        "results files untouched): a quick before/after of a card change")
    args = parser.parse_args()
    global LOAD_AT_START
    LOAD_AT_START = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    # WhiteNoise warns that STATIC_ROOT is empty: the bench serves no static files.
    warnings.filterwarnings("ignore", message="No directory at")

    url = bench_database_url()
    ensure_database(url)
    setup_django(url)
    from django.test import Client

    ctx = seed(args.customers, args.others)
    as_app_role()
    client = Client()
    client.force_login(ctx["staff"])

    if args.card_only:
        card = measure_card(ctx, client, args.samples)
        print(json.dumps({"customer_card_p95_ms": card["p95"],
                          "customer_card_p50_ms": card["p50"],
                          "customer_card_queries": card["queries"],
                          "customer_card_via": card["via"]}, indent=2))
        return
    list_url = url_or_none("customers:list")
    if not list_url:
        print("customers:list does not exist yet: timing the selector instead of the page")
    terms = search_terms(ctx["tenant"], args.samples, random.Random(1))
    search = measure_search(ctx, terms, client, list_url)
    card = measure_card(ctx, client, args.samples)
    if card["via"] != "page":
        print("customers:card does not exist yet: timing the card selectors instead")
    for query in args.explain:
        print(explain(ctx["tenant"], query))

    from core.tenancy import all_tenants_context
    from customers.models import Customer

    with all_tenants_context():  # the bench's own count, outside the tenant
        customers = Customer.all_tenants.filter(tenant=ctx["tenant"]).count()
    figures = {
        "customer_search_p95_ms": max(f["main"]["p95"] for f in search.values()),
        "customer_search_p50_ms": max(f["main"]["p50"] for f in search.values()),
        "customer_card_p95_ms": card["p95"],
        "customer_card_p50_ms": card["p50"],
        "customer_card_queries": card["queries"],
        "customer_bench_customers": customers,
        "customer_search_via": "page" if list_url else "selector",
        "customer_card_via": card["via"],
    }
    for kind, both in search.items():
        figures[f"customer_search_{kind}_p50_ms"] = both["main"]["p50"]
        figures[f"customer_search_{kind}_p95_ms"] = both["main"]["p95"]
        figures[f"customer_search_{kind}_selector_p95_ms"] = both["selector"]["p95"]
        if "count" in both:
            figures[f"customer_search_{kind}_count_p95_ms"] = both["count"]["p95"]
    if ctx["seeding_s"] is not None:
        figures["customer_bench_seeding_s"] = round(ctx["seeding_s"], 1)
    info = machine()
    write_results(figures, render(args, search, card, bool(list_url), info, ctx["seeding_s"],
                                  customers))
    print(json.dumps({k: v for k, v in figures.items()}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
