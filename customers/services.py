"""Every write of the customer card.

Each service validates its input first (``ValidationError`` with a clear message,
nothing written), writes in one transaction, and records the change in the action log.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from stdnum.iso7064 import mod_97_10

from core.actionlog import action_log, diff_fields, staff_of
from core.events import publish
from core.models import Tenant
from core.tenancy import current_tenant
from core.tenant_settings import setting_get
from core.validation import field_clean as _field

from . import panel_access, validators
from .models import (
    Address,
    Annotation,
    AttributeType,
    AttributeValue,
    BankAccount,
    Consent,
    Customer,
    CustomerGroup,
    Email,
    Folder,
    GroupDefaultTemplate,
    GroupMembership,
    PanelAccount,
    PanelLoginAttempt,
    Phone,
    Scan,
)
from .scans import upload_check

# --------------------------------------------------------------------------- customer

CUSTOMER_FIELDS = (
    "kind", "status", "first_name", "last_name", "company_name", "pesel", "nip", "regon",
    "id_document_type", "id_document_number", "spouse_first_name", "spouse_last_name",
    "spouse_pesel",
)


def _clean_customer(customer: Customer) -> None:
    errors = {}
    for field, clean in (("pesel", validators.clean_pesel), ("nip", validators.clean_nip),
                         ("regon", validators.clean_regon),
                         ("spouse_pesel", validators.clean_pesel)):
        try:
            setattr(customer, field, clean(getattr(customer, field).strip()))
        except ValidationError as e:
            errors[field] = e.messages
    try:
        customer.id_document_number = validators.clean_id_document(
            customer.id_document_type, customer.id_document_number)
    except ValidationError as e:
        errors["id_document_number"] = e.messages
    if customer.id_document_number and not customer.id_document_type:
        errors["id_document_type"] = [_("Choose the kind of the ID document.")]
    if customer.kind == Customer.Kind.COMPANY:
        if not customer.company_name.strip():
            errors["company_name"] = [_("A company needs its name.")]
    elif not customer.last_name.strip():
        errors["last_name"] = [_("A private person needs a last name.")]
    if customer.kind not in Customer.Kind.values:
        errors["kind"] = [_("Unknown kind of customer.")]
    if customer.status not in Customer.Status.values:
        errors["status"] = [_("Unknown status.")]
    if errors:
        raise ValidationError(errors)


def virtual_account_number(*, tenant, number: int) -> str:
    """The customer's individual NRB: check digits, bank sort code, prefix, number.

    ISO 7064 mod 97-10 over the BBAN followed by "PL00" (P=25, L=21), as for an IBAN.
    """
    sort_code = setting_get("finance.bank_sort_code", tenant=tenant)
    prefix = setting_get("finance.virtual_account_prefix", tenant=tenant)
    width = 16 - len(prefix)
    if number >= 10 ** width:
        raise ValidationError(_("The customer number does not fit the individual account."))
    bban = f"{sort_code}{prefix}{number:0{width}d}"
    return mod_97_10.calc_check_digits(bban + "2521") + bban


def customer_by_virtual_account(account: str) -> Customer | None:
    """Account (NRB or IBAN, spaces allowed) → the active tenant's customer; one index probe."""
    digits = "".join(c for c in account if c.isdigit())
    if len(digits) != 26:
        return None
    return Customer.objects.filter(virtual_account=digits).first()


def customer_search_text(customer: Customer, *, phones=(), emails=(), addresses=()) -> str:
    parts = [customer.first_name, customer.last_name, customer.company_name,
             customer.spouse_first_name, customer.spouse_last_name, customer.pesel,
             customer.nip, customer.regon, str(customer.number), customer.virtual_account or ""]
    for phone in phones:
        digits = phone.lstrip("+")
        parts += [digits, digits[2:] if digits.startswith("48") else ""]
    parts += list(emails)
    parts += [str(a) for a in addresses]
    return " ".join(p for p in parts if p).lower()


def customer_reindex(customer: Customer) -> None:
    """Rebuild the customer's search text from the rows as they are now."""
    text = customer_search_text(
        customer,
        phones=Phone.objects.filter(customer=customer).values_list("number", flat=True),
        emails=Email.objects.filter(customer=customer).values_list("address", flat=True),
        addresses=Address.objects.filter(customer=customer),
    )
    Customer.objects.filter(pk=customer.pk).update(search_text=text)
    customer.search_text = text


def _next_customer_number(tenant: Tenant) -> int:
    # The tenant row is the lock that serialises number assignment.
    Tenant.objects.select_for_update().get(pk=tenant.pk)
    last = Customer.objects.aggregate(m=Max("number"))["m"]
    return (last or 0) + 1


def customer_create(*, actor, number: int | None = None, **fields) -> Customer:
    """Create a customer; the number is the next free one unless given.

    Locks the tenant row while choosing the number. Assigns the individual account.
    """
    unknown = set(fields) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    tenant = current_tenant()
    customer = Customer(tenant=tenant, **fields)
    _clean_customer(customer)
    if number is not None and number < 1:
        raise ValidationError({"number": [_("A customer number is a positive number.")]})
    try:
        with transaction.atomic():
            customer.number = number or _next_customer_number(tenant)
            customer.virtual_account = virtual_account_number(tenant=tenant,
                                                              number=customer.number)
            customer.search_text = customer_search_text(customer)
            customer.save()
            action_log(actor=actor, customer=customer, kind="customer.create",
                       message=N_("Customer created"))
    except IntegrityError:
        raise ValidationError({"number": [_("Customer number %(n)s is already taken.")
                                          % {"n": customer.number}]}) from None
    return customer


