"""RADIUS: NAS devices, IP pools, logins ("komputery") and what FreeRADIUS reports back.

A *login* ("komputer" on the customer card) is one device of a customer that the network
authenticates: a PPPoE user name and password, or a DHCP client known by its MAC.
FreeRADIUS asks Abonent about it through the rlm_rest endpoints in ``radius/views``.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwned
from core.validation import NOTE_MAX_LENGTH

from .crypto import EncryptedTextField


class NasKind(models.TextChoices):
    MIKROTIK = "mikrotik", "MikroTik"
    CISCO = "cisco", "Cisco"
    JUNIPER = "juniper", "Juniper"
    ACCEL_PPP = "accel-ppp", "accel-ppp"
    GENERIC = "generic", _("generic")


class Nas(TenantOwned):
    """A network access server (BRAS, router) that sends RADIUS requests and takes CoA."""

    name = models.CharField(_("name"), max_length=100)
    ip = models.GenericIPAddressField(_("IP address"))
    secret = EncryptedTextField(_("shared secret"))
    kind = models.CharField(_("type"), max_length=20, choices=NasKind.choices,
                            default=NasKind.GENERIC)
    coa_port = models.PositiveIntegerField(_("CoA port"), default=3799)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="nas_name_uniq"),
            models.UniqueConstraint(fields=["tenant", "ip"], name="nas_ip_uniq"),
            models.CheckConstraint(condition=Q(coa_port__gte=1, coa_port__lte=65535),
                                   name="nas_coa_port_valid"),
        ]
        verbose_name = _("NAS")
        verbose_name_plural = _("NAS devices")

    def __str__(self):
        return f"{self.name} ({self.ip})"


class IpPool(TenantOwned):
    """IPv4 addresses handed to logins: ``range_start``–``range_end`` inside ``network``."""

    name = models.CharField(_("name"), max_length=100)
    network = models.CharField(_("network"), max_length=18, help_text="100.64.0.0/24")
    range_start = models.GenericIPAddressField(_("first address"), protocol="IPv4")
    range_end = models.GenericIPAddressField(_("last address"), protocol="IPv4")
    gateway = models.GenericIPAddressField(_("gateway"), protocol="IPv4", null=True,
                                           blank=True)
    ipv6_prefix = models.CharField(_("IPv6 delegated prefixes"), max_length=43, blank=True,
                                   help_text="2001:db8:100::/40")
    ipv6_prefix_length = models.PositiveSmallIntegerField(
        _("length of a delegated prefix"), null=True, blank=True, help_text="56")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "name"],
                                               name="ippool_name_uniq")]
        verbose_name = _("IP pool")
        verbose_name_plural = _("IP pools")

    def __str__(self):
        return f"{self.name} ({self.network})"


class Login(TenantOwned):
    """A customer's "komputer": what the NAS authenticates.

    ``radius_snapshot`` is derived, never edited: the reply attributes computed by
    ``radius.attributes.login_snapshot`` from this row and its ``LoginAttribute`` rows,
    stored by the same service transaction that changes them, so that FreeRADIUS's
    authorize is one lookup by the (tenant, login) index.
    """

    class AuthType(models.TextChoices):
        PPPOE = "pppoe", _("PPPoE (login and password)")
        DHCP = "dhcp", _("DHCP (MAC address)")

    class Block(models.TextChoices):
        NONE = "", _("not blocked")
        STAFF = "staff", _("blocked by staff")
        DEBT = "debt", _("blocked for debt")

    class ReloadStatus(models.TextChoices):
        QUEUED = "queued", _("queued")
        ACK = "ack", _("applied by the NAS")
        NAK = "nak", _("refused by the NAS")
        TIMEOUT = "timeout", _("the NAS did not answer")
        NO_SESSION = "no_session", _("no active session")

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE,
                                 related_name="radius_logins", verbose_name=_("customer"))
    auth_type = models.CharField(_("authorization type"), max_length=10,
                                 choices=AuthType.choices, default=AuthType.PPPOE)
    login = models.CharField(_("login"), max_length=64)
    password = EncryptedTextField(_("password"))
    mac = models.CharField(_("MAC address"), max_length=17, blank=True)
    pool = models.ForeignKey(IpPool, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="logins", verbose_name=_("IP pool"))
    ip = models.GenericIPAddressField(_("IP address"), protocol="IPv4", null=True,
                                      blank=True)
    ip_reserved = models.BooleanField(_("IP reserved"), default=False)
    installation_address = models.ForeignKey(
        "customers.Address", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("installation address"))
    # The customer's subscription (and so the tariff, whose speeds the NAS enforces).
    subscription = models.ForeignKey(
        "finance.Subscription", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="radius_logins", verbose_name=_("tariff"))
    # A blocked login gets the tenant's block profile instead of full service.
    block = models.CharField(_("block"), max_length=10, choices=Block.choices, blank=True,
                             default=Block.NONE)
    block_reason = models.CharField(_("reason for the block"), max_length=200, blank=True)
    # "Prędkość tymczasowa": overrides the tariff's speeds until ``temp_speed_until``.
    temp_download_kbps = models.PositiveIntegerField(_("temporary download (kbit/s)"),
                                                     null=True, blank=True)
    temp_upload_kbps = models.PositiveIntegerField(_("temporary upload (kbit/s)"),
                                                   null=True, blank=True)
    temp_speed_until = models.DateTimeField(_("temporary speed until"), null=True,
                                            blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=NOTE_MAX_LENGTH)
    enabled = models.BooleanField(_("enabled"), default=True)
    disabled_reason = models.CharField(_("reason for disabling"), max_length=200, blank=True)
    nases = models.ManyToManyField(Nas, blank=True, related_name="logins",
                                   verbose_name=_("allowed NAS devices"))
    radius_snapshot = models.JSONField(default=dict, editable=False)
    # The last forced reload (CoA / Disconnect) and what came of it.
    reload_status = models.CharField(_("last reload"), max_length=12, blank=True,
                                     choices=ReloadStatus.choices)
    reload_at = models.DateTimeField(_("last reload time"), null=True, blank=True)
    reload_detail = models.CharField(_("last reload details"), max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["login"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "login"], name="login_login_uniq"),
            # No address is ever given twice within a tenant, whichever pool it came from.
            models.UniqueConstraint(fields=["tenant", "ip"], name="login_ip_uniq"),
            models.UniqueConstraint(fields=["tenant", "mac"], condition=~Q(mac=""),
                                    name="login_mac_uniq"),
            models.CheckConstraint(condition=~Q(auth_type="dhcp") | ~Q(mac=""),
                                   name="login_dhcp_has_mac"),
            models.CheckConstraint(condition=Q(block__in=["", "staff", "debt"]),
                                   name="login_block_known"),
            # A temporary speed has both speeds and an end, or nothing at all.
            models.CheckConstraint(
                condition=Q(temp_speed_until__isnull=True, temp_download_kbps__isnull=True,
                            temp_upload_kbps__isnull=True)
                | Q(temp_speed_until__isnull=False, temp_download_kbps__gt=0,
                    temp_upload_kbps__gt=0),
                name="login_temp_speed_complete"),
        ]
        indexes = [
            models.Index(fields=["temp_speed_until"], condition=Q(temp_speed_until__isnull=False),
                         name="login_temp_speed_until"),
        ]
        verbose_name = _("login")
        verbose_name_plural = _("logins")

    def __str__(self):
        return self.login


def login_photo_path(photo, filename):
    return f"radius/{photo.tenant_id}/{photo.login_id}/{secrets.token_hex(8)}-{filename}"


class LoginPhoto(TenantOwned):
    """A photo of the installation (jpg/png, checked by content, not by name)."""

    login = models.ForeignKey("Login", on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("photo"), upload_to=login_photo_path, max_length=300)
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")


class LoginAttribute(TenantOwned):
    """An extra RADIUS attribute the login's Access-Accept carries."""

    class Op(models.TextChoices):
        SET = ":=", ":="
        ADD = "+=", "+="
        EQ = "=", "="

    login = models.ForeignKey(Login, on_delete=models.CASCADE, related_name="attributes")
    attribute = models.CharField(_("attribute"), max_length=64)
    op = models.CharField(_("operator"), max_length=2, choices=Op.choices, default=Op.SET)
    value = models.CharField(_("value"), max_length=253)

    class Meta:
        ordering = ["id"]
        verbose_name = _("RADIUS attribute")
        verbose_name_plural = _("RADIUS attributes")

    def __str__(self):
        return f"{self.attribute} {self.op} {self.value}"


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class RadiusKey(TenantOwned):
    """The key FreeRADIUS presents (``X-Abonent-Key``) to the rlm_rest endpoints.

    It names the tenant whose logins the requests are about; only its hash is stored.
    """

    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A key replaced by rotation keeps working until then (the grace period), so the
    # FreeRADIUS servers can be given the new one without a moment of rejects.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "-created_at"]
        verbose_name = _("FreeRADIUS key")
        verbose_name_plural = _("FreeRADIUS keys")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def new_key() -> str:
        # The prefix names the key on the command line (``radius_keys … revoke <prefix>``):
        # one starting with "-" would be read as an option.
        while True:
            key = secrets.token_urlsafe(32)
            if key[0] not in "-_":
                return key

    @staticmethod
    def hash_key(key: str) -> str:
        return _key_hash(key)


