"""Reads of the customer's self-service panel ("panel klienta").

The panel has no staff user, so ``TenantMiddleware`` gives its requests no tenant. Before
login the tenant comes from the address: the host (``settings.PANEL_TENANT_HOSTS``, an
ISP's own panel domain), else ``?isp=<tenant slug>`` in the login link, else the
platform's only tenant. After login it comes from the session (``panel.session``).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.http.request import split_domain_port

from core.models import Tenant
from core.tenant_settings import setting_get
from customers.models import Customer, PanelAccount
from customers.validators import format_account
from finance import selectors as finance_selectors
from finance.models import FinanceDocument, Kind

# The documents addressed to the customer that the panel prints (finance.printing).
PDF_KINDS = frozenset(k.value for k in (Kind.INVOICE, Kind.CORRECTION, Kind.INTEREST_NOTE,
                                        Kind.DEBIT_NOTE, Kind.TECHNICAL))


def panel_tenant_for(*, host: str, slug: str = "") -> Tenant | None:
    """The tenant whose panel the address opens, or None. Queries: one (none when the
    host names no tenant and no slug is given on a platform of several tenants: one)."""
    hosts = {k.lower(): v for k, v in settings.PANEL_TENANT_HOSTS.items()}
    domain, _port = split_domain_port(host)
    mapped = hosts.get(host.lower()) or hosts.get(domain)
    if mapped or slug:
        return Tenant.objects.filter(slug=mapped or slug).first()
    only = list(Tenant.objects.order_by("pk")[:2])
    return only[0] if len(only) == 1 else None


def tenant_get(*, pk) -> Tenant | None:
    if pk is None:
        return None
    return Tenant.objects.filter(pk=pk).first()


def panel_account_get(*, pk) -> PanelAccount | None:
    """The active tenant's panel account with its customer. Queries: one."""
    if pk is None:
        return None
    return PanelAccount.objects.select_related("customer").filter(pk=pk).first()


@dataclass
class PanelHome:
    balance: Decimal
    transfer_account: str
    history: finance_selectors.HistoryPage

    @property
    def amount_due(self) -> Decimal:
        """What the customer owes (the balance is negative then), else zero."""
        return -self.balance if self.balance < 0 else Decimal("0.00")


def panel_home(*, customer: Customer, page_number=1) -> PanelHome:
    """What the panel's home page shows: the balance, the account to pay to and one page
    of the ledger (``finance.selectors.customer_history_page``), each row with
    ``status_label`` and ``has_pdf``.

    Queries: the cached balance and the page of documents (two); a customer without an
    individual account number one more (the tenant's own account, as on printed invoices).
    """
    history = finance_selectors.customer_history_page(customer=customer,
                                                      page_number=page_number)
    for row in history.rows:
        row.status_label = finance_selectors.STATUS_LABELS.get(row.settlement_status, "")
        row.has_pdf = row.kind in PDF_KINDS
    account = customer.virtual_account or setting_get("finance.seller_bank_account")
    return PanelHome(balance=finance_selectors.customer_balance(customer=customer),
                     transfer_account=format_account(account) if account else "",
                     history=history)


def panel_document_get(*, customer: Customer, pk) -> FinanceDocument:
    """One of ``customer``'s documents the panel prints (``PDF_KINDS``). Another
    customer's or tenant's raises ``FinanceDocument.DoesNotExist``. Queries: one."""
    return FinanceDocument.objects.get(pk=pk, customer=customer, kind__in=PDF_KINDS)
