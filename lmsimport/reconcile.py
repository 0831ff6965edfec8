"""The reconciliation (the proof): LMS and Abonent compared after the import.

Run by the runner after every stage, inside the run's transaction, on the same LMS
snapshot and in the importing tenant. Each check is one grouped query per side, compared
in Python dicts keyed by the LMS id (through ``LmsMap``), so 100,000 customers cost a few
queries, not a query per customer:

* ``customers`` — every LMS customer (deleted ones included) has its Abonent customer;
* ``balance`` / ``ledger`` — per customer, LMS's ``SUM(cash.value)`` against Abonent's
  cached ``CustomerAccount.balance`` and against its ledger (Σcredit − Σdebit), to the
  grosz;
* ``invoices`` / ``corrections`` — per month of issue, the number of LMS invoices (type
  1) and corrections (type 3) and their gross (what their ``cash`` rows charge) against
  Abonent's documents of that kind; a month that differs names its customers;
* ``receivables`` — per customer, what LMS says is still owed against Abonent's unsettled
  amounts (``finance.selectors.open_receivables``' rule, see ``open_receivable_totals``);
* ``logins`` / ``ips`` — per customer, LMS's nodes against RADIUS logins, and their IPs;
* ``tariffs`` / ``assignments`` — LMS tariffs against Abonent's, and per customer the
  LMS assignments still running against running subscriptions.

A row a stage reported (``skipped``, or for IPs also ``flagged``) is not an unexplained
difference: where the gap is exactly what the report lines account for, the difference is
listed as explained by them. The import is proven when no difference is unexplained.
"""

import ipaddress
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core.sql import analyze
from customers.models import Customer
from finance.models import (
    Allocation,
    CustomerAccount,
    FinanceDocument,
    Kind,
    Subscription,
    Tariff,
)
from finance.selectors import open_receivable_totals as finance_open_receivable_totals
from radius.models import Login

from .models import LmsMap
from .report import StageReport
from .runner import lms_ahead, lms_answer

WARSAW = ZoneInfo("Europe/Warsaw")
ZERO = Decimal("0.00")
CAP = 100           # differences listed one by one (the totals count all of them)
CUSTOMERS_CAP = 20  # customers named under one month that differs
DOC_INVOICE, DOC_RECEIPT, DOC_CNOTE, DOC_DNOTE = 1, 2, 3, 5
# Report kinds whose LMS id is a row of ``documents`` / of ``cash`` (the money stages').
DOCUMENT_KINDS = {"document", "invoice", "correction", "kp", "kw", "debit_note"}
CASH_KINDS = {"cash", "bank_transfer", "technical"}


# LMS's side of the checks that read millions of rows: asked at the run's start on the
# second connection of the same snapshot (``prepare``), computed by LMS's server while the
# stages work, so the answers wait here when the reconciliation begins.
_LMS_BALANCES = ("SELECT customerid, round(SUM(value * COALESCE(currencyvalue, 1)), 2) AS total "
                 "FROM cash WHERE customerid IS NOT NULL GROUP BY customerid")
# Grouped by the hour of issue, not by the month: a month in Poland starts on a whole
# hour, so the hours fold into months here, and PostgreSQL formats no date per row. The
# count from documents (a correction to zero has no cash row), the gross from their cash
# rows: two scans, no per-document subquery (2,400,000 documents).
_DOC_WHERE = f"d.type IN ({DOC_INVOICE}, {DOC_CNOTE}) AND d.cdate >= %s"
_DOC_COUNTS = ("SELECT d.type, d.cdate / 3600 AS hour, count(*) AS n FROM documents d "  # noqa: S608
               f"WHERE {_DOC_WHERE}")
_DOC_GROSS = ("SELECT d.type, d.cdate / 3600 AS hour, "  # noqa: S608
              "-SUM(c.value * COALESCE(c.currencyvalue, 1)) AS gross FROM cash c "
              f"JOIN documents d ON d.id = c.docid WHERE {_DOC_WHERE}")