class AuthEvent(TenantOwned):
    """One answer FreeRADIUS gave (post-auth): accepted or rejected, and why.

    Written for nearly every Access-Request and read only per login, so the table keeps
    one index, (login, at), and no foreign-key checks in the database: each insert would
    otherwise lock the tenant's and the login's rows. Django still deletes a login's
    events with the login (CASCADE); the tenant is stamped by the writer.
    """

    class Result(models.TextChoices):
        ACCEPT = "accept", _("accepted")
        REJECT = "reject", _("rejected")

    class Reason(models.TextChoices):
        """Why a request was rejected: a stable code, shown in the viewer's language;
        ``reason`` keeps the details (the staff's text, FreeRADIUS's message)."""

        NONE = "", ""
        UNKNOWN_LOGIN = "unknown_login", _("unknown login")
        DISABLED = "disabled", _("login disabled")
        NAS_NOT_ALLOWED = "nas_not_allowed", _("NAS not allowed for this login")
        WRONG_PASSWORD = "wrong_password", _("wrong password")
        NO_PASSWORD = "no_password", _("no password for a login that needs one")
        DHCP_WITH_PASSWORD = "dhcp_password", _("a DHCP login asked for with a password")
        FREERADIUS = "freeradius", _("rejected by FreeRADIUS")

    tenant = models.ForeignKey("core.Tenant", on_delete=models.PROTECT, related_name="+",
                               editable=False, db_constraint=False, db_index=False)
    at = models.DateTimeField(_("time"), auto_now_add=True)
    login = models.ForeignKey(Login, null=True, blank=True, on_delete=models.CASCADE,
                              related_name="auth_events", db_constraint=False,
                              db_index=False)
    username = models.CharField(_("user name"), max_length=253)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    reason_code = models.CharField(_("reason"), max_length=20, blank=True,
                                   choices=Reason.choices)
    reason = models.CharField(_("details"), max_length=253, blank=True)
    nas_ip = models.GenericIPAddressField(_("NAS IP address"), null=True, blank=True)
    calling_station_id = models.CharField(_("calling station"), max_length=64, blank=True)

    @property
    def reason_text(self) -> str:
        """The reason in the viewer's language, with its details."""
        label = self.get_reason_code_display() if self.reason_code else ""
        if label and self.reason and self.reason != label:
            return f"{label}: {self.reason}"
        return label or self.reason

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["login", "-at"], name="authevent_login_at")]
        verbose_name = _("authorization event")
        verbose_name_plural = _("authorization events")


