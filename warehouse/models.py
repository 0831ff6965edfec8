"""Warehouse ("Magazyn") and customer equipment ("Sprzęt kliencki").

* **Warehouse**: a place stock is kept (the main store, a technician's van, a branch).
* **Product**: a catalogue entry; *serial-tracked* products (ONT/ONU, routers, STB
  decoders) are kept as ``StockItem`` rows, one per serial, *counted* ones (cable,
  connectors) as a quantity per warehouse (``StockLevel``).
* **StockDocument**: every movement is a numbered document — PZ (receipt from a supplier),
  WZ (issue to a customer), ZW (return from a customer), MM (move between warehouses),
  RW (internal use or scrap), INW (inventory, its differences booked). Documents are
  posted when made (there is no draft stock): a mistake is undone by another document.
* **StockItem**: a serial is in exactly one place at a time — in a warehouse, at a
  customer, or gone (scrapped, lost) — which the database checks; ``ItemMove`` is its
  history (every document that moved it, from where, to where, which customer).
* **Olt** / **OntAction**: an OLT of the tenant (address, vendor, credentials encrypted)
  and every command sent to it for an ONT with the device's answer.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from core.tenancy import TenantOwned

MONEY = {"max_digits": 14, "decimal_places": 2}
QUANTITY = {"max_digits": 12, "decimal_places": 3}
VAT_RATES = ["23", "8", "5", "0", "zw", "np"]


class Warehouse(TenantOwned):
    class Kind(models.TextChoices):
        MAIN = "main", _("main store")
        VAN = "van", _("technician's van")
        BRANCH = "branch", _("branch")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.MAIN)
    # the technician whose van it is
    keeper = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("keeper"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="warehouse_name_uniq"),
            models.CheckConstraint(condition=Q(kind__in=["main", "van", "branch"]),
                                   name="warehouse_kind_known"),
        ]

    def __str__(self):
        return self.name


class Supplier(TenantOwned):
    name = models.CharField(_("name"), max_length=200)
    tax_id = models.CharField(_("NIP"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="supplier_name_uniq"),
        ]

    def __str__(self):
        return self.name


class Product(TenantOwned):
    class Kind(models.TextChoices):
        ONT = "ont", _("ONT/ONU")
        ROUTER = "router", _("router")
        STB = "stb", _("STB decoder")
        SWITCH = "switch", _("switch")
        CABLE = "cable", _("cable")
        CONSUMABLE = "consumable", _("consumable")
        OTHER = "other", _("other")

    class Feature(models.TextChoices):
        MAC = "mac", _("MAC address")
        GPON_SERIAL = "gpon_serial", _("GPON serial")
        FIRMWARE = "firmware", _("firmware")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    producer = models.CharField(_("producer"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=10, default="szt.")
    serial_tracked = models.BooleanField(_("tracked by serial"), default=True)
    vat_rate = models.CharField(_("VAT rate"), max_length=6, default="23")
    default_price = models.DecimalField(_("default price (net)"), default=0, **MONEY)
    # which features each serial of the product carries: a list of Feature values
    features = models.JSONField(_("features"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="product_name_uniq"),
            models.CheckConstraint(
                condition=Q(kind__in=["ont", "router", "stb", "switch", "cable", "consumable",
                                      "other"]), name="product_kind_known"),
            models.CheckConstraint(condition=Q(vat_rate__in=VAT_RATES),
                                   name="product_vat_rate_known"),
            models.CheckConstraint(condition=Q(default_price__gte=0),
                                   name="product_price_not_negative"),
        ]

    def __str__(self):
        return self.name


class StockDocument(TenantOwned):
    """A posted warehouse document. Which parties it names depends on its kind (checked
    by the database): PZ a supplier and the receiving warehouse; WZ the issuing
    warehouse and a customer; ZW a customer and the receiving warehouse; MM two
    warehouses; RW and INW one warehouse."""

    class Kind(models.TextChoices):
        PZ = "PZ", _("PZ — receipt from a supplier")
        WZ = "WZ", _("WZ — issue to a customer")
        ZW = "ZW", _("ZW — return from a customer")
        MM = "MM", _("MM — move between warehouses")
        RW = "RW", _("RW — internal use or scrap")
        INW = "INW", _("INW — inventory")

    class Settlement(models.TextChoices):
        """What the customer pays for equipment issued by a WZ."""

        NONE = "none", _("no charge")
        SALE = "sale", _("sale (invoice)")
        LEASE = "lease", _("lease (monthly)")
        DEPOSIT = "deposit", _("deposit")

    kind = models.CharField(_("type"), max_length=3, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=50)
    issued_on = models.DateField(_("date"))
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="documents",
                                  verbose_name=_("warehouse"))
    # MM: where the stock goes
    target_warehouse = models.ForeignKey(Warehouse, null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+",
                                         verbose_name=_("target warehouse"))
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="documents", verbose_name=_("supplier"))
    supplier_document = models.CharField(_("supplier's document"), max_length=100, blank=True)
    customer = models.ForeignKey("customers.Customer", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="stock_documents",
                                 verbose_name=_("customer"))
    address = models.ForeignKey("customers.Address", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("installation address"))
    settlement = models.CharField(_("settlement"), max_length=10, choices=Settlement.choices,
                                  default=Settlement.NONE)
    # WZ sale: the invoice issued for it; lease/deposit: the subscription item
    invoice = models.ForeignKey("finance.FinanceDocument", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("invoice"))
    subscription = models.ForeignKey("finance.Subscription", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("subscription"))
    note = models.TextField(_("note"), blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    # the form's one-time token: the same document sent twice is posted once
    request_token = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("warehouse document")
        verbose_name_plural = _("warehouse documents")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "kind", "number"],
                                    name="stockdocument_number_uniq"),
            models.UniqueConstraint(fields=["tenant", "request_token"],
                                    name="stockdocument_request_token_uniq"),
            models.CheckConstraint(
                condition=Q(kind="PZ", supplier__isnull=False, customer__isnull=True,
                            target_warehouse__isnull=True)
                | Q(kind__in=["WZ", "ZW"], customer__isnull=False, supplier__isnull=True,
                    target_warehouse__isnull=True)
                | Q(kind="MM", target_warehouse__isnull=False, customer__isnull=True,
                    supplier__isnull=True)
                & ~Q(target_warehouse=models.F("warehouse"))
                | Q(kind__in=["RW", "INW"], customer__isnull=True, supplier__isnull=True,
                    target_warehouse__isnull=True),
                name="stockdocument_parties_by_kind"),
            models.CheckConstraint(condition=Q(settlement="none") | Q(kind="WZ"),
                                   name="stockdocument_settlement_on_wz"),
            models.CheckConstraint(condition=Q(settlement__in=["none", "sale", "lease",
                                                               "deposit"]),
                                   name="stockdocument_settlement_known"),
        ]
        indexes = [
            models.Index(fields=["tenant", "customer", "-issued_on"],
                         name="stockdoc_customer_idx"),
            models.Index(fields=["tenant", "kind", "-issued_on"], name="stockdoc_kind_idx"),
        ]

    def __str__(self):
        return self.number

    @property
    def code(self) -> str:
        """What the printed barcode encodes."""
        return f"MAG{self.pk:09d}"


class StockItem(TenantOwned):
    """One serial of a serial-tracked product. Where it is: ``warehouse`` (in stock),
    ``customer`` (issued), or neither (scrapped, lost) — exactly one of these, by the
    database."""

    class State(models.TextChoices):
        IN_STOCK = "in_stock", _("in stock")
        ISSUED = "issued", _("at the customer")
        SCRAPPED = "scrapped", _("scrapped")
        LOST = "lost", _("lost")
        USED = "used", _("used internally")

    class Condition(models.TextChoices):
        WORKING = "working", _("working")
        FAULTY = "faulty", _("faulty")

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="items",
                                verbose_name=_("product"))
    # as scanned, upper-case, no spaces
    serial = models.CharField(_("serial number"), max_length=64)
    mac = models.CharField(_("MAC address"), max_length=17, blank=True)  # aa:bb:cc:dd:ee:ff
    gpon_serial = models.CharField(_("GPON serial"), max_length=16, blank=True)
    firmware = models.CharField(_("firmware"), max_length=64, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.IN_STOCK)
    condition = models.CharField(_("condition"), max_length=10, choices=Condition.choices,
                                 default=Condition.WORKING)
    warehouse = models.ForeignKey(Warehouse, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="items", verbose_name=_("warehouse"))
    customer = models.ForeignKey("customers.Customer", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="equipment",
                                 verbose_name=_("customer"))
    # the WZ it is at the customer by
    issue_document = models.ForeignKey(StockDocument, null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    description = models.CharField(_("description"), max_length=500, blank=True)
    purchase_price = models.DecimalField(_("purchase price (net)"), default=0, **MONEY)
    # an ONT bound to one of the customer's logins (its installation)
    login = models.ForeignKey("radius.Login", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="equipment", verbose_name=_("login"))
    # an ONT registered on an OLT: where
    olt = models.ForeignKey("Olt", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="onts", verbose_name=_("OLT"))
    olt_port = models.CharField(_("OLT port"), max_length=20, blank=True)  # frame/slot/port
    ont_id = models.PositiveSmallIntegerField(_("ONT id"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["serial"]
        verbose_name = _("serial item")
        verbose_name_plural = _("serial items")
        constraints = [
            # a serial is scanned to find its item: one per tenant
            models.UniqueConstraint(fields=["tenant", "serial"], name="stockitem_serial_uniq"),
            models.CheckConstraint(condition=Q(serial__regex=r"^[A-Z0-9][A-Z0-9._/-]{0,63}$"),
                                   name="stockitem_serial_clean"),
            models.CheckConstraint(
                condition=Q(state="in_stock", warehouse__isnull=False, customer__isnull=True)
                | Q(state="issued", warehouse__isnull=True, customer__isnull=False)
                | Q(state__in=["scrapped", "lost", "used"], warehouse__isnull=True,
                    customer__isnull=True),
                name="stockitem_one_place"),
            models.CheckConstraint(condition=Q(mac="") | Q(
                mac__regex=r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$"), name="stockitem_mac_format"),
            models.CheckConstraint(condition=Q(condition__in=["working", "faulty"]),
                                   name="stockitem_condition_known"),
            # these cross into an OLT's CLI: their own characters only
            models.CheckConstraint(condition=Q(gpon_serial="") | Q(
                gpon_serial__regex=r"^[A-Z0-9]{4}[0-9A-F]{8}$"), name="stockitem_gpon_format"),
            models.CheckConstraint(condition=Q(olt_port="") | Q(
                olt_port__regex=r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{1,3}$"),
                name="stockitem_olt_port_format"),
            models.CheckConstraint(condition=Q(purchase_price__gte=0),
                                   name="stockitem_price_not_negative"),
            models.UniqueConstraint(fields=["olt", "olt_port", "ont_id"],
                                    condition=Q(olt__isnull=False, ont_id__isnull=False),
                                    name="stockitem_ont_place_uniq"),
            # one device, one identity: a MAC or a GPON serial is the tenant's once (two
            # concurrent PZs of one MAC: the second is refused by these, not by a check)
            models.UniqueConstraint(fields=["tenant", "mac"], condition=~Q(mac=""),
                                    name="stockitem_mac_uniq"),
            models.UniqueConstraint(fields=["tenant", "gpon_serial"],
                                    condition=~Q(gpon_serial=""), name="stockitem_gpon_uniq"),
        ]
        indexes = [
            # the stock page counts by these alone (an index-only scan)
            models.Index(fields=["tenant", "warehouse", "product", "condition"],
                         name="stockitem_stock_idx", condition=Q(state="in_stock")),
            models.Index(fields=["tenant", "customer"], name="stockitem_customer_idx",
                         condition=Q(customer__isnull=False)),
        ]

    def __str__(self):
        return self.serial


class StockLevel(TenantOwned):
    """How much of a counted product a warehouse holds (never below zero)."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="levels")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="levels")
    quantity = models.DecimalField(_("quantity"), default=0, **QUANTITY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "product"], name="stocklevel_uniq"),
            models.CheckConstraint(condition=Q(quantity__gte=0),
                                   name="stocklevel_not_negative"),
        ]