def customer_update(*, actor, customer: Customer, **fields) -> Customer:
    """Edit the customer's data; the log keeps each changed field's before and after."""
    unknown = set(fields) - set(CUSTOMER_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))})
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        before = {f: getattr(customer, f) for f in CUSTOMER_FIELDS}
        for name, value in fields.items():
            setattr(customer, name, value)
        _clean_customer(customer)
        changes = diff_fields(customer, before, CUSTOMER_FIELDS)
        if not changes:
            return customer
        customer.save()
        customer_reindex(customer)
        action_log(actor=actor, customer=customer, kind="customer.update",
                   message=N_("Customer data changed"), changes=changes)
    return customer


# --------------------------------------------------------------------------- contacts

def _flags(obj, for_notifications, for_invoices):
    if for_notifications is not None:
        obj.for_notifications = for_notifications
    if for_invoices is not None:
        obj.for_invoices = for_invoices


def phone_add(*, actor, customer: Customer, number: str, label: str = "",
              for_notifications: bool = True, for_invoices: bool = False) -> Phone:
    e164 = _field("number", validators.clean_phone, number)
    if Phone.objects.filter(customer=customer, number=e164).exists():
        raise ValidationError({"number": [_("The customer already has this phone number.")]})
    with transaction.atomic():
        phone = Phone.objects.create(customer=customer, number=e164, label=label.strip(),
                                     for_notifications=for_notifications,
                                     for_invoices=for_invoices)
        customer_reindex(customer)
        action_log(actor=actor, customer=customer, kind="phone.add",
                   message=N_("Phone %(n)s added"), params={"n": e164})
    return phone


def _contact_update(contact, *, actor, key: str, value, clean, duplicate: str, label,
                    for_notifications, for_invoices, kind: str, message) -> None:
    """Edit a phone or an e-mail: its value (field ``key``, cleaned by ``clean``), label
    and flags; the log keeps before and after. ``message(contact)`` says what changed."""
    fields = (key, "label", "for_notifications", "for_invoices")
    before = {f: getattr(contact, f) for f in fields}
    if value is not None:
        setattr(contact, key, clean(value))
        if type(contact).objects.filter(customer_id=contact.customer_id,
                                        **{key: getattr(contact, key)}) \
                .exclude(pk=contact.pk).exists():
            raise ValidationError({key: [duplicate]})
    if label is not None:
        contact.label = label.strip()
    _flags(contact, for_notifications, for_invoices)
    changes = diff_fields(contact, before, fields)
    if not changes:
        return
    with transaction.atomic():
        contact.save()
        customer_reindex(contact.customer)
        text, params = message(contact)
        action_log(actor=actor, customer=contact.customer, kind=kind,
                   message=text, params=params, changes=changes)


def phone_update(*, actor, phone: Phone, number: str | None = None, label: str | None = None,
                 for_notifications: bool | None = None,
                 for_invoices: bool | None = None) -> Phone:
    _contact_update(
        phone, actor=actor, key="number", value=number,
        clean=lambda v: _field("number", validators.clean_phone, v),
        duplicate=_("The customer already has this phone number."), label=label,
        for_notifications=for_notifications, for_invoices=for_invoices, kind="phone.update",
        message=lambda c: (N_("Phone %(n)s changed"), {"n": c.number}))
    return phone


def phone_remove(*, actor, phone: Phone) -> None:
    with transaction.atomic():
        phone.delete()
        customer_reindex(phone.customer)
        action_log(actor=actor, customer=phone.customer, kind="phone.remove",
                   message=N_("Phone %(n)s removed"), params={"n": phone.number})


def email_add(*, actor, customer: Customer, address: str, label: str = "",
              for_notifications: bool = True, for_invoices: bool = False) -> Email:
    address = email_clean(address)
    if Email.objects.filter(customer=customer, address=address).exists():
        raise ValidationError({"address": [_("The customer already has this e-mail.")]})
    with transaction.atomic():
        email = Email.objects.create(customer=customer, address=address, label=label.strip(),
                                     for_notifications=for_notifications,
                                     for_invoices=for_invoices)
        customer_reindex(customer)
        action_log(actor=actor, customer=customer, kind="email.add",
                   message=N_("E-mail %(a)s added"), params={"a": address})
    return email


