"""Models of the LMS import (mapping of LMS ids, import runs and their reports)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from core.tenancy import TenantOwned

__all__ = ["ImportRun", "LmsMap"]


class LmsMap(TenantOwned):
    """One imported LMS row: (kind, LMS id) → the Abonent row made from it.

    The mapping is what makes the import repeatable: a second run finds the row it made
    before and updates it instead of adding a duplicate. ``digest`` is a hash of the LMS
    values last written, so an unchanged row costs no UPDATE on the next run.
    """

    # Millions of mappings are written in the import's one transaction: a foreign-key
    # check per row (run at its commit) and an index of the tenant alone (the unique
    # constraint leads with it) would cost minutes and guard nothing the policy does not
    # — row-level security's WITH CHECK stamps every row with the importing tenant.
    tenant = models.ForeignKey("core.Tenant", on_delete=models.PROTECT, related_name="+",
                               editable=False, db_constraint=False, db_index=False)
    kind = models.CharField(_("kind"), max_length=40)
    lms_id = models.BigIntegerField(_("LMS id"))
    abonent_id = models.BigIntegerField(_("Abonent id"))
    digest = models.CharField(max_length=32, blank=True)
    # What LMS has and Abonent's row has no field for yet (an address's TERYT ids).
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "kind", "lms_id"],
                                               name="lmsmap_tenant_kind_lms_id_uniq")]
        # The Abonent id leads: a lookup by LMS id (the unique constraint's) can never
        # be answered by this index's (tenant, kind) prefix — which the planner takes,
        # reading every mapping of the kind per id, when the statistics do not yet know
        # the rows the import's own transaction has written.
        indexes = [models.Index(fields=["abonent_id", "kind", "tenant"],
                                name="lmsmap_abonent_kind_idx")]
        verbose_name = _("LMS mapping")
        verbose_name_plural = _("LMS mappings")


class ImportRun(TenantOwned):
    """One import of an LMS database into the tenant (the command's or the staff page's).

    The LMS password travels only inside ``dsn``, encrypted at rest (``core.crypto``) and
    wiped when the run ends; the page shows ``dsn_host`` and ``dsn_name``. The Celery
    message carries the run's id, never the DSN.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    # A run in one of these blocks another start for the tenant (lmsimport.services).
    ACTIVE = (Status.QUEUED, Status.RUNNING)

    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.RUNNING)
    dry_run = models.BooleanField(_("dry run"), default=False)
    # --since: history before it came as opening balances.
    since = models.DateField(_("history since"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    dsn_host = models.CharField(_("LMS server"), max_length=255, blank=True)
    dsn_name = models.CharField(_("LMS database"), max_length=255, blank=True)
    # The connection string with its password, encrypted; "" once the run has ended.
    dsn = EncryptedTextField(blank=True, default="")
    # {"customers": "done", "tariffs": "pending", ...}: what the progress bar shows.
    progress = models.JSONField(_("progress"), default=dict)
    # lmsimport.report.Report.as_dict(): per stage counts and problem lines.
    report = models.JSONField(_("report"), default=dict)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("LMS import run")
        verbose_name_plural = _("LMS import runs")
        permissions = [("run_import", _("Can import an LMS database"))]
        indexes = [models.Index(fields=["tenant", "status"], name="importrun_status_idx")]

    @property
    def duration(self) -> str:
        """How long the run took, ``H:MM:SS`` ("" while it is not finished)."""
        if self.finished_at is None:
            return ""
        seconds = max(0, int((self.finished_at - self.started_at).total_seconds()))
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