_NODES = "SELECT id, ownerid, ipaddr FROM nodes WHERE ownerid IS NOT NULL AND ipaddr > 0"


def _lms_queries(ctx) -> dict[str, tuple[str, list]]:
    since = [_since_epoch(ctx)]
    return {"balances": (_LMS_BALANCES, []),
            "doc_counts": (f"{_DOC_COUNTS} GROUP BY 1, 2", since),
            "doc_gross": (f"{_DOC_GROSS} GROUP BY 1, 2", since),
            "nodes": (f"{_NODES} ORDER BY id", [])}


def prepare(ctx) -> None:
    """At the run's start (runner): LMS's side asked ahead (``runner.lms_ahead``)."""
    for name, (query, params) in _lms_queries(ctx).items():
        lms_ahead(ctx, f"reconcile:{name}", query, params)


def _lms(r, name: str) -> list[dict]:
    """The rows of LMS query ``name`` (``_lms_queries``): asked ahead, or now."""
    query, params = _lms_queries(r.ctx)[name]
    return lms_answer(r.ctx, f"reconcile:{name}", query, params)


def reconcile(ctx) -> dict:
    """Compare LMS (``ctx.lms``) with the active tenant; the result is plain JSON:
    ``{"ok", "checks": [{"name", "lms", "abonent", "ok", "differences", "explained"}],
    "differences": [...], "differences_total", "explained": [...], "explained_total"}``
    (each difference: ``check``, ``lms_customer_id``, ``abonent_customer_id``, ``lms``,
    ``abonent`` and, where it applies, ``month``/``lms_id``/``explained_by``)."""
    run_report = getattr(ctx.report, "run", None)
    # Progress under its own name: the stages' bars are done.
    ctx.report = StageReport(name="reconciliation", run=run_report)
    r = Reconciliation(ctx=ctx, problems=_problems(run_report))
    _analyze()
    checks = (_customers, _balances, _documents, _receivables, _logins, _ips, _tariffs,
              _assignments)
    for done, check in enumerate(checks):
        ctx.advance(done, len(checks))
        check(r)
    ctx.advance(len(checks), len(checks))
    return r.result()


def _analyze() -> None:
    """Fresh planner statistics of the tables compared. The import has just filled them
    in this same transaction (ANALYZE counts the transaction's own rows), and autovacuum
    has not seen them: planned as if nearly empty, the grouped queries below turn into
    nested loops — 50 s instead of 0.5 s at 5,000 customers, hours at 100,000."""
    analyze(LmsMap, Customer, CustomerAccount, FinanceDocument, Allocation, Login,
            Subscription, Tariff)


def _problems(report) -> dict[tuple[str, int], list]:
    found = defaultdict(list)
    for stage in report.stages if report is not None else ():
        for p in stage.problems:
            found[(p.kind, p.lms_id)].append(p)
    return found


def _money(value) -> str:
    return str(Decimal(value or 0).quantize(Decimal("0.01")))


