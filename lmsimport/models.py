"""Models of the LMS import (mapping of LMS ids, import runs and their reports)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwned

__all__ = ["ImportRun", "LmsMap"]


class LmsMap(TenantOwned):
    """One imported LMS row: (kind, LMS id) → the Abonent row made from it.

    The mapping is what makes the import repeatable: a second run finds the row it made
    before and updates it instead of adding a duplicate. ``digest`` is a hash of the LMS
    values last written, so an unchanged row costs no UPDATE on the next run.
    """

    kind = models.CharField(_("kind"), max_length=40)
    lms_id = models.BigIntegerField(_("LMS id"))
    abonent_id = models.BigIntegerField(_("Abonent id"))
    digest = models.CharField(max_length=32, blank=True)
    # What LMS has and Abonent's row has no field for yet (an address's TERYT ids).
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "kind", "lms_id"],
                                               name="lmsmap_tenant_kind_lms_id_uniq")]
        indexes = [models.Index(fields=["tenant", "kind", "abonent_id"],
                                name="lmsmap_abonent_idx")]
        verbose_name = _("LMS mapping")
        verbose_name_plural = _("LMS mappings")


class ImportRun(TenantOwned):
    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.RUNNING)
    dry_run = models.BooleanField(_("dry run"), default=False)
    # {"customers": "done", "tariffs": "pending", ...}: what the progress bar shows.
    progress = models.JSONField(_("progress"), default=dict)
    # lmsimport.report.Report.as_dict(): per stage counts and problem lines.
    report = models.JSONField(_("report"), default=dict)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("LMS import run")
        verbose_name_plural = _("LMS import runs")
