"""The tenant's TOK topic tree (reason → topic → detail) and the scripts shown per topic."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.tenancy import TenantOwned

MAX_LEVEL = 3


class Topic(TenantOwned):
    """One node of the tree. Level 1 = reason, 2 = topic, 3 = detail.

    A retired topic (``is_active`` off, ``retired_at`` set) is no longer offered to
    operators but stays on every interaction, case and rule that used it: topics are
    never deleted once used (``PROTECT`` from those rows).

    ``path`` is the ids from the root down, "12/57/903/", so a subtree is one prefix
    filter (routing rules and list filters take a topic with everything under it).
    """

    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="children", verbose_name=_("parent topic"))
    level = models.PositiveSmallIntegerField(_("level"), default=1, editable=False)
    path = models.CharField(max_length=60, blank=True, default="", editable=False)
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    suggested_case_type = models.ForeignKey(
        "helpdesk.CaseType", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("suggested case type"))
    routing_rule = models.ForeignKey(
        "helpdesk.RoutingRule", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("routing rule"),
        help_text=_("Applied before the tenant's ordered rules when this topic is chosen."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["path", "position", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=MAX_LEVEL),
                                   name="topic_level_range"),
            models.UniqueConstraint(fields=["tenant", "parent", "name"],
                                    condition=Q(parent__isnull=False),
                                    name="topic_name_uniq"),
            models.UniqueConstraint(fields=["tenant", "name"], condition=Q(parent__isnull=True),
                                    name="topic_root_name_uniq"),
        ]
        indexes = [models.Index(fields=["tenant", "path"], name="topic_path_idx")]
        verbose_name = _("TOK topic")
        verbose_name_plural = _("TOK topics")

    def __str__(self):
        return self.name


class TopicScript(TenantOwned):
    """One version of a topic's script (sanitized HTML). Edits add a version; the
    interaction records the version the operator was shown."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="scripts")
    version = models.PositiveIntegerField(_("version"))
    body = models.TextField(_("script"), max_length=50_000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["topic", "-version"]
        constraints = [models.UniqueConstraint(fields=["topic", "version"],
                                               name="topicscript_version_uniq")]
        verbose_name = _("topic script")
        verbose_name_plural = _("topic scripts")

    def __str__(self):
        return f"{self.topic} v{self.version}"
