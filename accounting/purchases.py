"""Services of the purchase register ("rejestr zakupów VAT"): the purchase invoices whose
input VAT the tenant deducts, entered by hand so the JPK_V7M declaration is complete.

Every write validates the document as the tax file needs it (the supplier's NIP checked
with python-stdnum, the month of deduction not before the month the invoice was received
nor more than three months after it — art. 86 ust. 10-11 — a KSeF number in the form
KSeF gives) and writes the action log. Uniqueness of supplier NIP + number per tenant is a
database constraint; its violation is a validation error on the number.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log, diff_fields, money
from customers.validators import clean_nip
from finance.money import VAT_RATES, round_grosz, vat_summary

from .models import PurchaseDocument

FIELDS = ("supplier_name", "supplier_nip", "number", "issue_date", "receipt_date", "period",
          "category", "net", "vat", "ksef_number", "ksef_marker", "document_type")
KSEF_NUMBER = re.compile(
    r"([1-9]((\d[1-9])|([1-9]\d))\d{7}|M\d{9}|[A-Z]{3}\d{7})-(20[2-9][0-9]|2[1-9][0-9]{2}|"
    r"[3-9][0-9]{3})(0[1-9]|1[0-2])(0[1-9]|[1-2][0-9]|3[0-1])-([0-9A-F]{6})-?([0-9A-F]{6})-"
    r"([0-9A-F]{2})")
VAT_ONLY = {PurchaseDocument.Category.FIXED_ASSET_ADJUSTMENT,
            PurchaseDocument.Category.OTHER_ADJUSTMENT,
            PurchaseDocument.Category.BAD_DEBT_89B1, PurchaseDocument.Category.BAD_DEBT_89B4}
HIGHEST_RATE = max(VAT_RATES.values())


def _months_between(first: date, second: date) -> int:
    return (second.year - first.year) * 12 + second.month - first.month


def _amount(value, field: str, errors: dict) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return round_grosz(Decimal(str(value).replace(",", ".").replace(" ", "")))
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("Enter an amount, e.g. 123.45."))
        return None


def _check_dates(data: dict, errors: dict) -> None:
    issue, receipt, period = data["issue_date"], data["receipt_date"], data["period"]
    if receipt and issue and receipt < issue:
        errors.setdefault("receipt_date", []).append(
            _("The invoice cannot be received before it was issued."))
    start = receipt or issue
    if start and period:
        months = _months_between(start, period)
        if months < 0:
            errors.setdefault("period", []).append(
                _("VAT cannot be deducted before the month the invoice was received."))
        elif months > 3:
            errors.setdefault("period", []).append(
                _("VAT is deducted at the latest three months after the month of receipt; "
                  "for a later month correct the return of an earlier one."))


def _check_amounts(data: dict, vat_rate: str, errors: dict) -> None:
    category = data["category"]
    net = _amount(data["net"], "net", errors)
    vat = _amount(data["vat"], "vat", errors)
    if category in VAT_ONLY:
        net = Decimal("0.00")
    elif net is None:
        errors.setdefault("net", []).append(_("Enter the net amount."))
        return
    if vat is None and vat_rate and category not in VAT_ONLY:
        if vat_rate not in VAT_RATES:
            errors.setdefault("vat", []).append(_("Choose one of the listed VAT rates."))
            return
        vat = vat_summary([(vat_rate, net)])[vat_rate].vat
    if vat is None:
        errors.setdefault("vat", []).append(_("Enter the VAT amount or choose the rate."))
        return
    if category not in VAT_ONLY:
        if net * vat < 0:
            errors.setdefault("vat", []).append(
                _("The VAT and the net amount must have the same sign."))
        elif abs(vat) > round_grosz(abs(net) * HIGHEST_RATE) + Decimal("0.05"):
            errors.setdefault("vat", []).append(
                _("The VAT is more than %(rate)s of the net amount.") % {"rate": "23%"})
    data["net"], data["vat"] = net, vat


def _clean(data: dict, *, vat_rate: str = "") -> dict:
    """The validated document fields, or a ``ValidationError`` by field."""
    data = {key: data.get(key) for key in FIELDS}
    errors: dict[str, list] = {}
    for key in ("supplier_name", "number", "ksef_number", "ksef_marker", "document_type"):
        data[key] = " ".join(str(data[key] or "").split())
    data["category"] = data["category"] or PurchaseDocument.Category.OTHER
    data["ksef_marker"] = data["ksef_marker"] or PurchaseDocument.Marker.BFK
    if not data["supplier_name"]:
        errors["supplier_name"] = [_("Enter the supplier's name.")]
    if not data["number"]:
        errors["number"] = [_("Enter the invoice number.")]
    try:
        data["supplier_nip"] = clean_nip(str(data["supplier_nip"] or "").strip())
    except ValidationError as exc:
        errors["supplier_nip"] = exc.messages
    else:
        if not data["supplier_nip"]:
            errors["supplier_nip"] = [_("Enter the supplier's NIP.")]
    if data["ksef_number"] and not KSEF_NUMBER.fullmatch(data["ksef_number"]):
        errors["ksef_number"] = [_("This is not a KSeF number (e.g. "
                                   "5265877635-20260115-0100A0B0C0D0-1F).")]
    for key in ("issue_date", "period"):
        if not data[key]:
            errors[key] = [_("Enter the date.")]
    if data["period"]:
        data["period"] = data["period"].replace(day=1)
    if data["ksef_marker"] not in PurchaseDocument.Marker.values:
        errors["ksef_marker"] = [_("Choose one of the listed values.")]
    if data["document_type"] not in PurchaseDocument.DocumentType.values:
        errors["document_type"] = [_("Choose one of the listed values.")]
    if data["category"] not in PurchaseDocument.Category.values:
        errors["category"] = [_("Choose one of the listed values.")]
    else:
        _check_dates(data, errors)
        _check_amounts(data, vat_rate, errors)
    if errors:
        raise ValidationError(errors)
    return data


def _duplicate() -> ValidationError:
    return ValidationError({"number": [_("This supplier's invoice with this number is already "
                                         "in the register.")]})


def purchase_create(*, actor, vat_rate: str = "", **data) -> PurchaseDocument:
    """Enter a purchase invoice; ``vat_rate`` computes the VAT when it is not given."""
    data = _clean(data, vat_rate=vat_rate)
    try:
        with transaction.atomic():
            document = PurchaseDocument.objects.create(created_by=actor, **data)
    except IntegrityError:
        raise _duplicate() from None
    action_log(actor=actor, kind="purchase.create",
               message=N_("Purchase invoice %(n)s of %(s)s entered: VAT %(v)s"),
               params={"n": document.number, "s": document.supplier_name,
                       "v": money(document.vat)})
    return document


def purchase_update(*, actor, document: PurchaseDocument, vat_rate: str = "",
                    **data) -> PurchaseDocument:
    """Change a purchase document; the log keeps before and after. A month already filed
    then needs a correction of its JPK (the JPK page shows the difference)."""
    data = _clean(data, vat_rate=vat_rate)
    try:
        with transaction.atomic():
            document = PurchaseDocument.objects.select_for_update().get(pk=document.pk)
            before = {key: getattr(document, key) for key in FIELDS}
            for key, value in data.items():
                setattr(document, key, value)
            changes = diff_fields(document, before, FIELDS)
            if changes:
                document.save()
    except IntegrityError:
        raise _duplicate() from None
    if changes:
        action_log(actor=actor, kind="purchase.update",
                   message=N_("Purchase invoice %(n)s of %(s)s changed"),
                   params={"n": document.number, "s": document.supplier_name},
                   changes=changes)
    return document


def purchase_delete(*, actor, document: PurchaseDocument) -> None:
    with transaction.atomic():
        document = PurchaseDocument.objects.select_for_update().get(pk=document.pk)
        action_log(actor=actor, kind="purchase.delete",
                   message=N_("Purchase invoice %(n)s of %(s)s deleted (VAT %(v)s)"),
                   params={"n": document.number, "s": document.supplier_name,
                           "v": money(document.vat)})
        document.delete()
