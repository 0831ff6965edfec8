"""Helpdesk benchmark: the TOK interaction list, the queue view and a TOK save at scale
(``make bench``).

Runs against its own PostgreSQL database (``abonent_helpdesk_bench``, or
``BENCH_HELPDESK_DB``; created and migrated when missing). The first run seeds one ISP
with 100,000 customers (COPY, ``search_text`` and the individual account computed by the
product's own functions, as bench/run.py does), a TOK topic tree of ~60 nodes in three
levels, 25 agents, 6 queues, and then — set-based, one ``INSERT … SELECT
generate_series`` each — 1,000,000 interactions over two years (10 % zero clients;
office-hours arrival times, queueing, talk and wrap-up times drawn from exponential
distributions) and 200,000 cases (~15 % open, mostly recent). A second ISP gets a small
share of the same, so tenant scoping has something to exclude. Later runs reuse the data.

Then, with warm caches, through Django's test ``Client`` logged in as staff (the full
view: selector + template), as the application's database role (row-level security on):

* ``GET helpdesk:interaction_list?topic=…&date_from=…&date_to=…`` — a topic with its
  subtree and a 30-day period, varied (``helpdesk_interactions_p95_ms``, target 100 ms);
* ``GET helpdesk:queue_detail`` of each queue's open cases (``helpdesk_queue_p95_ms``,
  target 100 ms);
* a TOK entry saved: ``POST helpdesk:tok_new`` when the page exists, else the service
  ``interaction_create`` (``helpdesk_tok_save_p95_ms``, target 50 ms).

Where a page does not exist yet the selector behind it is timed instead, and said so.
For each, the slowest SQL statement of one request is shown with EXPLAIN ANALYZE.

    scripts/with-postgres.sh .venv/bin/python bench/helpdesk.py [--samples 250]
        [--customers 100000] [--interactions 1000000] [--cases 200000] [--no-write]
"""

import argparse
import datetime
import json
import os
import random
import secrets
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this file's folder comes first on sys.path, and its name would shadow
# the ``helpdesk`` app: the project root goes first and the bench folder is dropped.
sys.path[:] = [str(ROOT)] + [p for p in sys.path
                             if Path(p or ".").resolve() != ROOT / "bench"]

from bench import run as base  # noqa: E402

base.BENCH_DB = os.environ.get("BENCH_HELPDESK_DB", "abonent_helpdesk_bench")
SECTION_START = "<!-- bench:helpdesk:start -->"
SECTION_END = "<!-- bench:helpdesk:end -->"
TENANT_SLUG, OTHER_SLUG = "bench-helpdesk", "bench-helpdesk-other"
STAFF_USERNAME = "bench-helpdesk"
AGENTS = 25
TARGETS_MS = {"interactions": 100, "queue": 100, "tok_save": 50}
DAYS = 730  # two years of history
TOK_MARK = "bench-tok-save"  # the text of the interactions the TOK-save run adds

# Reason → topic → detail: 6 + 19 + 35 = 60 nodes.
TOPIC_TREE = {
    "Awaria": {
        "Brak internetu": ["Po burzy", "Po przeprowadzce", "Przerwa w całym bloku",
                           "Po wymianie routera"],
        "Wolny internet": ["Wi-Fi", "Kabel", "Wieczorem"],
        "Zrywanie połączenia": ["Co kilka minut", "Przy deszczu"],
        "Telewizja": ["Brak sygnału", "Pikseloza"],
        "Telefon VoIP": ["Brak sygnału", "Echo"],
    },
    "Finanse": {
        "Faktura": ["Duplikat", "Korekta", "Błędne dane"],
        "Płatność": ["Brak zaksięgowania", "Nadpłata", "Zmiana rachunku"],
        "Windykacja": ["Blokada za brak płatności", "Rozłożenie na raty"],
    },
    "Sprzedaż": {
        "Nowe przyłącze": ["Zasięg", "Termin instalacji"],
        "Zmiana taryfy": ["Na wyższą", "Na niższą"],
        "Promocje": ["Dla obecnych klientów", "Pakiety TV"],
    },
    "Umowa": {
        "Przedłużenie": ["Aneks", "Nowa umowa"],
        "Wypowiedzenie": ["Przeprowadzka", "Konkurencja"],
        "Zmiana danych": [],
    },
    "Sprzęt": {
        "Router": ["Wymiana", "Konfiguracja"],
        "ONT": ["Wymiana", "Diody"],
    },
    "Inne": {
        "Pomyłka": [],
        "Skarga": [],
        "Informacja o sieci": [],
    },
}
QUEUES = ("Pierwsza linia", "Druga linia", "Technicy", "Rozliczenia", "Sprzedaż",
          "Reklamacje")
