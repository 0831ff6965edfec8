"""Every write of the VoIP app: number ranges, numbers taken and released, phones.

A number is taken inside the transaction that creates the phone, under a row lock, so two
phones created at once never get the same number: "first free" skips the numbers another
transaction holds (``SKIP LOCKED``), a number chosen from the list is locked and checked.
Asterisk's rows are written after commit (``asterisk.phone_provision`` as a Celery task),
never inside the transaction.
"""

import datetime
import re
import secrets
import string
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actionlog import N_, action_log, action_log_bulk, diff_fields, staff_of
from core.amounts import amount_parse
from core.sql import values_in
from core.tenant_settings import setting_get

from . import rating
from .apps import ASTERISK_NAME
from .models import (
    NUMBER_MAX_DIGITS,
    NUMBER_MIN_DIGITS,
    RANGE_MAX_NUMBERS,
    BillingGroup,
    FreeNumber,
    NumberRange,
    PhoneNumber,
    PhoneUsage,
    PrepaidEntry,
    VoipPhone,
)

PASSWORD_LENGTH = 20
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 80  # ps_auths.password is varchar(80)
# A SIP password crosses into Asterisk's digest and a phone's config screen: printable
# ASCII without quotes, backslashes or spaces, which some phones' UIs mangle.
PASSWORD_CHARS = set(string.ascii_letters + string.digits + "!#$%&()*+,-./:;<=>?@[]^_{|}~")
PIN_MAX_LENGTH = 10
# A number typed without "+" or "00" and of 9 digits is a Polish one (+48).
COUNTRY_CODE, NATIONAL_DIGITS = "48", 9


# --------------------------------------------------------------------------- numbers

def number_parse(text) -> int:
    """A number as staff type it (``+48 22 300 00 00``, ``0048223000000``, ``22 300 00 00``)
    → E.164 digits."""
    raw = str(text).strip()
    digits = "".join(ch for ch in raw if ch not in " -.()")
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif len(digits) == NATIONAL_DIGITS:  # a Polish number as staff say it: 22 300 00 00
        digits = COUNTRY_CODE + digits
    if not digits.isascii() or not digits.isdigit() or digits.startswith("0") or not (
            NUMBER_MIN_DIGITS <= len(digits) <= NUMBER_MAX_DIGITS):
        raise ValidationError(_("“%(value)s” is not a phone number in international form "
                                "(country code first, %(min)s–%(max)s digits).")
                              % {"value": raw[:40], "min": NUMBER_MIN_DIGITS,
                                 "max": NUMBER_MAX_DIGITS})
    return int(digits)


