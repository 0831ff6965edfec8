"""VoIP telephony ("Telefony"): the tenant's number ranges and their numbers, customers'
phones on an Asterisk exchange, and what each phone may do (free minutes, free numbers,
an amount limit per billing period, a notification threshold).

Numbers are stored as E.164 digits without the ``+`` (``48223000000``). A number is a
number on the public network: two ISPs never hold the same one, so a number is unique on
the platform, not per tenant — a range overlapping another tenant's is refused by the
database, whatever either can see.

Asterisk reads each phone from its own database's realtime tables (``ps_endpoints``,
``ps_auths``, ``ps_aors``, ``voicemail``): ``voip.asterisk`` writes them after commit.
"""

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Left, StrIndex
from django.db.models.lookups import GreaterThan
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from core.tenancy import TenantOwned

MONEY = {"max_digits": 14, "decimal_places": 2}
# A range holds at most this many numbers: a block the regulator assigns is 1,000 or
# 10,000 numbers; more in one go is a typo, and every number becomes a row.
RANGE_MAX_NUMBERS = 100_000
# E.164: at most 15 digits, country code first; the shortest public numbers have 8.
NUMBER_MIN_DIGITS, NUMBER_MAX_DIGITS = 8, 15


class NumberRange(TenantOwned):
    """A block of consecutive numbers the ISP holds ("zakres numeracji"), e.g.
    48 22 300 00 00 – 48 22 300 09 99. Each number of it is a ``PhoneNumber`` row."""

    name = models.CharField(_("name"), max_length=100)
    first = models.BigIntegerField(_("first number"))
    last = models.BigIntegerField(_("last number"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["first"]
        verbose_name = _("number range")
        verbose_name_plural = _("number ranges")
        constraints = [
            models.CheckConstraint(condition=Q(last__gte=F("first")),
                                   name="numberrange_last_not_below_first"),
            models.CheckConstraint(condition=Q(last__lt=F("first") + RANGE_MAX_NUMBERS),
                                   name="numberrange_size_limited"),
            models.CheckConstraint(condition=Q(first__gte=10 ** (NUMBER_MIN_DIGITS - 1),
                                               last__lt=10 ** NUMBER_MAX_DIGITS),
                                   name="numberrange_e164_digits"),
            models.UniqueConstraint(fields=["tenant", "name"], name="numberrange_name_uniq"),
        ]

    def __str__(self):
        return f"{self.name} (+{self.first} – +{self.last})"

    @property
    def size(self) -> int:
        return self.last - self.first + 1


class PhoneNumber(TenantOwned):
    """One number of a range: free, assigned to a phone, or quarantined — released, and
    not given to anyone else until ``quarantined_until`` (a tenant setting's number of
    days), so calls meant for the previous holder do not reach a new customer."""

    class State(models.TextChoices):
        FREE = "free", _("free")
        ASSIGNED = "assigned", _("assigned")
        QUARANTINED = "quarantined", _("quarantined")

    range = models.ForeignKey(NumberRange, on_delete=models.CASCADE, related_name="numbers")
    number = models.BigIntegerField(_("phone number"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices,
                             default=State.FREE)
    quarantined_until = models.DateField(_("quarantined until"), null=True, blank=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        constraints = [
            # On the platform, not per tenant: a number on the public network has one holder.
            models.UniqueConstraint(fields=["number"], name="phonenumber_number_uniq"),
            models.CheckConstraint(condition=Q(state__in=["free", "assigned", "quarantined"]),
                                   name="phonenumber_state_known"),
            models.CheckConstraint(condition=Q(state="quarantined",
                                               quarantined_until__isnull=False)
                                   | (~Q(state="quarantined")
                                      & Q(quarantined_until__isnull=True)),
                                   name="phonenumber_quarantine_has_date"),
        ]
        indexes = [models.Index(fields=["range", "state", "number"],
                                name="phonenumber_range_state_idx")]

    def __str__(self):
        return f"+{self.number}"


class BillingGroup(TenantOwned):
    """A class of destinations the price list sorts calls into ("grupa bilingowa"): mobile,
    landline PL, international zone 1 … Free minutes apply to the groups a phone names."""

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40)

    class Meta:
        ordering = ["name"]
        verbose_name = _("billing group")
        verbose_name_plural = _("billing groups")
        constraints = [models.UniqueConstraint(fields=["tenant", "code"],
                                               name="billinggroup_code_uniq")]

    def __str__(self):
        return self.name


class TariffScript(TenantOwned):
    """A tariff's subtariff script (``voip.script``): the values that prefill the phone
    form when a phone is added in the tariff wizard (``Darmowe_Minuty = 300;`` …). Kept
    as the text the staff wrote, checked on every save."""

    tariff = models.OneToOneField("finance.Tariff", on_delete=models.CASCADE,
                                  related_name="voip_script", verbose_name=_("tariff"))
    text = models.TextField(_("subtariff script"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("subtariff script")
        verbose_name_plural = _("subtariff scripts")


class ExchangeServer(TenantOwned):
    """An exchange of the tenant (a "centrala"): where its Asterisk Manager Interface
    listens, for a phone window's registration state and current calls. Its AMI secret is
    kept encrypted and never shown again."""

    class Kind(models.TextChoices):
        ASTERISK = "asterisk", _("Asterisk")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("exchange type"), max_length=20, choices=Kind.choices,
                            default=Kind.ASTERISK)
    ami_host = models.CharField(_("AMI host"), max_length=255)
    ami_port = models.PositiveIntegerField(_("AMI port"), default=5038)
    ami_username = models.CharField(_("AMI user"), max_length=80)
    ami_secret = EncryptedTextField(_("AMI secret"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("exchange")
        verbose_name_plural = _("exchanges")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="exchangeserver_name_uniq"),
            models.CheckConstraint(condition=Q(ami_port__gte=1, ami_port__lte=65535),
                                   name="exchangeserver_port_range"),
            models.CheckConstraint(condition=Q(kind__in=["asterisk"]),
                                   name="exchangeserver_kind_known"),
        ]

    def __str__(self):
        return self.name


class VoipPhone(TenantOwned):
    """A customer's phone on the exchange ("Dodaj telefon → Centrala Asterisk").

    Its SIP password is kept encrypted (the staff may show it to the customer); Asterisk
    gets only its digest (``md5_cred``). ``blocked_debt`` follows the customer's debt
    block, ``blocked_limit`` the amount limit of the billing period: either puts the
    phone in the blocked dialplan context."""

    class Exchange(models.TextChoices):
        ASTERISK = "asterisk", _("Asterisk")

    class BillingType(models.TextChoices):
        POSTPAID = "postpaid", _("postpaid (invoice lines)")
        PREPAID = "prepaid", _("prepaid (balance)")

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT,
                                 related_name="voip_phones", verbose_name=_("customer"))
    number = models.OneToOneField(PhoneNumber, on_delete=models.PROTECT,
                                  related_name="phone", verbose_name=_("phone number"))
    subscription = models.ForeignKey("finance.Subscription", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="voip_phones",
                                     verbose_name=_("subscription"))
    exchange = models.CharField(_("exchange"), max_length=20, choices=Exchange.choices,
                                default=Exchange.ASTERISK)
    # Which of the tenant's exchanges the phone registers with (its AMI shows the state);
    # none: the tenant's only active one.
    server = models.ForeignKey(ExchangeServer, null=True, blank=True,
                               on_delete=models.PROTECT, related_name="phones",
                               verbose_name=_("exchange"))
    password = EncryptedTextField(_("SIP password"))
    billing_type = models.CharField(_("billing type"), max_length=10,
                                    choices=BillingType.choices, default=BillingType.POSTPAID)
    free_minutes = models.PositiveIntegerField(_("free minutes"), default=0)
    free_minute_groups = models.ManyToManyField(BillingGroup, blank=True, related_name="+",
                                                verbose_name=_("billing groups"))
    free_numbers_count = models.PositiveSmallIntegerField(_("free numbers"), default=0)
    amount_limit = models.DecimalField(_("amount limit"), null=True, blank=True, **MONEY)
    notify_threshold = models.DecimalField(_("notification threshold"), null=True,
                                           blank=True, **MONEY)
    context = models.CharField(_("context"), max_length=40, default="default")
    voicemail_pin = EncryptedTextField(_("voicemail PIN"), blank=True, default="")
    voicemail_email = models.EmailField(_("voicemail e-mail"), blank=True)
    fax = models.BooleanField(_("fax"), default=False)
    blocked_debt = models.BooleanField(_("blocked for debt"), default=False)
    blocked_limit = models.BooleanField(_("blocked over the amount limit"), default=False)
    prepaid_balance = models.DecimalField(_("prepaid balance"), default=0, **MONEY)
    blocked_prepaid = models.BooleanField(_("blocked: prepaid balance used up"), default=False)
    # The outcome of the last writing to Asterisk (``asterisk.phone_provision``).
    provisioned_at = models.DateTimeField(_("written to the exchange"), null=True, blank=True)
    provision_error = models.CharField(_("exchange error"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    # The add form's one-time token: the same form sent twice (a double click, a retry)
    # adds one phone.
    request_token = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["number__number"]
        verbose_name = _("phone")
        verbose_name_plural = _("phones")
        constraints = [
            models.CheckConstraint(condition=Q(amount_limit__isnull=True)
                                   | Q(amount_limit__gte=0),
                                   name="voipphone_limit_not_negative"),
            models.CheckConstraint(condition=Q(notify_threshold__isnull=True)
                                   | Q(notify_threshold__gte=0),
                                   name="voipphone_threshold_not_negative"),
            models.CheckConstraint(condition=Q(exchange__in=["asterisk"]),
                                   name="voipphone_exchange_known"),
            models.CheckConstraint(condition=Q(billing_type__in=["postpaid", "prepaid"]),
                                   name="voipphone_billing_type_known"),
            # A dialplan context name crosses into Asterisk: nothing but its own letters.
            models.CheckConstraint(condition=Q(context__regex=r"^[A-Za-z0-9_-]{1,40}$"),
                                   name="voipphone_context_safe"),
            models.UniqueConstraint(fields=["tenant", "request_token"],
                                    name="voipphone_request_token_uniq"),
        ]

    def __str__(self):
        return f"+{self.number.number}" if self.number_id else "phone"

    @property
    def blocked(self) -> bool:
        return self.blocked_debt or self.blocked_limit or self.blocked_prepaid


class FreeNumber(TenantOwned):
    """A number the customer named: calls from this phone to it are free."""

    phone = models.ForeignKey(VoipPhone, on_delete=models.CASCADE, related_name="free_numbers")
    number = models.CharField(_("phone number"), max_length=20)  # E.164 digits

    class Meta:
        ordering = ["number"]
        verbose_name = _("free number")
        verbose_name_plural = _("free numbers")
        constraints = [models.UniqueConstraint(fields=["phone", "number"],
                                               name="freenumber_phone_number_uniq")]


class PriceList(TenantOwned):
    """The tenant's call prices from ``valid_from`` on; a call is rated by the price list
    valid on the day it started."""

    name = models.CharField(_("name"), max_length=100)
    valid_from = models.DateField(_("valid from"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        constraints = [models.UniqueConstraint(fields=["tenant", "valid_from"],
                                               name="pricelist_valid_from_uniq")]

    def __str__(self):
        return self.name


class PriceRule(TenantOwned):
    """A prefix of dialled numbers (E.164 digits), its billing group and price: per
    minute, billed by ``first_increment``/``next_increment`` seconds, plus a connection
    fee. The longest prefix of a number wins (``voip.rating``)."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="rules")
    prefix = models.CharField(_("prefix"), max_length=15)
    billing_group = models.ForeignKey(BillingGroup, on_delete=models.PROTECT,
                                      related_name="+", verbose_name=_("billing group"))
    price_per_minute = models.DecimalField(_("price per minute"), max_digits=12,
                                           decimal_places=4)
    first_increment = models.PositiveIntegerField(_("first increment (s)"), default=60)
    next_increment = models.PositiveIntegerField(_("next increment (s)"), default=60)
    connection_fee = models.DecimalField(_("connection fee"), max_digits=12, decimal_places=4,
                                         default=0)

    class Meta:
        ordering = ["prefix"]
        verbose_name = _("price rule")
        verbose_name_plural = _("price rules")
        constraints = [
            models.UniqueConstraint(fields=["price_list", "prefix"],
                                    name="pricerule_list_prefix_uniq"),
            models.CheckConstraint(condition=Q(prefix__regex=r"^[0-9]{1,15}$"),
                                   name="pricerule_prefix_digits"),
            models.CheckConstraint(condition=Q(price_per_minute__gte=0, connection_fee__gte=0),
                                   name="pricerule_prices_not_negative"),
            models.CheckConstraint(condition=Q(first_increment__gte=1, next_increment__gte=1,
                                               first_increment__lte=3600,
                                               next_increment__lte=3600),
                                   name="pricerule_increments_range"),
        ]


class Call(TenantOwned):
    """A rated call of a phone (one CDR of Asterisk's, or a line of a CDR file): rated
    once — the CDR's unique id is unique per tenant — and keeping what priced it."""

    # The foreign keys' own indexes are left out where a composite index below starts
    # with the column: a million calls an import writes pay for every index.
    phone = models.ForeignKey(VoipPhone, null=True, on_delete=models.SET_NULL,
                              related_name="calls", db_index=False)
    # Whose call it is, kept when the phone is removed (its calls are still billed and
    # listed); set when the call is rated.
    customer = models.ForeignKey("customers.Customer", null=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("customer"), db_index=False)
    unique_id = models.CharField(_("call id"), max_length=150)
    # The channel's bare ${UNIQUEID}: the key up to its first "~" (``voip.cdr``'s
    # ``SEQUENCE_MARK``), which names the channel's recording file. Written by the
    # database (never in an INSERT or COPY), so a recording finds its channel's calls by
    # equality on an index, not by a prefix of the key.
    channel = models.GeneratedField(
        expression=Case(
            When(GreaterThan(StrIndex("unique_id", Value("~")), 0),
                 then=Left("unique_id", StrIndex("unique_id", Value("~")) - 1)),
            default=F("unique_id")),
        output_field=models.CharField(max_length=150), db_persist=True)
    caller = models.CharField(_("caller"), max_length=20)
    destination = models.CharField(_("destination"), max_length=40)
    started_at = models.DateTimeField(_("started"))
    seconds = models.PositiveIntegerField(_("answered seconds"))
    billed_seconds = models.PositiveIntegerField(_("billed seconds"))
    free_seconds = models.PositiveIntegerField(_("free seconds"))
    amount = models.DecimalField(_("amount"), **MONEY)
    reason = models.CharField(_("rating"), max_length=20)
    period = models.DateField(_("billing period"))  # its first day
    rule = models.ForeignKey(PriceRule, null=True, on_delete=models.SET_NULL, related_name="+")
    # The rule as it priced the call (prefix, group, price, increments, fee): the rule may
    # change later, the call's explanation may not.
    priced_by = models.JSONField(default=dict, blank=True)
    # The invoice whose line billed this call (its billing group's line); none: not billed.
    invoice = models.ForeignKey("finance.FinanceDocument", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("invoice"), db_index=False)
    # A call of a prepaid phone: taken off the phone's balance when rated, never invoiced.
    prepaid = models.BooleanField(_("prepaid"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "unique_id"], name="call_unique_id_uniq"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="call_amount_not_negative"),
            models.CheckConstraint(condition=Q(prepaid=False) | Q(invoice__isnull=True),
                                   name="call_prepaid_not_invoiced"),
        ]
        indexes = [models.Index(fields=["phone", "period"], name="call_phone_period_idx"),
                   models.Index(fields=["invoice"], name="call_invoice_idx"),
                   models.Index(fields=["customer", "period"],
                                condition=Q(invoice__isnull=True, prepaid=False),
                                name="call_unbilled_idx"),
                   models.Index(fields=["customer", "started_at"],
                                name="call_customer_started_idx"),
                   models.Index(fields=["tenant", "channel"], name="call_channel_idx")]


class Recording(TenantOwned):
    """A call's recording ("nagranie"), linked to its CDR by the call's unique id (the
    recording may arrive before the CDR is rated). The file lies under
    ``settings.VOIP_RECORDINGS_ROOT`` at ``path``; it is served only through a signed,
    expiring link, and each playing is written to the action log. Removed after the
    tenant's retention period (``voip.recording_retention_days``)."""

    unique_id = models.CharField(_("call id"), max_length=150)
    call = models.ForeignKey(Call, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="recordings")
    path = models.CharField(_("file"), max_length=500)
    content_type = models.CharField(max_length=60, default="audio/wav")
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    recorded_at = models.DateTimeField(_("recorded"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "path"], name="recording_path_uniq"),
            # Relative, no way out of the recordings root.
            models.CheckConstraint(condition=Q(path__regex=r"^[A-Za-z0-9_][A-Za-z0-9_./-]*$")
                                   & ~Q(path__contains=".."),
                                   name="recording_path_safe"),
        ]
        indexes = [models.Index(fields=["tenant", "unique_id"], name="recording_unique_id_idx"),
                   models.Index(fields=["recorded_at"], name="recording_recorded_idx")]


class PrepaidEntry(TenantOwned):
    """Money put on a prepaid phone's balance (a top-up, as the customer paid it) or taken
    off it by staff (a correction, a refund); the calls take the rest. ``balance_after``:
    the phone's balance right after this entry."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("top-up")
        CORRECTION = "correction", _("correction")

    # kept when the phone is removed (its balance must be zero by then)
    phone = models.ForeignKey(VoipPhone, null=True, on_delete=models.SET_NULL,
                              related_name="prepaid_entries")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("customer"))
    number = models.BigIntegerField(_("phone number"))  # E.164 digits, kept
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    balance_after = models.DecimalField(_("balance after"), **MONEY)
    # A top-up is sold on an invoice (the customer pays it as any other); a correction
    # has none (its finance side, if any, is the accountant's).
    invoice = models.ForeignKey("finance.FinanceDocument", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("invoice"))
    # what the customer paid by (a KP number, a transfer's title)
    reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    request_token = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("prepaid entry")
        verbose_name_plural = _("prepaid entries")
        # A top-up is sold (an invoice, like a sale at the desk); a correction moves the
        # balance without money in hand: the accountant's.
        permissions = [("correct_prepaidentry", _("Can correct a prepaid balance"))]
        constraints = [
            models.CheckConstraint(condition=Q(kind="top_up", amount__gt=0)
                                   | Q(kind="correction") & ~Q(amount=0),
                                   name="prepaidentry_amount_by_kind"),
            models.CheckConstraint(condition=Q(kind="top_up", invoice__isnull=False)
                                   | Q(kind="correction", invoice__isnull=True),
                                   name="prepaidentry_invoice_by_kind"),
            models.UniqueConstraint(fields=["tenant", "request_token"],
                                    name="prepaidentry_request_token_uniq"),
        ]
        indexes = [models.Index(fields=["phone", "-created_at"], name="prepaidentry_phone_idx")]


class PhoneUsage(TenantOwned):
    """A phone's billing period so far: free seconds used, the amount of its calls,
    whether the amount limit and the notification threshold were reached."""

    phone = models.ForeignKey(VoipPhone, on_delete=models.CASCADE, related_name="usage")
    period = models.DateField(_("billing period"))
    free_seconds_used = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(_("amount"), default=0, **MONEY)
    limit_reached = models.BooleanField(default=False)
    threshold_reached = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["phone", "period"],
                                               name="phoneusage_phone_period_uniq")]


class CdrImportState(TenantOwned):
    """Where the import of the tenant's CDRs from Asterisk's ``cdr`` table stands; its row
    lock keeps two imports of a tenant apart (a call is rated once)."""

    last_end = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant"], name="cdrimportstate_uniq")]