CASE_TYPES = ("Awaria", "Reklamacja", "Zmiana usługi", "Pytanie")
CASE_TITLES = ("Brak internetu od rana", "Wolny transfer wieczorem", "Prośba o korektę "
               "faktury", "Router restartuje się", "Zmiana taryfy od przyszłego miesiąca",
               "Zrywanie połączenia przy deszczu", "Brak sygnału TV", "Wymiana ONT",
               'Reklamacja "Żuraw" & syn — 100% zwrot?', "Przeniesienie usługi")
OFFICES = ("Biuro Kraków", "Biuro Tarnów", "Infolinia")


# --------------------------------------------------------------------------- seeding

def bench_users(tenant):
    """The staff member who measures (admin) and the 25 agents (operators)."""
    from core.models import Membership, User
    from core.roles import Role

    staff = User.objects.filter(username=STAFF_USERNAME).first()
    if staff is None:
        staff = User.objects.create_user(username=STAFF_USERNAME,
                                         password=secrets.token_urlsafe(16),
                                         first_name="Bench", last_name="Helpdesk")
    Membership.objects.get_or_create(user=staff, tenant=tenant, defaults={"role": Role.ADMIN})
    agents = []
    for n in range(1, AGENTS + 1):
        username = f"bench-hd-agent{n:02d}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username,
                                            password=secrets.token_urlsafe(16),
                                            first_name="Agent", last_name=f"Nr {n}")
        Membership.objects.get_or_create(user=user, tenant=tenant,
                                         defaults={"role": Role.OPERATOR})
        agents.append(user)
    return staff, agents


def configure(tenant, agents) -> dict:
    """Topics, queues and case types as rows (the bench needs the same tree every run,
    whatever the configuration pages do); returns their ids."""
    from core.tenancy import tenant_context
    from helpdesk.models import CaseType, Queue, QueueMember, Topic

    with tenant_context(tenant):
        if not Topic.objects.exists():
            position = 0
            for reason, topics in TOPIC_TREE.items():
                root = _topic(reason, None, position)
                for name, details in topics.items():
                    position += 1
                    node = _topic(name, root, position)
                    for detail in details:
                        position += 1
                        _topic(detail, node, position)
        if not Queue.objects.exists():
            for position, name in enumerate(QUEUES):
                queue = Queue.objects.create(name=name, position=position)
                # Each agent sits in two queues (first line has them all).
                for i, agent in enumerate(agents):
                    if position == 0 or i % len(QUEUES) in (position, (position + 1) % 6):
                        QueueMember.objects.create(queue=queue, user=agent)
        if not CaseType.objects.exists():
            queues = list(Queue.objects.order_by("position"))
            for position, name in enumerate(CASE_TYPES):
                CaseType.objects.create(name=name, position=position,
                                        default_queue=queues[position % len(queues)])
        return {
            "topics": list(Topic.objects.order_by("path").values_list("pk", "level", "path")),
            "queues": list(Queue.objects.order_by("position").values_list("pk", flat=True)),
            "case_types": list(CaseType.objects.order_by("position")
                               .values_list("pk", flat=True)),
        }


def _topic(name, parent, position):
    from helpdesk.models import Topic

    topic = Topic.objects.create(name=name, parent=parent, position=position,
                                 level=(parent.level + 1) if parent else 1)
    topic.path = f"{parent.path if parent else ''}{topic.pk}/"
    topic.save(update_fields=["path"])
    return topic


def insert_select(model, columns: dict[str, str], source: str, *, order_by: str = "") -> int:
    """``INSERT INTO model (…) SELECT … FROM source``: ``columns`` maps a column to its
    SQL expression over ``source``. Columns not given (other parts may add some) take
    NULL when nullable, else their field's default (or "" for a blank text field); a
    column with none of these stops here
    with its name, rather than inserting garbage."""
    from django.db import connection
    from django.db.models import NOT_PROVIDED

    unknown = set(columns) - {f.column for f in model._meta.concrete_fields}
    if unknown:
        raise SystemExit(f"bench/helpdesk.py: no such columns {sorted(unknown)}")
    names, exprs, fill = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.column in columns:
            names.append(field.column)
            # Literal SQL: a "%" (modulo, "100%" in a text) is no placeholder.
            exprs.append(columns[field.column].replace("%", "%%"))
        elif field.null:
            continue
        elif field.default is not NOT_PROVIDED:
            value = field.default() if callable(field.default) else field.default
            names.append(field.column)
            exprs.append("%s")
            fill.append(field.get_db_prep_save(value, connection))
        elif field.blank and field.empty_strings_allowed:
            names.append(field.column)
            exprs.append("''")
        else:
            raise SystemExit(f"bench/helpdesk.py: {model._meta.db_table}.{field.column} "
                             "has no value here and no default: add it to the generator")
    sql = (f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "
           f"SELECT {', '.join(exprs)} FROM {source.replace('%', '%%')}"
           + (f" ORDER BY {order_by}" if order_by else ""))
    with connection.cursor() as cursor:
        cursor.execute(sql, fill)
        return cursor.rowcount