def email_clean(address: str) -> str:
    from django.core.validators import validate_email

    address = (address or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError({"address": [_("“%(a)s” is not a valid e-mail address.")
                                           % {"a": address}]}) from None
    local, _at, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def email_update(*, actor, email: Email, address: str | None = None, label: str | None = None,
                 for_notifications: bool | None = None,
                 for_invoices: bool | None = None) -> Email:
    _contact_update(
        email, actor=actor, key="address", value=address, clean=email_clean,
        duplicate=_("The customer already has this e-mail."), label=label,
        for_notifications=for_notifications, for_invoices=for_invoices, kind="email.update",
        message=lambda c: (N_("E-mail %(a)s changed"), {"a": c.address}))
    return email


def email_remove(*, actor, email: Email) -> None:
    with transaction.atomic():
        email.delete()
        customer_reindex(email.customer)
        action_log(actor=actor, customer=email.customer, kind="email.remove",
                   message=N_("E-mail %(a)s removed"), params={"a": email.address})


def consent_set(*, actor, customer: Customer, kind: str, granted: bool, given_on) -> Consent:
    if kind not in Consent.Kind.values:
        raise ValidationError({"kind": [_("Unknown consent.")]})
    if given_on is None or given_on > timezone.localdate():
        raise ValidationError({"given_on": [_("The consent's date cannot be in the future.")]})
    with transaction.atomic():
        consent, created = Consent.objects.select_for_update().get_or_create(
            customer=customer, kind=kind, defaults={"granted": granted, "given_on": given_on})
        before = {"granted": None if created else consent.granted,
                  "given_on": None if created else consent.given_on}
        consent.granted, consent.given_on = granted, given_on
        consent.save()
        label = Consent.Kind(kind).label
        action_log(actor=actor, customer=customer, kind="consent.set",
                   message=(N_("Consent “%(c)s” granted") if granted
                            else N_("Consent “%(c)s” withdrawn")), params={"c": label},
                   changes=diff_fields(consent, before, ("granted", "given_on")))
    return consent


def consents_update(*, actor, customer: Customer, granted: dict[str, bool]) -> list[Consent]:
    """Several consents at once, dated today (the customer's panel): only those whose
    value changes are written, each by ``consent_set`` and logged for ``actor`` (the
    customer themself, or staff viewing the panel as the customer). A consent never
    given counts as not granted. Returns the changed ones."""
    with transaction.atomic():
        current = dict(Consent.objects.select_for_update().filter(customer=customer)
                       .values_list("kind", "granted"))
        return [consent_set(actor=actor, customer=customer, kind=kind, granted=value,
                            given_on=timezone.localdate())
                for kind, value in sorted(granted.items())
                if bool(current.get(kind, False)) != bool(value)]


# --------------------------------------------------------------------------- addresses

ADDRESS_FIELDS = ("kind", "street", "building_no", "apartment_no", "postal_code", "city",
                  "country", "latitude", "longitude", "teryt_terc", "teryt_simc",
                  "teryt_ulic")
# TERYT identifiers: field → digits (see customers.models.Address).
TERYT_DIGITS = {"teryt_terc": 7, "teryt_simc": 7, "teryt_ulic": 5}


def _clean_address(address: Address) -> None:
    import re

    errors = {}
    if address.kind not in Address.Kind.values:
        errors["kind"] = [_("Unknown kind of address.")]
    for field in ("building_no", "city"):
        setattr(address, field, (getattr(address, field) or "").strip())
        if not getattr(address, field):
            errors[field] = [_("This field is required.")]
    address.country = (address.country or "PL").upper()
    address.postal_code = (address.postal_code or "").strip()
    if address.country == "PL" and not re.fullmatch(r"\d{2}-\d{3}", address.postal_code):
        errors["postal_code"] = [_("A Polish postal code looks like 00-950.")]
    if (address.latitude is None) != (address.longitude is None):
        errors["latitude"] = [_("Give both coordinates or neither.")]
    elif address.latitude is not None and not (-90 <= address.latitude <= 90
                                               and -180 <= address.longitude <= 180):
        errors["latitude"] = [_("The coordinates are out of range.")]
    for field, digits in TERYT_DIGITS.items():
        value = (getattr(address, field) or "").strip()
        setattr(address, field, value)
        if value and not re.fullmatch(rf"[0-9]{{{digits}}}", value):
            errors[field] = [_("A TERYT identifier here has %(n)s digits.") % {"n": digits}]
    if address.teryt_ulic and not address.teryt_simc:
        errors["teryt_ulic"] = [_("A TERYT street needs its locality (SIMC).")]
    if address.kind in (Address.Kind.RESIDENCE, Address.Kind.CORRESPONDENCE) and \
            Address.objects.filter(customer_id=address.customer_id, kind=address.kind) \
            .exclude(pk=address.pk).exists():
        errors["kind"] = [_("The customer already has a %(k)s address.")
                          % {"k": Address.Kind(address.kind).label}]
    if errors:
        raise ValidationError(errors)


def address_add(*, actor, customer: Customer, **fields) -> Address:
    address = Address(customer=customer, **{k: v for k, v in fields.items()
                                            if k in ADDRESS_FIELDS})
    _clean_address(address)
    with transaction.atomic():
        address.save()
        customer_reindex(customer)
        action_log(actor=actor, customer=customer, kind="address.add",
                   message=N_("%(k)s address added: %(a)s"),
                   params={"k": Address.Kind(address.kind).label, "a": address})
    return address


FIRST_ADDRESS_PREFIX = "address-"


def customer_create_with_address(*, actor, address: dict | None, **fields) -> Customer:
    """"Nowy klient" in one step: ``customer_create`` and ``address_add`` of its first
    address (None: none yet) in one transaction, so a refused address leaves no customer
    behind. The address's errors name its fields with ``FIRST_ADDRESS_PREFIX``
    ("address-postal_code"): the customer has fields of the same names (``kind``)."""
    with transaction.atomic():
        customer = customer_create(actor=actor, **fields)
        if address is None:
            return customer
        try:
            address_add(actor=actor, customer=customer, **address)
        except ValidationError as e:
            if not hasattr(e, "error_dict"):
                raise
            raise ValidationError({f"{FIRST_ADDRESS_PREFIX}{field}": messages
                                   for field, messages in e.message_dict.items()}) from None
    return customer


def address_update(*, actor, address: Address, **fields) -> Address:
    before = {f: getattr(address, f) for f in ADDRESS_FIELDS}
    for name, value in fields.items():
        if name in ADDRESS_FIELDS:
            setattr(address, name, value)
    _clean_address(address)
    changes = diff_fields(address, before, ADDRESS_FIELDS)
    if not changes:
        return address
    with transaction.atomic():
        address.save()
        customer_reindex(address.customer)
        action_log(actor=actor, customer=address.customer, kind="address.update",
                   message=N_("Address changed: %(a)s"), params={"a": address},
                   changes=changes)
    return address


def address_remove(*, actor, address: Address) -> None:
    """Refused while other rows still point at the address and protect it (the place of
    a scheduler event, …): those are changed first, the address is not taken from them."""
    with transaction.atomic():
        try:
            address.delete()
        except ProtectedError:
            raise ValidationError(_(
                "This address is used elsewhere (e.g. as the place of a scheduler event) "
                "and cannot be deleted.")) from None
        customer_reindex(address.customer)
        action_log(actor=actor, customer=address.customer, kind="address.remove",
                   message=N_("Address removed: %(a)s"), params={"a": address})


# --------------------------------------------------------------------------- attributes

def attribute_type_create(*, actor, name: str, value_type: str,
                          choices: list | None = None) -> AttributeType:
    name = (name or "").strip()
    choices = [str(c).strip() for c in (choices or []) if str(c).strip()]
    if not name:
        raise ValidationError({"name": [_("This field is required.")]})
    if value_type not in AttributeType.ValueType.values:
        raise ValidationError({"value_type": [_("Unknown value type.")]})
    if value_type == AttributeType.ValueType.CHOICE and not choices:
        raise ValidationError({"choices": [_("A choice attribute needs its choices.")]})
    if AttributeType.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": [_("An attribute with this name exists.")]})
    with transaction.atomic():
        attribute_type = AttributeType.objects.create(name=name, value_type=value_type,
                                                      choices=choices)
        action_log(actor=actor, kind="attribute_type.create",
                   message=N_("Attribute type “%(n)s” created"), params={"n": name})
    return attribute_type


def attribute_clean_value(attribute_type: AttributeType, raw) -> str:
    import datetime
    from decimal import Decimal, InvalidOperation

    value = str(raw if raw is not None else "").strip()
    if not value:
        raise ValidationError({"value": [_("Enter a value.")]})
    kind = attribute_type.value_type
    if kind == AttributeType.ValueType.NUMBER:
        try:
            number = Decimal(value.replace(",", "."))
        except InvalidOperation:
            raise ValidationError({"value": [_("Enter a number.")]}) from None
        if not number.is_finite():
            raise ValidationError({"value": [_("Enter a number.")]})
        return format(number.normalize(), "f")
    if kind == AttributeType.ValueType.DATE:
        try:
            return datetime.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValidationError({"value": [_("Enter a date as YYYY-MM-DD.")]}) from None
    if kind == AttributeType.ValueType.CHOICE and value not in attribute_type.choices:
        raise ValidationError({"value": [_("Choose one of: %(c)s.")
                                         % {"c": ", ".join(attribute_type.choices)}]})
    return value


def attribute_set(*, actor, customer: Customer, attribute_type: AttributeType,
                  value) -> AttributeValue:
    """Add the attribute to the customer, or change its value."""
    clean = attribute_clean_value(attribute_type, value)
    with transaction.atomic():
        attribute, created = AttributeValue.objects.select_for_update().get_or_create(
            customer=customer, attribute_type=attribute_type, defaults={"value": clean})
        old = None if created else attribute.value
        if old == clean:
            return attribute
        attribute.value = clean
        attribute.save()
        action_log(actor=actor, customer=customer, kind="attribute.set",
                   message=N_("Attribute “%(n)s” set to %(v)s"),
                   params={"n": attribute_type.name, "v": clean},
                   changes={attribute_type.name: [old, clean]})
    return attribute


def attribute_remove(*, actor, attribute: AttributeValue) -> None:
    with transaction.atomic():
        attribute.delete()
        action_log(actor=actor, customer=attribute.customer, kind="attribute.remove",
                   message=N_("Attribute “%(n)s” removed"),
                   params={"n": attribute.attribute_type.name})


# --------------------------------------------------------------------------- folders, scans

def folder_create(*, actor, customer: Customer, name: str, archive_location: str = "") -> Folder:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("This field is required.")]})
    if Folder.objects.filter(customer=customer, name__iexact=name).exists():
        raise ValidationError({"name": [_("The customer already has a folder of this name.")]})
    with transaction.atomic():
        folder = Folder.objects.create(customer=customer, name=name,
                                       archive_location=archive_location.strip())
        action_log(actor=actor, customer=customer, kind="folder.create",
                   message=N_("Folder “%(n)s” created"), params={"n": name})
    return folder


