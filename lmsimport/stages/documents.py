"""Stage "documents": LMS invoices, corrections, receipts (KP/KW) and debit notes → the
ledger's documents, with their items, parties as printed, numbers as LMS printed them.

LMS's words: ``documents.type`` 1 invoice, 2 receipt (KP money in, KW money out — by the
sign of its cash rows), 3 correction (``reference`` → the document it corrects; its
``invoicecontents`` hold the items' new state), 5 debit note; other types (proforma,
contracts, protocols …) are not money and are counted as skipped. Every money document
writes ``cash`` rows with its ``docid`` (an invoice one negative row per item): what a
document *is* in the ledger is what LMS's ``cash`` holds for it, so balances reconcile to
the grosz; items that do not sum to it are imported as they are and reported.
``documents.closed = 1`` is LMS's "settled": the cash stage allocates accordingly.

Nothing here goes through ``finance.services``' issuing: those publish "invoice.issued"
(e-mail, KSeF, messaging). An imported document was issued long ago, in LMS — it is
written set-based (COPY) and publishes nothing, so KSeF (which queues only on those
events) never sends it.
"""

import json
from collections import defaultdict
from dataclasses import asdict
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.numbering import pattern_validate, series_continue, series_period
from core.services import tenant_setting_set
from core.sql import array_param, column_any, ids_reserve, rows_copy
from core.tenancy import current_tenant
from core.tenant_settings import setting_get
from finance.models import CashPosition, CashRegister, FinanceDocument, InvoiceLine, Kind
from finance.money import (
    VAT_RATES,
    line_net,
    net_from_gross,
    net_unit_price_from_gross,
    round_grosz,
)
from finance.numbering import PATTERN_SETTINGS
from finance.seller import SNAPSHOT_VERSION, seller_get

from ..models import LmsMap
from ..report import Problem
from ..runner import (
    changed_rows,
    digest,
    fingerprints_prefetch,
    map_any,
    map_get,
    map_load,
    map_save,
)
from .customers import virtual_account_lms
from .money_rules import (
    ZERO,
    fingerprint,
    item_gross,
    lms_day,
    lms_epoch,
    number_render,
    parties_json,
    plan_pattern,
    vat_rate,
)

DOC_INVOICE, DOC_RECEIPT, DOC_CNOTE, DOC_DNOTE = 1, 2, 3, 5
DOC_FLAG_NET_ACCOUNT = 16  # documents.flags: computed from net (else from gross)
MONEY_TYPES = (DOC_INVOICE, DOC_RECEIPT, DOC_CNOTE, DOC_DNOTE)
# The documents imported (``d``): the money types, and any other whose cash rows move the
# customer's balance (LMS's balance counts them, so the ledger must too).
IMPORTED = ("(d.type = ANY(%s) OR EXISTS (SELECT 1 FROM cash x WHERE x.docid = d.id"
            " AND x.value <> 0))")
# LMS's names of the other document types (lib/definitions.php), for the report.
OTHER_TYPES = {4: "credit note (old)", 6: "pro forma invoice", 7: "invoice (other)",
               8: "debit note (other)", -1: "contract", -2: "annex", -3: "protocol",
               -4: "order", -5: "sheet", -6: "other", -7: "termination", -8: "payment",
               -9: "regulations", -10: "price list", -11: "promotion", -12: "warranty",
               -128: "other"}
DEFAULT_TEMPLATE = "%N/LMS/%Y"  # what LMS prints for a document of no number plan
KIND_OF_TYPE = {DOC_INVOICE: Kind.INVOICE, DOC_CNOTE: Kind.CORRECTION,
                DOC_DNOTE: Kind.DEBIT_NOTE}
MAP_KIND = "document"


DOC_COLUMNS = ["id", "tenant", "customer", "kind", "number", "issue_date", "due_date", "debit",
               "credit", "title", "reason", "corrects", "cash_register", "bank_reference",
               "bank_account", "counterparty_account", "created_at", "created_by", "parties"]
UPDATE_FIELDS = ["customer", "kind", "number", "issue_date", "due_date", "debit", "credit",
                 "title", "reason", "corrects", "cash_register", "parties"]


def run(ctx) -> None:
    customers = customer_ids(ctx)
    taxes = {r["id"]: r for r in ctx.lms.all("SELECT id, value, taxed FROM taxes")}
    plans = {r["id"]: r for r in ctx.lms.all(
        "SELECT id, template, period, doctype, isdefault FROM numberplans")}
    registers = _registers(ctx, plans)
    since = lms_epoch(ctx.since) if ctx.since else None
    _skipped_types(ctx)
    writer = _Writer(ctx, customers, taxes, plans, registers)
    params = [list(MONEY_TYPES), since, since]
    changed = changed_rows(
        ctx, MAP_KIND, fingerprints=FINGERPRINTS, context=writer.context, params=params,
        count_query=f"SELECT count(*) AS n FROM documents d WHERE {_WHERE}",  # noqa: S608
        all_query=f"SELECT {_COLUMNS}, {FINGERPRINT} {_FROM} WHERE {_WHERE} ORDER BY d.id",  # noqa: S608
        some_query=f"SELECT {_COLUMNS}, {FINGERPRINT} {_FROM_SOME} "  # noqa: S608
                   f"WHERE d.id = ANY(%s) AND {_WHERE} ORDER BY d.id",
        counted_as="document")
    changed.each(ctx, writer.batch)
    if changed.comparison is not None:
        forget_documents(ctx, MAP_KIND, changed.comparison.gone)
    elif changed.before:
        _forget_deleted(ctx, since)
    _numbering(ctx, plans, registers)


