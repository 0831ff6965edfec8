"""Call recordings in /api/v1/.

* ``GET /api/v1/voip/recordings/?unique_id=…&recorded_from=YYYY-MM-DD&recorded_to=…``:
  the tenant's recordings, newest first (dates inclusive, in the tenant's time zone);
  ``call`` is the rated call of its channel (the answered one of the channel's calls:
  the most seconds, then the latest), linked or not yet.
* ``GET …/{id}/``: one recording. Its file's place is never given.
* ``GET …/{id}/link/``: a fresh signed link for the caller, valid
  ``voip.recording_link_minutes``: ``url`` plays it in a staff session (the card's
  player), ``api_url`` downloads it with the API's token; both are refused to anyone else.
* ``GET …/{id}/file/?s=…``: the file through such a link (HTTP ``Range`` honoured);
  each access is written to the action log.
"""

import datetime

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import TenantViewSet

from .. import recordings, selectors_calls
from ..models import Recording


class RecordingSerializer(serializers.ModelSerializer):
    call = serializers.IntegerField(
        source="linked_call_id", allow_null=True, read_only=True,
        help_text="The rated call of its channel (the answered one), if any.")

    class Meta:
        model = Recording
        fields = ["id", "unique_id", "call", "content_type", "size", "recorded_at",
                  "created_at"]
        read_only_fields = fields


class RecordingFilterSerializer(serializers.Serializer):
    unique_id = serializers.CharField(required=False, allow_blank=True, max_length=150)
    recorded_from = serializers.DateField(required=False)
    recorded_to = serializers.DateField(required=False)

    def validate(self, data):
        if data.get("recorded_from") and data.get("recorded_to") and \
                data["recorded_from"] > data["recorded_to"]:
            raise serializers.ValidationError(
                {"recorded_to": "The end of the range is before its start."})
        return data


class RecordingLinkSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Plays the recording in the caller's staff session.")
    api_url = serializers.CharField(help_text="Downloads it with the caller's API token.")
    expires_at = serializers.DateTimeField()


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("unique_id", OpenApiTypes.STR, description="the call's unique id"),
    OpenApiParameter("recorded_from", OpenApiTypes.DATE, description="recorded on or after"),
    OpenApiParameter("recorded_to", OpenApiTypes.DATE, description="recorded on or before"),
]))
class RecordingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Call recordings, newest first."""

    model = Recording
    serializer_class = RecordingSerializer

    def scoped_queryset(self):
        if self.action != "list":
            return recordings.with_call(Recording.objects.select_related(
                "call__customer", "call__phone__customer"))
        wanted = RecordingFilterSerializer(data=self.request.query_params)
        wanted.is_valid(raise_exception=True)
        data = wanted.validated_data
        return selectors_calls.recording_list(
            unique_id=data.get("unique_id", ""),
            recorded_from=_day_start(data["recorded_from"]) if data.get("recorded_from")
            else None,
            recorded_to=_day_start(data["recorded_to"] + datetime.timedelta(days=1))
            if data.get("recorded_to") else None)

    @extend_schema(responses=RecordingLinkSerializer)
    @action(detail=True, methods=["get"])
    def link(self, request, pk=None):
        """A fresh signed link to the recording for the caller only."""
        recording = self.get_object()
        signature = recordings.recording_signature(recording=recording, user=request.user)
        query = "?" + urlencode({"s": signature})
        api_url = reverse("api:voip-recording-file", kwargs={"pk": recording.pk}) + query
        expires = timezone.now() + datetime.timedelta(minutes=recordings.link_minutes())
        return Response(RecordingLinkSerializer({
            "url": request.build_absolute_uri(
                recordings.recording_link(recording=recording, user=request.user)),
            "api_url": request.build_absolute_uri(api_url),
            "expires_at": expires}).data)

    @extend_schema(
        parameters=[OpenApiParameter("s", OpenApiTypes.STR, required=True,
                                     description="the signature of a link (``link``)")],
        responses={(200, "audio/*"): OpenApiTypes.BINARY,
                   (206, "audio/*"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def file(self, request, pk=None):
        """The recording's file through a link of the caller's; written to the action log."""
        recording = self.get_object()
        try:
            real = recordings.recording_access(recording=recording, user=request.user,
                                               signature=request.query_params.get("s", ""))
        except recordings.LinkRefused as refused:
            raise exceptions.PermissionDenied(str(refused)) from None
        except ValidationError:
            raise exceptions.NotFound("The recording's file is not kept any more.") from None
        return recordings.recording_file_response(request, recording=recording, real=real)


def register(router) -> None:
    router.register("voip/recordings", RecordingViewSet, basename="voip-recording")
