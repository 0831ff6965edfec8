"""The customer's ledger: every financial document is an immutable entry.

A document either charges the customer (``debit``: invoice, KW, interest note, debit
note, upward correction, technical charge) or pays/credits them (``credit``: KP, bank
transfer, downward correction, technical credit). The balance is Σcredit − Σdebit (negative:
the customer owes). ``Allocation`` links what pays to what is owed; the status of a
receivable (settled, partially settled, unsettled) derives from its allocations.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwned

MONEY = {"max_digits": 14, "decimal_places": 2}


class Kind(models.TextChoices):
    INVOICE = "invoice", _("invoice")
    CORRECTION = "correction", _("correction")
    KP = "kp", _("KP (cash in)")
    KW = "kw", _("KW (cash out)")
    BANK_TRANSFER = "bank_transfer", _("bank transfer")
    INTEREST_NOTE = "interest_note", _("interest note")
    DEBIT_NOTE = "debit_note", _("debit note")
    TECHNICAL = "technical", _("technical transaction")


class CustomerAccount(TenantOwned):
    """The cached balance of one customer, updated in the transaction that changes the
    ledger; its row is also the lock every money service takes first."""

    customer = models.OneToOneField("customers.Customer", on_delete=models.PROTECT,
                                    related_name="finance_account")
    balance = models.DecimalField(**MONEY, default=0)

    class Meta:
        verbose_name = _("customer account")


class FinanceDocument(TenantOwned):
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT,
                                 related_name="finance_documents")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=60)
    issue_date = models.DateField(_("date"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    debit = models.DecimalField(_("debit"), **MONEY, default=0)
    credit = models.DecimalField(_("credit"), **MONEY, default=0)
    title = models.CharField(_("title"), max_length=500, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="corrections")
    cash_register = models.ForeignKey("CashRegister", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="documents")
    # Bank transfers: the bank's reference (unique per account) and the source account.
    bank_reference = models.CharField(max_length=100, blank=True)
    bank_account = models.CharField(max_length=34, blank=True)
    counterparty_account = models.CharField(max_length=34, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    # The seller and the buyer as they were at issue (finance.seller.party_snapshot): what
    # the PDF, the KSeF XML and the exports print, whatever changed since. Null only for a
    # bank transfer booked by the statement importer (it prints the bank's data).
    parties = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["issue_date", "id"]
        constraints = [
            # One side only; both zero only for a correction of data (no amounts).
            models.CheckConstraint(condition=Q(debit__gte=0, credit__gte=0)
                                   & (Q(debit=0) | Q(credit=0))
                                   & (~Q(debit=0, credit=0) | Q(kind="correction")),
                                   name="financedocument_one_side"),
            models.UniqueConstraint(fields=["tenant", "kind", "number"],
                                    name="financedocument_number_uniq"),
            models.UniqueConstraint(fields=["tenant", "bank_account", "bank_reference"],
                                    condition=~Q(bank_reference=""),
                                    name="financedocument_bank_reference_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "customer", "issue_date"],
                                name="financedoc_customer_date")]
        verbose_name = _("financial document")
        verbose_name_plural = _("financial documents")
        # Issuing is granted per kind (finance.permissions.can_issue): taking a KP is not
        # paying a KW out. "add_financedocument" is not asked by any path.
        permissions = [
            ("add_invoice", _("Can issue an invoice")),
            ("add_correction", _("Can issue a correction")),
            ("add_kp", _("Can take a KP (cash in)")),
            ("add_kw", _("Can pay a KW (cash out)")),
            ("add_bank_transfer", _("Can record a bank transfer by hand")),
            ("add_debit_note", _("Can issue a debit note")),
            ("add_interest_note", _("Can issue an interest note")),
            ("add_technical", _("Can book a technical transaction")),
        ]

    def __str__(self):
        return self.number

    @property
    def amount(self):
        return self.debit or self.credit


class InvoiceLine(TenantOwned):
    document = models.ForeignKey(FinanceDocument, on_delete=models.CASCADE,
                                 related_name="lines")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("name"), max_length=250)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=20, default="szt.")
    net_unit_price = models.DecimalField(_("net unit price"), max_digits=14, decimal_places=2)
    vat_rate = models.CharField(_("VAT rate"), max_length=6)
    gtu = models.CharField("GTU", max_length=6, blank=True)
    # Goods/services of Annex 15 to the VAT act: with a gross total above 15,000 PLN the
    # invoice must carry "mechanizm podzielonej płatności" (art. 106e ust. 1 pkt 18a).
    annex15 = models.BooleanField(_("Annex 15 (split payment)"), default=False)
    net = models.DecimalField(**MONEY)
    # The line's gross value when its invoice is computed from gross (finance.money: every
    # line of such an invoice has one); null on an invoice computed from net.
    gross = models.DecimalField(_("gross"), null=True, blank=True, **MONEY)

    class Meta:
        ordering = ["document", "position"]
        constraints = [models.UniqueConstraint(fields=["document", "position"],
                                               name="invoiceline_position_uniq")]


class CashPosition(TenantOwned):
    """One position of a KP ("Kasa Przyjęła", cash in): a free one (what was paid for,
    typed at the desk) or an invoice ticked as paid. The KP's credit is their sum."""

    document = models.ForeignKey(FinanceDocument, on_delete=models.CASCADE,
                                 related_name="cash_positions")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("name"), max_length=250)
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        ordering = ["document", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cashposition_positive"),
            models.UniqueConstraint(fields=["document", "position"],
                                    name="cashposition_position_uniq"),
        ]


