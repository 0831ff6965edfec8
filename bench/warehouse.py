"""Warehouse benchmark: a stock of 500,000 serials in 20 warehouses; a WZ of 50 serials,
the stock level page and a serial's history (``make bench``, issue 19).

Its own database, made afresh each run: ``abonent_bench_warehouse`` (or
``BENCH_WAREHOUSE_DB``, migrated). Untimed, set-based (``INSERT … SELECT`` over
``generate_series``, as the documents' services would leave the rows):

* a tenant with ``--customers`` customers (``bench/run.py``'s seeder), 20 warehouses (the
  main store, 15 technicians' vans, 4 branches), 3 suppliers, 12 serial-tracked products
  (ONTs with a GPON serial and a MAC, routers and STB decoders with a MAC, a switch) and 5
  counted ones (their stock levels in every warehouse);
* ``--serials`` serials in stock (500,000; 2 % faulty) received by PZ documents of 1,000
  serials (a line and a history row each), plus 4 % more issued to customers by WZs of
  50 (their lines and history), evenly over the warehouses;
* 200 serials with a longer history made through the services (MM to another
  warehouse, half of them then issued by a WZ and returned by a ZW);
* another tenant with 2 % of that stock (its rows are never read).

Timed, warm, as the application's database role (row-level security on):

1. ``warehouse.services.issue_post`` of 50 serials in stock in one warehouse to a
   customer (``--wz-runs`` times, fresh serials each, after 5 not counted) →
   ``warehouse_wz_p95_ms`` (target < 200 ms);
2. the staff stock level page ``warehouse:stock`` through Django's test client, logged
   in (``selectors.stock_levels`` alone when the page does not exist) →
   ``warehouse_stock_p95_ms`` (target < 100 ms); the selector and the API's
   ``/api/v1/warehouse/stock/`` beside it;
3. a serial's history: the staff serial page ``warehouse:item`` (its card and history),
   ``selectors.item_history`` alone and the API's ``items/{id}/history/`` →
   ``warehouse_serial_p95_ms`` (target < 20 ms; the page's figure when it exists).

    scripts/with-postgres.sh .venv/bin/python bench/warehouse.py [--serials 500000]
        [--warehouses 20] [--wz-runs 100] [--samples 200] [--stock-samples 30]
        [--reuse-db] [--no-write]
"""

import argparse
import json
import os
import random
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path
                             if Path(p or ".").resolve() != ROOT / "bench"]

from bench import run as base  # noqa: E402

base.BENCH_DB = os.environ.get("BENCH_WAREHOUSE_DB", "abonent_bench_warehouse")
SECTION_START = "<!-- bench:warehouse:start -->"
SECTION_END = "<!-- bench:warehouse:end -->"
TARGETS = {"wz": 200, "stock": 100, "serial": 20}  # p95 ms
FULL = {"serials": 500_000, "warehouses": 20}
TENANT_SLUG, OTHER_SLUG = "bench-warehouse", "bench-warehouse-2"
PER_PZ, PER_WZ, WZ_LINES = 1000, 50, 50
RICH = 200  # serials given a longer history through the services

# (name, kind, producer, model, features, price)
TRACKED = [
    ("ONT Dasan H660GM", "ont", "Dasan", "H660GM", ["gpon_serial", "mac"], "149.00"),
    ("ONT Huawei HG8245H", "ont", "Huawei", "HG8245H", ["gpon_serial", "mac"], "179.00"),
    ("ONT ZTE F660", "ont", "ZTE", "F660", ["gpon_serial", "mac"], "139.00"),
    ("ONU Huawei HG8010H", "ont", "Huawei", "HG8010H", ["gpon_serial", "mac"], "89.00"),
    ("Router TP-Link Archer C6", "router", "TP-Link", "Archer C6", ["mac"], "119.00"),
    ("Router MikroTik hAP ac2", "router", "MikroTik", "hAP ac2", ["mac"], "229.00"),
    ("Router Tenda AC10", "router", "Tenda", "AC10", ["mac"], "99.00"),
    ("Router ASUS RT-AX53U", "router", "ASUS", "RT-AX53U", ["mac"], "249.00"),
    ("Dekoder Kaon KSTB6077", "stb", "Kaon", "KSTB6077", ["mac"], "199.00"),
    ("Dekoder Arris VIP5305", "stb", "Arris", "VIP5305", ["mac"], "219.00"),
    ("Dekoder Amino Kamai 7", "stb", "Amino", "Kamai 7", ["mac"], "259.00"),
    ("Switch TP-Link TL-SG105", "switch", "TP-Link", "TL-SG105", [], "79.00"),
]
COUNTED = [
    ("Kabel UTP kat. 5e", "cable", "m", "1.20"),
    ("Kabel światłowodowy drop 1J", "cable", "m", "0.90"),
    ("Złącze SC/APC", "consumable", "szt.", "3.50"),
    ("Patchcord SC/APC 2 m", "consumable", "szt.", "6.00"),
    ("Opaski zaciskowe", "consumable", "szt.", "0.05"),
]