_COLUMNS = (
    "d.id, d.type, d.number, d.numberplanid, d.fullnumber, d.extnumber, d.cdate,"
    " d.customerid, d.name, d.address, d.zip, d.city, d.ten, d.ssn, d.paytime, d.closed,"
    " d.reference, d.reason, d.div_name, d.div_address, d.div_zip, d.div_city, d.div_ten,"
    " d.flags, d.div_regon, d.div_account, c.total, c.rows")
# What the document is made of in LMS — its row, its cash, its items and, for a
# correction, the corrected document's items — fingerprinted by PostgreSQL: an unchanged
# document costs no items read and nothing rebuilt in Python.
FINGERPRINT = (
    "md5(row(d.*)::text || '|' || coalesce(c.total::text, '') || '|' || CASE"
    "  WHEN d.type IN (1, 3) THEN coalesce((SELECT string_agg(ic::text, '|' ORDER BY"
    "   ic.itemid) FROM invoicecontents ic WHERE ic.docid = d.id), '')"
    "  WHEN d.type = 2 THEN coalesce((SELECT string_agg(rc::text, '|' ORDER BY"
    "   rc.itemid) FROM receiptcontents rc WHERE rc.docid = d.id), '')"
    "  ELSE coalesce((SELECT string_agg(dc::text, '|' ORDER BY dc.itemid)"
    "   FROM debitnotecontents dc WHERE dc.docid = d.id), '') END || '|' || CASE"
    "  WHEN d.type = 3 THEN coalesce((SELECT string_agg(ic::text, '|' ORDER BY"
    "   ic.itemid) FROM invoicecontents ic WHERE ic.docid = d.reference), '')"
    "  ELSE '' END) AS fp")
_CASH_TOTAL = "round(sum(value * coalesce(currencyvalue, 1)), 2) AS total, count(*) AS rows"
# Every document: LMS's cash summed per document in one pass.
_FROM = ("FROM documents d LEFT JOIN (SELECT docid, " + _CASH_TOTAL + " FROM cash WHERE"  # noqa: S608
         " docid IS NOT NULL GROUP BY docid) c ON c.docid = d.id")
# A few thousand documents by id: their cash by the index, document by document.
_FROM_SOME = ("FROM documents d LEFT JOIN LATERAL (SELECT " + _CASH_TOTAL + " FROM cash"  # noqa: S608
              " WHERE docid = d.id) c ON TRUE")
_WHERE = f"{IMPORTED} AND (%s::bigint IS NULL OR d.cdate >= %s)"
# What a re-run compares (runner.fingerprints_compare): id, customer, fingerprint.
FINGERPRINTS = f"SELECT d.id, d.customerid, {FINGERPRINT} {_FROM} WHERE {_WHERE}"  # noqa: S608


def prepare(ctx) -> None:
    """At the run's start: a re-run's fingerprints read meanwhile (runner)."""
    since = lms_epoch(ctx.since) if ctx.since else None
    fingerprints_prefetch(ctx, MAP_KIND, FINGERPRINTS, [list(MONEY_TYPES), since, since])