class CashRegister(TenantOwned):
    """A cash desk with its own KP/KW numbering."""

    name = models.CharField(_("name"), max_length=100)
    symbol = models.SlugField(_("symbol"), max_length=20)
    # Empty: KP/<SYMBOL>/{YYYY}/{N} (finance.numbering.register_pattern).
    kp_number_pattern = models.CharField(_("KP number pattern"), max_length=40, blank=True)
    kw_number_pattern = models.CharField(_("KW number pattern"), max_length=40, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "symbol"],
                                               name="cashregister_symbol_uniq")]

    def __str__(self):
        return self.name

    def number_pattern(self, kind: str) -> str:
        """The pattern of this register's KP or KW numbers (``kind``: "kp" or "kw")."""
        return (getattr(self, f"{kind}_number_pattern")
                or f"{kind.upper()}/{self.symbol.upper()}/{{YYYY}}/{{N}}")

    @property
    def kp_pattern(self) -> str:
        return self.number_pattern("kp")

    @property
    def kw_pattern(self) -> str:
        return self.number_pattern("kw")


class Allocation(TenantOwned):
    """``amount`` of ``payment`` (a credit document) settles ``receivable`` (a debit one)."""

    payment = models.ForeignKey(FinanceDocument, on_delete=models.PROTECT,
                                related_name="allocations_out")
    receivable = models.ForeignKey(FinanceDocument, on_delete=models.PROTECT,
                                   related_name="allocations_in")
    amount = models.DecimalField(**MONEY)
    rule = models.CharField(max_length=20)  # named, due, not_due, manual
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
            models.CheckConstraint(condition=~Q(payment=F("receivable")),
                                   name="allocation_not_self"),
        ]


class BankImport(TenantOwned):
    """One statement file imported; its lines are ``BankLine`` rows."""

    file_name = models.CharField(max_length=255)
    format = models.CharField(max_length=30)
    account = models.CharField(_("account"), max_length=34)
    statement_id = models.CharField(max_length=200, blank=True)
    lines_total = models.PositiveIntegerField(default=0)
    lines_new = models.PositiveIntegerField(default=0)
    lines_duplicate = models.PositiveIntegerField(default=0)
    lines_unidentified = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-imported_at"]