def interactions_seed(tenant, cfg: dict, agents, count: int, *, seed: float) -> int:
    """``count`` interactions of ``tenant`` over the last ``DAYS`` days, in one statement.

    Times of day: arrivals between 7:00 and 20:00 Warsaw time, fewer at weekends;
    a phone call waits (exp, mean 25 s), is talked (30 s + exp, mean 3 min), and is saved
    after a wrap-up (0-90 s); other channels are typed in 1-10 minutes. Topics are drawn
    from every level, skewed towards the first ones (failures are most of the calls).
    """
    from django.db import connection

    from helpdesk.models import Interaction

    topics = [pk for pk, _level, _path in cfg["topics"]]
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute("SELECT min(id), max(id) FROM customers_customer WHERE tenant_id = %s",
                       [tenant.pk])
        lo, hi = cursor.fetchone()
        cursor.execute("DROP TABLE IF EXISTS bench_first_phone")
        cursor.execute("CREATE TEMP TABLE bench_first_phone AS SELECT DISTINCT ON "
                       "(customer_id) customer_id, number FROM customers_phone "
                       "WHERE tenant_id = %s ORDER BY customer_id, id", [tenant.pk])
        cursor.execute("CREATE INDEX ON bench_first_phone (customer_id)")
    source = f"""(
        SELECT g.*,
          ((current_date - g.day)::timestamp + make_interval(secs => g.tod))
              AT TIME ZONE 'Europe/Warsaw' AS arrived,
          CASE WHEN g.r_zero < 0.10 THEN NULL
               ELSE {lo} + floor(g.r_cust * ({hi} - {lo} + 1))::bigint END AS customer_id
        FROM (
          SELECT i,
            floor(random() * {DAYS})::int AS day,
            25200 + floor(random() * 46800)::int AS tod,
            random() AS r_zero, random() AS r_cust, random() AS r_topic,
            random() AS r_agent, random() AS r_channel, random() AS r_dir,
            floor(-ln(1 - random()) * 25)::int AS wait_s,
            30 + floor(-ln(1 - random()) * 180)::int AS talk_s,
            floor(random() * 90)::int AS wrap_s,
            60 + floor(random() * 540)::int AS typed_s
          FROM generate_series(1, {int(count)}) AS i
        ) g
      ) s LEFT JOIN bench_first_phone p ON p.customer_id = s.customer_id"""
    phone = "s.r_channel < 0.70"
    channel = ("CASE WHEN s.r_channel < 0.70 THEN 'phone' WHEN s.r_channel < 0.82 "
               "THEN 'email' WHEN s.r_channel < 0.90 THEN 'panel' WHEN s.r_channel < 0.96 "
               "THEN 'office' ELSE 'chat' END")
    saved = (f"CASE WHEN {phone} THEN s.arrived + make_interval(secs => s.wait_s + s.talk_s "
             "+ s.wrap_s) ELSE s.arrived + make_interval(secs => s.typed_s) END")
    topic_array = "ARRAY[" + ",".join(str(t) for t in topics) + "]::bigint[]"
    agent_array = "ARRAY[" + ",".join(str(a.pk) for a in agents) + "]::bigint[]"
    queue_array = "ARRAY[" + ",".join(str(q) for q in cfg["queues"]) + "]::bigint[]"
    office_array = "ARRAY[" + ",".join(f"'{o}'" for o in OFFICES) + "]"
    columns = {
        "tenant_id": str(int(tenant.pk)),
        "customer_id": "s.customer_id",
        "caller_name": ("CASE WHEN s.customer_id IS NULL THEN 'Dzwoniący ' || s.i "
                        "ELSE '' END"),
        "number": ("CASE WHEN s.customer_id IS NULL THEN '+4860' || lpad((s.i % 10000000)"
                   "::text, 7, '0') ELSE coalesce(p.number, '') END"),
        # power(r, 2) skews towards the first topics of the tree (failures).
        "topic_id": (f"({topic_array})[1 + floor(power(s.r_topic, 2) * "
                     f"{len(topics)})::int]"),
        "text": "'Rozmowa nr ' || s.i || ': klient zgłasza sprawę, udzielono informacji.'",
        "direction": "CASE WHEN s.r_dir < 0.85 THEN 'in' ELSE 'out' END",
        "channel": channel,
        "agent_id": f"({agent_array})[1 + floor(s.r_agent * {len(agents)})::int]",
        "queue_id": (f"CASE WHEN s.r_agent < 0.8 THEN ({queue_array})[1] ELSE "
                     f"({queue_array})[2 + floor(s.r_dir * {len(cfg['queues']) - 1})::int] "
                     "END"),
        "office": f"({office_array})[1 + (s.i % {len(OFFICES)})]",
        "card_opened_at": (f"CASE WHEN {phone} THEN s.arrived + make_interval(secs => "
                           "s.wait_s + 3) ELSE s.arrived END"),
        "created_at": saved,
        "call_arrived_at": f"CASE WHEN {phone} THEN s.arrived END",
        "call_answered_at": f"CASE WHEN {phone} THEN s.arrived + "
                            "make_interval(secs => s.wait_s) END",
        "call_ended_at": f"CASE WHEN {phone} THEN s.arrived + "
                         "make_interval(secs => s.wait_s + s.talk_s) END",
        "duration_seconds": f"CASE WHEN {phone} THEN s.talk_s ELSE s.typed_s END",
        "routing_action": "''",
        "routing_target": "''",
    }
    # In time order, as the rows of a live system lie in the table: a period's rows sit
    # together (random order would make every row of a month a page read of its own).
    return insert_select(Interaction, columns, source, order_by="s.arrived")