def printed(message) -> str:
    """A text stored on a document, as printed: in the site's language (as
    ``finance.services.kp_issue`` prints its positions), whoever runs the import."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message)


def any_of(model, field: str, values, cast: str = "bigint"):
    """``model``'s rows whose ``field`` is one of ``values`` (``= ANY(array)``: the plan
    stays an index probe however many values, and whatever the statistics say)."""
    return model.objects.filter(column_any(model, field, list(values), cast))


def customer_ids(ctx) -> dict[int, int]:
    """LMS customer id → Abonent customer id (the customers stage's mapping), once a run."""
    if "customer_ids" not in ctx.cache:
        ctx.cache["customer_ids"] = dict(LmsMap.objects.filter(kind="customer")
                                         .values_list("lms_id", "abonent_id"))
    return ctx.cache["customer_ids"]


def ledger_touched(ctx) -> set:
    """Abonent customers whose ledger the run changed: the cash stage re-allocates them
    and recomputes their balances."""
    return ctx.touched.setdefault("ledger", set())


def closed_written(ctx) -> "IdBits":
    """Abonent ids of the documents this run wrote that LMS marks settled (what their
    mappings' ``data["closed"]`` says): the cash stage need not look them up."""
    return ctx.touched.setdefault("closed", IdBits())


class IdBits:
    """A set of primary keys as one bit each from the first added: the run's documents
    take keys from one sequence, so millions of them fit in a few hundred kilobytes
    (a set of Python ints would take ~60 bytes each). ``add``, ``in`` and ``among``."""

    def __init__(self):
        self.base: int | None = None
        self.bits = bytearray()

    def add(self, pk: int) -> None:
        if self.base is None:
            self.base = pk
        elif pk < self.base:  # keys below the first: move the bits up, whole bytes
            shift = (self.base - pk + 7) // 8
            self.bits[:0] = bytes(shift)
            self.base -= shift * 8
        offset = pk - self.base
        if offset // 8 >= len(self.bits):
            self.bits.extend(bytes(max(offset // 8 + 1 - len(self.bits), len(self.bits))))
        self.bits[offset // 8] |= 1 << (offset % 8)

    def __contains__(self, pk: int) -> bool:
        return bool(self.among([pk]))

    def among(self, pks) -> set[int]:
        """Those of ``pks`` in the set (one loop, no call per key: millions per run)."""
        if self.base is None:
            return set()
        bits, base, size = self.bits, self.base, len(self.bits) * 8
        return {pk for pk in pks
                if 0 <= pk - base < size and bits[(pk - base) >> 3] >> ((pk - base) & 7) & 1}


# --------------------------------------------------------------------------- types

def _skipped_types(ctx) -> None:
    """Documents that are not money: counted per LMS type with the reason, one line each."""
    rows = ctx.lms.all("SELECT type, count(*) AS n, min(id) AS first FROM documents d "  # noqa: S608
                       f"WHERE NOT {IMPORTED} GROUP BY type ORDER BY type",
                       [list(MONEY_TYPES)])
    for row in rows:
        name = OTHER_TYPES.get(row["type"], str(row["type"]))
        ctx.report.add(f"lms_type_{row['type']}", "read", row["n"])
        ctx.report.add(f"lms_type_{row['type']}", "skipped", row["n"])
        ctx.report.problems.append(Problem(
            lms_id=row["first"], kind=f"lms_type_{row['type']}", action="skipped",
            message=_("%(n)s LMS documents of type %(t)s (%(name)s) are not money documents: not "
                      "imported (the first is #%(id)s)")
            % {"n": row["n"], "t": row["type"], "name": name, "id": row["first"]}))


# --------------------------------------------------------------------------- registers

def _registers(ctx, plans) -> dict[int, CashRegister]:
    """LMS cash registers → Abonent's, their KP/KW patterns from the receipt plans."""
    mapped = map_load("cashreg")
    own = {r.pk: r for r in CashRegister.objects.all()}
    symbols = {r.symbol: r.pk for r in own.values()}
    result, maps = {}, []
    for row in ctx.lms.all("SELECT id, name, in_numberplanid, out_numberplanid "
                           "FROM cashregs ORDER BY id"):
        ctx.report.add("cashreg", "read")
        patterns = {}
        for kind, plan_id in (("kp", row["in_numberplanid"]), ("kw", row["out_numberplanid"])):
            plan = plans.get(plan_id)
            pattern = plan_pattern(plan["template"], plan["period"]) if plan else None
            if plan and pattern is None:
                ctx.report.problem(lms_id=row["id"], kind="cashreg", action="flagged",
                                   message=_("the %(k)s number plan “%(t)s” cannot be written "
                                             "as an Abonent pattern: the register numbers "
                                             "new documents by its default")
                                   % {"k": kind.upper(), "t": plan["template"]})
            patterns[f"{kind}_number_pattern"] = pattern or ""
        name = (row["name"] or "").strip()[:100] or f"LMS {row['id']}"
        m = mapped.get(row["id"])
        register = own.get(m.abonent_id) if m else None
        values = {"name": name, **patterns}
        fp = digest(values)
        if register is None:
            symbol = (slugify(name) or "kasa")[:20]
            if symbol in symbols:
                symbol = f"{symbol[:13]}-lms{row['id']}"[:20]
            register = CashRegister.objects.create(symbol=symbol, **values)
            symbols[symbol] = register.pk
            ctx.report.add("cashreg", "created")
        elif m.digest != fp:
            for field, value in values.items():
                setattr(register, field, value)
            register.save(update_fields=list(values))
            ctx.report.add("cashreg", "updated")
        else:
            ctx.report.add("cashreg", "unchanged")
        maps.append((row["id"], register.pk, fp))
        result[row["id"]] = register
    map_save(ctx, "cashreg", maps)
    return result


# --------------------------------------------------------------------------- documents

class _Writer:
    """Turns batches of LMS documents into ledger rows: new ones by COPY, changed ones by
    one UPDATE per batch and their items rewritten, unchanged ones untouched."""

    def __init__(self, ctx, customers, taxes, plans, registers):
        self.ctx, self.customers, self.taxes = ctx, customers, taxes
        self.plans, self.registers = plans, registers
        self.seller = asdict(seller_get())
        self.now = timezone.now()
        self._seller_json = {}
        self._priced = {}
        self._buyer_json = {}
        # What every document's result also depends on, once per run.
        self.context = fingerprint(sorted((k, v["template"], v["period"])
                                          for k, v in plans.items()),
                                   sorted((k, self._rate(k)) for k in taxes),
                                   sorted((k, r.pk) for k, r in registers.items()),
                                   self.seller)

    def seller_json(self, seller: dict) -> str:
        """The seller's part of the parties as JSON, once per distinct seller."""
        key = tuple(seller.values())
        if key not in self._seller_json:
            self._seller_json[key] = json.dumps(seller, ensure_ascii=False)
        return self._seller_json[key]

    def buyer_json(self, buyer: dict) -> str:
        """The buyer's part as JSON: a customer's two years of invoices print the same
        buyer, serialised once (the last form per customer is kept)."""
        key = tuple(buyer.values())
        known = self._buyer_json.get(buyer["number"])
        if known is None or known[0] != key:
            known = self._buyer_json[buyer["number"]] = (
                key, json.dumps(buyer, ensure_ascii=False))
        return known[1]

    # -- reading ------------------------------------------------------------------------
    def _contents(self, rows):
        # The ids as one comma-joined text: psycopg writes a list of 5,000 ints as an array
        # parameter slowly (core.sql.array_param's reason).
        ids = ",".join(str(r["id"]) for r in rows)
        refs = ",".join([ids] + [str(r["reference"]) for r in rows
                                 if r["type"] == DOC_CNOTE and r["reference"]])
        any_id = "docid = ANY(string_to_array(%s, ',')::int[])"
        items = defaultdict(list)
        for item in self.ctx.lms.all(
                "SELECT docid, itemid, value, taxid, prodid, content, count, description,"  # noqa: S608
                f" taxcategory FROM invoicecontents WHERE {any_id} ORDER BY docid, itemid",
                [refs]):
            items[item["docid"]].append(item)
        for item in self.ctx.lms.all(
                "SELECT docid, itemid, value, regid, description FROM receiptcontents"  # noqa: S608
                f" WHERE {any_id} ORDER BY docid, itemid", [ids]):
            items[item["docid"]].append(item)
        for item in self.ctx.lms.all(
                "SELECT docid, itemid, value, description FROM debitnotecontents"  # noqa: S608
                f" WHERE {any_id} ORDER BY docid, itemid", [ids]):
            items[item["docid"]].append(item)
        return items

    def _rate(self, taxid) -> str:
        tax = self.taxes.get(taxid)
        return vat_rate(tax["taxed"], tax["value"]) if tax else "np"

    def _items_gross(self, items) -> Decimal:
        return sum((item_gross(i["value"], i["count"]) for i in items), ZERO)

    # -- one document -------------------------------------------------------------------
    def _decide(self, row, items) -> dict | None:
        """The ledger document an LMS row becomes, or None (skipped, reported)."""
        report = self.ctx.report
        lms_id, kind_name = row["id"], "document"
        customer = self.customers.get(row["customerid"])
        if customer is None:
            report.problem(lms_id=lms_id, kind=kind_name, action="skipped",
                           message=_("the document's customer (%(c)s) was not imported")
                           % {"c": row["customerid"]})
            return None
        total = Decimal(row["total"] or 0)  # Σ cash: negative charges the customer
        doc_type, own = row["type"], items.get(lms_id, [])
        if doc_type == DOC_RECEIPT:
            kind = Kind.KP if total > 0 else Kind.KW
            items_sum = sum((Decimal(i["value"]) for i in own), ZERO)
            cash_view = total
        elif doc_type not in KIND_OF_TYPE:  # not money in LMS, yet its cash moves money
            kind, items_sum = Kind.TECHNICAL, -total
            cash_view = -total
            other = _("LMS document type %(t)s (%(name)s)") % {
                "t": doc_type, "name": OTHER_TYPES.get(doc_type, doc_type)}
            own = [{"description": printed(other), "value": abs(total)}]
            report.problem(lms_id=lms_id, kind=kind, action="flagged",
                           message=_("not a money document in LMS, but its cash rows hold "
                                     "%(a)s: imported as a technical transaction")
                           % {"a": total})
        else:
            kind = KIND_OF_TYPE[doc_type]
            if doc_type == DOC_DNOTE:
                items_sum = sum((round_grosz(Decimal(i["value"])) for i in own), ZERO)
            elif doc_type == DOC_CNOTE:
                items_sum = self._items_gross(own) - self._items_gross(
                    items.get(row["reference"], []))
            else:
                items_sum = self._items_gross(own)
            cash_view = -total
        if total == 0 and kind != Kind.CORRECTION:
            report.problem(lms_id=lms_id, kind=kind, action="skipped",
                           message=_("no money in LMS's cash for this document (cancelled "
                                     "or empty): not imported"))
            return None
        problems = []
        if items_sum != cash_view:
            problems.append(_("items sum to %(i)s, cash rows to %(c)s: imported with the cash "
                              "amount") % {"i": items_sum, "c": cash_view})
        if kind in (Kind.INVOICE, Kind.DEBIT_NOTE) and total > 0:
            problems.append(_("the document credits the customer in LMS's cash"))
        day = lms_day(row["cdate"]) or date(1970, 1, 1)
        debit, credit = (-total, ZERO) if total < 0 else (ZERO, total)
        due = day + timedelta(days=max(row["paytime"] or 0, 0)) if debit > 0 else None
        if kind == Kind.KW:
            due = day
        register = self.registers.get(self._register_of(own)) \
            if doc_type == DOC_RECEIPT else None
        values = {
            "customer": customer, "kind": kind, "number": self._number(row, kind, register),
            "issue_date": day, "due_date": due, "debit": debit, "credit": credit,
            "title": "; ".join(i["description"] for i in own
                               if doc_type in (DOC_RECEIPT, DOC_DNOTE)
                               or kind == Kind.TECHNICAL)[:500],
            "reason": (row["reason"] or "")[:500] if doc_type == DOC_CNOTE
            else own[0]["description"][:500] if kind == Kind.TECHNICAL else "",
            "reference": row["reference"] if doc_type == DOC_CNOTE else None,
            "cash_register": register.pk if register else None,
            "parties": self._parties(row),
        }
        lines = []
        if doc_type in (DOC_INVOICE, DOC_CNOTE):
            net_document = bool((row["flags"] or 0) & DOC_FLAG_NET_ACCOUNT)
            lines = [self._line(i, net_document) for i in own]
        elif kind == Kind.KP:
            lines = [((i["description"] or printed(gettext_lazy("Payment")))[:250],
                      Decimal(i["value"]))
                     for i in own if Decimal(i["value"]) > 0]
        return {"lms_id": lms_id, "values": values, "lines": lines, "problems": problems,
                "closed": bool(row["closed"])}

    @staticmethod
    def _register_of(own) -> int | None:
        """A receipt's LMS cash register (its items name it)."""
        return next((i["regid"] for i in own if i.get("regid")), None)

    def _plan_template(self, row) -> str:
        plan = self.plans.get(row["numberplanid"])
        return plan["template"] if plan and plan["template"] else DEFAULT_TEMPLATE

    def _number(self, row, kind, register) -> str:
        if row["fullnumber"]:
            return row["fullnumber"][:60]
        return number_render(self._plan_template(row), number=row["number"],
                             when=lms_day(row["cdate"]), customer_id=row["customerid"],
                             extnumber=row["extnumber"] or "")[:60]

    def _line(self, item, net_document: bool) -> tuple:
        """An LMS item as an invoice line. LMS computes an invoice from gross unless the
        document is flagged net (flags & 16): the line's gross is round(unit gross ×
        |count|) and its VAT comes out of it — Abonent's gross method (finance.money), so
        the imported invoice prints, exports and goes to JPK with LMS's amounts."""
        key = (item["value"], item["count"], item["taxid"], item["content"],
               item.get("taxcategory"), net_document)
        priced = self._priced.get(key)
        if priced is None:  # a few distinct prices among millions of items: once each
            rate = self._rate(item["taxid"])
            quantity = Decimal(item["count"]).quantize(Decimal("0.001"))
            category = item.get("taxcategory") or 0
            known = rate in VAT_RATES
            if net_document or not known:
                net_unit = round_grosz(Decimal(item["value"]))
                net, gross = line_net(quantity, net_unit), None
            else:
                net_unit = net_unit_price_from_gross(round_grosz(Decimal(item["value"])),
                                                     rate)
                gross = item_gross(item["value"], item["count"])
                net = net_from_gross(gross, rate)
            priced = self._priced[key] = (
                quantity, (item["content"] or "szt.")[:20], net_unit, rate[:6],
                f"GTU_{category:02d}" if 1 <= category <= 13 else "", net, gross)
        return ((item["description"] or "—")[:250], *priced)

    def _parties(self, row) -> dict:
        """The seller and the buyer as LMS printed them on the document."""
        seller = dict(self.seller)
        if row["div_name"] and row["div_name"] != "default":
            seller.update(name=row["div_name"], nip=(row["div_ten"] or "").replace("-", ""),
                          street=row["div_address"] or "", postal_code=row["div_zip"] or "",
                          city=row["div_city"] or "", regon=row["div_regon"] or "",
                          bank_account="".join(ch for ch in row["div_account"] or ""
                                               if ch.isdigit()))
        ten = (row["ten"] or "").replace("-", "").replace(" ", "")
        buyer = {"number": str(row["customerid"]), "name": row["name"] or "", "nip": ten,
                 "pesel": "" if ten else (row["ssn"] or ""),
                 "account": virtual_account_lms(row["customerid"], row["div_account"]) or "",
                 "address": row["address"] or "", "street": row["address"] or "",
                 "postal_code": row["zip"] or "", "city": row["city"] or "", "country": "PL"}
        return {"version": SNAPSHOT_VERSION, "seller": seller, "buyer": buyer}

    # -- a batch ------------------------------------------------------------------------
    def batch(self, rows) -> None:
        ctx = self.ctx
        mapped = {m.lms_id: m for m in map_get(MAP_KIND, [r["id"] for r in rows])} \
            if map_any(ctx, MAP_KIND) else {}
        new, changed, maps, fresh, todo = [], [], [], [], []
        for row in rows:
            ctx.report.add("document", "read")
            # LMS's fingerprint of the document with what it maps to in Abonent (the
            # customer; the run's plans, registers and rates): equal, nothing to do.
            row["fp"] = fingerprint(row["fp"], self.customers.get(row["customerid"]),
                                    self.context)
            m = mapped.get(row["id"])
            if m is not None and m.digest == row["fp"] and m.data.get("kind"):
                kind = m.data["kind"]
                ctx.report.add(kind, "read")
                for message in m.data.get("problems", ()):  # said on every run
                    ctx.report.problem(lms_id=row["id"], kind=kind, action="flagged",
                                       message=message)
                ctx.report.add(kind, "unchanged")
                continue
            todo.append(row)
        items = self._contents(todo) if todo else {}
        for row in todo:
            m = mapped.get(row["id"])
            doc = self._decide(row, items)
            if doc is None:
                continue
            doc["digest"], doc["map"] = row["fp"], m
            kind = doc["values"]["kind"]
            ctx.report.add(kind, "read")
            for message in doc["problems"]:
                ctx.report.problem(lms_id=row["id"], kind=kind, action="flagged",
                                   message=message)
            (new if m is None else changed).append(doc)
        self._unique_numbers(new + changed)
        ids = ids_reserve(FinanceDocument, len(new))
        for doc, pk in zip(new, ids, strict=True):
            doc["pk"] = pk
        for doc in changed:
            doc["pk"] = doc["map"].abonent_id
        self._resolve_corrects(new + changed)
        copies = self._write(new, changed)
        for doc in new:
            doc["new"] = True
        for doc in new + changed:
            ctx.report.add(doc["values"]["kind"], "created" if doc.get("new") else "updated")
            data = {"kind": doc["values"]["kind"]}
            if doc["closed"]:
                data["closed"] = 1
                closed_written(ctx).add(doc["pk"])
            if doc["problems"]:
                data["problems"] = [str(p) for p in doc["problems"]]
            (fresh if doc.get("new") else maps).append(
                (doc["lms_id"], doc["pk"], doc["digest"], data))
            ledger_touched(ctx).add(doc["values"]["customer"])
        map_save(ctx, MAP_KIND, maps)
        ctx.write(_copies_write, ctx, copies, fresh)

    def _unique_numbers(self, docs) -> None:
        """Numbers are unique per kind: two LMS plans printing the same number (two
        divisions, a plan changed mid-year) get the LMS id added, reported."""
        by_kind = defaultdict(list)
        for doc in docs:
            by_kind[doc["values"]["kind"]].append(doc)
        for kind, group in by_kind.items():
            own = {doc["map"].abonent_id for doc in group if doc["map"]}
            numbers = [d["values"]["number"] for d in group]
            taken = {number for pk, number in FinanceDocument.objects.filter(kind=kind)
                     .filter(column_any(FinanceDocument, "number", numbers, "text"))
                     .values_list("pk", "number") if pk not in own}
            for doc in group:
                number = doc["values"]["number"]
                if number in taken:
                    doc["values"]["number"] = f"{number} (LMS #{doc['lms_id']})"[:60]
                    self.ctx.report.problem(
                        lms_id=doc["lms_id"], kind=kind, action="flagged",
                        message=_("number %(n)s is already another document's: imported as "
                                  "%(m)s") % {"n": number, "m": doc["values"]["number"]})
                taken.add(doc["values"]["number"])

    def _resolve_corrects(self, docs) -> None:
        """A correction refers to the invoice it corrects; LMS may chain corrections
        (a correction of a correction): Abonent links each to the first invoice. Call with
        every document's ``pk`` set (the batch's own documents are found among them)."""
        refs = {d["values"]["reference"] for d in docs if d["values"]["reference"]}
        found = {m.lms_id: m.abonent_id for m in map_get(MAP_KIND, refs)}
        roots = dict(any_of(FinanceDocument, "id", found.values())
                     .values_list("pk", "corrects_id")) if found else {}
        for doc in sorted(docs, key=lambda d: d["lms_id"]):  # a chain's start comes first
            found[doc["lms_id"]] = doc["pk"]
            ref = doc["values"].pop("reference")
            target = found.get(ref)
            doc["values"]["corrects"] = roots.get(target) or target
            roots[doc["pk"]] = doc["values"]["corrects"]

    def _write(self, new, changed) -> list:
        """The changed documents updated now; the rows of the new ones and every
        document's lines returned, to be copied (``_copies_write``)."""
        tenant = self.ctx.tenant.pk
        rows = []
        for doc in new:
            v = doc["values"]
            rows.append((doc["pk"], tenant, v["customer"], v["kind"], v["number"],
                         v["issue_date"], v["due_date"], v["debit"], v["credit"], v["title"],
                         v["reason"], v["corrects"], v["cash_register"], "", "", "", self.now,
                         None, parties_json(self.seller_json(v["parties"]["seller"]),
                                            self.buyer_json(v["parties"]["buyer"]))))
        if changed:
            FinanceDocument.objects.bulk_update(
                [FinanceDocument(pk=d["pk"], tenant_id=tenant, **{
                    ("customer_id" if k == "customer" else "corrects_id" if k == "corrects"
                     else "cash_register_id" if k == "cash_register" else k): v
                    for k, v in d["values"].items()}) for d in changed],
                UPDATE_FIELDS, batch_size=2000)
            ids = [d["pk"] for d in changed]
            any_of(InvoiceLine, "document", ids).delete()
            any_of(CashPosition, "document", ids).delete()
        lines, positions = [], []
        for doc in new + changed:
            if doc["values"]["kind"] == Kind.KP:
                positions += [(tenant, doc["pk"], n, name, amount)
                              for n, (name, amount) in enumerate(doc["lines"], start=1)]
                continue
            lines += [(tenant, doc["pk"], n, *line, False)
                      for n, line in enumerate(doc["lines"], start=1)]
        return [(FinanceDocument, DOC_COLUMNS, rows),
                (InvoiceLine, ["tenant", "document", "position", "name", "quantity", "unit",
                               "net_unit_price", "vat_rate", "gtu", "net", "gross",
                               "annex15"], lines),
                (CashPosition, ["tenant", "document", "position", "name", "amount"],
                 positions)]


def _copies_write(ctx, copies, fresh) -> None:
    """A batch's new documents, their lines and mappings copied in (behind the next
    batch's work: ``ctx.write``)."""
    for model, columns, rows in copies:
        rows_copy(model, columns, rows)
    map_save(ctx, MAP_KIND, fresh, fresh=True)


# --------------------------------------------------------------------------- deletions

def forget_gone(ctx, kind: str, lms_query: str, params) -> None:
    """Documents of ``kind`` mapped before whose LMS row is gone (or no longer imported)
    are removed (``forget_documents``). ``lms_query`` selects, of the ids in its first
    parameter, those still imported."""
    gone, last = [], None
    while True:
        mapped = LmsMap.objects.filter(kind=kind).order_by("lms_id")
        if last is not None:
            mapped = mapped.filter(lms_id__gt=last)
        chunk = list(mapped.values_list("lms_id", flat=True)[:20000])
        if not chunk:
            break
        last = chunk[-1]
        alive = {r["id"] for r in ctx.lms.all(lms_query, [chunk, *params])}
        gone += [i for i in chunk if i not in alive]
    forget_documents(ctx, kind, gone)


def forget_documents(ctx, kind: str, gone: list) -> None:
    """The documents of these LMS ids of ``kind`` (gone from LMS) are removed — unless
    something Abonent-side refers to them (a KSeF submission, a bank line, a payment made
    in Abonent, an interest note …): then they stay, reported."""
    if not gone:
        return
    maps = dict(LmsMap.objects.filter(kind=kind)
                .filter(column_any(LmsMap, "lms_id", gone, "bigint"))
                .values_list("abonent_id", "lms_id"))
    docs = dict(any_of(FinanceDocument, "id", maps)
                .values_list("pk", "customer_id"))
    imported = _imported_ids(docs)
    blocked = _dependents(list(docs), imported)
    removable = [pk for pk in docs if pk not in blocked]
    for pk in blocked:
        ctx.report.problem(lms_id=maps[pk], kind=kind, action="flagged",
                           message=_("deleted in LMS, but kept: Abonent refers to it (%(r)s)")
                           % {"r": blocked[pk]})
    from finance.models import Allocation
    if removable:
        any_of(Allocation, "payment", removable).delete()
        any_of(Allocation, "receivable", removable).delete()
        any_of(InvoiceLine, "document", removable).delete()
        any_of(CashPosition, "document", removable).delete()
        any_of(FinanceDocument, "corrects", removable) \
            .update(corrects=None)
        any_of(FinanceDocument, "id", removable).delete()
        ledger_touched(ctx).update(docs[pk] for pk in removable)
    LmsMap.objects.filter(kind=kind).filter(column_any(
        LmsMap, "lms_id", [maps[pk] for pk in removable]
        + [lms for pk, lms in maps.items() if pk not in docs], "bigint")).delete()
    ctx.report.add(kind if kind != MAP_KIND else "document", "deleted", len(removable))


def _imported_ids(docs) -> set:
    """Of the customers of ``docs``, every document that came from LMS."""
    customers = set(docs.values())
    pks = list(any_of(FinanceDocument, "customer", customers)
               .values_list("pk", flat=True))
    return set(imported_documents(pks))


LEDGER_KINDS = ("document", "cash", "opening")  # the mappings whose rows are documents


def imported_documents(pks) -> dict[int, dict]:
    """Of these ledger documents, the ones that came from LMS: id → their mapping's data.

    One probe of the (abonent id, kind, tenant) index per id (its leading column: no other
    index can answer a lookup by Abonent id)."""
    pks = list(pks)
    if not pks:
        return {}
    if connection.vendor != "postgresql":
        return dict(LmsMap.objects.filter(kind__in=LEDGER_KINDS, abonent_id__in=pks)
                    .values_list("abonent_id", "data"))
    array, params = array_param(pks, "bigint")
    found = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.abonent_id, m.data FROM unnest({array}) AS v(id) "  # noqa: S608
            f"CROSS JOIN LATERAL (SELECT x.abonent_id, x.data FROM {LmsMap._meta.db_table} x"
            " WHERE x.abonent_id = v.id AND x.kind = ANY(%s::text[]) AND x.tenant_id = %s"
            " LIMIT 1) m",  # a document is one mapping's; LIMIT keeps it a probe per id
            [*params, list(LEDGER_KINDS), current_tenant().pk])
        for abonent_id, data in cursor.fetchall():
            found[abonent_id] = data if isinstance(data, dict) else json.loads(data)
    return found


def _dependents(pks: list, imported: set) -> dict:
    """Which of ``pks`` something outside the import refers to: pk → what refers."""
    blocked = {}
    if not pks:
        return blocked
    from finance.models import Allocation
    for relation in FinanceDocument._meta.related_objects:
        model, field = relation.related_model, relation.field
        if model in (InvoiceLine, CashPosition):
            continue
        rows = model._base_manager.filter(column_any(model, field.name, pks, "bigint"))
        if model is Allocation:  # links between imported documents are recomputed anyway
            other = "payment_id" if field.name == "receivable" else "receivable_id"
            pairs = rows.values_list(field.attname, other)
            for pk, other_pk in pairs:
                if other_pk not in imported:
                    blocked[pk] = model._meta.verbose_name
            continue
        if model is FinanceDocument:  # a correction: blocks only if it stays itself
            for pk, by in rows.values_list(field.attname, "pk"):
                if by not in imported:
                    blocked[pk] = _("a correction issued in Abonent")
            continue
        for pk in rows.values_list(field.attname, flat=True):
            blocked[pk] = str(model._meta.verbose_name)
    return blocked


def _forget_deleted(ctx, since) -> None:
    forget_gone(ctx, MAP_KIND,
                f"SELECT id FROM documents d WHERE id = ANY(%s) AND {IMPORTED}"  # noqa: S608
                " AND (%s::bigint IS NULL OR cdate >= %s)", [list(MONEY_TYPES), since, since])


# --------------------------------------------------------------------------- numbering

def _numbering(ctx, plans, registers) -> None:
    """LMS's number plans → the tenant's patterns, and each series' counter set so the
    next document numbered in Abonent continues LMS's series: no gap, no clash."""
    usage = ctx.lms.all(
        "SELECT numberplanid AS plan, type, count(*) AS n, max(cdate) AS last"
        " FROM documents WHERE numberplanid IS NOT NULL AND type = ANY(%s)"
        " GROUP BY numberplanid, type", [list(MONEY_TYPES)])
    per_type = defaultdict(list)
    for row in usage:
        per_type[row["type"]].append(row)
    series = []  # (series name, pattern, plan id, doc type)
    for doc_type, kind in KIND_OF_TYPE.items():
        candidates = [plans[r["plan"]] | {"n": r["n"], "last": r["last"]}
                      for r in per_type.get(doc_type, []) if r["plan"] in plans]
        if not candidates:
            continue
        plan = max(candidates, key=lambda p: (p["isdefault"], p["last"], p["n"]))
        pattern = plan_pattern(plan["template"], plan["period"])
        key = PATTERN_SETTINGS[kind]
        if pattern is None:
            ctx.report.problem(lms_id=plan["id"], kind="numberplan", action="flagged",
                               message=_("number plan “%(t)s” cannot be written as an Abonent "
                                         "pattern: %(k)s keep Abonent's pattern %(p)s")
                               % {"t": plan["template"], "k": kind,
                                  "p": setting_get(key)})
            continue
        if setting_get(key) != pattern:
            tenant_setting_set(actor=None, key=key, raw_value=pattern)
            ctx.report.add("numberplan", "updated")
        else:
            ctx.report.add("numberplan", "unchanged")
        series.append((f"finance.{kind}", pattern, plan["id"], doc_type))
        for other in candidates:
            if other["id"] != plan["id"]:
                ctx.report.problem(
                    lms_id=other["id"], kind="numberplan", action="flagged",
                    message=_("number plan “%(t)s” is not continued in Abonent (only "
                              "“%(d)s” is): its documents keep their numbers")
                    % {"t": other["template"], "d": plan["template"]})
    for reg in ctx.lms.all("SELECT id, in_numberplanid, out_numberplanid FROM cashregs"):
        register = registers.get(reg["id"])
        if register is None:
            continue
        for kind, plan_id in ((Kind.KP, reg["in_numberplanid"]),
                              (Kind.KW, reg["out_numberplanid"])):
            pattern = getattr(register, f"{kind}_number_pattern")
            if plan_id in plans and pattern:
                series.append((f"finance.{kind}.{register.symbol}", pattern_validate(pattern),
                               plan_id, DOC_RECEIPT))
    _counters(ctx, series)


def _counters(ctx, series) -> None:
    """The last number LMS gave in each period of each plan → ``core.numbering``'s series
    row (never lowered: numbers Abonent gave since stay given)."""
    plan_ids = list({plan_id for _s, _p, plan_id, _t in series})
    if not plan_ids:
        return
    rows = ctx.lms.all(
        "SELECT numberplanid AS plan, type,"
        " to_char(to_timestamp(cdate) AT TIME ZONE 'Europe/Warsaw', 'YYYY-MM-DD') AS day,"
        " max(number) AS last FROM documents WHERE numberplanid = ANY(%s)"
        " GROUP BY numberplanid, type, 3", [plan_ids])
    last: dict[tuple, tuple[date, int]] = {}
    for name, pattern, plan_id, doc_type in series:
        for row in rows:
            if row["plan"] != plan_id or row["type"] != doc_type:
                continue
            day = date.fromisoformat(row["day"])
            key = (name, pattern, series_period(pattern, day))
            if row["last"] > last.get(key, (day, 0))[1]:
                last[key] = (day, row["last"])
    for (name, pattern, _period), (day, number) in last.items():
        series_continue(series=name, pattern=pattern, when=day, last_number=number)
    ctx.report.add("number_series", "updated", len(last))
