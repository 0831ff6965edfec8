from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwned
from core.validation import NOTE_MAX_LENGTH


class Customer(TenantOwned):
    class Kind(models.TextChoices):
        PERSON = "person", _("private person")
        COMPANY = "company", _("company")

    class Status(models.TextChoices):
        INTERESTED = "interested", _("interested")
        CONNECTED = "connected", _("connected")
        SUSPENDED = "suspended", _("suspended")
        DISCONNECTED = "disconnected", _("disconnected")
        DEBT_COLLECTION = "debt_collection", _("debt collection")

    class IdDocumentType(models.TextChoices):
        ID_CARD = "id_card", _("ID card")
        PASSPORT = "passport", _("passport")
        OTHER = "other", _("other document")

    number = models.PositiveIntegerField(_("customer number"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.INTERESTED)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    company_name = models.CharField(_("company name"), max_length=250, blank=True)
    pesel = models.CharField(_("PESEL"), max_length=11, blank=True)
    nip = models.CharField(_("NIP"), max_length=10, blank=True)
    regon = models.CharField(_("REGON"), max_length=14, blank=True)
    id_document_type = models.CharField(_("ID document type"), max_length=10,
                                        choices=IdDocumentType.choices, blank=True)
    id_document_number = models.CharField(_("ID document number"), max_length=20, blank=True)
    spouse_first_name = models.CharField(_("spouse's first name"), max_length=100, blank=True)
    spouse_last_name = models.CharField(_("spouse's last name"), max_length=150, blank=True)
    spouse_pesel = models.CharField(_("spouse's PESEL"), max_length=11, blank=True)
    # Unique per tenant: each ISP has its own collecting account range at its bank.
    virtual_account = models.CharField(_("individual account number"), max_length=26,
                                       null=True, blank=True)
    # Lower-cased name, ids, digits of phones, e-mails and addresses: one trigram-indexed
    # column makes every search of the list a single index scan.
    search_text = models.TextField(default="", editable=False)
    groups = models.ManyToManyField("CustomerGroup", through="GroupMembership",
                                    related_name="customers")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="customer_number_uniq"),
            models.UniqueConstraint(fields=["tenant", "virtual_account"],
                                    name="customer_virtual_account_uniq"),
        ]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self):
        return f"{self.number} {self.display_name}"

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.COMPANY and self.company_name:
            return self.company_name
        return f"{self.first_name} {self.last_name}".strip() or self.company_name


class Phone(TenantOwned):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("phone number"), max_length=20)  # E.164
    label = models.CharField(_("label"), max_length=50, blank=True)
    for_notifications = models.BooleanField(_("notifications"), default=True)
    for_invoices = models.BooleanField(_("invoices"), default=False)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["customer", "number"],
                                               name="phone_customer_number_uniq")]
        verbose_name = _("phone")
        verbose_name_plural = _("phones")


class Email(TenantOwned):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="emails")
    address = models.EmailField(_("e-mail address"))
    label = models.CharField(_("label"), max_length=50, blank=True)
    for_notifications = models.BooleanField(_("notifications"), default=True)
    for_invoices = models.BooleanField(_("invoices"), default=False)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["customer", "address"],
                                               name="email_customer_address_uniq")]
        verbose_name = _("e-mail")
        verbose_name_plural = _("e-mails")


class Consent(TenantOwned):
    class Kind(models.TextChoices):
        DATA_PROCESSING = "data_processing", _("processing of personal data")
        MARKETING = "marketing", _("marketing communication")
        E_INVOICE = "e_invoice", _("electronic invoices")
        PHONE_CONTACT = "phone_contact", _("contact by phone")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("consent"), max_length=30, choices=Kind.choices)
    granted = models.BooleanField(_("granted"))
    given_on = models.DateField(_("date"))

    class Meta:
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["customer", "kind"],
                                               name="consent_customer_kind_uniq")]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")


