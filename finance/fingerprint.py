"""The ledger's fingerprint: what a restored backup must reproduce exactly (issue 12).

Per tenant and customer: the balance the customer is shown (``selectors.customer_balance``,
the cached balance), the ledger's own Σcredit − Σdebit (``services.ledger_balance``), and a
sha256 over the customer's ledger rows — financial documents, invoice lines, KP positions,
allocations, interest-note items — every column of each, in primary-key order. Each row's
own digest is kept too, so a comparison names the row that differs, not only the customer.
A digest per tenant and one over all tenants sum it up.

Read per tenant inside ``tenant_context``: the ORM's scoping and the database's row-level
security see exactly that tenant's rows, no escape needed. For a consistent picture the
caller reads inside one snapshot (``core.backup.snapshot``).
"""

import hashlib
import json
from datetime import date
from decimal import Decimal

from core.models import Tenant
from core.tenancy import tenant_context
from customers.models import Customer

from .models import Allocation, CashPosition, FinanceDocument, InterestNoteItem, InvoiceLine
from .selectors import customer_balance
from .services import ledger_balance

# Each ledger table with the path to the customer its rows belong to.
LEDGER_ROWS = (
    (FinanceDocument, "customer_id"),
    (InvoiceLine, "document__customer_id"),
    (CashPosition, "document__customer_id"),
    (Allocation, "payment__customer_id"),
    (InterestNoteItem, "note__customer_id"),
)
ROW_DIGEST_LENGTH = 16  # hex digits kept per row: enough to tell a changed row


def _canonical(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # datetimes too: aware, as the database returns them
        return value.isoformat()
    return value


def row_digest(label: str, values) -> str:
    """sha256 of one row: its table and every column, in a form that does not depend on
    dictionary order (JSON columns) or on Python's number types."""
    text = json.dumps([label, *map(_canonical, values)], ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _tenant_fingerprint() -> dict:
    """The active tenant's part. Queries: one for the customers, two per customer (the two
    balances), one per ledger table."""
    customers = {}
    owner_of = {}
    for customer in Customer.objects.only("id", "number").order_by("number", "id"):
        owner_of[customer.pk] = str(customer.number)
        customers[str(customer.number)] = {
            "balance": str(customer_balance(customer=customer)),
            "ledger": str(ledger_balance(customer)),
            "_hash": hashlib.sha256(), "rows": {}}
    tenant_hash, count = hashlib.sha256(), 0
    for model, customer_path in LEDGER_ROWS:
        label = model._meta.label_lower
        columns = [field.attname for field in model._meta.concrete_fields]
        pk_at = columns.index(model._meta.pk.attname)
        rows = (model.objects.order_by("pk").values_list(customer_path, *columns)
                .iterator(chunk_size=2000))
        for customer_id, *values in rows:
            digest = row_digest(label, values)
            key = f"{model._meta.model_name} {values[pk_at]}"
            entry = customers[owner_of[customer_id]]
            entry["rows"][key] = digest[:ROW_DIGEST_LENGTH]
            entry["_hash"].update(f"{key}:{digest}\n".encode())
            tenant_hash.update(f"{key}:{digest}\n".encode())
            count += 1
    for entry in customers.values():
        entry["sha256"] = entry.pop("_hash").hexdigest()
    return {"sha256": tenant_hash.hexdigest(), "row_count": count, "customers": customers}


def ledger_fingerprint() -> dict:
    """Every tenant's fingerprint, by short name, and a sha256 over them all:
    ``{"sha256", "tenants": {slug: {"sha256", "row_count", "customers": {number:
    {"balance", "ledger", "sha256", "rows": {"financedocument 12": digest, …}}}}}}``."""
    tenants = {}
    for tenant in Tenant.objects.order_by("slug"):
        with tenant_context(tenant):
            tenants[tenant.slug] = _tenant_fingerprint()
    total = hashlib.sha256()
    for slug, part in tenants.items():
        total.update(f"{slug}:{part['sha256']}\n".encode())
    return {"sha256": total.hexdigest(), "tenants": tenants}


def _differences_of_customer(where: str, expected: dict, actual: dict) -> list[str]:
    found = []
    for name in ("balance", "ledger"):
        if expected[name] != actual[name]:
            what = "balance" if name == "balance" else "ledger balance (Σcredit − Σdebit)"
            found.append(f"{where}: {what} {expected[name]} in the backup, "
                         f"{actual[name]} here")
    if expected["sha256"] != actual["sha256"]:
        before, now = expected["rows"], actual["rows"]
        found += [f"{where}: {key} is missing here" for key in sorted(before.keys() - now.keys())]
        found += [f"{where}: {key} is here but not in the backup"
                  for key in sorted(now.keys() - before.keys())]
        found += [f"{where}: {key} differs" for key in sorted(before.keys() & now.keys())
                  if before[key] != now[key]]
    return found


def fingerprint_differences(expected: dict, actual: dict) -> list[str]:
    """What differs between two ``ledger_fingerprint``\\ s, one line each, naming the
    tenant, the customer (by number) and the row: empty when identical."""
    found = []
    before, now = expected["tenants"], actual["tenants"]
    found += [f"tenant {slug}: missing here" for slug in sorted(before.keys() - now.keys())]
    found += [f"tenant {slug}: here but not in the backup"
              for slug in sorted(now.keys() - before.keys())]
    for slug in sorted(before.keys() & now.keys()):
        customers_before, customers_now = before[slug]["customers"], now[slug]["customers"]
        found += [f"tenant {slug}, customer {n}: missing here"
                  for n in sorted(customers_before.keys() - customers_now.keys(), key=int)]
        found += [f"tenant {slug}, customer {n}: here but not in the backup"
                  for n in sorted(customers_now.keys() - customers_before.keys(), key=int)]
        for number in sorted(customers_before.keys() & customers_now.keys(), key=int):
            found += _differences_of_customer(f"tenant {slug}, customer {number}",
                                              customers_before[number], customers_now[number])
    if not found and expected["sha256"] != actual["sha256"]:
        found.append("the ledger's sha256 differs")
    return found