@dataclass
class Reconciliation:
    ctx: object
    problems: dict
    checks: list = field(default_factory=list)
    differences: list = field(default_factory=list)
    explained: list = field(default_factory=list)
    differences_total: int = 0
    explained_total: int = 0
    _customers: tuple | None = None
    cache: dict = field(default_factory=dict)

    # -- what the stages reported -----------------------------------------------------
    def why(self, kinds, lms_ids, actions=("skipped",)) -> str | None:
        """The first report line on one of ``lms_ids`` of ``kinds``: "kind #id: action:
        message", or None when none explains it."""
        for lms_id in lms_ids:
            for kind in kinds:
                for p in self.problems.get((kind, lms_id), ()):
                    if p.action in actions:
                        return f"{p.kind} #{p.lms_id}: {p.action}: {p.message}"
        return None

    def skipped(self, kinds) -> list[int]:
        return sorted({lms_id for (kind, lms_id), ps in self.problems.items()
                       if kind in kinds and any(p.action == "skipped" for p in ps)})

    # -- the customers the import made --------------------------------------------------
    @property
    def customers(self) -> tuple[dict[int, int], dict[int, int]]:
        """(LMS id → Abonent id, Abonent id → LMS id) of imported customers that exist."""
        if self._customers is None:
            existing = set(Customer.objects.filter(pk__in=_mapped("customer"))
                           .values_list("pk", flat=True))
            to_abonent = {lms_id: pk for lms_id, pk in LmsMap.objects.filter(kind="customer")
                          .values_list("lms_id", "abonent_id") if pk in existing}
            self._customers = to_abonent, {v: k for k, v in to_abonent.items()}
        return self._customers

    @property
    def lms_balances(self) -> dict[int, Decimal]:
        """LMS customer id → its balance as LMS keeps it (the customerbalances trigger):
        cash in the document's currency times the rate — SUM(cash.value) for PLN."""
        if "balances" not in self.cache:
            self.cache["balances"] = {row["customerid"]: row["total"]
                                      for row in _lms(self, "balances")}
        return self.cache["balances"]

    # -- results ------------------------------------------------------------------------
    def check(self, name, lms, abonent, rows) -> None:
        """Record check ``name`` (totals ``lms``/``abonent``) with its differing rows."""
        unexplained = [row for row in rows if not row.get("explained_by")]
        for row in rows:
            row = {"check": name, "lms_customer_id": None, "abonent_customer_id": None,
                   **row}
            if row.get("explained_by"):
                self.explained_total += 1
                if len(self.explained) < CAP:
                    self.explained.append(row)
            else:
                self.differences_total += 1
                if len(self.differences) < CAP:
                    self.differences.append(row)
        self.checks.append({"name": name, "lms": lms, "abonent": abonent,
                            "ok": not unexplained, "differences": len(unexplained),
                            "explained": len(rows) - len(unexplained)})

    def per_customer(self, name, lms: dict, abonent: dict, *, default, explain=None,
                     totals=None) -> None:
        """Compare ``lms`` (LMS customer id → value) with ``abonent`` (Abonent customer
        id → value) for every imported customer; ``explain(lms_id, lms, abonent)`` gives
        the report line accounting for a gap, if any."""
        to_abonent, _to_lms = self.customers
        rows = []
        for lms_id, pk in sorted(to_abonent.items()):
            left, right = lms.get(lms_id, default), abonent.get(pk, default)
            if left == right:
                continue
            rows.append({"lms_customer_id": lms_id, "abonent_customer_id": pk,
                         "lms": _plain(left), "abonent": _plain(right),
                         "explained_by": explain(lms_id, left, right) if explain else None})
        if totals is None:
            totals = (_plain(sum(lms.get(i, default) for i in to_abonent)),
                      _plain(sum(abonent.get(pk, default) for pk in to_abonent.values())))
        self.check(name, *totals, rows)

    def result(self) -> dict:
        return {"ok": self.differences_total == 0, "checks": self.checks,
                "differences": self.differences, "differences_total": self.differences_total,
                "explained": self.explained, "explained_total": self.explained_total}