def folder_update(*, actor, folder: Folder, name: str | None = None,
                  archive_location: str | None = None) -> Folder:
    before = {"name": folder.name, "archive_location": folder.archive_location}
    if name is not None:
        name = name.strip()
        if not name:
            raise ValidationError({"name": [_("This field is required.")]})
        if Folder.objects.filter(customer_id=folder.customer_id, name__iexact=name) \
                .exclude(pk=folder.pk).exists():
            raise ValidationError({"name": [_("The customer already has a folder of this name.")]})
        folder.name = name
    if archive_location is not None:
        folder.archive_location = archive_location.strip()
    changes = diff_fields(folder, before, ("name", "archive_location"))
    if changes:
        with transaction.atomic():
            folder.save()
            action_log(actor=actor, customer=folder.customer, kind="folder.update",
                       message=N_("Folder “%(n)s” changed"), params={"n": folder.name},
                       changes=changes)
    return folder


def folder_remove_refusal(folder: Folder) -> str | None:
    """Why ``folder`` cannot be removed, or None: scans are filed in it (move or remove
    them first — a scan is a signed paper, never lost by removing its folder)."""
    from django.utils.translation import ngettext

    scans = Scan.objects.filter(folder=folder).order_by("original_name")
    count = scans.count()
    if not count:
        return None
    names = ", ".join(scans.values_list("original_name", flat=True)[:5])
    if count > 5:
        names += " " + ngettext("and %(count)s more", "and %(count)s more", count - 5) % {
            "count": count - 5}
    return ngettext(
        "Folder “%(folder)s” holds %(count)s scan: %(scans)s. Remove it first.",
        "Folder “%(folder)s” holds %(count)s scans: %(scans)s. Remove them first.",
        count) % {"folder": folder.name, "count": count, "scans": names}