class RadiusSession(TenantOwned):
    """One accounting session (Start … Stop) of a login on a NAS.

    Counters are totals since the start: octets + gigawords × 2^32. "Input" is what the
    NAS received from the subscriber (upload), "output" what it sent (download).
    """

    login = models.ForeignKey(Login, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="sessions")
    nas = models.ForeignKey(Nas, null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="sessions")
    nas_ip = models.GenericIPAddressField(_("NAS IP address"))
    username = models.CharField(_("user name"), max_length=253)
    unique_id = models.CharField(max_length=64)
    acct_session_id = models.CharField(_("session ID"), max_length=64)
    framed_ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    calling_station_id = models.CharField(_("calling station"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("started"))
    updated_at = models.DateTimeField(_("last update"))
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    session_time = models.PositiveIntegerField(_("duration (s)"), default=0)
    input_bytes = models.BigIntegerField(_("uploaded bytes"), default=0)
    output_bytes = models.BigIntegerField(_("downloaded bytes"), default=0)
    terminate_cause = models.CharField(_("terminate cause"), max_length=40, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["tenant", "unique_id"],
                                               name="session_unique_id_uniq")]
        indexes = [
            models.Index(fields=["login", "-started_at"], name="session_login_started"),
            models.Index(fields=["tenant", "nas_ip"], condition=Q(stopped_at__isnull=True),
                         name="session_open_by_nas"),
        ]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self):
        return f"{self.username} @ {self.nas_ip} ({self.acct_session_id})"


