"""Stage "cash": LMS's ``cash`` rows of no document → bank transfers and technical
transactions; opening balances (``--since``); then allocations and cached balances.

LMS's words: ``cash.type`` 1 is money moved (a payment: by bank when it came from a
``cashsources`` import, or typed by staff), 0 a liability; a row with ``docid`` belongs to
a document (the documents stage imports it as part of that document). Here: a type-1
row of no document paying the customer → bank transfer; any other row of no document →
technical transaction (a charge or a credit by its sign). The balance LMS shows is
``SUM(cash.value)`` per customer; Abonent's is Σcredit − Σdebit of the ledger, and after
this stage both are the same to the grosz.

At the end, for every customer whose ledger the run changed: the links between payments
and receivables are made again by finance's rule (``money_rules.allocations_plan`` →
``finance.allocation.payment_shares``), what LMS marked settled first, and the cached
balance (``CustomerAccount``) is set from the ledger — one statement per chunk.
Nothing is published: no "payment.booked", no messages, no RADIUS change.
"""

import functools
import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.sql import column_any, ids_reserve, rows_copy
from finance.models import Allocation, CustomerAccount, FinanceDocument, Kind
from finance.numbering import title_recogniser
from finance.seller import party_snapshots

from ..models import LmsMap
from ..runner import (
    WriteBehind,
    changed_rows,
    fingerprints_prefetch,
    map_any,
    map_get,
    map_save,
)
from .documents import (
    DOC_COLUMNS,
    UPDATE_FIELDS,
    any_of,
    closed_written,
    customer_ids,
    forget_documents,
    forget_gone,
    imported_documents,
    ledger_touched,
    printed,
)
from .money_rules import ZERO, Entry, allocations_plan, fingerprint, lms_day, lms_epoch

CASH_LIABILITY, CASH_PAYMENT = 0, 1
MAP_KIND, OPENING = "cash", "opening"
CHUNK = 2000  # customers re-allocated per round


_WHERE = "docid IS NULL AND (%s::bigint IS NULL OR time >= %s)"
# The row as LMS has it, fingerprinted by PostgreSQL (what the ledger document is made of,
# with the customer's mapping and the run's ``context``).
_FINGERPRINT = "md5(row(cash.*)::text) AS fp"
_COLUMNS = ("id, time, type, round(value * coalesce(currencyvalue, 1), 2) AS value,"
            f" customerid, comment, sourceid, {_FINGERPRINT}")


# What a re-run compares (runner.fingerprints_compare): id, customer, fingerprint.
FINGERPRINTS = f"SELECT id, customerid, {_FINGERPRINT} FROM cash WHERE {_WHERE}"  # noqa: S608


def prepare(ctx) -> None:
    """At the run's start: a re-run's fingerprints read meanwhile (runner)."""
    since = lms_epoch(ctx.since) if ctx.since else None
    fingerprints_prefetch(ctx, MAP_KIND, FINGERPRINTS, [since, since])


def run(ctx) -> None:
    customers = customer_ids(ctx)
    sources = {r["id"]: r["account"] for r in ctx.lms.all(
        "SELECT id, account FROM cashsources")}
    since = lms_epoch(ctx.since) if ctx.since else None
    params = [since, since]
    # What every row's document also depends on: the accounts of LMS's cash sources and
    # the titles printed where a row has no comment.
    context = fingerprint(sorted(sources.items()), printed(gettext_lazy("Payment")),
                          printed(gettext_lazy("Operation imported from LMS")))
    changed = changed_rows(
        ctx, MAP_KIND, fingerprints=FINGERPRINTS, context=context, params=params,
        count_query=f"SELECT count(*) AS n FROM cash WHERE {_WHERE}",  # noqa: S608
        all_query=f"SELECT {_COLUMNS} FROM cash WHERE {_WHERE} ORDER BY id",  # noqa: S608
        some_query=f"SELECT {_COLUMNS} FROM cash WHERE id = ANY(%s) AND {_WHERE} "  # noqa: S608
                   "ORDER BY id",
        counted_as="cash")
    changed.each(ctx, lambda rows: _batch(ctx, rows, customers, sources, context))
    if changed.comparison is not None:
        forget_documents(ctx, MAP_KIND, changed.comparison.gone)
    elif changed.before:
        forget_gone(ctx, MAP_KIND, f"SELECT id FROM cash WHERE id = ANY(%s) AND {_WHERE}",  # noqa: S608
                    params)
    _openings(ctx, customers, since)
    ctx.statistics()
    ledger_settle(ctx, ledger_touched(ctx))
    _accounts_ensure(ctx)


