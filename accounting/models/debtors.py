"""Models of the debtors part: payment demands ("wezwanie do zapłaty") and the jobs that
issue them for many customers.

A demand is issued at most once per customer and day (``paymentdemand_once_a_day``): the
same selection sent twice, or two jobs racing, issue one demand and one fee. Its PDF is
stored as issued, like a finance document: what the customer got is what staff download.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwned

__all__ = ["DemandJob", "PaymentDemand", "PaymentDemandItem"]

MONEY = {"max_digits": 14, "decimal_places": 2}


class DemandJob(TenantOwned):
    """One "issue payment demands" action: the customers chosen, the threshold they were
    chosen by (checked again per customer when the job reaches them) and the progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    threshold = models.DecimalField(_("minimum debt"), **MONEY, default=0)
    customer_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    issued = models.PositiveIntegerField(_("issued"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment demand job")
        verbose_name_plural = _("payment demand jobs")

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.done * 100 / self.total)


class PaymentDemand(TenantOwned):
    """Wezwanie do zapłaty: the overdue receivables of one customer on ``issue_date``, to
    be paid by ``deadline``; ``fee`` charged by the debit note ``fee_note`` (nota
    obciążeniowa, issued by finance) when the tenant charges one."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT,
                                 related_name="payment_demands")
    number = models.CharField(_("number"), max_length=60)
    issue_date = models.DateField(_("date"))
    deadline = models.DateField(_("deadline"))
    amount = models.DecimalField(_("amount demanded"), **MONEY)
    balance = models.DecimalField(_("balance"), **MONEY)
    fee = models.DecimalField(_("fee"), **MONEY, default=0)
    fee_note = models.OneToOneField("finance.FinanceDocument", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="payment_demand")
    pay_to = models.CharField(_("account for the transfer"), max_length=34, blank=True)
    pdf = models.BinaryField(editable=False)
    job = models.ForeignKey(DemandJob, null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="demands")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-issue_date", "-id"]
        verbose_name = _("payment demand")
        verbose_name_plural = _("payment demands")
        constraints = [
            # The same request twice at once, or two jobs: one demand (and fee) a day.
            models.UniqueConstraint(fields=["tenant", "customer", "issue_date"],
                                    name="paymentdemand_once_a_day"),
            models.UniqueConstraint(fields=["tenant", "number"],
                                    name="paymentdemand_number_uniq"),
            models.CheckConstraint(condition=Q(amount__gt=0) & Q(fee__gte=0),
                                   name="paymentdemand_amounts"),
        ]
        indexes = [models.Index(fields=["tenant", "issue_date"],
                                name="paymentdemand_date")]

    def __str__(self):
        return self.number


class PaymentDemandItem(TenantOwned):
    """One overdue receivable a demand lists, with what was left of it on the day."""

    demand = models.ForeignKey(PaymentDemand, on_delete=models.CASCADE, related_name="items")
    receivable = models.ForeignKey("finance.FinanceDocument", on_delete=models.PROTECT,
                                   related_name="+")
    number = models.CharField(max_length=60)
    due_date = models.DateField()
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["demand", "due_date", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0),
                                              name="paymentdemanditem_positive")]
