"""LMS import API.

* ``POST /api/v1/lms-imports/`` ``{"host", "port", "database", "user", "password",
  "dry_run", "since"}`` checks the LMS database and queues its import: 202 with the run
  (status "queued"); a database that cannot be reached or is no LMS, or a run of the
  tenant already queued or running, is a 400 and nothing is queued.
* ``GET /api/v1/lms-imports/``: the runs, newest first (without their reports);
  ``GET …/{id}/``: one run with its live progress per stage and, once it ended, its
  report (counts, problem lines, reconciliation).
"""

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status

from core.api import TenantViewSet

from . import selectors, services
from .models import ImportRun
from .progress import available_stages, stage_rows


@extend_schema_field({"type": "string", "description": "queued, running, done or failed"})
class RunStatusField(serializers.CharField):
    """The run's status as a described string: an enum named "status" would clash with
    the API's other "status" enums (drf-spectacular warns, test_openapi refuses)."""


class ImportRunSerializer(serializers.ModelSerializer):
    status = RunStatusField(read_only=True)
    duration = serializers.CharField(read_only=True, help_text="H:MM:SS once ended")

    class Meta:
        model = ImportRun
        fields = ["id", "status", "dry_run", "since", "started_at", "finished_at", "duration",
                  "dsn_host", "dsn_name", "created_by", "error"]
        read_only_fields = fields


class StageProgressSerializer(serializers.Serializer):
    name = serializers.CharField()
    state = serializers.ChoiceField(choices=["waiting", "running", "done", "failed",
                                             "notrun", "absent"])
    done = serializers.IntegerField()
    total = serializers.IntegerField(allow_null=True)
    percent = serializers.IntegerField(allow_null=True)


class ImportRunDetailSerializer(ImportRunSerializer):
    stages = serializers.SerializerMethodField()
    report = serializers.JSONField(read_only=True)

    class Meta(ImportRunSerializer.Meta):
        fields = [*ImportRunSerializer.Meta.fields, "stages", "report"]
        read_only_fields = fields

    @extend_schema_field(StageProgressSerializer(many=True))
    def get_stages(self, run) -> list[dict]:
        return StageProgressSerializer(stage_rows(run, available_stages()), many=True).data


class ImportStartSerializer(serializers.Serializer):
    host = serializers.CharField(max_length=255)
    port = serializers.IntegerField(min_value=1, max_value=65535, default=5432)
    database = serializers.CharField(max_length=255)
    user = serializers.CharField(max_length=255)
    password = serializers.CharField(required=False, allow_blank=True, default="",
                                     trim_whitespace=False, write_only=True)
    dry_run = serializers.BooleanField(default=False)
    since = serializers.DateField(required=False, allow_null=True, default=None)


@extend_schema_view(
    create=extend_schema(request=ImportStartSerializer,
                         responses={202: ImportRunDetailSerializer}),
    retrieve=extend_schema(responses=ImportRunDetailSerializer),
)
class ImportRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Imports of an LMS database into the tenant, newest first."""

    model = ImportRun
    serializer_class = ImportRunSerializer
    action_permissions = {"create": ["lmsimport.run_import"]}

    def scoped_queryset(self):
        return selectors.import_run_list()

    def get_serializer_class(self):
        if self.action in ("retrieve", "create"):
            return ImportRunDetailSerializer
        return ImportRunSerializer

    def create(self, request):
        run = services.import_run_start(actor=request.user,
                                        **self.parsed(ImportStartSerializer))
        return self.respond(selectors.import_run_get(pk=run.pk),
                            status_code=status.HTTP_202_ACCEPTED)


def register(router) -> None:
    """Add this app's viewset to the router (config/api_urls.py)."""
    router.register("lms-imports", ImportRunViewSet, basename="lms-import")