def folder_remove(*, actor, folder: Folder) -> None:
    """Remove an empty folder (``folder_remove_refusal``). Locks the folder: a scan being
    filed in it meanwhile waits for the removal, then fails on the folder's absence
    instead of being left without it."""
    with transaction.atomic():
        folder = Folder.objects.select_for_update().select_related("customer").get(
            pk=folder.pk)
        refusal = folder_remove_refusal(folder)
        if refusal:
            raise ValidationError(refusal)
        folder.delete()
        action_log(actor=actor, customer=folder.customer, kind="folder.remove",
                   message=N_("Folder “%(n)s” removed"), params={"n": folder.name})


def scan_add(*, actor, customer: Customer, uploaded_file, folder: Folder | None = None,
             description: str = "") -> Scan:
    """Store a scan: pdf, jpg, png or gif recognised by content and opened whole
    (``core.uploads``), within the tenant's limit; stored under the tenant's id."""
    checked = upload_check(uploaded_file, refusal=_(
        "Only PDF, JPG, PNG and GIF files are accepted; this file's content is none of them."))
    if folder is not None and folder.customer_id != customer.pk:
        raise ValidationError({"folder": [_("The folder belongs to another customer.")]})
    name = checked.name
    scan = Scan(tenant_id=customer.tenant_id, customer=customer, folder=folder,
                original_name=name, content_type=checked.content_type, size=checked.size,
                description=description.strip(), uploaded_by=staff_of(actor))
    with transaction.atomic():
        scan.file.save(name, uploaded_file, save=False)
        try:
            scan.save()
            action_log(actor=actor, customer=customer, kind="scan.add",
                       message=N_("Scan “%(n)s” added"), params={"n": name})
        except Exception:
            scan.file.delete(save=False)
            raise
    return scan


def scan_remove(*, actor, scan: Scan) -> None:
    with transaction.atomic():
        scan.delete()
        action_log(actor=actor, customer=scan.customer, kind="scan.remove",
                   message=N_("Scan “%(n)s” removed"), params={"n": scan.original_name})
        transaction.on_commit(lambda: scan.file.delete(save=False))


# --------------------------------------------------------------------------- bank accounts

def bank_account_add(*, actor, customer: Customer, iban: str,
                     description: str = "") -> BankAccount:
    compact = _field("iban", validators.clean_iban, iban)
    if compact[2:] == customer.virtual_account:
        raise ValidationError({"iban": [_("This is the customer's individual account "
                                          "at the ISP, not their own.")]})
    if BankAccount.objects.filter(customer=customer, iban=compact).exists():
        raise ValidationError({"iban": [_("The customer already has this account.")]})
    with transaction.atomic():
        account = BankAccount.objects.create(customer=customer, iban=compact,
                                             description=description.strip())
        action_log(actor=actor, customer=customer, kind="bank_account.add",
                   message=N_("Bank account %(a)s added"),
                   params={"a": validators.format_account(compact)})
    return account


def bank_account_remove(*, actor, account: BankAccount) -> None:
    with transaction.atomic():
        account.delete()
        action_log(actor=actor, customer=account.customer, kind="bank_account.remove",
                   message=N_("Bank account %(a)s removed"),
                   params={"a": validators.format_account(account.iban)})


# --------------------------------------------------------------------------- groups