# --------------------------------------------------------------------------- database

def fresh_database(url: str) -> None:
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{base.BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{base.BENCH_DB}"')


def sql(statement: str, params=None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.rowcount


# --------------------------------------------------------------------------- seeding

def catalogue(tenant, warehouses: int):
    """Warehouses, suppliers and products of the active tenant."""
    from warehouse.models import Product, StockLevel, Supplier, Warehouse

    names = ["Magazyn główny"] + [f"Auto technika {n}" for n in range(1, 16)] + [
        f"Oddział {city}" for city in ("Radom", "Kielce", "Lublin", "Siedlce")]
    names += [f"Magazyn {n}" for n in range(len(names) + 1, warehouses + 1)]
    kinds = ["main"] + ["van"] * 15 + ["branch"] * 4 + ["branch"] * warehouses
    stores = Warehouse.objects.bulk_create([
        Warehouse(tenant=tenant, name=name, kind=kind)
        for name, kind in zip(names[:warehouses], kinds, strict=False)])
    suppliers = Supplier.objects.bulk_create([
        Supplier(tenant=tenant, name=name) for name in ("Dasan Polska", "Hurtownia Sieciowa",
                                                          "Elmat")])
    tracked = Product.objects.bulk_create([
        Product(tenant=tenant, name=name, kind=kind, producer=producer, model=model,
                features=features, default_price=price, serial_tracked=True)
        for name, kind, producer, model, features, price in TRACKED])
    counted = Product.objects.bulk_create([
        Product(tenant=tenant, name=name, kind=kind, unit=unit, default_price=price,
                serial_tracked=False, features=[])
        for name, kind, unit, price in COUNTED])
    rng = random.Random(tenant.pk)
    StockLevel.objects.bulk_create([
        StockLevel(tenant=tenant, warehouse=store, product=product,
                   quantity=rng.randrange(0, 3000))
        for store in stores for product in counted])
    return stores, suppliers, tracked


def stock_seed(tenant, staff, *, serials: int, warehouses: int, customer_ids: list[int],
               prefix: str) -> dict:
    """``serials`` in stock and 4 % more issued, written set-based: the PZs, their lines,
    the items and their history; then the WZs of the issued ones."""
    stores, suppliers, tracked = catalogue(tenant, warehouses)
    issued_every = 26  # 1 in 26 received is issued: 4 % of those in stock
    total = serials * issued_every // (issued_every - 1)
    documents = -(-total // PER_PZ)
    products = ", ".join(
        f"({i}, {p.pk}, {'true' if 'mac' in p.features else 'false'}, "
        f"{'true' if 'gpon_serial' in p.features else 'false'}, {p.default_price})"
        for i, p in enumerate(tracked))
    params = {"tenant": tenant.pk, "staff": staff.pk, "total": total, "per": PER_PZ,
              "docs": documents, "stores": [s.pk for s in stores],
              "suppliers": [s.pk for s in suppliers], "n": len(tracked),
              "prefix": prefix, "days": 400}
    # Each PZ: 1,000 serials of three products into one warehouse, the warehouses in turn;
    # dated over the last 400 days.
    rows = sql(f"""
        WITH p(idx, id, has_mac, has_gpon, price) AS (VALUES {products}),
        docs AS (
            INSERT INTO warehouse_stockdocument (tenant_id, kind, number, issued_on,
                warehouse_id, supplier_id, supplier_document, settlement, note, created_at,
                created_by_id)
            SELECT %(tenant)s, 'PZ', 'PZ/BENCH/' || d,
                   current_date - (%(days)s * (%(docs)s - d) / %(docs)s),
                   (%(stores)s::bigint[])[1 + (d - 1) %% array_length(%(stores)s::bigint[], 1)],
                   (%(suppliers)s::bigint[])[1 + d %% 3], 'FV/' || d || '/2026', 'none', '',
                   now(), %(staff)s
            FROM generate_series(1, %(docs)s) d
            RETURNING id, number, warehouse_id),
        src AS (
            SELECT i, (i - 1) / %(per)s + 1 AS d,
                   ((((i - 1) / %(per)s) * 3 + i %% 3) %% %(n)s) AS idx,
                   lpad(to_hex(i), 12, '0') AS hex
            FROM generate_series(1, %(total)s) i),
        items AS (
            INSERT INTO warehouse_stockitem (tenant_id, product_id, serial, mac, gpon_serial,
                firmware, state, condition, warehouse_id, description, purchase_price,
                olt_port, created_at)
            SELECT %(tenant)s, p.id, %(prefix)s || lpad(src.i::text, 9, '0'),
                   CASE WHEN p.has_mac THEN '02:' || substr(src.hex, 3, 2) || ':'
                        || substr(src.hex, 5, 2) || ':' || substr(src.hex, 7, 2) || ':'
                        || substr(src.hex, 9, 2) || ':' || substr(src.hex, 11, 2)
                        ELSE '' END,
                   CASE WHEN p.has_gpon THEN 'BNCH' || upper(substr(src.hex, 5, 8))
                        ELSE '' END,
                   CASE WHEN p.has_gpon THEN 'V5R019C10S' || (src.i %% 40) ELSE '' END,
                   'in_stock', CASE WHEN src.i %% 50 = 7 THEN 'faulty' ELSE 'working' END,
                   docs.warehouse_id, '', p.price, '', now()
            FROM src JOIN p ON p.idx = src.idx
            JOIN docs ON docs.number = 'PZ/BENCH/' || src.d
            RETURNING id, serial, product_id, purchase_price, warehouse_id, condition),
        lines AS (
            INSERT INTO warehouse_stockdocumentline (tenant_id, document_id, product_id,
                item_id, quantity, unit_price, return_state)
            SELECT %(tenant)s, docs.id, items.product_id, items.id, 1, items.purchase_price, ''
            FROM items JOIN docs ON docs.number = 'PZ/BENCH/'
                 || ((substr(items.serial, length(%(prefix)s) + 1)::int - 1) / %(per)s + 1))
        INSERT INTO warehouse_itemmove (tenant_id, item_id, document_id, to_warehouse_id,
            state_after, condition_after, at)
        SELECT %(tenant)s, items.id, docs.id, items.warehouse_id, 'in_stock', items.condition,
               now()
        FROM items JOIN docs ON docs.number = 'PZ/BENCH/'
             || ((substr(items.serial, length(%(prefix)s) + 1)::int - 1) / %(per)s + 1)
    """, params)
    print(f"  {rows:,} serials received by {documents:,} PZs", flush=True)
    issued = issue_seed(tenant, staff, issued_every=issued_every, customer_ids=customer_ids,
                        prefix=prefix)
    return {"stores": stores, "tracked": tracked, "received": rows, "issued": issued}


def issue_seed(tenant, staff, *, issued_every: int, customer_ids: list[int],
               prefix: str) -> int:
    """Every ``issued_every``-th serial issued to a customer by WZs of 50 serials of one
    warehouse each: the WZs, their lines, the history, the items at the customers."""
    params = {"tenant": tenant.pk, "staff": staff.pk, "every": issued_every,
              "per": PER_WZ, "customers": customer_ids, "prefix": prefix}
    sql("""
        CREATE TEMPORARY TABLE bench_issue ON COMMIT DROP AS
        SELECT id, warehouse_id, product_id, purchase_price,
               (row_number() OVER (ORDER BY warehouse_id, id) - 1) / %(per)s + 1 AS d
        FROM warehouse_stockitem
        WHERE tenant_id = %(tenant)s AND serial LIKE %(prefix)s || '%%'
          AND substr(serial, length(%(prefix)s) + 1)::int %% %(every)s = 0
    """, params)
    sql("""
        INSERT INTO warehouse_stockdocument (tenant_id, kind, number, issued_on, warehouse_id,
            customer_id, supplier_document, settlement, note, created_at, created_by_id)
        SELECT %(tenant)s, 'WZ', 'WZ/BENCH/' || d, current_date - (d %% 300)::int,
               min(warehouse_id),
               (%(customers)s::bigint[])[1 + (d * 7919) %% array_length(%(customers)s::bigint[],
                                                                         1)],
               '', 'none', '', now(), %(staff)s
        FROM bench_issue GROUP BY d
    """, params)
    sql("""
        CREATE TEMPORARY TABLE bench_issued ON COMMIT DROP AS
        SELECT i.id, i.warehouse_id, i.product_id, i.purchase_price, doc.id AS document_id,
               doc.customer_id
        FROM bench_issue i JOIN warehouse_stockdocument doc
             ON doc.tenant_id = %(tenant)s AND doc.kind = 'WZ'
            AND doc.number = 'WZ/BENCH/' || i.d
    """, params)
    sql("""
        INSERT INTO warehouse_stockdocumentline (tenant_id, document_id, product_id, item_id,
            quantity, unit_price, return_state)
        SELECT %(tenant)s, document_id, product_id, id, 1, purchase_price, '' FROM bench_issued
    """, params)
    sql("""
        INSERT INTO warehouse_itemmove (tenant_id, item_id, document_id, from_warehouse_id,
            customer_id, state_after, condition_after, at)
        SELECT %(tenant)s, id, document_id, warehouse_id, customer_id, 'issued', 'working',
               now() + interval '1 second'
        FROM bench_issued
    """, params)
    return sql("""
        UPDATE warehouse_stockitem item SET state = 'issued', condition = 'working',
               warehouse_id = NULL, customer_id = i.customer_id,
               issue_document_id = i.document_id
        FROM bench_issued i WHERE item.id = i.id
    """)


def history_seed(tenant, staff, stores, customer_ids: list[int]) -> list[int]:
    """``RICH`` serials moved by MM to the next warehouse through the service; half of them
    then issued by a WZ and returned by a ZW: histories of two to four documents."""
    from warehouse import services
    from warehouse.models import StockItem

    rich = []
    for n in range(RICH // PER_WZ):
        source, target = stores[n % len(stores)], stores[(n + 1) % len(stores)]
        serials = list(StockItem.objects.filter(
            warehouse=source, state="in_stock", condition="working").order_by("serial")
            .values_list("serial", flat=True)[:PER_WZ])
        services.move_post(actor=staff, warehouse=source, target_warehouse=target,
                           lines=serials)
        if n % 2 == 0:
            customer = customer_ids[n * 31 % len(customer_ids)]
            services.issue_post(actor=staff, warehouse=target, customer=customer,
                                lines=serials)
            services.return_post(actor=staff, customer=customer, warehouse=target,
                                 lines=serials)
        rich += serials
    return list(StockItem.objects.filter(serial__in=rich).values_list("pk", flat=True))


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


CTX_FILE = Path("/tmp") / f"{base.BENCH_DB}.json"


def seed(args) -> dict:
    from django.db import connection, transaction

    from core.models import User
    from core.tenancy import tenant_context
    from customers.models import Customer

    started = time.perf_counter()
    staff = User.objects.create_user(username="bench-warehouse", password="bench-only-2026",
                                     first_name="Bench", last_name="Magazyn")
    other_staff = User.objects.create_user(username="bench-warehouse-2",
                                           password="bench-only-2026")
    seeder = base.BulkSeeder(seed=19)
    main = tenant_make(TENANT_SLUG, "Bench Warehouse ISP", staff, args.customers, seeder)
    other = tenant_make(OTHER_SLUG, "Bench Warehouse ISP 2", other_staff, 200, seeder)
    print(f"customers seeded in {time.perf_counter() - started:.0f} s", flush=True)
    out = {}
    for tenant, user, serials, warehouses, key in (
            (main, staff, args.serials, args.warehouses, "main"),
            (other, other_staff, max(args.serials // 50, 1000), 2, "other")):
        with tenant_context(tenant), transaction.atomic():
            customer_ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
            made = stock_seed(tenant, user, serials=serials, warehouses=warehouses,
                              customer_ids=customer_ids, prefix="BN")
            out[key] = made
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    with tenant_context(main), transaction.atomic():
        customer_ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
        rich = history_seed(main, staff, out["main"]["stores"], customer_ids)
    seeding_s = round(time.perf_counter() - started, 1)
    print(f"seeded in {seeding_s} s", flush=True)
    saved = {"sizes": [args.serials, args.warehouses, args.customers], "rich": rich,
             "seeding_s": seeding_s, "received": out["main"]["received"],
             "issued": out["main"]["issued"]}
    CTX_FILE.write_text(json.dumps(saved))
    return {**saved, "tenant": main, "staff": staff}


def reuse(args) -> dict | None:
    """The database of an earlier run of the same sizes (while developing: its WZs have
    taken 5,000 serials each run out of the stock)."""
    from core.models import Tenant, User

    try:
        saved = json.loads(CTX_FILE.read_text())
    except (OSError, ValueError):
        return None
    if saved.get("sizes") != [args.serials, args.warehouses, args.customers]:
        return None
    return {**saved, "tenant": Tenant.objects.get(slug=TENANT_SLUG),
            "staff": User.objects.get(username="bench-warehouse")}


# --------------------------------------------------------------------------- measuring

def timed_samples(run, samples: int, warm: int = 10) -> dict:
    for i in range(warm):
        run(i)
    times = []
    for i in range(samples):
        started = time.perf_counter()
        run(warm + i)
        times.append(time.perf_counter() - started)
    return base.summary(times)


def measure_wz(ctx, runs: int) -> dict:
    """``issue_post`` of 50 fresh serials, each run from the next warehouse to a customer."""
    from core.tenancy import tenant_context
    from customers.models import Customer
    from warehouse import services
    from warehouse.models import StockDocument, StockItem, Warehouse

    warm = 5
    with tenant_context(ctx["tenant"]):
        stores = list(Warehouse.objects.order_by("pk"))
        customers = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
        rng = random.Random(1919)
        batches = []
        need = -(-(runs + warm) // len(stores))
        for store in stores:
            serials = list(StockItem.objects.filter(warehouse=store, state="in_stock",
                                                    condition="working")
                           .order_by("?").values_list("serial", flat=True)[:need * WZ_LINES])
            batches += [(store, serials[k:k + WZ_LINES])
                        for k in range(0, len(serials), WZ_LINES)]
        rng.shuffle(batches)
        batches = batches[:runs + warm]
        before = StockDocument.objects.filter(kind="WZ").count()

        def run(i):
            store, serials = batches[i]
            services.issue_post(actor=ctx["staff"], warehouse=store,
                                customer=rng.choice(customers), lines=serials)

        with base.count_queries() as counted:
            run(len(batches) - 1)  # the timed runs take the others
        result = timed_samples(run, runs, warm=warm - 1)
        made = StockDocument.objects.filter(kind="WZ").count() - before
        assert made == runs + warm, (made, runs + warm)
    result["queries"] = counted["queries"]
    return result


def measure_stock(ctx, client, samples: int) -> dict:
    """The first page of the stock levels, unfiltered: what staff open. (Each sample counts
    every serial in stock: fewer samples than elsewhere keep the run within minutes.)"""
    from core.tenancy import tenant_context
    from warehouse import selectors

    out = {}
    url = base.url_or_none("warehouse:stock")
    if url:
        with base.count_queries() as counted:
            base.time_page(client, url)
        out["page"] = timed_samples(lambda i: base.time_page(client, url), samples, warm=3)
        out["page"]["queries"] = counted["queries"]

    def selector(i):
        with tenant_context(ctx["tenant"]):
            page = selectors.stock_levels()
            assert page.rows

    out["selector"] = timed_samples(selector, samples, warm=3)
    api = "/api/v1/warehouse/stock/"
    out["api"] = timed_samples(lambda i: base.time_page(client, api), samples, warm=3)
    with tenant_context(ctx["tenant"]):
        out["rows"] = selectors.stock_levels().count
    out["via"] = "page" if url else "selector"
    out["main"] = out["page" if url else "selector"]
    return out


def measure_serial(ctx, client, samples: int) -> dict:
    from core.tenancy import tenant_context
    from warehouse import selectors
    from warehouse.models import StockItem

    with tenant_context(ctx["tenant"]):
        plain = list(StockItem.objects.exclude(pk__in=ctx["rich"]).order_by("?")
                     .values_list("pk", flat=True)[:samples])
    ids = ctx["rich"] + plain  # half with 2-4 documents, half with 1-2
    random.Random(20).shuffle(ids)
    out = {}

    def selector(i):
        with tenant_context(ctx["tenant"]):
            assert selectors.item_history(item_id=ids[i % len(ids)])

    out["selector"] = timed_samples(selector, samples)
    url = base.url_or_none("warehouse:item", stockitem_id=ids[0])
    if url:
        urls = [base.url_or_none("warehouse:item", stockitem_id=pk) for pk in ids]
        with base.count_queries() as counted:
            base.time_page(client, urls[0])
        out["page"] = timed_samples(lambda i: base.time_page(client, urls[i % len(urls)]),
                                    samples)
        out["page"]["queries"] = counted["queries"]
    api = [f"/api/v1/warehouse/items/{pk}/history/" for pk in ids]
    out["api"] = timed_samples(lambda i: base.time_page(client, api[i % len(api)]), samples)
    out["via"] = "page" if url else "selector"
    out["main"] = out["page" if url else "selector"]
    return out


def in_stock_count(tenant) -> dict:
    from django.db.models import Count

    from core.tenancy import tenant_context
    from warehouse.models import StockItem, Warehouse

    with tenant_context(tenant):
        return {"in_stock": StockItem.objects.filter(state="in_stock").count(),
                "issued": StockItem.objects.filter(state="issued").count(),
                "warehouses": Warehouse.objects.annotate(n=Count("items")).filter(
                    n__gt=0).count()}


# --------------------------------------------------------------------------- reporting

def _row(label: str, figures: dict, extra: str = "") -> str:
    return (f"| {label} | {figures['p50']} | **{figures['p95']}** | {figures['max']} | "
            f"{figures['samples']} | {extra} |")


def _verdict(value: float, target: int) -> str:
    return "met" if value < target else "missed"


def render_markdown(args, ctx: dict, counts: dict, wz: dict, stock: dict, serial: dict,
                    info: dict) -> str:
    lines = [
        "## Warehouse: WZ, stock levels, a serial's history (bench/warehouse.py)",
        "",
        f"Command: `scripts/with-postgres.sh .venv/bin/python bench/warehouse.py --serials "
        f"{args.serials} --warehouses {args.warehouses} --wz-runs {args.wz_runs} --samples "
        f"{args.samples} --stock-samples {args.stock_samples}` (in `make bench`); database "
        f"`{base.BENCH_DB}` made afresh (seeding {ctx['seeding_s']} s, untimed, set-based). "
        "Run as the application's database role (row-level security on), warm.",
        "",
        f"One ISP with {args.customers:,} customers and {args.warehouses} warehouses: "
        f"{ctx['received']:,} serials of 12 products received by PZs of {PER_PZ:,}, "
        f"{ctx['issued']:,} of them issued to customers by WZs of {PER_WZ}; "
        f"{RICH} serials moved by MM (half of them also issued and returned) through the "
        f"services. At the measurement: {counts['in_stock']:,} serials in stock in "
        f"{counts['warehouses']} warehouses (2 % faulty), {counts['issued']:,} at customers; "
        "5 counted products in every warehouse. Another ISP holds 2 % as much.",
        "",
        "| measurement | p50 ms | p95 ms | max ms | samples | |",
        "|---|---:|---:|---:|---:|---|",
        _row(f"`services.issue_post`: a WZ of {WZ_LINES} serials (fresh each run)", wz,
             f"{wz['queries']} queries"),
    ]
    if "page" in stock:
        lines.append(_row("stock level page `GET warehouse:stock` (first page)",
                          stock["page"], f"{stock['page']['queries']} queries, "
                                         f"{stock['rows']} rows in all pages"))
    lines += [
        _row("`selectors.stock_levels()` alone", stock["selector"]),
        _row("API `GET /api/v1/warehouse/stock/`", stock["api"], "session"),
    ]
    if "page" in serial:
        lines.append(_row("serial page `GET warehouse:item` (card and history)",
                          serial["page"], f"{serial['page']['queries']} queries"))
    lines += [
        _row("`selectors.item_history()` alone", serial["selector"]),
        _row("API `GET /api/v1/warehouse/items/{id}/history/`", serial["api"], "session"),
        "",
        f"Targets (p95): WZ of 50 serials < {TARGETS['wz']} ms — {wz['p95']} ms "
        f"({_verdict(wz['p95'], TARGETS['wz'])}); stock level "
        f"{'page' if stock['via'] == 'page' else 'selector (no page yet)'} < "
        f"{TARGETS['stock']} ms — {stock['main']['p95']} ms "
        f"({_verdict(stock['main']['p95'], TARGETS['stock'])}); a serial's history "
        f"({'page' if serial['via'] == 'page' else 'selector'}) < {TARGETS['serial']} ms — "
        f"{serial['main']['p95']} ms ({_verdict(serial['main']['p95'], TARGETS['serial'])}); "
        f"the selector alone {serial['selector']['p95']} ms.",
        "",
        f"Machine: {info['cpu']} ({info['cores']} cores, {info['ram_gb']} GB), PostgreSQL "
        f"{info['postgresql']}, Python {info['python']}, load {info['load']} at the start, "
        f"{info['date']}. The machine was shared with other work while this ran (its load "
        "skews the figures upwards); they are to be measured again on a quiet machine.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serials", type=int, default=FULL["serials"])
    parser.add_argument("--warehouses", type=int, default=FULL["warehouses"])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--wz-runs", type=int, default=100)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--stock-samples", type=int, default=30,
                        help="samples of the stock levels (each counts every serial in "
                             "stock)")
    parser.add_argument("--reuse-db", action="store_true",
                        help="keep the database of an earlier run of these sizes (while "
                             "developing: nothing is written)")
    parser.add_argument("--no-write", action="store_true",
                        help="print the figures only (results files untouched; also for "
                             "sizes other than the full one)")
    args = parser.parse_args()
    base.LOAD_AT_START = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    warnings.filterwarnings("ignore", message="No directory at")
    url = base.bench_database_url()
    if not args.reuse_db:
        fresh_database(url)
    started = time.perf_counter()
    base.setup_django(url)
    print(f"migrated {base.BENCH_DB} in {time.perf_counter() - started:.0f} s", flush=True)
    ctx = reuse(args) if args.reuse_db else None
    if ctx is None:
        if args.reuse_db:
            sys.exit(f"no database of these sizes to reuse ({CTX_FILE}): run without "
                     "--reuse-db first")
        ctx = seed(args)
    from django.test import Client

    base.as_app_role()
    client = Client()
    client.force_login(ctx["staff"])
    counts = in_stock_count(ctx["tenant"])
    print(json.dumps(counts), flush=True)
    wz = measure_wz(ctx, args.wz_runs)
    print("WZ", json.dumps(wz), flush=True)
    stock = measure_stock(ctx, client, args.stock_samples)
    print("stock", json.dumps(stock), flush=True)
    serial = measure_serial(ctx, client, args.samples)
    print("serial", json.dumps(serial), flush=True)

    markdown = render_markdown(args, ctx, counts, wz, stock, serial, base.machine())
    print(f"{SECTION_START}\n{markdown}\n{SECTION_END}")
    full = args.serials == FULL["serials"] and args.warehouses == FULL["warehouses"]
    if args.no_write or args.reuse_db or not full:
        return
    figures = {
        "warehouse_wz_p95_ms": wz["p95"],
        "warehouse_wz_p50_ms": wz["p50"],
        "warehouse_stock_p95_ms": stock["main"]["p95"],
        "warehouse_stock_p50_ms": stock["main"]["p50"],
        "warehouse_stock_via": stock["via"],
        "warehouse_stock_selector_p95_ms": stock["selector"]["p95"],
        "warehouse_serial_p95_ms": serial["main"]["p95"],
        "warehouse_serial_p50_ms": serial["main"]["p50"],
        "warehouse_serial_via": serial["via"],
        "warehouse_serial_selector_p95_ms": serial["selector"]["p95"],
        "warehouse_bench_serials": counts["in_stock"],
    }
    base.write_results(figures, markdown, start=SECTION_START, end=SECTION_END)


if __name__ == "__main__":
    main()