def number_range_create(*, actor, name: str, first, last) -> NumberRange:
    """A range and all its numbers, free. Refused when it overlaps a range of the tenant
    (named) or numbers another ISP on the platform holds (the database's unique number)."""
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the range a name.")]
    elif len(name) > NumberRange._meta.get_field("name").max_length:
        errors["name"] = [_("The name is too long.")]
    ends = {}
    for key, value in (("first", first), ("last", last)):
        try:
            ends[key] = number_parse(value)
        except ValidationError as exc:
            errors[key] = exc.messages
    if len(ends) == 2:
        low, high = ends["first"], ends["last"]
        if len(str(low)) != len(str(high)):
            errors["last"] = [_("Both ends of a range must have the same number of digits.")]
        elif high < low:
            errors["last"] = [_("The last number is below the first.")]
        elif high - low + 1 > RANGE_MAX_NUMBERS:
            errors["last"] = [_("A range holds at most %(n)s numbers.")
                              % {"n": f"{RANGE_MAX_NUMBERS:,}".replace(",", " ")}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if NumberRange.objects.filter(name=name).exists():
            raise ValidationError({"name": [_("A range of this name exists.")]})
        clash = NumberRange.objects.filter(first__lte=high, last__gte=low).first()
        if clash is not None:
            raise ValidationError({"first": [_("The numbers overlap the range %(r)s.")
                                             % {"r": clash}]})
        try:
            with transaction.atomic():
                numbers_range = NumberRange.objects.create(name=name, first=low, last=high)
                _numbers_create(numbers_range)
        except IntegrityError:
            raise ValidationError({"first": [_(
                "Some of these numbers belong to another operator on this platform.")]}) \
                from None
        action_log(actor=actor, kind="numberrange.add",
                   message=N_("Number range %(r)s added"), params={"r": str(numbers_range)},
                   changes={"first": low, "last": high})
    return numbers_range


def _numbers_create(numbers_range: NumberRange) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # one statement for up to 100,000 rows
            cursor.execute(
                f"INSERT INTO {PhoneNumber._meta.db_table} "  # noqa: S608 - table name
                "(tenant_id, range_id, number, state) "
                "SELECT %s, %s, n, 'free' FROM generate_series(%s::bigint, %s::bigint) n",
                [numbers_range.tenant_id, numbers_range.pk, numbers_range.first,
                 numbers_range.last])
        return
    PhoneNumber.objects.bulk_create(
        [PhoneNumber(range=numbers_range, number=n)
         for n in range(numbers_range.first, numbers_range.last + 1)], batch_size=2000)


def _available(today: datetime.date):
    return Q(state=PhoneNumber.State.FREE) | Q(state=PhoneNumber.State.QUARANTINED,
                                               quarantined_until__lte=today)


def number_take(*, numbers_range: NumberRange, number=None) -> PhoneNumber:
    """Take a number of the range for a phone: ``number`` if it is free, else the first
    free one. Call inside the transaction that assigns it; the row stays locked to it."""
    today = timezone.localdate()
    if number is not None:
        value = number_parse(number)
        taken = (PhoneNumber.objects.select_for_update()
                 .filter(range=numbers_range, number=value).first())
        if taken is None:
            raise ValidationError({"number": [_("This number is not in the range %(r)s.")
                                              % {"r": numbers_range.name}]})
        if not PhoneNumber.objects.filter(_available(today), pk=taken.pk).exists():
            raise ValidationError({"number": [_("The number +%(n)s is not free.")
                                              % {"n": value}]})
    else:
        taken = (PhoneNumber.objects.select_for_update(skip_locked=True)
                 .filter(_available(today), range=numbers_range).order_by("number").first())
        if taken is None:
            raise ValidationError({"number": [_("The range %(r)s has no free number.")
                                              % {"r": numbers_range.name}]})
    taken.state, taken.quarantined_until = PhoneNumber.State.ASSIGNED, None
    taken.save(update_fields=["state", "quarantined_until"])
    return taken


def number_release(number: PhoneNumber) -> None:
    """The number of a removed phone waits ``voip.quarantine_days`` before reuse."""
    days = setting_get("voip.quarantine_days")
    if days:
        number.state = PhoneNumber.State.QUARANTINED
        number.quarantined_until = timezone.localdate() + datetime.timedelta(days=days)
    else:
        number.state, number.quarantined_until = PhoneNumber.State.FREE, None
    number.save(update_fields=["state", "quarantined_until"])


# --------------------------------------------------------------------------- phones

def password_generate() -> str:
    """"Losowe hasło": 20 characters of letters, digits and safe punctuation (~120 bits)."""
    alphabet = sorted(PASSWORD_CHARS)
    while True:
        value = "".join(secrets.choice(alphabet) for _i in range(PASSWORD_LENGTH))
        if (any(c.isdigit() for c in value) and any(c.islower() for c in value)
                and any(c.isupper() for c in value)):
            return value


def password_clean(value: str) -> str:
    if not PASSWORD_MIN_LENGTH <= len(value) <= PASSWORD_MAX_LENGTH:
        raise ValidationError(_("A SIP password has %(min)s to %(max)s characters.")
                              % {"min": PASSWORD_MIN_LENGTH, "max": PASSWORD_MAX_LENGTH})
    bad = sorted({c for c in value if c not in PASSWORD_CHARS})
    if bad:
        raise ValidationError(_("A SIP password may not contain: %(chars)s")
                              % {"chars": " ".join(repr(c) for c in bad[:5])})
    return value


def pin_clean(value: str) -> str:
    if value and not (value.isascii() and value.isdigit() and 4 <= len(value) <= PIN_MAX_LENGTH):
        raise ValidationError(_("A voicemail PIN has 4 to %(max)s digits.")
                              % {"max": PIN_MAX_LENGTH})
    return value


def context_clean(value: str) -> str:
    if not re.fullmatch(ASTERISK_NAME, value or ""):  # the model's check says the same
        raise ValidationError(_("A dialplan context has 1 to 40 letters, digits, “_” or "
                                "“-”."))
    return value


# A phone's amount limit or threshold, or one prepaid entry: at most this much either way.
MONEY_MAX = Decimal("999999.99")


def _money_clean(value, label, *, signed: bool = False) -> Decimal | None:
    """An amount to the grosz, 0.00 to 999 999.99 (``signed``: either sign); nothing
    given (None, "", spaces) is None. Read by ``core.amounts``: no float, no exponent."""
    try:
        return amount_parse(value, maximum=MONEY_MAX, signed=signed, blank=True)
    except ValidationError as exc:
        raise ValidationError(_("%(f)s: %(error)s") % {"f": label, "error": exc.messages[0]},
                              code=exc.code) from None


PHONE_FIELDS = ("billing_type", "free_minutes", "free_numbers_count", "amount_limit",
                "notify_threshold", "context", "voicemail_email", "fax", "server")
BLOCK_FIELDS = ("blocked_limit", "blocked_prepaid")


def _phone_values(values: dict) -> dict:
    """Check what the form or the API gives; every error at once, keyed by field. The
    amount limit and the notification threshold are of the period's calls net (as the
    phone window and the customer's notice show them, ``rating``), for a prepaid phone
    too, whose balance is gross."""
    errors, clean = {}, {}
    checks = {
        "billing_type": _billing_type_clean,
        "free_minutes": lambda v: _int_between(v, 0, 1_000_000),
        "free_numbers_count": lambda v: _int_between(v, 0, 100),
        "amount_limit": lambda v: _money_clean(v, _("Amount limit")),
        "notify_threshold": lambda v: _money_clean(v, _("Notification threshold")),
        "context": context_clean,
        "voicemail_pin": pin_clean,
        "voicemail_email": _email_clean,
        "fax": bool,
        "password": password_clean,
        "server": _server_clean,
    }
    for key, value in values.items():
        if key not in checks:
            raise TypeError(f"unknown phone field {key}")
        try:
            clean[key] = checks[key](value)
        except ValidationError as exc:
            errors[key] = exc.messages
    if errors:
        raise ValidationError(errors)
    return clean


def _billing_type_clean(value) -> str:
    """Postpaid: the calls on the monthly invoice. Prepaid: the calls taken off the
    phone's balance, topped up in advance (``prepaid_entry_add``)."""
    if value not in VoipPhone.BillingType.values:
        raise ValidationError(_("Choose postpaid or prepaid."))
    return value


def _server_clean(value):
    """The exchange the phone registers with: one of the tenant's, or none (the tenant's
    only active one shows its state)."""
    from .models import ExchangeServer

    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, ExchangeServer) else value
    try:
        return ExchangeServer.objects.get(pk=int(pk))
    except (ValueError, TypeError, ExchangeServer.DoesNotExist):
        raise ValidationError(_("Choose an exchange of this operator.")) from None