class StockDocumentLine(TenantOwned):
    """A line of a document: a serial (``item``, quantity 1) or a quantity of a counted
    product. ZW lines say the returned item's state; INW lines the counted and the
    expected quantity (the difference is what was booked)."""

    class ReturnState(models.TextChoices):
        WORKING = "working", _("working")
        FAULTY = "faulty", _("faulty")
        SCRAP = "scrap", _("to scrap")

    document = models.ForeignKey(StockDocument, on_delete=models.PROTECT, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(StockItem, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="lines")
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    unit_price = models.DecimalField(_("unit price (net)"), default=0, **MONEY)
    return_state = models.CharField(_("state"), max_length=10, choices=ReturnState.choices,
                                    blank=True)
    expected = models.DecimalField(_("expected"), null=True, blank=True, **QUANTITY)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0),
                                   name="stockdocline_quantity_not_negative"),
            models.CheckConstraint(condition=Q(item__isnull=True) | Q(quantity=1),
                                   name="stockdocline_serial_one"),
            models.CheckConstraint(condition=Q(unit_price__gte=0),
                                   name="stockdocline_price_not_negative"),
            models.CheckConstraint(condition=Q(return_state__in=["", "working", "faulty",
                                                                 "scrap"]),
                                   name="stockdocline_return_state_known"),
            models.UniqueConstraint(fields=["document", "item"], condition=Q(
                item__isnull=False), name="stockdocline_item_once"),
        ]