def cases_seed(tenant, cfg: dict, agents, count: int, *, seed: float) -> int:
    """``count`` cases of ``tenant``, numbered 1…count in time order: ~15 % open (new,
    in progress, waiting; created in the last 60 days), the rest resolved or closed over
    two years; 6 queues, first and second line the busiest."""
    from django.db import connection

    from helpdesk.models import Case

    topics = [pk for pk, _level, _path in cfg["topics"]]
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute("SELECT min(id), max(id) FROM customers_customer WHERE tenant_id = %s",
                       [tenant.pk])
        lo, hi = cursor.fetchone()
    queues = cfg["queues"]
    weights = (0.35, 0.25, 0.15, 0.12, 0.08, 0.05)[:len(queues)]
    bounds, acc = [], 0.0
    for q, w in zip(queues, weights, strict=False):
        acc += w
        bounds.append((acc, q))
    queue_case = "CASE " + " ".join(f"WHEN s.r_queue < {b:.2f} THEN {q}"
                                    for b, q in bounds[:-1]) + f" ELSE {bounds[-1][1]} END"
    # Numbered 1…count in creation order, as the cases part numbers them.
    source = f"""(
        SELECT c.*, row_number() OVER (ORDER BY c.created, c.i) AS n FROM (
          SELECT g.*,
            (now() - make_interval(secs => CASE WHEN g.r_open < 0.15
                THEN floor(random() * 60 * 86400) ELSE floor(random() * {DAYS} * 86400)
                END)) AS created
          FROM (
            SELECT i, random() AS r_open, random() AS r_status, random() AS r_queue,
              random() AS r_agent, random() AS r_topic, random() AS r_cust,
              random() AS r_prio, random() AS r_type
            FROM generate_series(1, {int(count)}) AS i
          ) g
        ) c
      ) s"""
    topic_array = "ARRAY[" + ",".join(str(t) for t in topics) + "]::bigint[]"
    agent_array = "ARRAY[" + ",".join(str(a.pk) for a in agents) + "]::bigint[]"
    type_array = "ARRAY[" + ",".join(str(t) for t in cfg["case_types"]) + "]::bigint[]"
    title_array = "ARRAY[" + ",".join("'" + t.replace("'", "''") + "'"
                                      for t in CASE_TITLES) + "]"
    status = ("CASE WHEN s.r_open < 0.15 THEN (CASE WHEN s.r_status < 0.4 THEN 'new' "
              "WHEN s.r_status < 0.8 THEN 'in_progress' ELSE 'waiting' END) "
              "WHEN s.r_status < 0.2 THEN 'resolved' ELSE 'closed' END")
    is_new = "(s.r_open < 0.15 AND s.r_status < 0.4)"
    is_done = "(s.r_open >= 0.15)"
    columns = {
        "tenant_id": str(int(tenant.pk)),
        "number": "s.n",
        "case_type_id": f"({type_array})[1 + floor(s.r_type * {len(cfg['case_types'])})::int]",
        "title": f"({title_array})[1 + (s.i % {len(CASE_TITLES)})]",
        "description": "'Opis zgłoszenia nr ' || s.i || '.'",
        "priority": ("CASE WHEN s.r_prio < 0.1 THEN 1 WHEN s.r_prio < 0.8 THEN 2 "
                     "WHEN s.r_prio < 0.95 THEN 3 ELSE 4 END"),
        "topic_id": f"({topic_array})[1 + floor(power(s.r_topic, 2) * {len(topics)})::int]",
        "customer_id": (f"CASE WHEN s.r_cust < 0.05 THEN NULL ELSE {lo} + "
                        f"floor(s.r_cust * ({hi} - {lo} + 1))::bigint END"),
        "contact_name": "CASE WHEN s.r_cust < 0.05 THEN 'Zgłaszający ' || s.i ELSE '' END",
        "status": status,
        "queue_id": queue_case,
        "owner_id": (f"CASE WHEN {is_new} THEN NULL ELSE ({agent_array})"
                     f"[1 + floor(s.r_agent * {len(agents)})::int] END"),
        "created_by_id": f"({agent_array})[1 + (s.i % {len(agents)})]",
        "source": ("CASE WHEN s.r_type < 0.5 THEN 'interaction' WHEN s.r_type < 0.7 "
                   "THEN 'staff' WHEN s.r_type < 0.9 THEN 'panel' ELSE 'email' END"),
        "data": "'{}'::jsonb",
        "created_at": "s.created",
        "updated_at": "s.created",
        "first_response_at": (f"CASE WHEN {is_new} THEN NULL ELSE s.created + "
                              "make_interval(secs => floor(s.r_agent * 14400)) END"),
        "resolved_at": (f"CASE WHEN {is_done} THEN s.created + make_interval(secs => "
                        "floor(s.r_status * 5 * 86400)) END"),
        "closed_at": (f"CASE WHEN {is_done} AND s.r_status >= 0.2 THEN s.created + "
                      "make_interval(secs => floor(s.r_status * 6 * 86400)) END"),
        "sla_first_response_due": "s.created + interval '8 hours'",
        "sla_resolution_due": "s.created + interval '3 days'",
        "sla_breached": "s.r_prio > 0.93",
    }
    inserted = insert_select(Case, columns, source, order_by="s.n")
    number_series_set(tenant, count)
    return inserted