class BankLine(TenantOwned):
    """A statement line as the bank sent it, how it was identified, and what it became."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("booked")
        UNIDENTIFIED = "unidentified", _("unidentified")
        OUTGOING = "outgoing", _("outgoing")

    bank_import = models.ForeignKey(BankImport, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=34)
    line_identity = models.CharField(max_length=64)
    bank_reference = models.CharField(max_length=100, blank=True)
    booking_date = models.DateField()
    amount = models.DecimalField(**MONEY)
    title = models.CharField(max_length=1000, blank=True)
    counterparty_name = models.CharField(max_length=300, blank=True)
    counterparty_account = models.CharField(max_length=34, blank=True)
    virtual_account = models.CharField(max_length=34, blank=True)
    status = models.CharField(max_length=15, choices=Status.choices)
    rule = models.CharField(max_length=20, blank=True)  # which identification rule matched
    # What the rule found: the document number named in the title (as the tenant's pattern
    # writes it), the customer number, the account.
    rule_match = models.CharField(max_length=60, blank=True)
    customer = models.ForeignKey("customers.Customer", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    document = models.OneToOneField(FinanceDocument, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="bank_line")

    class Meta:
        ordering = ["booking_date", "id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "account", "line_identity"],
                                               name="bankline_identity_uniq")]
        # The unidentified queue, oldest first, stays an index scan with millions of lines.
        indexes = [models.Index(fields=["tenant", "status", "booking_date"],
                                name="bankline_queue")]


class ReferenceRate(models.Model):
    """The NBP reference rate from a date: the base of statutory and commercial interest.

    Platform-wide (the law is the same for every ISP); shipped from
    ``finance.interest_rates`` and edited in the admin when the NBP changes it.
    """

    effective_from = models.DateField(_("effective from"), unique=True)
    rate = models.DecimalField(_("reference rate (%)"), max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["effective_from"]
        verbose_name = _("NBP reference rate")
        verbose_name_plural = _("NBP reference rates")
        constraints = [models.CheckConstraint(condition=Q(rate__gte=0),
                                              name="referencerate_not_negative")]

    def __str__(self):
        return f"{self.effective_from}: {self.rate} %"


class InterestNoteItem(TenantOwned):
    """The interest on one receivable, up to ``until``, charged by an interest note."""

    note = models.ForeignKey(FinanceDocument, on_delete=models.PROTECT, related_name="items")
    receivable = models.ForeignKey(FinanceDocument, on_delete=models.PROTECT,
                                   related_name="interest_items")
    until = models.DateField()
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["note", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0),
                                              name="interestnoteitem_positive")]


class InterestWaiver(TenantOwned):
    """Interest on a receivable deleted from the list: irreversible, never charged."""

    receivable = models.OneToOneField(FinanceDocument, on_delete=models.PROTECT,
                                      related_name="interest_waiver")
    reason = models.CharField(_("reason"), max_length=500)
    waived_at = models.DateTimeField(auto_now_add=True)
    waived_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                  on_delete=models.SET_NULL, related_name="+")


# --------------------------------------------------------------------------- billing

class Tariff(TenantOwned):
    """What a subscription costs: a price per period, billed in advance or in arrears.

    The price is net, or — with ``gross_price`` — a price with VAT the invoices keep to the
    grosz (they are computed from gross, finance.money); ``net_price`` then holds its net
    part for lists and reports. Periods are calendar periods (a month, a quarter, a year);
    speeds are for RADIUS.
    """

    class Period(models.TextChoices):
        MONTHLY = "monthly", _("monthly")
        QUARTERLY = "quarterly", _("quarterly")
        YEARLY = "yearly", _("yearly")

    class Billing(models.TextChoices):
        ADVANCE = "advance", _("in advance")
        ARREARS = "arrears", _("in arrears")

    name = models.CharField(_("name"), max_length=200)
    net_price = models.DecimalField(_("net price"), **MONEY)
    gross_price = models.DecimalField(_("gross price"), null=True, blank=True, **MONEY)
    vat_rate = models.CharField(_("VAT rate"), max_length=6)
    period = models.CharField(_("period"), max_length=10, choices=Period.choices,
                              default=Period.MONTHLY)
    billing = models.CharField(_("billing mode"), max_length=10, choices=Billing.choices,
                               default=Billing.ADVANCE)
    gtu = models.CharField("GTU", max_length=6, blank=True)
    download_kbps = models.PositiveIntegerField(_("download (kbit/s)"), null=True, blank=True)
    upload_kbps = models.PositiveIntegerField(_("upload (kbit/s)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # "Dokumenty do taryf": the templates a subscription of this tariff is offered (empty:
    # the customer's group default, else the tenant's default of the type).
    contract_template = models.ForeignKey(
        "documents.DocumentTemplate", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("contract template"))
    annex_template = models.ForeignKey(
        "documents.DocumentTemplate", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("annex template"))
    termination_template = models.ForeignKey(
        "documents.DocumentTemplate", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("termination template"))
    # The debit note ("nota obciążeniowa") of a termination by the customer's fault.
    termination_fee = models.DecimalField(_("termination fee"), null=True, blank=True,
                                          **MONEY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        constraints = [
            models.CheckConstraint(condition=Q(net_price__gt=0), name="tariff_price_positive"),
            models.CheckConstraint(condition=Q(gross_price__isnull=True)
                                   | Q(gross_price__gte=F("net_price")),
                                   name="tariff_gross_price_not_below_net"),
            models.CheckConstraint(condition=Q(vat_rate__in=["23", "8", "5", "0", "zw", "np",
                                                             "np II"]),
                                   name="tariff_vat_rate_known"),
            models.CheckConstraint(condition=Q(period__in=["monthly", "quarterly", "yearly"]),
                                   name="tariff_period_known"),
            models.CheckConstraint(condition=Q(billing__in=["advance", "arrears"]),
                                   name="tariff_billing_known"),
            models.UniqueConstraint(fields=["tenant", "name"], name="tariff_name_uniq"),
        ]

    def __str__(self):
        return self.name


class Subscription(TenantOwned):
    """A customer's tariff from ``start_date`` to ``end_date`` (open-ended when empty).

    ``cycles_billed`` is the cycle counter of the payment schedule ("licznik cykli" of the
    "preliminarz płatności"): how many periods were invoiced. ``billed_until`` is the last
    day of the last period the billing run has dealt with (invoiced or fully suspended);
    the run starts from the day after it.
    """

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT,
                                 related_name="subscriptions")
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="subscriptions")
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)
    discount = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2,
                                   default=0)
    note = models.CharField(_("note"), max_length=500, blank=True)
    cycles_billed = models.PositiveIntegerField(_("cycle counter"), default=0)
    billed_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["customer", "start_date", "id"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.CheckConstraint(condition=Q(discount__gte=0, discount__lte=100),
                                   name="subscription_discount_range"),
            models.CheckConstraint(condition=Q(end_date__isnull=True)
                                   | Q(end_date__gte=F("start_date")),
                                   name="subscription_end_after_start"),
        ]

    def __str__(self):
        return f"{self.tariff} ({self.start_date})"


class Suspension(TenantOwned):
    """Days on which a subscription is not billed (both ends included)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE,
                                     related_name="suspensions")
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["subscription", "date_from"]
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")
        constraints = [models.CheckConstraint(condition=Q(date_to__gte=F("date_from")),
                                              name="suspension_to_after_from")]