def group_create(*, actor, name: str, description: str = "") -> CustomerGroup:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("This field is required.")]})
    if CustomerGroup.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": [_("A group of this name exists.")]})
    with transaction.atomic():
        group = CustomerGroup.objects.create(name=name, description=description.strip())
        action_log(actor=actor, kind="group.create",
                   message=N_("Customer group “%(n)s” created"), params={"n": name})
    return group


def group_default_template_set(*, actor, group: CustomerGroup, document_type: str,
                               template) -> GroupDefaultTemplate:
    """Name (or, with ``template=None``, clear) the group's default template of a type."""
    with transaction.atomic():
        existing = GroupDefaultTemplate.objects.filter(group=group,
                                                       document_type=document_type).first()
        if template is None:
            if existing:
                existing.delete()
            result = None
        else:
            if template.document_type != document_type:
                raise ValidationError({"template": [_("The template is of another type.")]})
            _check_group_templates_consistent(group, document_type, template)
            result = existing or GroupDefaultTemplate(group=group, document_type=document_type)
            result.template = template
            result.save()
        action_log(actor=actor, kind="group.template",
                   message=N_("Default %(t)s template of group “%(g)s”: %(n)s"),
                   params={"t": document_type, "g": group.name, "n": template or "-"})
    return result


def _check_group_templates_consistent(group, document_type, template):
    # Changing a group's default must not create a conflict for customers already in it.
    clash = GroupMembership.objects.filter(
        customer__group_memberships__group=group,
        group__default_templates__document_type=document_type,
    ).exclude(group=group).exclude(group__default_templates__template=template) \
        .select_related("group").order_by("group__name").first()
    if clash:
        # The rule, said whole: a customer's groups agree on each type's default template.
        raise ValidationError({"template": [_(
            "Refused: a customer in several groups must get one default template per "
            "document type, so groups sharing customers must agree. Customers of “%(g)s” "
            "are also in “%(o)s”, whose default of this type is another template. Set the "
            "same template in both groups, clear the other group's default first, or move "
            "the shared customers.") % {"g": group.name, "o": clash.group.name}]})


def customer_group_add(*, actor, customer: Customer, group: CustomerGroup) -> GroupMembership:
    """Add the customer to a group unless a default-template conflict would arise.

    Locks the customer so two concurrent additions cannot both pass the check.
    """
    with transaction.atomic():
        Customer.objects.select_for_update().get(pk=customer.pk)
        if GroupMembership.objects.filter(customer=customer, group=group).exists():
            raise ValidationError({"group": [_("The customer is already in group “%(g)s”.")
                                             % {"g": group.name}]})
        wanted = dict(GroupDefaultTemplate.objects.filter(group=group)
                      .values_list("document_type", "template_id"))
        held = GroupDefaultTemplate.objects.filter(
            group__memberships__customer=customer, document_type__in=list(wanted),
        ).select_related("group", "template")
        for other in held:
            if other.template_id != wanted[other.document_type]:
                raise ValidationError({"group": [_(
                    "Cannot add to “%(g)s”: the customer is in “%(o)s”, whose default "
                    "%(t)s template (“%(ot)s”) differs from this group's.") % {
                    "g": group.name, "o": other.group.name, "t": other.document_type,
                    "ot": other.template.name}]})
        membership = GroupMembership.objects.create(customer=customer, group=group)
        action_log(actor=actor, customer=customer, kind="group.add",
                   message=N_("Added to group “%(g)s”"), params={"g": group.name})
    return membership


def customer_group_remove(*, actor, membership: GroupMembership) -> None:
    with transaction.atomic():
        membership.delete()
        action_log(actor=actor, customer=membership.customer, kind="group.remove",
                   message=N_("Removed from group “%(g)s”"),
                   params={"g": membership.group.name})


# --------------------------------------------------------------------------- annotations

def annotation_add(*, actor, customer: Customer, text: str, pinned: bool = False) -> Annotation:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("An annotation cannot be empty.")]})
    with transaction.atomic():
        annotation = Annotation.objects.create(customer=customer, text=text, pinned=pinned,
                                               created_by=staff_of(actor))
        action_log(actor=actor, customer=customer, kind="annotation.add",
                   message=N_("Annotation added: %(t)s"), params={"t": text[:80]})
    return annotation


def annotation_pin(*, actor, annotation: Annotation, pinned: bool) -> Annotation:
    if annotation.pinned == pinned:
        return annotation
    with transaction.atomic():
        annotation.pinned = pinned
        annotation.save(update_fields=["pinned"])
        action_log(actor=actor, customer=annotation.customer, kind="annotation.pin",
                   message=(N_("Annotation pinned: %(t)s") if pinned
                            else N_("Annotation unpinned: %(t)s")),
                   params={"t": annotation.text[:80]},
                   changes={"pinned": [not pinned, pinned]})
    return annotation


def annotation_delete(*, actor, annotation: Annotation) -> None:
    with transaction.atomic():
        annotation.delete()
        action_log(actor=actor, customer=annotation.customer, kind="annotation.delete",
                   message=N_("Annotation deleted: %(t)s"), params={"t": annotation.text[:80]})


# --------------------------------------------------------------------------- panel

PIN_ALPHABET = "0123456789"