def number_series_set(tenant, last: int) -> None:
    """The tenant's case numbers continue after the seeded ones (``case_create`` takes
    the next number from ``core.numbering``'s series)."""
    from core.models import NumberSeries
    from core.tenancy import tenant_context
    from helpdesk.services.cases import NUMBER_SERIES

    with tenant_context(tenant):
        NumberSeries.objects.update_or_create(series=NUMBER_SERIES, period="",
                                              defaults={"last_number": last})


def schema_check() -> None:
    """The parts' placeholder migrations change while the helpdesk is built: a bench
    database migrated before such a change lacks columns its pages read. Say so plainly
    (the fix: drop the database, the next run seeds it again)."""
    from django.apps import apps
    from django.db import connection

    missing = []
    with connection.cursor() as cursor:
        for model in apps.get_app_config("helpdesk").get_models():
            table = model._meta.db_table
            have = {c.name for c in connection.introspection.get_table_description(cursor,
                                                                                   table)}
            missing += [f"{table}.{f.column}" for f in model._meta.concrete_fields
                        if f.column not in have]
    if missing:
        raise SystemExit(f"{base.BENCH_DB} was migrated before these columns existed: "
                         f"{', '.join(missing)}. Drop it (dropdb {base.BENCH_DB}) and run "
                         "again: it is seeded anew.")


