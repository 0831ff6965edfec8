"""JPK_V7M benchmark: the file of a month with 100,000 invoices (``make bench``).

Runs against its own PostgreSQL database (``abonent_jpk_bench``, or ``BENCH_JPK_DB``;
created and migrated when missing). The first run seeds one ISP with 20,000 customers
(bench/run.py's COPY seeder) and, by COPY, 100,000 invoices issued in March 2026 of one to
three lines (internet 23 %, television 8 %, an exempt service; GTU codes on some), each
with the parties snapshot the product stores, plus 1,000 February invoices corrected in
March (half down, half up). A second ISP gets 2,000 March invoices, for tenant scoping to
exclude. Later runs reuse the data.

Then, as the application's database role (row-level security on), the service
``accounting.jpk.jpk_filing_create`` builds the March file — the ledger read, the
declaration, the XML, its validation against the official XSD, the row stored — and the
parts are timed separately (``jpk_v7m_100k_s``, target < 30 s).

    scripts/with-postgres.sh .venv/bin/python bench/jpk.py [--invoices 100000] [--no-write]
"""

import argparse
import datetime
import json
import os
import random
import sys
import time
import warnings
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path
                             if Path(p or ".").resolve() != ROOT / "bench"]

from bench import run as base  # noqa: E402

base.BENCH_DB = os.environ.get("BENCH_JPK_DB", "abonent_jpk_bench")
SECTION_START = "<!-- bench:jpk:start -->"
SECTION_END = "<!-- bench:jpk:end -->"
TENANT_SLUG, OTHER_SLUG = "bench-jpk", "bench-jpk-other"
STAFF_USERNAME = "bench-jpk"
TARGET_S = 30
CUSTOMERS, OTHER_CUSTOMERS = 20_000, 1_000
CORRECTED = 1_000
SETTINGS = {"finance.seller_name": "Bench ISP Sp. z o.o.", "finance.seller_nip": "5260001246",
            "finance.seller_street": "ul. Testowa 1", "finance.seller_postal_code": "00-001",
            "finance.seller_city": "Warszawa",
            "finance.vat_exemption_basis": "art. 43 ust. 1 pkt 37 ustawy o VAT",
            "accounting.tax_office_code": "1471", "accounting.taxpayer_email": "jpk@bench.pl"}
PRODUCTS = (("Internet światłowodowy 600 Mb/s", "23", "", ("59.00", "69.00", "89.00")),
            ("Telewizja pakiet podstawowy", "8", "", ("29.99", "39.99")),
            ("Usługa zwolniona", "zw", "", ("5.00",)),
            ("Router Wi-Fi", "23", "GTU_06", ("199.00",)))


def bench_user(tenant):
    from core.models import Membership, User
    from core.roles import Role

    user = User.objects.filter(username=STAFF_USERNAME).first()
    if user is None:
        user = User.objects.create_user(username=STAFF_USERNAME, password=None,
                                        first_name="Bench", last_name="JPK")
    Membership.objects.get_or_create(user=user, tenant=tenant, defaults={"role": Role.ADMIN})
    return user