class BillingRun(TenantOwned):
    """One run of the billing (or its dry-run preview), for the billing page.

    A run works through the due customers in id order, a batch per transaction, and
    records after each batch how far it got (``last_customer_id``) and that it is alive
    (``heartbeat_at``). A run queued or running whose heartbeat is older than
    ``STALE_AFTER`` died with its process: it is shown as interrupted, and staff resume it
    (it continues after ``last_customer_id``) or abandon it. One run at a time per tenant
    is a database fact (``billingrun_one_active``)."""

    STALE_AFTER = timedelta(minutes=10)

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        ABANDONED = "abandoned", _("abandoned")

    run_date = models.DateField(_("billing date"))
    dry_run = models.BooleanField(_("preview"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    customers_total = models.PositiveIntegerField(default=0)
    customers_done = models.PositiveIntegerField(default=0)
    invoices = models.PositiveIntegerField(_("invoices"), default=0)
    lines = models.PositiveIntegerField(_("lines"), default=0)
    net_total = models.DecimalField(_("net"), **MONEY, default=0)
    gross_total = models.DecimalField(_("gross"), **MONEY, default=0)
    # Subscriptions with more periods due than one run may bill (the catch-up limit,
    # ``finance.billing_max_periods``): the oldest were billed, the next run continues.
    subscriptions_capped = models.PositiveIntegerField(_("subscriptions left behind"),
                                                       default=0)
    last_customer_id = models.BigIntegerField(null=True, blank=True)  # done up to this id
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=32, blank=True)  # the process that holds the run
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        constraints = [
            # The same request twice at once, the nightly run and a button: one run.
            models.UniqueConstraint(fields=["tenant"],
                                    condition=Q(dry_run=False, status__in=["queued", "running"]),
                                    name="billingrun_one_active"),
        ]

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def is_interrupted(self) -> bool:
        """Queued or running, but silent for ``STALE_AFTER``: its process died."""
        beat = self.heartbeat_at or self.started_at
        return self.is_active and beat is not None and beat < timezone.now() - self.STALE_AFTER

    @property
    def state(self) -> str:
        """The status as the page shows it: "interrupted" for a dead active run."""
        return "interrupted" if self.is_interrupted else self.status

    def get_state_display(self) -> str:
        return str(_("interrupted")) if self.is_interrupted else self.get_status_display()


class BillingItem(TenantOwned):
    """One period of one subscription dealt with by the billing run: invoiced (``invoice``)
    or, fully suspended, skipped (no invoice, zero). Unique per subscription and period:
    the database itself refuses to bill a period twice."""

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT,
                                     related_name="billing_items")
    period_start = models.DateField()
    period_end = models.DateField()
    days = models.PositiveSmallIntegerField()  # days billed (pro-rata) of the period
    net = models.DecimalField(**MONEY)
    invoice = models.ForeignKey(FinanceDocument, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="billing_items")

    class Meta:
        ordering = ["subscription", "period_start"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "period_start"],
                                    name="billingitem_period_uniq"),
            models.CheckConstraint(condition=Q(net__gte=0) & Q(period_end__gte=F("period_start")),
                                   name="billingitem_sane"),
        ]