def seed(args) -> dict:
    """The bench ISPs with customers, configuration, interactions and cases (reused when
    the counts match)."""
    from django.db import connection, transaction

    from core.models import Tenant
    from customers.models import Customer
    from helpdesk.models import Case, Interaction

    tenant, _ = Tenant.objects.get_or_create(slug=TENANT_SLUG,
                                             defaults={"name": "Bench Helpdesk ISP"})
    other, _ = Tenant.objects.get_or_create(slug=OTHER_SLUG,
                                            defaults={"name": "Bench Helpdesk ISP 2"})
    staff, agents = bench_users(tenant)
    _other_staff, other_agents = bench_users(other)
    timings = {}

    def timed(label, function, *a, **kw):
        started = time.perf_counter()
        result = function(*a, **kw)
        timings[label] = round(time.perf_counter() - started, 1)
        print(f"  {label}: {result if result is not None else ''} in {timings[label]} s")
        return result

    counts = {"customers": args.customers, "others": max(args.customers // 50, 100)}
    have = (Customer.all_tenants.filter(tenant=tenant).count(),
            Customer.all_tenants.filter(tenant=other).count())
    if have != (counts["customers"], counts["others"]):
        print(f"seeding {counts['customers']:,} + {counts['others']:,} customers…")
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE customers_customer, core_actionlog RESTART IDENTITY "
                           "CASCADE")
        seeder = base.BulkSeeder(seed=15)
        with transaction.atomic():
            timed("customers (COPY)", seeder.seed, tenant, counts["customers"])
            seeder.seed(other, counts["others"])
        seeder.reset_sequences()
    cfg = configure(tenant, agents)
    other_cfg = configure(other, other_agents)
    want = {"interactions": args.interactions, "cases": args.cases}
    have = {"interactions": Interaction.all_tenants.filter(tenant=tenant).count(),
            "cases": Case.all_tenants.filter(tenant=tenant).count()}
    if have != want:
        print(f"seeding {args.interactions:,} interactions and {args.cases:,} cases…")
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE helpdesk_interaction, helpdesk_case CASCADE")
        with transaction.atomic():
            timed("interactions (INSERT … SELECT)", interactions_seed, tenant, cfg, agents,
                  args.interactions, seed=0.15)
            timed("cases (INSERT … SELECT)", cases_seed, tenant, cfg, agents, args.cases,
                  seed=0.16)
            interactions_seed(other, other_cfg, other_agents, args.interactions // 50,
                              seed=0.17)
            cases_seed(other, other_cfg, other_agents, args.cases // 50, seed=0.18)
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute("VACUUM ANALYZE")
            timings["vacuum analyze"] = round(time.perf_counter() - started, 1)
    else:
        print(f"reusing the seeded {base.BENCH_DB}")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"tenant": tenant, "staff": staff, "agents": agents, "cfg": cfg,
            "timings": timings}


# --------------------------------------------------------------------------- measuring

@contextmanager
def statements():
    """Every SQL statement run inside, with its params and time."""
    from django.db import connection

    seen = []

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seen.append((time.perf_counter() - started, sql, params))

    with connection.execute_wrapper(wrapper):
        yield seen


def explain_slowest(tenant, seen, *, table: str = "") -> str:
    """EXPLAIN ANALYZE of the slowest SELECT among ``seen`` reading ``table`` (any table
    when not given; as the app role, in the tenant: row-level security's conditions are
    in the plan). Under load any statement can be the slowest once: the table names the
    page's main query."""
    from django.db import connection

    from core.tenancy import tenant_context

    selects = [s for s in seen if s[1].lstrip().upper().startswith("SELECT")]
    if table:
        selects = [s for s in selects if f'FROM "{table}"' in s[1]] or selects
    if not selects:
        return "(no SELECT)"
    elapsed, sql, params = max(selects, key=lambda s: s[0])
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        text = cursor.mogrify(sql, params) if hasattr(cursor, "mogrify") else sql
    if isinstance(text, bytes):
        text = text.decode()
    return f"{text}\n\n{plan}"


def periods(rng: random.Random, samples: int) -> list[tuple[datetime.date, datetime.date]]:
    """30-day windows anywhere in the two years, the recent months drawn more often."""
    today = datetime.date.today()
    out = []
    for _ in range(samples):
        back = int(rng.random() ** 2 * (DAYS - 30))
        date_to = today - datetime.timedelta(days=back)
        out.append((date_to - datetime.timedelta(days=29), date_to))
    return out


def summary_with_p99(times_s) -> dict:
    ms = [t * 1000 for t in times_s]
    result = base.summary(times_s)
    result["p99"] = round(base.percentile(ms, 99), 2)
    return result


def timed_runs(run, argsets, warmup: int = 20) -> dict:
    """Wall time per run (p50/p95/p99/max) and this process's CPU time per run: the
    Python side (view, form, template) is robust to other work on the machine, where the
    wall time is not."""
    for a in argsets[:warmup]:
        run(a)
    wall, cpu = [], []
    for a in argsets:
        started = time.process_time()
        wall.append(run(a))
        cpu.append(time.process_time() - started)
    result = summary_with_p99(wall)
    result["cpu_p50"] = round(base.percentile([c * 1000 for c in cpu], 50), 2)
    result["cpu_p95"] = round(base.percentile([c * 1000 for c in cpu], 95), 2)
    return result


def measure_interactions(ctx, client, samples: int, rng) -> dict:
    """The tenant-wide interaction list, topic (levels 1-2: with subtree) × 30 days."""
    from core.tenancy import tenant_context

    topics = [pk for pk, level, _path in ctx["cfg"]["topics"] if level < 3]
    argsets = [(rng.choice(topics), f, t) for f, t in periods(rng, samples)]
    url = base.url_or_none("helpdesk:interaction_list")
    if url:
        def run(a):
            topic, date_from, date_to = a
            query = urlencode({"topic": topic, "date_from": date_from.isoformat(),
                               "date_to": date_to.isoformat()})
            return base.time_page(client, f"{url}?{query}")
        via = "page `GET helpdesk:interaction_list?topic=…&date_from=…&date_to=…`"
    else:
        selector = _interaction_selector()

        def run(a):
            with tenant_context(ctx["tenant"]):
                started = time.perf_counter()
                selector(*a)
                return time.perf_counter() - started
        via = ("the selector (the page `helpdesk:interaction_list` did not exist yet): "
               f"{selector.__doc__.strip()}")
    result = timed_runs(run, argsets)
    with statements() as seen:
        run(argsets[0])
    result.update(via=via, queries=len(seen),
                  explain=explain_slowest(ctx["tenant"], seen, table="helpdesk_interaction"))
    return result


def _interaction_selector():
    """The TOK part's list selector when it exists, else the query it must make."""
    import datetime as dt

    from django.utils import timezone

    from helpdesk.models import Interaction, Topic

    def ours(topic_id, date_from, date_to):
        """first 50 rows + count of ``Interaction`` filtered by
        ``topic__path__startswith`` and ``created_at`` in the period (own ORM query)."""
        topic = Topic.objects.get(pk=topic_id)
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(date_from, dt.time(), tz)
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), tz)
        qs = (Interaction.objects.filter(topic__path__startswith=topic.path,
                                         created_at__gte=start, created_at__lt=end)
              .select_related("customer", "topic", "agent", "queue")
              .order_by("-created_at", "-id"))
        list(qs[:50])
        qs.count()
    return ours