@functools.lru_cache(maxsize=1024)
def _digits(account: str | None) -> str:
    """A cash source's account number as digits (a few sources, millions of rows)."""
    return "".join(ch for ch in account or "" if ch.isdigit())


def _decide(ctx, row, customers, sources) -> dict | None:
    customer = customers.get(row["customerid"])
    value = Decimal(row["value"])
    if row["customerid"] is None or customer is None:
        ctx.report.problem(lms_id=row["id"], kind="cash", action="skipped",
                           message=_("a cash row of no imported customer (%(c)s): not "
                                     "imported") % {"c": row["customerid"]})
        return None
    if value == 0:
        ctx.report.problem(lms_id=row["id"], kind="cash", action="skipped",
                           message=_("a cash row of 0.00: not imported"))
        return None
    day = lms_day(row["time"])
    comment = (row["comment"] or "").strip()
    if row["type"] == CASH_PAYMENT and value > 0:
        kind = Kind.BANK_TRANSFER
        title = comment or printed(gettext_lazy("Payment"))
    else:
        kind = Kind.TECHNICAL
        title = comment or printed(gettext_lazy("Operation imported from LMS"))
    debit, credit = (-value, ZERO) if value < 0 else (ZERO, value)
    account = _digits(sources.get(row["sourceid"]))
    values = {"customer": customer, "kind": kind, "number": f"LMS/{row['id']}",
              "issue_date": day, "due_date": day if debit else None, "debit": debit,
              "credit": credit, "title": title[:500],
              "reason": title[:500] if kind == Kind.TECHNICAL else "",
              "bank_account": account[:34] if kind == Kind.BANK_TRANSFER else ""}
    return {"lms_id": row["id"], "values": values}


def _batch(ctx, rows, customers, sources, context) -> None:
    mapped = {m.lms_id: m for m in map_get(MAP_KIND, [r["id"] for r in rows])} \
        if map_any(ctx, MAP_KIND) else {}
    new, changed = [], []
    for row in rows:
        ctx.report.add("cash", "read")
        # As runner.fingerprints_compare computes it.
        digest = fingerprint(row["fp"], customers.get(row["customerid"]), context)
        m = mapped.get(row["id"])
        if m is not None and m.digest == digest and m.data.get("kind"):
            ctx.report.add(m.data["kind"], "read")
            ctx.report.add(m.data["kind"], "unchanged")
            continue
        doc = _decide(ctx, row, customers, sources)
        if doc is None:
            continue
        ctx.report.add(doc["values"]["kind"], "read")
        doc["digest"] = digest
        doc["pk"] = m.abonent_id if m else None
        (new if m is None else changed).append(doc)
    write_simple(ctx, MAP_KIND, new, changed)