class Address(TenantOwned):
    class Kind(models.TextChoices):
        RESIDENCE = "residence", _("residence")
        CORRESPONDENCE = "correspondence", _("correspondence")
        INSTALLATION = "installation", _("installation")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    street = models.CharField(_("street"), max_length=150, blank=True)
    building_no = models.CharField(_("building"), max_length=20)
    apartment_no = models.CharField(_("apartment"), max_length=20, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="PL")
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6,
                                   null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6,
                                    null=True, blank=True)
    # TERYT, the national register of places (GUS): the commune (TERC: province, district,
    # commune and its kind, 7 digits), the locality (SIMC, 7 digits) and the street (ULIC,
    # 5 digits). The reports to UKE (SIIS) place every connection by them.
    teryt_terc = models.CharField(_("TERYT commune (TERC)"), max_length=7, blank=True)
    teryt_simc = models.CharField(_("TERYT locality (SIMC)"), max_length=7, blank=True)
    teryt_ulic = models.CharField(_("TERYT street (ULIC)"), max_length=5, blank=True)

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind"],
                condition=Q(kind__in=["residence", "correspondence"]),
                name="address_one_residence_one_correspondence",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="address_coordinates_valid",
            ),
            models.CheckConstraint(
                condition=Q(teryt_terc="") | Q(teryt_terc__regex=r"^[0-9]{7}$"),
                name="address_teryt_terc_digits"),
            models.CheckConstraint(
                condition=Q(teryt_simc="") | Q(teryt_simc__regex=r"^[0-9]{7}$"),
                name="address_teryt_simc_digits"),
            models.CheckConstraint(
                condition=Q(teryt_ulic="") | Q(teryt_ulic__regex=r"^[0-9]{5}$"),
                name="address_teryt_ulic_digits"),
        ]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self):
        street = f"{self.street} {self.building_no}" if self.street else self.building_no
        if self.apartment_no:
            street += f"/{self.apartment_no}"
        return f"{street}, {self.postal_code} {self.city}"

    @property
    def map_url(self) -> str:
        """OpenStreetMap: the point when coordinates are known, else a search."""
        from urllib.parse import quote

        if self.latitude is not None and self.longitude is not None:
            return (f"https://www.openstreetmap.org/?mlat={self.latitude}&mlon={self.longitude}"
                    f"#map=18/{self.latitude}/{self.longitude}")
        return f"https://www.openstreetmap.org/search?query={quote(str(self))}"


class AttributeType(TenantOwned):
    class ValueType(models.TextChoices):
        TEXT = "text", _("text")
        NUMBER = "number", _("number")
        DATE = "date", _("date")
        CHOICE = "choice", _("choice")

    name = models.CharField(_("name"), max_length=100)
    value_type = models.CharField(_("value type"), max_length=10, choices=ValueType.choices)
    choices = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"],
                                               name="attributetype_name_uniq")]
        verbose_name = _("attribute type")
        verbose_name_plural = _("attribute types")

    def __str__(self):
        return self.name


class AttributeValue(TenantOwned):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="attributes")
    attribute_type = models.ForeignKey(AttributeType, on_delete=models.PROTECT,
                                       related_name="values")
    # Stored canonically: number as a plain decimal string, date as ISO 8601.
    value = models.CharField(_("value"), max_length=500)

    class Meta:
        ordering = ["attribute_type__name"]
        constraints = [models.UniqueConstraint(fields=["customer", "attribute_type"],
                                               name="attributevalue_customer_type_uniq")]
        verbose_name = _("attribute")
        verbose_name_plural = _("attributes")


class Folder(TenantOwned):
    """"Teczka": a folder mirroring the physical archive."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="folders")
    name = models.CharField(_("name"), max_length=150)
    archive_location = models.CharField(_("archive location"), max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["customer", "name"],
                                               name="folder_customer_name_uniq")]
        verbose_name = _("folder")
        verbose_name_plural = _("folders")

    def __str__(self):
        return self.name


def scan_upload_to(instance, filename):
    # The stored name is ours, never the uploader's: under the tenant, with the extension
    # of the type found in the content.
    from core.uploads import upload_path

    return upload_path("scans", instance, instance.customer_id,
                       content_type=instance.content_type)


class Scan(TenantOwned):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="scans")
    folder = models.ForeignKey(Folder, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="scans")
    file = models.FileField(upload_to=scan_upload_to)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField(_("size"))
    description = models.CharField(_("description"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("scan")
        verbose_name_plural = _("scans")


class BankAccount(TenantOwned):
    """The customer's own account: recognises their transfers and receives refunds."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE,
                                 related_name="bank_accounts")
    iban = models.CharField(_("IBAN"), max_length=34)  # compact, upper-case
    description = models.CharField(_("description"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["customer", "iban"],
                                               name="bankaccount_customer_iban_uniq")]
        indexes = [models.Index(fields=["tenant", "iban"], name="bankaccount_tenant_iban")]
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")