def measure_queue(ctx, client, samples: int, rng) -> dict:
    from core.tenancy import tenant_context

    queues = ctx["cfg"]["queues"]
    argsets = [queues[i % len(queues)] for i in range(samples)]
    rng.shuffle(argsets)
    if base.url_or_none("helpdesk:queue_detail", queue_id=queues[0]):
        def run(queue_id):
            return base.time_page(client, base.url_or_none("helpdesk:queue_detail",
                                                           queue_id=queue_id))
        via = "page `GET helpdesk:queue_detail`"
    else:
        from helpdesk.models import Queue
        from helpdesk.selectors.cases import queue_open_cases

        def run(queue_id):
            with tenant_context(ctx["tenant"]):
                started = time.perf_counter()
                list(queue_open_cases(Queue.objects.get(pk=queue_id))[:50])
                return time.perf_counter() - started
        via = ("the selector `queue_open_cases` (first 50): the page "
               "`helpdesk:queue_detail` did not exist yet")
    result = timed_runs(run, argsets)
    with statements() as seen:
        run(queues[0])
    result.update(via=via, queries=len(seen),
                  explain=explain_slowest(ctx["tenant"], seen, table="helpdesk_case"))
    return result


def measure_tok_save(ctx, client, samples: int, rng) -> dict:
    """A TOK entry saved for a random customer with a random topic."""
    from django.db import connection

    from core.tenancy import tenant_context
    from customers.models import Customer

    with tenant_context(ctx["tenant"]):
        customers = list(Customer.objects.order_by("?").values_list("pk", flat=True)
                         [:samples])
    topics = [pk for pk, _level, _path in ctx["cfg"]["topics"]]
    argsets = [(customers[i % len(customers)], rng.choice(topics)) for i in range(samples)]
    run, via = _tok_runner(ctx, client)
    try:
        result = timed_runs(run, argsets)
        with statements() as seen:
            run(argsets[0])
        result.update(via=via, queries=len(seen),
                      explain=explain_slowest(ctx["tenant"], seen),
                      statements=[(round(e * 1000, 2), " ".join(sql.split())[:110])
                                  for e, sql, _params in seen])
    finally:
        # The 1,000,000 stay 1,000,000 for the next run (and the list's figures).
        with tenant_context(ctx["tenant"]), connection.cursor() as cursor:
            cursor.execute("DELETE FROM helpdesk_interaction WHERE tenant_id = %s AND "
                           "text = %s", [ctx["tenant"].pk, TOK_MARK])
    return result


def _tok_runner(ctx, client):
    """POST helpdesk:tok_new when it exists, else the service, else nothing to time."""
    from core.tenancy import tenant_context

    url = base.url_or_none("helpdesk:tok_new", customer_id=1)
    if url:
        def run(a):
            customer_id, topic_id = a
            started = time.perf_counter()
            response = client.post(
                base.url_or_none("helpdesk:tok_new", customer_id=customer_id),
                {"topic": topic_id, "text": TOK_MARK, "direction": "in", "channel": "phone",
                 "number": "+48601234567"})
            elapsed = time.perf_counter() - started
            if response.status_code != 302:  # saved: redirected to the interaction
                raise SystemExit(f"POST tok_new answered {response.status_code}: "
                                 f"{response.content.decode()[:2000]}")
            return elapsed
        return run, "page `POST helpdesk:tok_new` (form, service, redirect)"
    from customers.models import Customer
    from helpdesk.models import Topic
    from helpdesk.services import tok as tok_services  # noqa: F401 - the TOK part's

    def run(a):
        customer_id, topic_id = a
        with tenant_context(ctx["tenant"]):
            customer = Customer.objects.get(pk=customer_id)
            topic = Topic.objects.get(pk=topic_id)
            started = time.perf_counter()
            tok_services.interaction_create(actor=ctx["staff"], customer=customer,
                                            topic=topic, text=TOK_MARK)
            return time.perf_counter() - started
    return run, "the service `interaction_create` (the page did not exist yet)"


# --------------------------------------------------------------------------- reporting

LABELS = {
    "interactions": "interaction list, topic with subtree × 30 days",
    "queue": "queue view of open cases",
    "tok_save": "TOK entry saved",
}