class LedgerSeeder:
    """Invoices and their lines as rows, with the per-rate totals of ``finance.money``."""

    def __init__(self, seeder, rng: random.Random):
        self.seeder, self.rng, self.numbers = seeder, rng, {}

    def number(self, tenant, kind: str) -> str:
        key = (tenant.pk, kind)
        self.numbers[key] = self.numbers.get(key, 0) + 1
        return f"{'FV' if kind == 'invoice' else 'KOR'}/{self.numbers[key]:06d}/B"

    def lines_draw(self):
        chosen = [PRODUCTS[0]] + [p for p in PRODUCTS[1:] if self.rng.random() < 0.3]
        return [(name, rate, gtu, Decimal(self.rng.choice(prices)))
                for name, rate, gtu, prices in chosen]

    def document(self, tenant, customer, kind, when, lines, *, corrects=None, before=None):
        from finance.models import FinanceDocument, InvoiceLine
        from finance.money import line_net, vat_summary

        rows = [(name, rate, gtu, price, line_net(Decimal(1), price))
                for name, rate, gtu, price in lines]
        gross = sum((t.gross for t in vat_summary((r[1], r[4]) for r in rows).values()),
                    Decimal("0.00"))
        if before is not None:
            gross -= before
        now = datetime.datetime.now(datetime.UTC)
        document = FinanceDocument(
            id=self.seeder.next_id("finance_financedocument"), tenant_id=tenant.pk,
            customer_id=customer[0], kind=kind, number=self.number(tenant, kind),
            issue_date=when, due_date=when + datetime.timedelta(days=14),
            debit=max(gross, Decimal(0)), credit=max(-gross, Decimal(0)), title="",
            reason="Zmiana ceny" if corrects else "", corrects_id=corrects, created_at=now,
            bank_reference="", bank_account="", counterparty_account="",
            parties=json.dumps({"version": 1, "seller": {"name": SETTINGS[
                "finance.seller_name"], "nip": SETTINGS["finance.seller_nip"]},
                "buyer": {"name": customer[1], "nip": customer[2] or "",
                          "country": "PL"}}))
        lines = [InvoiceLine(id=self.seeder.next_id("finance_invoiceline"), tenant_id=tenant.pk,
                             document_id=document.id, position=n, name=name,
                             quantity=Decimal(1), unit="mies.", net_unit_price=price,
                             vat_rate=rate, gtu=gtu, annex15=False, net=net)
                 for n, (name, rate, gtu, price, net) in enumerate(rows, start=1)]
        return document, lines, gross

    def seed(self, tenant, customers, count: int, corrected: int):
        from finance.models import FinanceDocument, InvoiceLine

        documents, lines = [], []
        for _ in range(count):
            day = datetime.date(2026, 3, self.rng.randint(1, 31))
            document, own, _gross = self.document(tenant, self.rng.choice(customers),
                                                  "invoice", day, self.lines_draw())
            documents.append(document)
            lines.extend(own)
        for n in range(corrected):
            customer = self.rng.choice(customers)
            drawn = self.lines_draw()
            invoice, own, gross = self.document(tenant, customer, "invoice",
                                                datetime.date(2026, 2, 20), drawn)
            documents.append(invoice)
            lines.extend(own)
            factor = Decimal("0.5") if n % 2 else Decimal("1.5")
            changed = [(name, rate, gtu, (price * factor).quantize(Decimal("0.01")))
                       for name, rate, gtu, price in drawn]
            correction, own, _diff = self.document(
                tenant, customer, "correction", datetime.date(2026, 3, 25), changed,
                corrects=invoice.id, before=gross)
            documents.append(correction)
            lines.extend(own)
        base.copy_rows(FinanceDocument, documents)
        base.copy_rows(InvoiceLine, lines)


def seed(args) -> dict:
    from django.db import connection, transaction

    from core.models import Tenant
    from core.services import tenant_setting_set
    from core.tenancy import tenant_context
    from customers.models import Customer
    from finance.models import FinanceDocument

    main, _ = Tenant.objects.get_or_create(slug=TENANT_SLUG, defaults={"name": "Bench JPK"})
    other, _ = Tenant.objects.get_or_create(slug=OTHER_SLUG, defaults={"name": "Bench JPK 2"})
    staff = bench_user(main)
    with tenant_context(main):
        for key, value in SETTINGS.items():
            tenant_setting_set(actor=staff, key=key, raw_value=value)
    expected = args.invoices + 2 * CORRECTED
    have = FinanceDocument.all_tenants.filter(tenant=main).count()
    seeding_s = None
    if have != expected:
        print(f"seeding {args.invoices} invoices of {CUSTOMERS} customers…")
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE customers_customer, finance_financedocument, "
                           "core_actionlog, accounting_jpkfiling RESTART IDENTITY CASCADE")
        seeder = base.BulkSeeder(seed=16)
        rng = random.Random(16)
        with transaction.atomic():
            seeder.seed(main, CUSTOMERS)
            seeder.seed(other, OTHER_CUSTOMERS)
            ledger = LedgerSeeder(seeder, rng)
            for tenant, count, corrected in ((main, args.invoices, CORRECTED),
                                             (other, 2_000, 0)):
                people = list(Customer.all_tenants.filter(tenant=tenant).values_list(
                    "id", "company_name", "nip", "first_name", "last_name"))
                people = [(pk, company or f"{first} {last}", nip)
                          for pk, company, nip, first, last in people]
                ledger.seed(tenant, people, count, corrected)
        with connection.cursor() as cursor:
            for table in ("customers_customer", "customers_phone", "customers_email",
                          "customers_address", "finance_financedocument",
                          "finance_invoiceline"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                               f"coalesce((SELECT max(id) FROM {table}), 1))")
            cursor.execute("VACUUM ANALYZE")
        seeding_s = time.perf_counter() - started
        print(f"seeded in {seeding_s:.1f} s")
    else:
        print(f"reusing the seeded {base.BENCH_DB} ({have} documents)")
    return {"tenant": main, "staff": staff, "seeding_s": seeding_s}