def _panel_lock_clear(account: PanelAccount) -> dict:
    """Lift the account's lock and forgive the failures on its login from every address
    (``panel_access``): staff unlocked it, or a new password or PIN was set. The caller
    saves ``failed_attempts`` and ``locked_until``; returns the changes for the log."""
    changes = {}
    if account.is_locked:
        changes["locked_until"] = [account.locked_until.isoformat(), None]
    forgiven = panel_access.address_failures_forget(login=account.login)
    if forgiven:
        changes["address_failures"] = [forgiven, 0]
    account.failed_attempts = 0
    account.locked_until = None
    return changes


def panel_credentials_set(*, actor, customer: Customer, login: str,
                          password: str | None = None) -> PanelAccount:
    """Set the panel login and (optionally) a password typed by staff; a new password
    lifts a login lock. Locks the account row."""
    import re

    login = (login or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9._@-]{3,50}", login):
        raise ValidationError({"login": [_("A login has 3-50 letters, digits or . _ @ -")]})
    if password is not None and len(password) < 8:
        raise ValidationError({"password": [_("A password has at least 8 characters.")]})
    with transaction.atomic():
        account = PanelAccount.objects.select_for_update().filter(customer=customer).first()
        if PanelAccount.objects.filter(login__iexact=login).exclude(customer=customer).exists():
            raise ValidationError({"login": [_("This login is taken.")]})
        created = account is None
        account = account or PanelAccount(customer=customer)
        old_login = account.login
        account.login = login
        changes = {"login": [old_login or None, login]} if old_login != login else {}
        if password is not None:
            account.password_hash = make_password(password)
            account.must_change_password = False
            changes["password"] = ["***", "***"]
            changes.update(_panel_lock_clear(account))
        account.save()
        action_log(actor=actor, customer=customer, kind="panel.credentials",
                   message=N_("Panel account created") if created
                   else N_("Panel credentials changed"), changes=changes)
    return account


def panel_pin_generate(*, actor, customer: Customer, sms_phone_id: int | None = None) -> str:
    """A new one-time PIN, valid for ``PANEL_PIN_VALID_HOURS``; it replaces the one before
    and lifts a login lock. Returned once so staff can pass it on: only its hash is kept.
    Locks the account row.

    ``sms_phone_id``: one of the customer's phones, to send the PIN there by SMS: after
    commit the event ``panel_pin.generated`` carries it (in memory, never stored in clear)
    to whoever sends SMS (messaging)."""
    with transaction.atomic():
        account = PanelAccount.objects.select_for_update().filter(customer=customer).first()
        if account is None:
            raise ValidationError(_("Set the panel login first."))
        phone = None
        if sms_phone_id is not None:
            # Only the customer's own numbers: a tampered form must not send the PIN away.
            phone = Phone.objects.filter(customer=customer, pk=sms_phone_id).first()
            if phone is None:
                raise ValidationError(_("Choose one of the customer's phone numbers."))
        now = timezone.now()
        pin = get_random_string(setting_get("customer.pin_length"), PIN_ALPHABET)
        account.pin_hash = make_password(pin)
        account.pin_created_at = now
        account.pin_expires_at = now + timedelta(hours=settings.PANEL_PIN_VALID_HOURS)
        changes = {"pin_expires_at": [None, account.pin_expires_at.isoformat()],
                   **_panel_lock_clear(account)}
        account.save(update_fields=["pin_hash", "pin_created_at", "pin_expires_at",
                                    "failed_attempts", "locked_until"])
        if phone is None:
            action_log(actor=actor, customer=customer, kind="panel.pin",
                       message=N_("One-time panel PIN generated"), changes=changes)
        else:
            action_log(actor=actor, customer=customer, kind="panel.pin",
                       message=N_("One-time panel PIN generated and sent by SMS to %(phone)s"),
                       params={"phone": phone.number}, changes=changes)
            publish("panel_pin.generated", customer_id=customer.pk, pin=pin,
                    actor_id=getattr(actor, "pk", None), phone=phone.number)
    return pin


def panel_unlock(*, actor, customer: Customer) -> PanelAccount:
    """Lift the panel login's lock and forgive the failures on its login from every
    address. Locks the account row; refused if nothing is locked or counted."""
    with transaction.atomic():
        account = PanelAccount.objects.select_for_update().filter(customer=customer).first()
        if account is None:
            raise ValidationError(_("Set the panel login first."))
        changes = _panel_lock_clear(account)
        if not changes:
            raise ValidationError(_("The panel login is not locked."))
        account.save(update_fields=["failed_attempts", "locked_until"])
        action_log(actor=actor, customer=customer, kind="panel.unlocked",
                   message=N_("Panel login unlocked"), changes=changes)
    return account


PANEL_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PANEL_PASSWORD_LENGTH = 12


def panel_password_generate(*, actor, customer: Customer) -> str:
    """A random panel password (letters and digits that are not mistaken for each other
    when read out) replacing the one before; it lifts a login lock. Returned once so staff
    can pass it on: only its hash is kept. Locks the account row."""
    with transaction.atomic():
        account = PanelAccount.objects.select_for_update().filter(customer=customer).first()
        if account is None:
            raise ValidationError(_("Set the panel login first."))
        password = get_random_string(PANEL_PASSWORD_LENGTH, PANEL_PASSWORD_ALPHABET)
        account.password_hash = make_password(password)
        account.must_change_password = False
        changes = {"password": ["***", "***"], **_panel_lock_clear(account)}
        account.save(update_fields=["password_hash", "must_change_password",
                                    "failed_attempts", "locked_until"])
        action_log(actor=actor, customer=customer, kind="panel.password_generated",
                   message=N_("Random panel password generated"), changes=changes)
    return password