def render_markdown(args, ctx, results: dict, counts: dict, info: dict) -> str:
    lines = [
        "## Helpdesk: interaction list, queue view, TOK save (bench/helpdesk.py)",
        "",
        "Command: `make bench` (= `scripts/with-postgres.sh .venv/bin/python bench/helpdesk.py"
        f" --samples {args.samples}`), own database `{base.BENCH_DB}`.",
        "",
        f"One ISP with {counts['customers']:,} customers (COPY), a TOK topic tree of "
        f"{counts['topics']} nodes in three levels, {AGENTS} agents, {counts['queues']} "
        f"queues; {counts['interactions']:,} interactions over two years "
        f"({counts['zero']:,} zero clients; phone calls with arrival, answer and end times) "
        f"and {counts['cases']:,} cases ({counts['open']:,} open), each written by one "
        "`INSERT … SELECT generate_series`; a second ISP with a fiftieth of that. "
        "Timed through Django's test client logged in as an administrator, as the "
        "application's database role (row-level security on), warm caches, "
        f"{args.samples} requests per measurement after 20 of warm-up.",
        "",
        "| measurement | timed through | queries | p50 ms | p95 ms | p99 ms | max ms | "
        "target p95 | bench process CPU p50 / p95 ms |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for key, r in results.items():
        verdict = "met" if r["p95"] < TARGETS_MS[key] else "**missed**"
        lines.append(f"| {LABELS[key]} | {r['via']} | {r['queries']} | {r['p50']} | "
                     f"{r['p95']} | {r['p99']} | {r['max']} | < {TARGETS_MS[key]} ms "
                     f"({verdict}) | {r['cpu_p50']} / {r['cpu_p95']} |")
    if ctx["timings"]:
        lines += ["", "Seeding on this run: " + "; ".join(
            f"{k} {v} s" for k, v in ctx["timings"].items()) + "."]
    for key, r in results.items():
        lines += ["", f"The main query of one request — {LABELS[key]}:", "",
                  "```sql", r["explain"], "```"]
        if r.get("statements"):
            lines += ["", "Its statements, in order (ms, under the load of the moment):", "",
                      "```"] + [f"{ms:8.2f}  {sql}" for ms, sql in r["statements"]] + ["```"]
    lines += [
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB RAM; "
        f"PostgreSQL {info['postgresql']}; Python {info['python']}; {info['date']}; "
        f"load average {info['load']} at the start (other work on the machine skews "
        "the figures upwards).",
    ]
    return "\n".join(lines)


def counts_get(ctx) -> dict:
    from customers.models import Customer
    from helpdesk.models import OPEN_STATUSES, Case, Interaction

    tenant = ctx["tenant"]
    return {
        "customers": Customer.all_tenants.filter(tenant=tenant).count(),
        "topics": len(ctx["cfg"]["topics"]),
        "queues": len(ctx["cfg"]["queues"]),
        "interactions": Interaction.all_tenants.filter(tenant=tenant).count(),
        "zero": Interaction.all_tenants.filter(tenant=tenant, customer__isnull=True).count(),
        "cases": Case.all_tenants.filter(tenant=tenant).count(),
        "open": Case.all_tenants.filter(tenant=tenant, status__in=OPEN_STATUSES).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--samples", type=int, default=250)
    parser.add_argument("--seed-only", action="store_true",
                        help="seed (or check) the data and stop")
    parser.add_argument("--only", action="append", choices=sorted(LABELS),
                        help="measure this only (repeatable); results files untouched")
    parser.add_argument("--no-write", action="store_true",
                        help="print the figures only (results.json and RESULTS.md untouched)")
    args = parser.parse_args()
    if min(args.customers, args.interactions, args.cases) < 1 or args.samples < 1:
        parser.error("the counts and --samples must be positive")
    base.LOAD_AT_START = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    warnings.filterwarnings("ignore", message="No directory at")
    url = base.bench_database_url()
    base.ensure_database(url)
    base.setup_django(url)
    from django.test import Client

    from core.tenancy import all_tenants_context

    started = time.perf_counter()
    schema_check()
    ctx = seed(args)
    print(f"data ready in {time.perf_counter() - started:.1f} s")
    with all_tenants_context():
        counts = counts_get(ctx)
    print(json.dumps(counts))
    if args.seed_only:
        return
    base.as_app_role()
    client = Client()
    client.force_login(ctx["staff"])
    rng = random.Random(15)
    measures = {"interactions": measure_interactions, "queue": measure_queue,
                "tok_save": measure_tok_save}
    results = {}
    for key, function in measures.items():
        if args.only and key not in args.only:
            continue
        results[key] = function(ctx, client, args.samples, rng)
        r = results[key]
        print(f"{key}: p50 {r['p50']} p95 {r['p95']} p99 {r['p99']} ms, CPU p50 "
              f"{r['cpu_p50']} p95 {r['cpu_p95']} ms "
              f"({r['queries']} queries; {r['via']})")
        print(r["explain"])
    figures = {f"helpdesk_{key}_p95_ms": r["p95"] for key, r in results.items()}
    figures.update({f"helpdesk_{key}_p50_ms": r["p50"] for key, r in results.items()})
    figures.update({f"helpdesk_{key}_p99_ms": r["p99"] for key, r in results.items()})
    figures.update({f"helpdesk_{key}_via": "page" if r["via"].startswith("page") else "selector"
                    for key, r in results.items()})
    print(json.dumps(figures, indent=2))
    if args.no_write or args.only:
        return
    figures.update({"helpdesk_bench_interactions": counts["interactions"],
                    "helpdesk_bench_cases": counts["cases"],
                    "helpdesk_bench_customers": counts["customers"]})
    base.write_results(figures, render_markdown(args, ctx, results, counts, base.machine()),
                       start=SECTION_START, end=SECTION_END)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"done in {time.perf_counter() - started:.0f} s")