def _plain(value):
    if isinstance(value, Decimal):
        return _money(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return value


def _mapped(kind: str):
    """The Abonent ids of ``kind`` the import made (a subquery, not a list)."""
    return LmsMap.objects.filter(kind=kind).values("abonent_id")


def _imported_customers():
    return _mapped("customer")


def _day_epoch(day: date) -> int:
    return int(datetime.combine(day, time(), WARSAW).timestamp())


def _since_epoch(ctx) -> int:
    return _day_epoch(ctx.since) if ctx.since else 0


# --------------------------------------------------------------------------- customers

def _customers(r: Reconciliation) -> None:
    to_abonent, _to_lms = r.customers
    mapped = dict(LmsMap.objects.filter(kind="customer").values_list("lms_id", "abonent_id"))
    lms_ids = [row["id"] for row in r.ctx.lms.all("SELECT id FROM customers ORDER BY id")]
    rows = []
    for lms_id in lms_ids:
        if lms_id in to_abonent:
            continue
        gone = lms_id in mapped  # imported once, since removed from Abonent
        rows.append({"lms_customer_id": lms_id,
                     "abonent_customer_id": mapped.get(lms_id), "lms": 1, "abonent": 0,
                     "explained_by": None if gone else r.why(["customer"], [lms_id])})
    r.check("customers", len(lms_ids), len(to_abonent), rows)


# --------------------------------------------------------------------------- money

def _skipped_money(r: Reconciliation) -> tuple[dict, dict]:
    """Per LMS customer: the cash of the rows a money stage reported as skipped, and the
    line that says so (read once a run)."""
    if "skipped_money" not in r.cache:
        r.cache["skipped_money"] = _skipped_money_read(r)
    return r.cache["skipped_money"]


def _skipped_money_read(r: Reconciliation) -> tuple[dict, dict]:
    docs, cash = r.skipped(DOCUMENT_KINDS), r.skipped(CASH_KINDS)
    amount, line = defaultdict(Decimal), {}
    if not docs and not cash:
        return amount, line
    rows = r.ctx.lms.all("SELECT id, docid, customerid, value, currencyvalue AS rate FROM cash "
                         "WHERE customerid IS NOT NULL AND (docid = ANY(%s) OR id = ANY(%s))",
                         [docs, cash])
    for row in rows:
        amount[row["customerid"]] += round(row["value"] * (row["rate"] or 1), 2)
        if row["customerid"] not in line:
            line[row["customerid"]] = (r.why(DOCUMENT_KINDS, [row["docid"]])
                                       if row["docid"] in docs else
                                       r.why(CASH_KINDS, [row["id"]]))
    return amount, line


def _balances(r: Reconciliation) -> None:
    lms = r.lms_balances
    cached = dict(CustomerAccount.objects.filter(customer_id__in=_imported_customers())
                  .values_list("customer_id", "balance"))
    ledger = {row["customer_id"]: row["credit"] - row["debit"] for row in
              FinanceDocument.objects.filter(customer_id__in=_imported_customers())
              .values("customer_id").annotate(credit=Sum("credit"), debit=Sum("debit"))
              .order_by()}
    skipped, line = _skipped_money(r)

    def explain(lms_id, left, right):
        if lms_id in skipped and left - skipped[lms_id] == right:
            return line[lms_id]
        return None

    r.per_customer("balance", lms, cached, default=ZERO, explain=explain)
    r.per_customer("ledger", lms, ledger, default=ZERO, explain=explain)


def _documents(r: Reconciliation) -> None:
    """Invoices and corrections per month: count and gross, LMS against Abonent."""
    since = _since_epoch(r.ctx)
    docs, customers = r.skipped(DOCUMENT_KINDS), r.skipped({"customer"})
    lms = defaultdict(lambda: [0, ZERO])      # (type, month) → [count, gross]
    expected = defaultdict(lambda: [0, ZERO])  # the same less what a report line skipped
    months = {}
    for row in _lms(r, "doc_counts"):
        key = (row["type"], _month_of(row["hour"], months))
        lms[key][0] += row["n"]
        expected[key][0] += row["n"]
    for row in _lms(r, "doc_gross"):
        key = (row["type"], _month_of(row["hour"], months))
        lms[key][1] += row["gross"]
        expected[key][1] += row["gross"]
    if docs or customers:  # what the report lines account for: a few, by the indexes
        reported, params = "(d.id = ANY(%s) OR d.customerid = ANY(%s))", [since, docs,
                                                                           customers]
        for row in r.ctx.lms.all(f"{_DOC_COUNTS} AND {reported} GROUP BY 1, 2", params):
            expected[(row["type"], _month_of(row["hour"], months))][0] -= row["n"]
        for row in r.ctx.lms.all(f"{_DOC_GROSS} AND {reported} GROUP BY 1, 2", params):
            expected[(row["type"], _month_of(row["hour"], months))][1] -= row["gross"]
    for side in (lms, expected):
        for value in side.values():
            value[1] = value[1].quantize(Decimal("0.01"))
    abonent = defaultdict(lambda: [0, ZERO])
    kinds = {Kind.INVOICE: DOC_INVOICE, Kind.CORRECTION: DOC_CNOTE}
    ours = FinanceDocument.objects.filter(kind__in=list(kinds),
                                          customer_id__in=_imported_customers())
    if r.ctx.since:
        ours = ours.filter(issue_date__gte=r.ctx.since)
    for row in (ours.annotate(month=TruncMonth("issue_date")).values("kind", "month")
                .annotate(n=Count("id"), debit=Sum("debit"), credit=Sum("credit"))
                .order_by()):
        key = (kinds[row["kind"]], row["month"].strftime("%Y-%m"))
        abonent[key][0] += row["n"]
        abonent[key][1] += row["debit"] - row["credit"]
    for name, doctype in (("invoices", DOC_INVOICE), ("corrections", DOC_CNOTE)):
        months = sorted({m for t, m in [*lms, *abonent] if t == doctype})
        rows = []
        for month in months:
            key = (doctype, month)
            left, right = tuple(lms.get(key, (0, ZERO))), tuple(abonent.get(key, (0, ZERO)))
            if left == right:
                continue
            explained = tuple(expected.get(key, (0, ZERO))) == right
            rows.append({"month": month, "lms": _count_gross(*left),
                         "abonent": _count_gross(*right),
                         "explained_by": _month_line(r, doctype, month) if explained else None})
        for row in rows[:CAP]:
            if not row["explained_by"]:
                row["customers"] = _month_customers(r, doctype, row["month"])
                if len(row["customers"]) == 1:
                    row["lms_customer_id"] = row["customers"][0]["lms_customer_id"]
                    row["abonent_customer_id"] = row["customers"][0]["abonent_customer_id"]
        total = [(sum(v[0] for k, v in side.items() if k[0] == doctype),
                  sum((v[1] for k, v in side.items() if k[0] == doctype), ZERO))
                 for side in (lms, abonent)]
        r.check(name, _count_gross(*total[0]), _count_gross(*total[1]), rows)


def _month_of(hour: int, cache: dict) -> str:
    """"YYYY-MM" in Poland of the hour ``hour`` (Unix seconds // 3600)."""
    if hour not in cache:
        cache[hour] = datetime.fromtimestamp(hour * 3600, WARSAW).strftime("%Y-%m")
    return cache[hour]


def _count_gross(count, gross) -> dict:
    return {"count": count, "gross": _money(gross)}


def _month_bounds(month: str) -> tuple[date, date]:
    first = date.fromisoformat(f"{month}-01")
    return first, (first + timedelta(days=32)).replace(day=1)


def _month_line(r: Reconciliation, doctype: int, month: str) -> str | None:
    """The first report line on a document of ``month`` skipped (itself or its customer)."""
    first, after = _month_bounds(month)
    rows = r.ctx.lms.all(
        "SELECT d.id, d.customerid FROM documents d WHERE d.type = %s AND d.cdate >= %s "
        "AND d.cdate < %s AND (d.id = ANY(%s) OR d.customerid = ANY(%s)) ORDER BY d.id",
        [doctype, _day_epoch(first), _day_epoch(after), r.skipped(DOCUMENT_KINDS),
         r.skipped({"customer"})])
    for row in rows:
        line = r.why(DOCUMENT_KINDS, [row["id"]]) or r.why(["customer"], [row["customerid"]])
        if line:
            return line
    return None


def _month_customers(r: Reconciliation, doctype: int, month: str) -> list[dict]:
    """The customers whose documents of ``month`` differ (a drill-down of one month)."""
    first, after = _month_bounds(month)
    lms = {row["customerid"]: (row["n"], row["gross"]) for row in r.ctx.lms.all(
        "SELECT d.customerid, count(*) AS n, "
        "COALESCE(-round(SUM(c.value * COALESCE(c.currencyvalue, 1)), 2), 0) AS gross "
        "FROM documents d LEFT JOIN cash c ON c.docid = d.id WHERE d.type = %s "
        "AND d.cdate >= %s AND d.cdate < %s GROUP BY d.customerid",
        [doctype, _day_epoch(first), _day_epoch(after)])}
    # a document with several cash rows is counted once per row above: count apart
    counts = {row["customerid"]: row["n"] for row in r.ctx.lms.all(
        "SELECT customerid, count(*) AS n FROM documents WHERE type = %s AND cdate >= %s "
        "AND cdate < %s GROUP BY customerid", [doctype, _day_epoch(first), _day_epoch(after)])}
    kind = Kind.INVOICE if doctype == DOC_INVOICE else Kind.CORRECTION
    to_abonent, to_lms = r.customers
    abonent = {}
    for row in (FinanceDocument.objects.filter(kind=kind, customer_id__in=_imported_customers(),
                                               issue_date__gte=first, issue_date__lt=after)
                .values("customer_id").annotate(n=Count("id"), debit=Sum("debit"),
                                                credit=Sum("credit")).order_by()):
        abonent[to_lms.get(row["customer_id"])] = (row["n"], row["debit"] - row["credit"])
    found = []
    for lms_id in sorted(set(lms) | set(abonent), key=lambda i: (i is None, i or 0)):
        left = (counts.get(lms_id, 0), lms.get(lms_id, (0, ZERO))[1])
        right = abonent.get(lms_id, (0, ZERO))
        if left != right:
            found.append({"lms_customer_id": lms_id, "abonent_customer_id":
                          to_abonent.get(lms_id), "lms": _count_gross(*left),
                          "abonent": _count_gross(*right)})
    return found[:CUSTOMERS_CAP]


def open_receivable_totals() -> dict[int, Decimal]:
    """Abonent customer id → what it still owes (``finance.selectors.
    open_receivable_totals``: the rule of ``open_receivables``, set-based), for the
    customers imported from LMS."""
    imported = set(LmsMap.objects.filter(kind="customer").values_list("abonent_id", flat=True))
    return {pk: total for pk, total in finance_open_receivable_totals().items()
            if pk in imported}


def _receivables(r: Reconciliation) -> None:
    """What is still owed, per customer. LMS keeps no allocations: its unsettled
    documents are paid by the money it holds, so what is owed is the debt its ledger
    shows, ``max(0, −SUM(cash.value))`` — what the money stages allocate to arrive at."""
    lms = {lms_id: -total for lms_id, total in r.lms_balances.items() if total < 0}
    abonent = open_receivable_totals()
    skipped, line = _skipped_money(r)

    def explain(lms_id, left, right):
        owed = skipped.get(lms_id, ZERO) - r.lms_balances.get(lms_id, ZERO)
        if lms_id in skipped and max(ZERO, owed) == right:
            return line[lms_id]
        return None

    r.per_customer("receivables", lms, abonent, default=ZERO, explain=explain)


# --------------------------------------------------------------------------- network

def _skipped_by_owner(r: Reconciliation, kind: str, table: str, owner: str) -> dict:
    """LMS customer id → LMS ids of its rows of ``table`` a stage skipped."""
    ids = r.skipped({kind})
    found = defaultdict(list)
    if ids:
        for row in r.ctx.lms.all(f"SELECT id, {owner} AS owner FROM {table} "  # noqa: S608
                                 "WHERE id = ANY(%s)", [ids]):
            found[row["owner"]].append(row["id"])
    return found


def _logins(r: Reconciliation) -> None:
    lms = {row["ownerid"]: row["n"] for row in r.ctx.lms.all(
        "SELECT ownerid, count(*) AS n FROM nodes WHERE ownerid IS NOT NULL GROUP BY ownerid")}
    abonent = {row["customer_id"]: row["n"] for row in
               Login.objects.filter(customer_id__in=_imported_customers())
               .values("customer_id").annotate(n=Count("id")).order_by()}
    skipped = _skipped_by_owner(r, "node", "nodes", "ownerid")

    def explain(lms_id, left, right):
        nodes = skipped.get(lms_id, [])
        return r.why(["node"], nodes) if nodes and left - len(nodes) == right else None

    r.per_customer("logins", lms, abonent, default=0, explain=explain)


def _ips(r: Reconciliation) -> None:
    """Per customer the set of IPs: an LMS address Abonent lacks is explained by a report
    line on its node (skipped, or imported without the address); one Abonent has and LMS
    does not never is."""
    lms, node_of = defaultdict(set), {}
    for row in _lms(r, "nodes"):
        ip = str(ipaddress.IPv4Address(row["ipaddr"]))
        lms[row["ownerid"]].add(ip)
        node_of[(row["ownerid"], ip)] = row["id"]
    abonent = defaultdict(set)
    for customer_id, ip in (Login.objects.filter(customer_id__in=_imported_customers(),
                                                 ip__isnull=False)
                            .values_list("customer_id", "ip")):
        abonent[customer_id].add(ip)

    def explain(lms_id, left, right):
        if right - left:
            return None
        lines = [r.why(["node"], [node_of[(lms_id, ip)]], ("skipped", "flagged"))
                 for ip in sorted(left - right)]
        return lines[0] if all(lines) else None

    to_abonent, _to_lms = r.customers
    r.per_customer("ips", lms, abonent, default=set(), explain=explain,
                   totals=(sum(len(lms.get(i, ())) for i in to_abonent),
                           sum(len(abonent.get(pk, ())) for pk in to_abonent.values())))


# --------------------------------------------------------------------------- services

def _tariffs(r: Reconciliation) -> None:
    mapped = dict(LmsMap.objects.filter(kind="tariff").values_list("lms_id", "abonent_id"))
    existing = set(Tariff.objects.filter(pk__in=_mapped("tariff")).values_list("pk", flat=True))
    lms_ids = [row["id"] for row in r.ctx.lms.all("SELECT id FROM tariffs ORDER BY id")]
    rows = []
    for lms_id in lms_ids:
        if mapped.get(lms_id) in existing:
            continue
        rows.append({"lms_id": lms_id, "lms": 1, "abonent": 0,
                     "explained_by": None if lms_id in mapped
                     else r.why(["tariff"], [lms_id])})
    r.check("tariffs", len(lms_ids), sum(1 for i in lms_ids if mapped.get(i) in existing),
            rows)


def _assignments(r: Reconciliation) -> None:
    """Running today: LMS's assignments not ended (``dateto`` 0 or today or later) against
    subscriptions not ended. A subscription the tariffs stage ended because LMS deleted
    its assignment is not running, whatever its last billed day."""
    today = timezone.localdate()
    lms, all_ids, running = defaultdict(int), set(), set()
    for rows in r.ctx.lms.batches(
            "SELECT id, customerid, (dateto = 0 OR (to_timestamp(dateto) AT TIME ZONE "
            "'Europe/Warsaw')::date >= %s) AS running FROM assignments ORDER BY id", [today]):
        for row in rows:
            all_ids.add(row["id"])
            if row["running"]:
                lms[row["customerid"]] += 1
                running.add(row["id"])
    from_lms = dict(LmsMap.objects.filter(kind="assignment")
                    .values_list("abonent_id", "lms_id"))
    abonent = defaultdict(int)
    for pk, customer_id, end in (
            Subscription.objects.filter(customer_id__in=_imported_customers())
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .values_list("pk", "customer_id", "end_date")):
        if end is not None and pk in from_lms and from_lms[pk] not in all_ids:
            continue  # deleted in LMS: ended by the import with what was billed
        abonent[customer_id] += 1
    skipped = {c: [i for i in ids if i in running] for c, ids in
               _skipped_by_owner(r, "assignment", "assignments", "customerid").items()}

    def explain(lms_id, left, right):
        ids = skipped.get(lms_id, [])
        return r.why(["assignment"], ids) if ids and left - len(ids) == right else None

    r.per_customer("assignments", dict(lms), dict(abonent), default=0, explain=explain)