class ItemMove(TenantOwned):
    """A serial's history: one row per document that moved it."""

    item = models.ForeignKey(StockItem, on_delete=models.CASCADE, related_name="moves")
    document = models.ForeignKey(StockDocument, on_delete=models.PROTECT, related_name="moves")
    from_warehouse = models.ForeignKey(Warehouse, null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="+")
    to_warehouse = models.ForeignKey(Warehouse, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey("customers.Customer", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    state_after = models.CharField(max_length=10, choices=StockItem.State.choices)
    condition_after = models.CharField(max_length=10, choices=StockItem.Condition.choices)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["item", "at"], name="itemmove_item_idx")]


class Olt(TenantOwned):
    """An OLT of the tenant, reached over SSH (its CLI) and SNMP (status)."""

    class Vendor(models.TextChoices):
        HUAWEI = "huawei", "Huawei (MA5600/MA5800)"
        ZTE = "zte", "ZTE (C300/C320)"
        DASAN = "dasan", "Dasan"

    name = models.CharField(_("name"), max_length=100)
    vendor = models.CharField(_("vendor"), max_length=10, choices=Vendor.choices)
    host = models.CharField(_("address"), max_length=255)
    ssh_port = models.PositiveIntegerField(_("SSH port"), default=22)
    username = models.CharField(_("user"), max_length=100)
    password = EncryptedTextField(_("password"))
    enable_password = EncryptedTextField(_("enable password"), blank=True, default="")
    snmp_port = models.PositiveIntegerField(_("SNMP port"), default=161)
    snmp_community = EncryptedTextField(_("SNMP community"), blank=True, default="")
    # the SSH server's host key as the OLT first showed it (known_hosts line); a changed
    # key is refused
    host_key = models.TextField(_("host key"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("OLT")
        verbose_name_plural = _("OLTs")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="olt_name_uniq"),
            models.CheckConstraint(condition=Q(vendor__in=["huawei", "zte", "dasan"]),
                                   name="olt_vendor_known"),
            models.CheckConstraint(condition=Q(ssh_port__gte=1, ssh_port__lte=65535)
                                   & Q(snmp_port__gte=1, snmp_port__lte=65535),
                                   name="olt_ports_valid"),
        ]

    def __str__(self):
        return self.name