def write_simple(ctx, map_kind: str, new: list, changed: list) -> None:
    """Documents with no items (transfers, technical ones, opening balances): new by COPY
    with the customers' parties as now (``party_snapshots``), changed by one UPDATE."""
    tenant, now = ctx.tenant.pk, timezone.now()
    for doc, pk in zip(new, ids_reserve(FinanceDocument, len(new)), strict=True):
        doc["pk"] = pk
    texts = _parties_json(ctx, {d["values"]["customer"] for d in new})
    parties = party_snapshots({d["values"]["customer"] for d in changed}) if changed else {}
    rows = []
    for doc in new:
        v = doc["values"]
        rows.append((doc["pk"], tenant, v["customer"], v["kind"], v["number"], v["issue_date"],
                     v["due_date"], v["debit"], v["credit"], v["title"], v["reason"], None,
                     None, "", v.get("bank_account", ""), "", now, None,
                     texts.get(v["customer"], "null")))
    if changed:
        FinanceDocument.objects.bulk_update(
            [FinanceDocument(pk=d["pk"], tenant_id=tenant, customer_id=d["values"]["customer"],
                             corrects_id=None, cash_register_id=None,
                             parties=parties.get(d["values"]["customer"]),
                             bank_account=d["values"].get("bank_account", ""),
                             **{k: v for k, v in d["values"].items()
                                if k not in ("customer", "bank_account")})
             for d in changed], [*UPDATE_FIELDS, "bank_account"], batch_size=2000)
    for doc in new:
        doc["new"] = True
    for doc in new + changed:
        ctx.report.add(doc["values"]["kind"], "created" if doc.get("new") else "updated")
        ledger_touched(ctx).add(doc["values"]["customer"])
    map_save(ctx, map_kind, [(d["lms_id"], d["pk"], d["digest"],
                              {"kind": d["values"]["kind"]}) for d in changed])
    ctx.write(_new_write, ctx, map_kind, rows, [(d["lms_id"], d["pk"], d["digest"],
                                                {"kind": d["values"]["kind"]}) for d in new])


def _new_write(ctx, map_kind, rows, maps) -> None:
    """New documents and their mappings copied in (behind the next batch: ``ctx.write``)."""
    rows_copy(FinanceDocument, DOC_COLUMNS, rows)
    map_save(ctx, map_kind, maps, fresh=True)


def _parties_json(ctx, customers) -> dict[int, str]:
    """The customers' parties snapshots as JSON (``party_snapshots``, as now), each read
    once a run: a customer's millions of rows share it."""
    known = ctx.cache.setdefault("parties_json", {})
    missing = [c for c in customers if c not in known]
    if missing:
        known.update({customer: json.dumps(snapshot, ensure_ascii=False)
                      for customer, snapshot in party_snapshots(missing).items()})
    return {c: known[c] for c in customers if c in known}


# --------------------------------------------------------------------------- --since

def _openings(ctx, customers, since) -> None:
    """With ``--since``, each customer's history before it is one technical document
    dated the day before: LMS's SUM(cash.value) of the documents and rows left out."""
    if since is None:
        mapped = list(LmsMap.objects.filter(kind=OPENING).values_list("lms_id", flat=True))
        if mapped:  # an earlier run had --since, this one imports everything
            _openings_remove(ctx, mapped)
        return
    rows = ctx.lms.all(
        "SELECT c.customerid, round(sum(c.value * coalesce(c.currencyvalue, 1)), 2) AS total"
        " FROM cash c LEFT JOIN documents d ON d.id = c.docid"
        " WHERE c.customerid IS NOT NULL AND COALESCE(d.cdate, c.time) < %s"
        " GROUP BY c.customerid ORDER BY c.customerid", [since])
    day = ctx.since - timedelta(days=1)
    title = printed(gettext_lazy("Opening balance from LMS"))
    mapped = {m.lms_id: m for m in map_get(OPENING, [r["customerid"] for r in rows])}
    new, changed, zero = [], [], []
    for row in rows:
        customer, total = customers.get(row["customerid"]), Decimal(row["total"])
        m = mapped.get(row["customerid"])
        if customer is None:
            continue
        if total == 0:
            if m is not None:
                zero.append(row["customerid"])
            continue
        ctx.report.add(OPENING, "read")
        debit, credit = (-total, ZERO) if total < 0 else (ZERO, total)
        values = {"customer": customer, "kind": Kind.TECHNICAL,
                  "number": f"LMS/BO/{row['customerid']}/{day:%Y%m%d}", "issue_date": day,
                  "due_date": day if debit else None, "debit": debit, "credit": credit,
                  "title": title, "reason": title}
        doc = {"lms_id": row["customerid"], "values": values, "digest": fingerprint(values),
               "pk": m.abonent_id if m else None}
        if m is not None and m.digest == doc["digest"]:
            ctx.report.add(Kind.TECHNICAL, "unchanged")
            ctx.report.add(OPENING, "unchanged")
            continue
        ctx.report.add(OPENING, "created" if m is None else "updated")
        (new if m is None else changed).append(doc)
    write_simple(ctx, OPENING, new, changed)
    seen = {r["customerid"] for r in rows if Decimal(r["total"])}
    stale = [i for i in LmsMap.objects.filter(kind=OPENING).values_list("lms_id", flat=True)
             if i not in seen]
    if stale:
        _openings_remove(ctx, stale)


