"""The number patterns of finance documents, one per numbered kind.

Invoices, corrections, debit notes, interest notes and technical transactions each have
a tenant setting (``finance.<kind>_number_pattern``); KP and KW have a pattern per cash
register (``CashRegister.number_pattern``: its own, or ``KP/<SYMBOL>/{YYYY}/{N}``).
``core.numbering.pattern_validate`` refuses a pattern whose numbers would repeat. Every
pattern also recognises the tenant's own numbers in transfer titles
(``title_recogniser``).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.models import TenantSetting
from core.numbering import number_next, pattern_validate
from core.tenancy import current_tenant
from core.tenant_settings import REGISTRY

from .allocation import Recogniser, recogniser
from .models import CashRegister, FinanceDocument, Kind
from .seller import party_snapshot

# The settings of the kinds numbered by one pattern each (defaults: finance/apps.py).
PATTERN_SETTINGS = {kind: f"finance.{kind}_number_pattern" for kind in (
    Kind.INVOICE, Kind.CORRECTION, Kind.DEBIT_NOTE, Kind.INTEREST_NOTE, Kind.TECHNICAL)}
CASH_KINDS = (Kind.KP, Kind.KW)


def _stored_patterns() -> dict[str, str]:
    """Every kind's pattern in one query (``setting_get`` would take one per key)."""
    stored = dict(TenantSetting.all_tenants.filter(tenant=current_tenant(),
                                                   key__in=PATTERN_SETTINGS.values())
                  .values_list("key", "value"))
    return {kind: stored.get(key, REGISTRY[key].default)
            for kind, key in PATTERN_SETTINGS.items()}


def number_pattern(kind: str) -> str:
    """The active tenant's pattern of ``kind`` (one of ``PATTERN_SETTINGS``)."""
    return _stored_patterns()[kind]


def number_take(kind: str, when: date, *, register: CashRegister | None = None) -> str:
    """The next number of ``kind`` (of ``register`` for KP and KW), by the tenant's pattern;
    inside the caller's transaction (gapless; numbers already in use are skipped)."""
    if kind in CASH_KINDS:
        return number_next(series=f"finance.{kind}.{register.symbol}",
                           pattern=pattern_validate(register.number_pattern(kind)),
                           when=when)
    return number_next(series=f"finance.{kind}", pattern=pattern_validate(number_pattern(kind)),
                       when=when)


def numbers_in_use(series: str, numbers: list[str]) -> set[str]:
    """Which of ``numbers`` of a finance series a document of its kind already bears
    (``core.numbering`` skips them). Series: ``finance.<kind>[.<register symbol>]``."""
    kind = series.split(".")[1]
    return set(FinanceDocument.objects.filter(kind=kind, number__in=numbers)
               .values_list("number", flat=True))


def document_create(**fields) -> FinanceDocument:
    """Create a numbered document; a number (or bank reference) clash is a clear
    ValidationError, never an IntegrityError (HTTP 500). The clash is rare — numbers in use
    are skipped when taken — but two registers' patterns, a number typed in the admin or a
    concurrent writer outside the series lock can still produce one."""
    # Issued documents keep their parties as they are now (finance.seller): the PDF, the
    # KSeF XML and the exports of this document never change with later edits.
    fields.setdefault("parties", party_snapshot(customer=fields["customer"]))
    try:
        with transaction.atomic():
            return FinanceDocument.objects.create(**fields)
    except IntegrityError as e:
        if fields.get("bank_reference"):  # its number is the bank reference too
            raise ValidationError(_("This transfer was already recorded (the same bank "
                                    "reference).")) from None
        if "financedocument_number_uniq" in str(e):
            raise ValidationError(_("The number %(n)s is already used by another document; "
                                    "try again, or check the number pattern.")
                                  % {"n": fields.get("number")}) from None
        raise


def register_patterns_validate(*, symbol: str, kp_number_pattern: str,
                               kw_number_pattern: str, exclude_pk=None) -> dict[str, str]:
    """The KP and KW patterns of a register as typed (empty: the default), validated:
    each a valid pattern, and none the same as another register's of its kind (their
    numbers would clash). Raises ValidationError by field."""
    register = CashRegister(symbol=symbol, kp_number_pattern=(kp_number_pattern or "").strip(),
                            kw_number_pattern=(kw_number_pattern or "").strip())
    errors = {}
    others = CashRegister.objects.exclude(pk=exclude_pk).only(
        "name", "symbol", "kp_number_pattern", "kw_number_pattern")
    for kind in CASH_KINDS:
        field = f"{kind}_number_pattern"
        try:
            pattern_validate(register.number_pattern(kind))
        except ValidationError as e:
            errors[field] = e.messages
            continue
        for other in others:
            if other.symbol == symbol:
                continue  # the same symbol: refused as such by its unique constraint
            if other.number_pattern(kind) == register.number_pattern(kind):
                errors[field] = [_("The cash register %(r)s already numbers its documents "
                                   "with this pattern.") % {"r": other.name}]
    if errors:
        raise ValidationError(errors)
    return {f"{kind}_number_pattern": getattr(register, f"{kind}_number_pattern")
            for kind in CASH_KINDS}


def title_recogniser() -> Recogniser:
    """The tenant's own numbers in transfer titles: every pattern of every numbered kind
    (two queries: the pattern settings and the cash registers)."""
    patterns = list(_stored_patterns().values())
    for register in CashRegister.objects.order_by("id").only(
            "symbol", "kp_number_pattern", "kw_number_pattern"):
        patterns += [register.number_pattern(kind) for kind in CASH_KINDS]
    return recogniser(tuple(patterns))