def measure(ctx) -> dict:
    """The whole service once, then its parts (register, XML, validation) once each."""
    from accounting import jpk
    from core.tenancy import tenant_context

    with tenant_context(ctx["tenant"]):
        started = time.perf_counter()
        filing = jpk.jpk_filing_create(actor=ctx["staff"], year=2026, month=3)
        total = time.perf_counter() - started
        started = time.perf_counter()
        preview = jpk.jpk_preview(year=2026, month=3)
        register_s = time.perf_counter() - started
        started = time.perf_counter()
        xml = jpk.jpk_xml(preview.register, purpose=preview.purpose, fields=preview.fields,
                          taxpayer=jpk.taxpayer_get())
        xml_s = time.perf_counter() - started
        started = time.perf_counter()
        errors = jpk.validate(xml)
        validate_s = time.perf_counter() - started
    assert not errors, errors[:3]
    return {"total_s": round(total, 2), "register_s": round(register_s, 2),
            "xml_s": round(xml_s, 2), "validate_s": round(validate_s, 2),
            "rows": filing.sales_rows, "output_vat": str(filing.output_vat),
            "xml_mb": round(len(xml) / 1024 / 1024, 1)}


def render_markdown(result: dict, info: dict, seeding_s) -> str:
    verdict = "meets" if result["total_s"] < TARGET_S else "misses"
    seeded = f" (seeded in {seeding_s:.0f} s)" if seeding_s else ""
    return "\n".join([
        "## JPK_V7M(3) of a month with 100,000 invoices",
        "",
        f"Database `{base.BENCH_DB}`{seeded}: {result['rows']:,} sales rows "
        f"(100,000 March invoices and 1,000 corrections of February invoices; another ISP's "
        f"2,000 excluded), output VAT {result['output_vat']} PLN, XML {result['xml_mb']} MB. "
        f"Run as the application's database role (row-level security on).",
        "",
        "| step | seconds |",
        "|---|---|",
        f"| `jpk_filing_create` — read, build, validate, store (`jpk_v7m_100k_s`) | "
        f"**{result['total_s']}** (target < {TARGET_S} s: {verdict}) |",
        f"| of which the registers from the ledger + declaration | {result['register_s']} |",
        f"| of which the XML | {result['xml_s']} |",
        f"| of which the XSD validation (lxml) | {result['validate_s']} |",
        "",
        f"Machine: {info['cpu']} ({info['cores']} cores, {info['ram_gb']} GB), PostgreSQL "
        f"{info['postgresql']}, Python {info['python']}, load {info['load']}, {info['date']}.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--no-write", action="store_true",
                        help="print the figures only (results.json and RESULTS.md untouched)")
    args = parser.parse_args()
    base.LOAD_AT_START = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    warnings.filterwarnings("ignore", message="No directory at")
    url = base.bench_database_url()
    base.ensure_database(url)
    base.setup_django(url)
    ctx = seed(args)
    base.as_app_role()
    result = measure(ctx)
    print(json.dumps(result, indent=2))
    markdown = render_markdown(result, base.machine(), ctx["seeding_s"])
    print(f"{SECTION_START}\n{markdown}\n{SECTION_END}")
    if args.no_write:
        return
    figures = {"jpk_v7m_100k_s": result["total_s"], "jpk_v7m_register_s": result["register_s"],
               "jpk_v7m_xml_s": result["xml_s"], "jpk_v7m_validate_s": result["validate_s"]}
    base.write_results(figures, markdown, start=SECTION_START, end=SECTION_END)


if __name__ == "__main__":
    main()