@dataclass(frozen=True)
class PanelAuthResult:
    ok: bool
    # ok, or why not: unknown_login, wrong_secret, pin_expired, locked (the account was),
    # locked_now (this try locked it), address_locked, busy (``panel_access``). Only the
    # address's reasons may be told apart from a wrong secret.
    reason: str
    account: PanelAccount | None = None
    must_change_password: bool = False
    locked_until: object = None  # the account's or the address's lock


def panel_authenticate(*, login: str, secret: str, ip: str | None = None,
                       address: str | None = None) -> PanelAuthResult:
    """Check a panel login with a password or the one-time PIN (``panel_access``).

    Takes the logins from ``address`` (``core.access.login_client_address``) one at a
    time, then locks the account row; every attempt is logged. While the address is
    locked nothing is checked. Otherwise the secret costs the same hashes whatever the answer;
    a failure counts against the address, and a wrong secret towards the account's lock
    (``customer.panel_max_attempts`` wrong ones lock it for ``customer.panel_lock_minutes``).
    A PIN works once, until it expires: using it clears it and forces a new password.
    """
    login = (login or "").strip()
    try:
        with transaction.atomic():
            panel_access.address_serialize(address)
            return _panel_authenticate(login=login, secret=secret, ip=ip, address=address)
    except panel_access.AddressBusy:
        PanelLoginAttempt.objects.create(login=login[:50], method=PanelLoginAttempt.Method.PASSWORD,
                                         success=False, reason="busy", ip=ip)
        return PanelAuthResult(False, "busy")


def _panel_authenticate(*, login, secret, ip, address) -> PanelAuthResult:
    now = timezone.now()
    Method = PanelLoginAttempt.Method
    account = (PanelAccount.objects.select_for_update().select_related("customer")
               .filter(login__iexact=login).first())

    def attempt(method, success, reason):
        PanelLoginAttempt.objects.create(account=account, login=login[:50], method=method,
                                         success=success, reason=reason, ip=ip)

    address_until = panel_access.address_lock_until(address=address, now=now)
    if address_until is not None:
        attempt(Method.PASSWORD, False, "address_locked")
        return PanelAuthResult(False, "address_locked", locked_until=address_until)
    password_ok, pin_ok = panel_access.secrets_check(
        secret, password_hash=account.password_hash if account else "",
        pin_hash=account.pin_hash if account else "")
    method = Method.PIN if pin_ok and not password_ok else Method.PASSWORD
    if account is None:
        reason = "unknown_login"
    elif account.is_locked:
        reason = "locked"
    elif password_ok or (pin_ok and account.pin_valid):
        reason = "ok"
    else:
        reason = "pin_expired" if pin_ok else "wrong_secret"
        account.failed_attempts += 1
        if account.failed_attempts >= setting_get("customer.panel_max_attempts"):
            minutes = setting_get("customer.panel_lock_minutes")
            account.locked_until = now + timedelta(minutes=minutes)
            account.failed_attempts = 0
            reason = "locked_now"
            action_log(actor=None, customer=account.customer, kind="panel.locked",
                       message=N_("Panel login locked for %(m)s minutes after wrong "
                                  "attempts"), params={"m": minutes})
        account.save(update_fields=["failed_attempts", "locked_until"])
    if reason != "ok":
        panel_access.address_failure_record(login=login, address=address, now=now)
        attempt(method, False, reason)
        return PanelAuthResult(False, reason, locked_until=account.locked_until
                               if account else None)
    account.failed_attempts = 0
    account.locked_until = None
    account.last_login_at = now
    if method == Method.PIN:
        # Used: no valid PIN is left behind.
        account.pin_hash = ""
        account.pin_created_at = account.pin_expires_at = None
        account.must_change_password = True
    account.save()
    # The secret was right: this login's typos from this address are forgiven.
    panel_access.address_failures_forget(login=login, address=address)
    attempt(method, True, "ok")
    action_log(actor=account.customer, customer=account.customer, kind="panel.login",
               message=N_("Logged in to the panel with the one-time PIN")
               if method == Method.PIN else N_("Logged in to the panel"))
    return PanelAuthResult(True, "ok", account, must_change_password=account.must_change_password)


def panel_password_change(*, account: PanelAccount, new_password: str) -> PanelAccount:
    """The customer sets a new password (required after a PIN login); it lifts a login
    lock. Locks the account row."""
    from django.contrib.auth.password_validation import validate_password

    try:
        validate_password(new_password)
    except ValidationError as e:
        raise ValidationError({"password": e.messages}) from None
    with transaction.atomic():
        account = PanelAccount.objects.select_for_update().select_related("customer") \
            .get(pk=account.pk)
        account.password_hash = make_password(new_password)
        account.must_change_password = False
        changes = _panel_lock_clear(account)
        account.save(update_fields=["password_hash", "must_change_password",
                                    "failed_attempts", "locked_until"])
        action_log(actor=account.customer, customer=account.customer, kind="panel.password",
                   message=N_("Panel password changed by the customer"), changes=changes)
    return account
