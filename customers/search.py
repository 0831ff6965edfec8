"""The customers app's part of the one search (``core.search``): names, customer numbers,
phones, e-mails, PESEL/NIP/REGON, account numbers and addresses — the ``search_text`` of
``selectors.customer_list`` — and why each customer matched."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from core.search import SearchProvider

from . import selectors
from .models import Address, Customer, Phone
from .validators import format_account, format_phone


def _phone_digits(number: str) -> list[str]:
    digits = number.lstrip("+")
    return [digits, digits[2:]] if digits.startswith("48") else [digits]


def customer_match_reasons(customer: Customer, query: str) -> list[str]:
    """Why ``customer`` matches ``query`` by its own data: "phone +48 601 234 567",
    "address: Długa 5, 80-001 Gdańsk", ... Empty when it does not (every term must be found,
    as ``selectors.customer_list`` requires).

    Reads ``customer.phones``, ``customer.emails``, ``customer.addresses`` and
    ``customer.bank_accounts``: prefetch them (``customer_search_prefetch``).
    """
    account = selectors.account_digits(query)
    if account:
        reasons = []
        if customer.virtual_account == account:
            reasons.append(f"{pgettext('search reason', 'account')}: {format_account(account)}")
        for bank_account in customer.bank_accounts.all():
            if bank_account.iban == "PL" + account:
                reasons.append(f"{pgettext('search reason', 'account')}: "
                               f"{format_account(bank_account.iban)}")
        return reasons
    terms = selectors.normalize_query(query)
    if not terms:
        return []
    if all(len(t) < selectors.SEARCH_MIN_LENGTH for t in terms):
        if len(terms) == 1 and terms[0] == str(customer.number):
            return [f"{_('customer number')}: {customer.number}"]
        return []
    # (label, the text a term is looked for in, the value shown — formatted only when
    # shown: a page of 50 customers must not parse every phone number)
    name = customer.display_name
    fields = [
        (pgettext("search reason", "name"),
         " ".join([customer.first_name, customer.last_name, customer.company_name,
                   customer.spouse_first_name, customer.spouse_last_name]).lower(),
         lambda: name),
        (_("customer number"), str(customer.number), lambda: customer.number),
        (_("PESEL"), customer.pesel, lambda: customer.pesel),
        (_("NIP"), customer.nip, lambda: customer.nip),
        (_("REGON"), customer.regon, lambda: customer.regon),
        (pgettext("search reason", "account"), customer.virtual_account or "",
         lambda: format_account(customer.virtual_account)),
    ]
    fields += [(_("phone"), " ".join(_phone_digits(p.number)),
                lambda p=p: format_phone(p.number)) for p in customer.phones.all()]
    fields += [(_("e-mail"), e.address.lower(), lambda e=e: e.address)
               for e in customer.emails.all()]
    fields += [(_("address"), str(a).lower(), lambda a=a: str(a))
               for a in customer.addresses.all()]
    reasons = []
    found_terms = set()
    for label, text, shown in fields:
        if not text:
            continue
        hit = [t for t in terms if t in text]
        if hit:
            found_terms.update(hit)
            reason = f"{label}: {shown()}"
            if reason not in reasons:
                reasons.append(reason)
    if found_terms != set(terms):
        return []  # matched across fields only as one text, or not at all: say nothing
    return reasons


def customer_search_prefetch(customers):
    """What ``customer_match_reasons`` reads, in four queries whatever the number of rows."""
    return customers.prefetch_related(
        Prefetch("phones", queryset=Phone.objects.order_by("id")),
        "emails",
        Prefetch("addresses", queryset=Address.objects.order_by("kind", "id")),
        "bank_accounts",
    )


def customer_search(query: str, limit: int) -> list[tuple[int, str]]:
    """The provider: up to ``limit`` customers whose own data match ``query``."""
    customers = customer_search_prefetch(
        selectors.customer_list(query=query).defer("search_text"))[:limit]
    return [(customer.pk, "; ".join(customer_match_reasons(customer, query)))
            for customer in customers]


def register() -> None:
    from core.search import register_search_provider

    register_search_provider(SearchProvider(
        "customers", gettext_lazy("Customers"), customer_search,
        "customers.view_customer", order=10))