class OntAction(TenantOwned):
    """A command sent to an OLT for an ONT and what the device answered."""

    class Action(models.TextChoices):
        REGISTER = "register", _("register")
        PROFILE = "profile", _("set profile and VLAN")
        RESET = "reset", _("reset")
        STATUS = "status", _("read status")
        REMOVE = "remove", _("remove from the OLT")

    class Outcome(models.TextChoices):
        OK = "ok", _("done")
        FAILED = "failed", _("refused by the device")
        TIMEOUT = "timeout", _("no answer")
        ERROR = "error", _("connection error")

    item = models.ForeignKey(StockItem, on_delete=models.CASCADE, related_name="ont_actions")
    olt = models.ForeignKey(Olt, on_delete=models.PROTECT, related_name="actions")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    commands = models.TextField(_("commands sent"))
    answer = models.TextField(_("device's answer"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    message = models.CharField(_("message"), max_length=500, blank=True)
    # what was read (optical power, status) as the device said it, parsed
    reading = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["item", "-created_at"], name="ontaction_item_idx")]


class OntProfile(TenantOwned):
    """What an ONT of a customer with a given tariff gets on an OLT: the line and service
    profile and the VLAN (``tariff`` empty: the OLT's default for any other tariff)."""

    olt = models.ForeignKey(Olt, on_delete=models.CASCADE, related_name="profiles")
    tariff = models.ForeignKey("finance.Tariff", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+", verbose_name=_("tariff"))
    line_profile = models.CharField(_("line profile"), max_length=64)
    service_profile = models.CharField(_("service profile"), max_length=64)
    vlan = models.PositiveSmallIntegerField(_("VLAN"))

    class Meta:
        verbose_name = _("ONT profile")
        verbose_name_plural = _("ONT profiles")
        constraints = [
            models.UniqueConstraint(fields=["olt", "tariff"], condition=Q(tariff__isnull=False),
                                    name="ontprofile_olt_tariff_uniq"),
            models.UniqueConstraint(fields=["olt"], condition=Q(tariff__isnull=True),
                                    name="ontprofile_olt_default_uniq"),
            models.CheckConstraint(condition=Q(vlan__gte=1, vlan__lte=4094),
                                   name="ontprofile_vlan_valid"),
            # names cross into the OLT's CLI: its own characters only
            models.CheckConstraint(condition=Q(line_profile__regex=r"^[A-Za-z0-9_.-]{1,64}$")
                                   & Q(service_profile__regex=r"^[A-Za-z0-9_.-]{1,64}$"),
                                   name="ontprofile_names_safe"),
        ]