def _openings_remove(ctx, lms_ids) -> None:
    maps = dict(LmsMap.objects.filter(kind=OPENING, lms_id__in=lms_ids)
                .values_list("abonent_id", "lms_id"))
    docs = dict(any_of(FinanceDocument, "id", maps)
                .values_list("pk", "customer_id"))
    any_of(Allocation, "payment", docs).delete()
    any_of(Allocation, "receivable", docs).delete()
    any_of(FinanceDocument, "id", docs).delete()
    ledger_touched(ctx).update(docs.values())
    LmsMap.objects.filter(kind=OPENING, lms_id__in=lms_ids).delete()
    ctx.report.add(OPENING, "deleted", len(docs))


# --------------------------------------------------------------------------- settling

def ledger_settle(ctx, customer_ids) -> None:
    """Allocations and cached balances of ``customer_ids``, a chunk at a time: the next
    chunk's ledger is read before this chunk's allocations are written, and the writing
    runs behind the next chunk's planning (``WriteBehind``)."""
    ids = sorted(customer_ids)
    today = timezone.localdate()
    recogniser = functools.cache(title_recogniser)
    chunks = [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]
    written = 0
    with WriteBehind() as behind:
        ledger = _ledger_read(ctx, chunks[0]) if chunks else None
        for number, chunk in enumerate(chunks):
            rows = _allocate(ctx, ledger, today, recogniser)
            ledger = _ledger_read(ctx, chunks[number + 1]) if number + 1 < len(chunks) \
                else None
            behind.submit(_settled_write, ctx.tenant.pk, chunk, rows)
            written += len(rows)
    ctx.report.add("allocation", "created", written)
    ctx.report.add("balance", "updated", len(ids))


@dataclass
class _Ledger:
    """What settling a chunk of customers starts from."""

    docs: list[tuple]  # their ledger documents, each customer's in the order of issue
    closed: set        # of them, those LMS marks settled
    taken_out: dict    # what allocations made in Abonent use of each payment …
    taken_in: dict     # … and of each receivable


def _ledger_read(ctx, chunk) -> _Ledger:
    docs = _ledger(chunk)
    # A customer this run created has only this run's documents, all from LMS, and no
    # allocation yet: what LMS marks settled is known from the writing. The others' are
    # looked up, and their links made in Abonent kept.
    new = ctx.touched.get("customer_new", set())
    known = [d[0] for d in docs if d[1] in new]
    pks = [d[0] for d in docs if d[1] not in new]
    closed = closed_written(ctx).among(known)
    imported = set(known)
    for abonent_id, data in imported_documents(pks).items():
        imported.add(abonent_id)
        if data.get("closed"):
            closed.add(abonent_id)
    # Links between two imported documents are made again; any other (made in Abonent)
    # stays and counts as taken.
    taken_out, taken_in, stale = {}, {}, []
    links = {}
    for field in ("payment", "receivable") if pks else ():
        for row in Allocation.objects.filter(column_any(Allocation, field, pks, "bigint")) \
                .values_list("id", "payment_id", "receivable_id", "amount"):
            links[row[0]] = row
    for pk, payment, receivable, amount in links.values():
        if payment in imported and receivable in imported:
            stale.append(pk)
            continue
        taken_out[payment] = taken_out.get(payment, ZERO) + amount
        taken_in[receivable] = taken_in.get(receivable, ZERO) + amount
    if stale:
        any_of(Allocation, "id", stale).delete()
    return _Ledger(docs=docs, closed=closed, taken_out=taken_out, taken_in=taken_in)