def _bad(message):
    raise ValidationError(message)


def _int_between(value, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError(_("Not a whole number.")) from None
    if not low <= number <= high:
        raise ValidationError(_("A number from %(low)s to %(high)s.")
                              % {"low": low, "high": high})
    return number


def _email_clean(value: str) -> str:
    from django.core.validators import validate_email

    value = (value or "").strip()
    if value:
        validate_email(value)
    return value


def phone_create(*, actor, customer, numbers_range: NumberRange, number=None,
                 password: str | None = None, free_minute_groups=(), free_numbers=(),
                 subscription=None, request_token=None, **values) -> tuple[VoipPhone, str]:
    """"Dodaj telefon → Centrala Asterisk": a phone for ``customer`` on the first free
    number of the range, or ``number`` chosen from it. Without ``password`` one is
    generated (returned to be shown once). Locks the number taken; provisions Asterisk
    on commit. ``request_token``: the form's one-time token — the same token again (a
    double click, a retry, even at the same moment) returns the first phone, with no
    password (it was shown to the first answer)."""
    if request_token is not None:
        existing = _phone_of_token(customer, request_token)
        if existing is not None:
            return existing, ""
    try:
        return _phone_create(actor=actor, customer=customer, numbers_range=numbers_range,
                             number=number, password=password,
                             free_minute_groups=free_minute_groups, free_numbers=free_numbers,
                             subscription=subscription, request_token=request_token,
                             **values)
    except IntegrityError:
        existing = _phone_of_token(customer, request_token) if request_token else None
        if existing is None:
            raise
        return existing, ""  # the same form won the race a moment ago


def _phone_of_token(customer, request_token) -> VoipPhone | None:
    phone = VoipPhone.objects.select_related("number").filter(
        request_token=request_token).first()
    if phone is not None and phone.customer_id != customer.pk:
        raise ValidationError(_("This form was already used for another customer; open "
                                "the form again."))
    return phone


def _phone_create(*, actor, customer, numbers_range, number, password, free_minute_groups,
                  free_numbers, subscription, request_token, **values):
    generated = ""
    if not password:
        password = generated = password_generate()
    clean = _phone_values({**values, "password": password})
    groups = _groups_clean(free_minute_groups)
    frees = _free_numbers_clean(free_numbers, clean.get("free_numbers_count", 0))
    with transaction.atomic():
        taken = number_take(numbers_range=numbers_range, number=number)
        phone = VoipPhone.objects.create(customer=customer, number=taken,
                                         subscription=subscription, created_by=staff_of(actor),
                                         request_token=request_token, **clean)
        # a new prepaid phone has nothing to call with until it is topped up
        phone.blocked_prepaid = _prepaid_blocked(phone)
        if phone.blocked_prepaid:
            phone.save(update_fields=["blocked_prepaid"])
        phone.free_minute_groups.set(groups)
        FreeNumber.objects.bulk_create([FreeNumber(tenant_id=phone.tenant_id, phone=phone,
                                                   number=n) for n in frees])
        action_log(actor=actor, customer=customer, kind="voipphone.add",
                   message=N_("Phone %(n)s added"), params={"n": f"+{taken.number}"},
                   changes={k: str(v) if isinstance(v, Decimal) else v
                            for k, v in clean.items() if k not in ("password", "voicemail_pin")})
        _provision_on_commit(phone)
    return phone, generated


def phone_update(*, actor, phone: VoipPhone, free_minute_groups=None, free_numbers=None,
                 **values) -> VoipPhone:
    """Change a phone's settings (a new password too); Asterisk follows on commit."""
    clean = _phone_values(values)
    groups = _groups_clean(free_minute_groups) if free_minute_groups is not None else None
    with transaction.atomic():
        phone = VoipPhone.objects.select_for_update().select_related("number").get(pk=phone.pk)
        before = {k: getattr(phone, k) for k in (*PHONE_FIELDS, *BLOCK_FIELDS, "password",
                                                 "voicemail_pin")}
        for key, value in clean.items():
            setattr(phone, key, value)
        if phone.billing_type != before["billing_type"] and phone.prepaid_balance != 0:
            raise ValidationError({"billing_type": [
                _("The phone's prepaid balance is %(b)s: bring it to zero (a correction, "
                  "a refund) before changing the billing type.")
                % {"b": phone.prepaid_balance}]})
        phone.blocked_prepaid = _prepaid_blocked(phone)
        if phone.amount_limit != before["amount_limit"]:
            # the period under way judged again by the new limit (a block set by hand
            # stays otherwise)
            phone.blocked_limit = rating.limit_reached(_usage_now(phone), phone.amount_limit)
        count = phone.free_numbers_count
        frees = _free_numbers_clean(free_numbers, count) if free_numbers is not None else None
        if frees is None and phone.free_numbers.count() > count:
            raise ValidationError({"free_numbers_count": [
                _("The phone has more free numbers than that; remove some first.")]})
        changes = diff_fields(phone, before, (*PHONE_FIELDS, *BLOCK_FIELDS))
        if "amount_limit" in changes:
            PhoneUsage.objects.filter(phone=phone, period=_period_now()).update(
                limit_reached=phone.blocked_limit)
        secret = [k for k in ("password", "voicemail_pin") if before[k] != getattr(phone, k)]
        phone.save()
        if groups is not None:
            phone.free_minute_groups.set(groups)
        if frees is not None:
            phone.free_numbers.all().delete()
            FreeNumber.objects.bulk_create([FreeNumber(tenant_id=phone.tenant_id, phone=phone,
                                                       number=n) for n in frees])
        if changes or secret:
            action_log(actor=actor, customer=phone.customer, kind="voipphone.change",
                       message=N_("Phone %(n)s changed"),
                       params={"n": f"+{phone.number.number}"},
                       changes={**changes, **{k: ["•••", "•••"] for k in secret}})
        _provision_on_commit(phone)
    return phone


def phone_block_set(*, actor, phone: VoipPhone, debt: bool | None = None,
                    limit: bool | None = None, prepaid: bool | None = None) -> VoipPhone:
    """Block or unblock the phone for debt, for the amount limit or for its prepaid
    balance used up; the blocked dialplan context follows in Asterisk on commit."""
    with transaction.atomic():
        phone = VoipPhone.objects.select_for_update().select_related("number").get(pk=phone.pk)
        before = {"blocked_debt": phone.blocked_debt, "blocked_limit": phone.blocked_limit,
                  "blocked_prepaid": phone.blocked_prepaid}
        if debt is not None:
            phone.blocked_debt = debt
        if limit is not None:
            phone.blocked_limit = limit
            if limit:  # blocked for the period under way: a new period lifts it
                _usage_now_row(phone).filter(limit_reached=False).update(limit_reached=True)
        if prepaid is not None:
            phone.blocked_prepaid = prepaid
        changes = diff_fields(phone, before, before)
        if changes:
            phone.save(update_fields=list(changes))
            action_log(actor=actor, customer=phone.customer, kind="voipphone.block",
                       message=N_("Phone %(n)s blocked or unblocked"),
                       params={"n": f"+{phone.number.number}"}, changes=changes)
            _provision_on_commit(phone)
    return phone


def phones_debt_block_follow(*, debtor_ids, customer_id: int | None = None,
                             lift_only: bool = False) -> tuple[int, int]:
    """The phones' debt block follows the debt evaluation (radius's
    ``debt_block.evaluated``): the debtors' phones blocked (unless ``lift_only``), the
    others' debt blocks lifted; ``customer_id``: that customer's phones only. One
    action-log entry per customer changed; the contexts written to Asterisk on commit.
    Returns (blocked, unblocked) phone counts."""
    debtors = sorted({int(pk) for pk in debtor_ids or ()})
    with transaction.atomic():
        phones = VoipPhone.objects.all()
        if customer_id is not None:
            phones = phones.filter(customer_id=customer_id)
        debtor_set = set(debtors)
        in_debt = Q(customer_id__in=values_in(debtors, "bigint"))
        changing = Q(blocked_debt=True) & ~in_debt
        if not lift_only:
            changing |= in_debt & Q(blocked_debt=False)
        # one locking query in primary-key order (as the CDR import locks phones): two
        # passes could wait on the import in a circle
        rows = list(phones.filter(changing).select_for_update().order_by("pk")
                    .values_list("pk", "tenant_id", "customer_id", "blocked_debt"))
        to_block = [row[:3] for row in rows if not row[3] and row[2] in debtor_set]
        to_unblock = [row[:3] for row in rows if row[3] and row[2] not in debtor_set]
        entries = []
        for rows, blocked, message in (
                (to_block, True, N_("Phones blocked for debt: %(count)s.")),
                (to_unblock, False, N_("Debt paid: phones unblocked: %(count)s."))):
            if not rows:
                continue
            VoipPhone.objects.filter(pk__in=[pk for pk, _t, _c in rows]).update(
                blocked_debt=blocked)
            counts: dict[int, int] = {}
            for _pk, _t, customer in rows:
                counts[customer] = counts.get(customer, 0) + 1
            entries += [(customer, message, {"count": n}) for customer, n in counts.items()]
            for pk, tenant_id, _c in rows:
                _provision_on_commit(VoipPhone(pk=pk, tenant_id=tenant_id))
        if entries:
            action_log_bulk(actor=None, kind="voipphone.block", entries=entries)
    return len(to_block), len(to_unblock)


def phone_remove(*, actor, phone: VoipPhone) -> None:
    """Remove the phone; its number goes to quarantine and Asterisk forgets it on commit.

    A phone written to the exchange may have calls not imported yet (of the last minutes):
    the tenant's CDRs are rated first (``cdr.cdr_import_asterisk``, before the transaction:
    it reads the exchange's database), so they are billed — a prepaid phone's taken off
    its balance, which must then be zero — not lost as CDRs of no known phone. Refused
    while the exchange's database cannot be read."""
    from django.db import InterfaceError, OperationalError

    from . import cdr

    if VoipPhone.objects.filter(pk=phone.pk, provisioned_at__isnull=False).exists():
        try:
            cdr.cdr_import_asterisk(tenant=phone.tenant)
        except (OperationalError, InterfaceError):
            raise ValidationError(_("The phone's last calls cannot be read from the telephone "
                                    "exchange's database now; try again in a moment.")) from None
    with transaction.atomic():
        phone = VoipPhone.objects.select_for_update().select_related("number").get(pk=phone.pk)
        if phone.prepaid_balance != 0:
            raise ValidationError(_("The phone's prepaid balance is %(b)s: bring it to zero "
                                    "(a correction, a refund) before removing the phone.")
                                  % {"b": phone.prepaid_balance})
        number = PhoneNumber.objects.select_for_update().get(pk=phone.number_id)
        tenant_id, phone_id, digits = phone.tenant_id, phone.pk, number.number
        customer = phone.customer
        phone.delete()
        number_release(number)
        action_log(actor=actor, customer=customer, kind="voipphone.remove",
                   message=N_("Phone %(n)s removed"), params={"n": f"+{digits}"})
        transaction.on_commit(lambda: _provision_task(tenant_id, phone_id))


def _prepaid_blocked(phone: VoipPhone) -> bool:
    return (phone.billing_type == VoipPhone.BillingType.PREPAID
            and rating.prepaid_exhausted(phone.prepaid_balance))


def _period_now() -> datetime.date:
    return timezone.localdate().replace(day=1)


def _usage_now_row(phone: VoipPhone):
    """The phone's usage row of the period under way (made when missing), as a queryset."""
    PhoneUsage.objects.get_or_create(phone=phone, period=_period_now(),
                                     defaults={"tenant_id": phone.tenant_id})
    return PhoneUsage.objects.filter(phone=phone, period=_period_now())


def _usage_now(phone: VoipPhone) -> Decimal:
    """What the phone's calls of the period under way cost so far."""
    return (PhoneUsage.objects.filter(phone=phone, period=_period_now())
            .values_list("amount", flat=True).first() or Decimal("0"))


# A top-up larger than this is a typo (a number typed twice), not a payment.
PREPAID_MAX = Decimal("10000.00")


def prepaid_entry_add(*, actor, phone: VoipPhone, amount, kind=PrepaidEntry.Kind.TOP_UP,
                      reference: str = "", note: str = "",
                      request_token=None) -> PrepaidEntry:
    """Put money on a prepaid phone's balance — a top-up, above zero, sold to the customer
    on an invoice (``finance.services.invoice_issue``, the calls' VAT rate, the amount
    gross) who pays it as any other — or take some off or put some back without a sale
    (a correction, a refund: either sign, with a note saying why; its finance side, if
    any, is the accountant's). The balance is gross money: each call takes its gross off
    it (``rating.prepaid_charge``, the same VAT rate), as a postpaid customer pays it on
    the invoice. A balance brought above zero unblocks the phone; one brought to zero or
    below blocks it (the exchange's context on commit).

    Locks the customer's finance account first (the invoice), then the phone.
    ``request_token``: the form's one-time token — the same top-up sent twice is entered
    once (the first entry is returned); the token sent with another phone, amount or kind
    is refused."""
    clean = _prepaid_values(amount=amount, kind=kind, reference=reference, note=note)
    if request_token is not None:
        existing = _prepaid_of_token(request_token, phone, clean)
        if existing is not None:
            return existing
    try:
        return _prepaid_enter(actor=actor, phone=phone, request_token=request_token, **clean)
    except IntegrityError:
        existing = (_prepaid_of_token(request_token, phone, clean)
                    if request_token is not None else None)
        if existing is None:
            raise
        return existing  # the same form won the race a moment ago


def _prepaid_values(*, amount, kind, reference, note) -> dict:
    errors = {}
    try:
        amount = _money_clean(amount, _("Amount"), signed=True)
    except ValidationError as exc:
        errors["amount"] = exc.messages
    if kind not in PrepaidEntry.Kind.values:
        errors["kind"] = [_("Choose a top-up or a correction.")]
    reference, note = str(reference or "").strip(), str(note or "").strip()
    if not errors:
        if amount is None or amount == 0:
            errors["amount"] = [_("Give an amount other than zero.")]
        elif kind == PrepaidEntry.Kind.TOP_UP and amount < 0:
            errors["amount"] = [_("A top-up is above zero; take money off by a correction.")]
        elif abs(amount) > PREPAID_MAX:
            errors["amount"] = [_("At most %(max)s at a time.") % {"max": PREPAID_MAX}]
    if kind == PrepaidEntry.Kind.CORRECTION and not note:
        errors["note"] = [_("Say why the balance is corrected.")]
    if len(reference) > 100 or len(note) > 500:
        errors["note"] = [_("The reference or the note is too long.")]
    if errors:
        raise ValidationError(errors)
    return {"amount": amount, "kind": kind, "reference": reference, "note": note}


def _prepaid_of_token(request_token, phone: VoipPhone, clean: dict) -> PrepaidEntry | None:
    existing = PrepaidEntry.objects.filter(request_token=request_token).first()
    if existing is not None and (existing.phone_id, existing.amount, existing.kind) != (
            phone.pk, clean["amount"], clean["kind"]):
        raise ValidationError(_("This form was already used for another entry; open it "
                                "again."))
    return existing


def _prepaid_enter(*, actor, phone, amount, kind, reference, note, request_token):
    from finance.money import net_from_gross
    from finance.services import Line, invoice_issue

    with transaction.atomic(durable=True):
        phone = VoipPhone.objects.select_related("number", "customer").get(pk=phone.pk)
        _prepaid_only(phone)
        invoice = None
        if kind == PrepaidEntry.Kind.TOP_UP:
            rate = setting_get("voip.vat_rate")
            invoice = invoice_issue(actor=actor, customer=phone.customer, nested=True, lines=[
                Line(name=_("Prepaid top-up of phone +%(n)s") % {"n": phone.number.number},
                     quantity=Decimal("1"), net_unit_price=net_from_gross(amount, rate),
                     vat_rate=rate, gross=amount)])
        phone = VoipPhone.objects.select_for_update().select_related("number").get(pk=phone.pk)
        _prepaid_only(phone)  # switched to postpaid meanwhile: nothing of it stays
        was_blocked = phone.blocked_prepaid
        phone.prepaid_balance += amount
        phone.blocked_prepaid = _prepaid_blocked(phone)
        phone.save(update_fields=["prepaid_balance", "blocked_prepaid"])
        entry = PrepaidEntry.objects.create(
            phone=phone, customer_id=phone.customer_id, number=phone.number.number,
            kind=kind, amount=amount, balance_after=phone.prepaid_balance, invoice=invoice,
            reference=reference, note=note, created_by=staff_of(actor),
            request_token=request_token)
        params = {"n": f"+{phone.number.number}", "a": str(amount),
                  "b": str(phone.prepaid_balance)}
        if invoice is not None:
            message = N_("Phone %(n)s topped up by %(a)s (invoice %(i)s); balance %(b)s")
            params["i"] = invoice.number
        else:
            message = N_("Phone %(n)s: prepaid balance corrected by %(a)s (%(why)s); "
                         "balance %(b)s")
            params["why"] = note
        action_log(actor=actor, customer=phone.customer, kind="voipphone.prepaid",
                   message=message, params=params)
        if was_blocked != phone.blocked_prepaid:
            _provision_on_commit(phone)
    return entry


def _prepaid_only(phone: VoipPhone) -> None:
    if phone.billing_type != VoipPhone.BillingType.PREPAID:
        raise ValidationError({"amount": [_("The phone is postpaid: its calls are invoiced, "
                                            "it has no balance.")]})


def phones_limit_follow() -> int:
    """A new billing period lifts the amount-limit blocks: a phone blocked over its limit
    whose calls of the period under way stay below it (none yet, or a limit raised) is
    unblocked, its context written to Asterisk on commit (beat, hourly). Locks those
    phones. Returns how many were unblocked."""
    with transaction.atomic():
        blocked = list(VoipPhone.objects.filter(blocked_limit=True).select_for_update()
                       .order_by("pk").values_list("pk", "tenant_id", "customer_id"))
        if not blocked:
            return 0
        # a period under way whose usage says the limit was reached (by the calls, or by
        # hand) keeps its block; one with no calls yet, or a limit raised since, lifts it
        reached = set(PhoneUsage.objects.filter(
            phone_id__in=values_in([row[0] for row in blocked], "bigint"),
            period=_period_now(), limit_reached=True).values_list("phone_id", flat=True))
        lifted = [row for row in blocked if row[0] not in reached]
        if not lifted:
            return 0
        VoipPhone.objects.filter(pk__in=[row[0] for row in lifted]).update(blocked_limit=False)
        counts: dict[int, int] = {}
        for _pk, _t, customer in lifted:
            counts[customer] = counts.get(customer, 0) + 1
        action_log_bulk(actor=None, kind="voipphone.block", entries=[
            (customer, N_("A new billing period: phones unblocked below their amount "
                          "limit: %(count)s."), {"count": n}) for customer, n in counts.items()])
        for pk, tenant_id, _c in lifted:
            _provision_on_commit(VoipPhone(pk=pk, tenant_id=tenant_id))
    return len(lifted)


def _groups_clean(ids) -> list[BillingGroup]:
    ids = [int(i) for i in ids or ()]
    groups = list(BillingGroup.objects.filter(pk__in=ids))
    if len(groups) != len(set(ids)):
        raise ValidationError({"free_minute_groups": [_("Choose billing groups of this "
                                                        "operator.")]})
    return groups


def _free_numbers_clean(numbers, allowed: int) -> list[str]:
    out = []
    for value in numbers or ():
        try:
            out.append(str(number_parse(value)))
        except ValidationError as exc:
            raise ValidationError({"free_numbers": exc.messages}) from None
    out = sorted(set(out))
    if len(out) > allowed:
        raise ValidationError({"free_numbers": [_("At most %(n)s free numbers.")
                                                % {"n": allowed}]})
    return out


def _provision_on_commit(phone: VoipPhone) -> None:
    from .asterisk import provisioning_wanted

    if not provisioning_wanted():
        return
    tenant_id, phone_id = phone.tenant_id, phone.pk
    transaction.on_commit(lambda: _provision_task(tenant_id, phone_id))


def _provision_task(tenant_id: int, phone_id: int) -> None:
    from .tasks import phone_provision

    phone_provision.delay(tenant_id, phone_id)


def tariff_script_set(*, actor, tariff, text: str):
    """Save a tariff's subtariff script after parsing it (``voip.script``): a script that
    does not parse is refused with its line and column, and nothing is saved."""
    from .models import TariffScript
    from .script import ScriptError, parse

    text = (text or "").strip()
    try:
        parse(text)
    except ScriptError as exc:
        raise ValidationError({"text": [str(exc)]}) from None
    with transaction.atomic():
        script, _created = TariffScript.objects.select_for_update().get_or_create(
            tariff=tariff)
        if script.text != text:
            before = script.text
            script.text = text
            script.save()
            action_log(actor=actor, kind="tariffscript.change",
                       message=N_("Subtariff script of %(t)s changed"),
                       params={"t": tariff.name}, changes={"text": [before, text]})
    return script


def phone_defaults(tariff) -> dict:
    """The phone form's values the tariff's script gives (``{}`` without a script)."""
    from .models import TariffScript
    from .script import parse

    script = TariffScript.objects.filter(tariff=tariff).first()
    return parse(script.text) if script is not None else {}