class SessionSample(models.Model):
    """One interim: bytes moved since the previous report, for the speed charts.

    Speed = Δbytes × 8 / Δseconds. A sample whose counters went backwards is not kept.
    Not ``TenantOwned``: it is reached only through its session; ``login_id`` is copied
    so the charts read one index range per login without a join. Written by the interim
    statement with its session locked, so the database does not check the session again
    (a foreign-key check per interim); Django deletes a session's samples with it.
    """

    id = models.BigAutoField(primary_key=True)
    session = models.ForeignKey(RadiusSession, on_delete=models.CASCADE, related_name="samples",
                                db_constraint=False)
    login_id = models.BigIntegerField(null=True)
    at = models.DateTimeField()
    seconds = models.PositiveIntegerField()
    input_bytes = models.BigIntegerField()
    output_bytes = models.BigIntegerField()

    class Meta:
        ordering = ["at"]
        indexes = [models.Index(fields=["login_id", "at"], name="sample_login_at")]

    def __str__(self):
        return f"{self.at}: +{self.input_bytes}/+{self.output_bytes} B in {self.seconds} s"


class LoginReload(TenantOwned):
    """One forced reload of one session: a CoA- or Disconnect-Request to its NAS, sent
    after commit by a worker (``radius.reloads``), tried again while the NAS does not
    answer (``RADIUS_COA_RETRY_DELAYS``), and what came of it.

    The staff request that caused it only writes this row: it never waits on a NAS.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        ACK = "ack", _("applied by the NAS")
        NAK = "nak", _("refused by the NAS")
        TIMEOUT = "timeout", _("the NAS did not answer")
        GONE = "gone", _("session ended")

    login = models.ForeignKey(Login, on_delete=models.CASCADE, related_name="reloads")
    session = models.ForeignKey(RadiusSession, null=True, on_delete=models.SET_NULL,
                                related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    disconnect = models.BooleanField(default=False)
    periodic = models.BooleanField(default=False)
    # The snapshot before the change that queued this reload (``attributes.reply_removes``).
    previous = models.JSONField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    tries = models.PositiveSmallIntegerField(_("tries"), default=0)
    next_try_at = models.DateTimeField(null=True, blank=True)
    detail = models.CharField(_("details"), max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["login", "-created_at"], name="reload_login_created"),
            models.Index(fields=["next_try_at"], condition=Q(status="queued"),
                         name="reload_queued_next_try"),
        ]
        verbose_name = _("reload")
        verbose_name_plural = _("reloads")