def _allocate(ctx, ledger: _Ledger, today, recogniser) -> list[tuple]:
    """The allocations of a chunk (rows to copy): ``allocations_plan`` per customer."""
    per_customer = {}
    for pk, customer, number, issued, due, debit, credit, title, corrects, kind in ledger.docs:
        per_customer.setdefault(customer, []).append(Entry(
            pk=pk, number=number, issue_date=issued, due_date=due, debit=debit, credit=credit,
            title=title, corrects_id=corrects, kind=kind, closed=pk in ledger.closed))
    tenant, now, rows = ctx.tenant.pk, timezone.now(), []
    for entries in per_customer.values():
        plan = allocations_plan(entries, taken_out=ledger.taken_out,
                                taken_in=ledger.taken_in, today=today, recogniser=recogniser)
        rows += [(tenant, payment, receivable, amount, rule, now, None)
                 for payment, receivable, amount, rule in plan]
        _closed_but_open(ctx, entries, plan)
    return rows


def _settled_write(tenant: int, chunk: list, rows: list) -> None:
    rows_copy(Allocation, ["tenant", "payment", "receivable", "amount", "rule", "created_at",
                           "created_by"], rows)
    _balances(tenant, chunk)


def _ledger(chunk) -> list[tuple]:
    """The ledger documents of these customers, each customer's in the order of issue."""
    if connection.vendor != "postgresql":
        return list(any_of(FinanceDocument, "customer", chunk)
                    .order_by("customer_id", "issue_date", "id")
                    .values_list("pk", "customer_id", "number", "issue_date", "due_date",
                                 "debit", "credit", "title", "corrects_id", "kind"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, customer_id, number, issue_date, due_date, debit, credit, title, "  # noqa: S608
            f"corrects_id, kind FROM {FinanceDocument._meta.db_table} "
            "WHERE customer_id = ANY(%s::bigint[]) ORDER BY customer_id, issue_date, id",
            [list(chunk)])
        return cursor.fetchall()


def _closed_but_open(ctx, entries, plan) -> None:
    """What LMS marked settled and no payment in its cash covers stays open: reported."""
    marked = {e.pk: e for e in entries if e.closed and e.debit > 0}
    if not marked:
        return
    paid = {}
    for _payment, receivable, amount, _rule in plan:
        if receivable in marked:
            paid[receivable] = paid.get(receivable, ZERO) + amount
    for pk, entry in marked.items():
        if paid.get(pk, ZERO) < entry.debit:
            lms_id = LmsMap.objects.filter(kind="document", abonent_id=pk) \
                .values_list("lms_id", flat=True).first()
            ctx.report.problem(lms_id=lms_id or 0, kind=entry.kind, action="flagged",
                               message=_("settled in LMS, but LMS's cash holds no payment for "
                                         "%(a)s of it: left open") %
                               {"a": entry.debit - paid.get(pk, ZERO)})


def _balances(tenant: int, chunk) -> None:
    """The cached balance = Σcredit − Σdebit of the ledger (one statement)."""
    accounts = CustomerAccount._meta.db_table
    documents = FinanceDocument._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {accounts} (tenant_id, customer_id, balance) "  # noqa: S608
            "SELECT %s, c.id, COALESCE(l.balance, 0) FROM unnest(%s::bigint[]) AS c(id) "
            f"LEFT JOIN (SELECT customer_id, sum(credit) - sum(debit) AS balance FROM {documents}"
            " WHERE customer_id = ANY(%s::bigint[]) GROUP BY customer_id) l"
            " ON l.customer_id = c.id "
            "ON CONFLICT (customer_id) DO UPDATE SET balance = EXCLUDED.balance "
            f"WHERE {accounts}.balance IS DISTINCT FROM EXCLUDED.balance",
            [tenant, list(chunk), list(chunk)])


def _accounts_ensure(ctx) -> None:
    """Every imported customer has its account row (balance 0 without a ledger), as the
    money services would make it on the first document."""
    accounts = CustomerAccount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {accounts} (tenant_id, customer_id, balance) "  # noqa: S608
            f"SELECT %s, m.abonent_id, 0 FROM {LmsMap._meta.db_table} m "
            "WHERE m.tenant_id = %s AND m.kind = 'customer' ON CONFLICT (customer_id) DO NOTHING",
            [ctx.tenant.pk, ctx.tenant.pk])