class CustomerGroup(TenantOwned):
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"],
                                               name="customergroup_name_uniq")]
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")

    def __str__(self):
        return self.name


class GroupDefaultTemplate(TenantOwned):
    group = models.ForeignKey(CustomerGroup, on_delete=models.CASCADE,
                              related_name="default_templates")
    document_type = models.CharField(_("document type"), max_length=30)
    template = models.ForeignKey("documents.DocumentTemplate", on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "document_type"],
                                               name="groupdefaulttemplate_type_uniq")]
        verbose_name = _("default template of a group")
        verbose_name_plural = _("default templates of groups")


class GroupMembership(TenantOwned):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE,
                                 related_name="group_memberships")
    group = models.ForeignKey(CustomerGroup, on_delete=models.CASCADE,
                              related_name="memberships")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group__name"]
        constraints = [models.UniqueConstraint(fields=["customer", "group"],
                                               name="groupmembership_uniq")]
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")


class Annotation(TenantOwned):
    """"Adnotacje i uwagi": notes on the customer; pinned ones show above the data."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE,
                                 related_name="annotations")
    text = models.TextField(_("text"), max_length=NOTE_MAX_LENGTH)
    pinned = models.BooleanField(_("pinned"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pinned", "-created_at", "-id"]
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")


class PanelAccount(TenantOwned):
    """Credentials of the customer's self-service panel."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE,
                                    related_name="panel_account")
    login = models.CharField(_("panel login"), max_length=50)
    password_hash = models.CharField(max_length=255, blank=True)
    pin_hash = models.CharField(max_length=255, blank=True)
    pin_created_at = models.DateTimeField(null=True, blank=True)
    # Fixed when the PIN is made (``PANEL_PIN_VALID_HOURS``): the customer was told so.
    pin_expires_at = models.DateTimeField(null=True, blank=True)
    must_change_password = models.BooleanField(default=False)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(models.F("tenant"), Lower("login"),
                                               name="panelaccount_login_uniq")]
        verbose_name = _("panel account")
        verbose_name_plural = _("panel accounts")

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()

    @property
    def pin_valid(self) -> bool:
        """A PIN was made and is neither used (that clears it) nor expired."""
        return bool(self.pin_hash) and self.pin_expires_at is not None \
            and self.pin_expires_at > timezone.now()


class PanelLoginAttempt(TenantOwned):
    class Method(models.TextChoices):
        PASSWORD = "password", _("password")
        PIN = "pin", _("one-time PIN")

    account = models.ForeignKey(PanelAccount, null=True, on_delete=models.CASCADE,
                                related_name="attempts")
    login = models.CharField(max_length=50)
    method = models.CharField(max_length=10, choices=Method.choices)
    success = models.BooleanField()
    reason = models.CharField(max_length=30)
    ip = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("panel login attempt")
        verbose_name_plural = _("panel login attempts")


class PanelAddressFailure(models.Model):
    """A failed panel login counted against its client address (``customers.panel_access``).

    Deliberately not ``TenantOwned``: an address guessing at one ISP's panel is counted at
    every ISP's, as staff logins are (``core.access``). The typed login and its tenant are
    kept only to forgive the failures on it when it logs in or staff unlock it.
    """

    tenant = models.ForeignKey("core.Tenant", on_delete=models.CASCADE, related_name="+")
    login = models.CharField(max_length=50)  # lower case, as typed
    address = models.CharField(max_length=45)  # IPv4, or the IPv6 /64 network
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["address", "at"], name="paneladdrfail_address_at"),
                   models.Index(fields=["at"], name="paneladdrfail_at")]

    def __str__(self):
        return f"{self.address} {self.login} {self.at:%Y-%m-%d %H:%M:%S}"
