"""Call recordings ("nagrania rozmów"): registered when the exchange leaves a file, linked
to their call by its unique id, played through a signed, expiring link (each playing in
the action log), removed after the tenant's retention period.

Where the files lie. Every path is relative to ``settings.VOIP_RECORDINGS_ROOT``; a
tenant's files lie in its own directory, named as its Asterisk endpoints' ``tenantid``
(``abonent-<tenant id>``, ``asterisk.tenant_tag``), by the day the call started::

    abonent-<tenant id>/<YYYY>/<MM>/<DD>/<uniqueid>.<wav|mp3|ogg|opus>

which the dialplan writes as, e.g.::

    MixMonitor(${RECORDINGS}/${CUT(CDR(accountcode),-,1-2)}/${STRFTIME(,,%Y/%m/%d)}/${UNIQUEID}.wav)

(the account code is ``abonent-<tenant>-<phone>``). ``recordings_scan`` registers the
files of that shape it finds; a file outside the tenant's directory — by its name or,
through a symbolic link, by where it really lies — is never registered nor served.

A recording belongs to its channel's call. The file is named by the channel's
${UNIQUEID}; the rating keys a call by it bare, or — one channel writing several CDRs (a
failed Dial, then the answered one) — as ``<uniqueid>~<sequence>`` or
``<uniqueid>~t<start>s<seconds>`` (``voip.cdr``). The database keeps each call's
``channel``, its key up to the first ``~``, indexed with the tenant: the channel's calls
are those whose channel is the unique id (``_channel_calls``); of several, the
recording is the answered one's: the most seconds, then the latest start, then the
highest id.

A recording may arrive before its CDR is rated: it is linked when the call is rated
(``recordings_link``, which the rating calls with the keys it stored), and every read
resolves a recording by its channel's calls, so an unlinked one is not lost.
"""

import datetime
import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.actionlog import N_, action_log
from core.sql import column_any
from core.tenancy import current_tenant
from core.tenant_settings import setting_get

from .asterisk import tenant_tag
from .models import Call, Recording

# The audio types a recording may have: served under the platform's origin with the type
# of its record, so nothing a browser would run (text/html, image/svg+xml) ever.
CONTENT_TYPES = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
}
ALLOWED_TYPES = frozenset(CONTENT_TYPES.values()) | {"audio/x-wav", "audio/wave"}
# What Recording.path allows (its database constraint): relative, no way out.
_PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./-]*$")
_UNIQUE_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
# A file the exchange wrote, relative to the tenant's directory.
_SCANNED = re.compile(r"^(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
                      r"(?P<uid>[A-Za-z0-9_][A-Za-z0-9_.-]*)\.(?i:wav|mp3|ogg|opus)$")
SIGNING_SALT = "voip.recording.link"
# The reasons of the rating (voip.rating.Rated.reason) in words.
REASON_LABELS = {
    "priced": gettext_lazy("priced"),
    "free_number": gettext_lazy("free number"),
    "free_minutes": gettext_lazy("free minutes"),
    "unanswered": gettext_lazy("unanswered"),
    "no_rule": gettext_lazy("no price rule"),
    "emergency": gettext_lazy("emergency number"),
    "internal": gettext_lazy("short or internal number"),
}


def recordings_root() -> Path:
    return Path(settings.VOIP_RECORDINGS_ROOT)


def tenant_directory(tenant) -> str:
    """The tenant's directory under the root (``abonent-<id>``)."""
    return tenant_tag(tenant.pk)


def _real_file(path: str, tenant) -> Path:
    """The real location of ``path`` (relative to the root), symbolic links followed;
    ValidationError unless it lies in the tenant's directory and is a file."""
    if not path or not _PATH.match(path) or ".." in path:
        raise ValidationError({"path": _("A recording's file is named relative to the "
                                         "recordings' directory, with letters, digits, "
                                         "“_”, “.”, “-” and “/” only, never “..”.")})
    directory = tenant_directory(tenant)
    if not path.startswith(directory + "/"):
        raise ValidationError({"path": _("A recording of this company lies under "
                                         "“%(dir)s/”.") % {"dir": directory}})
    root = recordings_root().resolve()
    real = (root / path).resolve()
    own = (root / directory).resolve()
    if not (real.is_relative_to(root) and real.is_relative_to(own)):
        raise ValidationError({"path": _("The file lies outside the company's recordings "
                                         "directory.")})
    if not real.is_file():
        raise ValidationError({"path": _("There is no such file.")})
    return real


def _content_type(path: str, given: str | None) -> str:
    if given:
        if given not in ALLOWED_TYPES:
            raise ValidationError({"content_type": _("Not an audio type a browser plays: "
                                                     "%(types)s.") % {
                "types": ", ".join(sorted(ALLOWED_TYPES))}})
        return given
    extension = posixpath.splitext(path)[1].lstrip(".").lower()
    if extension not in CONTENT_TYPES:
        raise ValidationError({"path": _("A recording is a .wav, .mp3, .ogg or .opus "
                                         "file.")})
    return CONTENT_TYPES[extension]


def recording_register(*, unique_id: str, path: str, recorded_at: datetime.datetime,
                       size: int | None = None, content_type: str | None = None) -> Recording:
    """Register the file the exchange left at ``path`` (relative to the recordings' root)
    for the call ``unique_id`` of the active tenant, linked to that call if it is rated
    (else when it is). A path outside the tenant's directory (symbolic links followed), a
    missing file or a path registered before is refused with a ValidationError."""
    tenant = current_tenant()
    unique_id = (unique_id or "").strip()
    if not unique_id or len(unique_id) > 150:
        raise ValidationError({"unique_id": _("A call id of 1 to 150 characters.")})
    path = posixpath.normpath(path or "") if path else ""
    real = _real_file(path, tenant)
    content_type = _content_type(path, content_type)
    if timezone.is_naive(recorded_at):
        recorded_at = timezone.make_aware(recorded_at)
    call_id = _channel_calls(unique_id).values_list("pk", flat=True).first()
    try:
        with transaction.atomic():
            return Recording.objects.create(
                unique_id=unique_id, call_id=call_id, path=path, content_type=content_type,
                size=real.stat().st_size if size is None else size, recorded_at=recorded_at)
    except IntegrityError as error:
        if "recording_path_uniq" in str(error):
            raise ValidationError({"path": _("This file is registered already.")}) from None
        raise


# A channel's call a recording belongs to, of several: the answered one (a failed Dial
# has 0 s), then the latest, then the last stored — the same everywhere.
ANSWERED_FIRST = ("-seconds", "-started_at", "-pk")


def _channel_calls(unique_id):
    """The active tenant's calls of the channel ``unique_id`` (a string, or an expression
    such as ``OuterRef("unique_id")``), the one a recording belongs to first: those whose
    ``Call.channel`` — the key up to its first ``~`` — is the unique id. Equality on the
    (tenant, channel) index: never a longer unique id ("1733.4" is not "1733.42~7"), nor
    one that only looks alike to LIKE ("%", "_")."""
    return Call.objects.filter(channel=unique_id).order_by(*ANSWERED_FIRST)


def recordings_link(*, unique_ids) -> int:
    """Give the active tenant's recordings of the channels of the keys ``unique_ids`` just
    rated (``uniqueid``, ``uniqueid~sequence`` …) their channel's answered call
    (``ANSWERED_FIRST``, of all the channel's calls): those waiting for their call, and
    those linked to another call of the channel before the answered one was rated (a
    failed Dial in an earlier batch, import or file); returns how many. One probe when
    the tenant has no recording, else one UPDATE: the recordings of those channels (their
    unique-id index) whose call is not the answered one, each given it by the channel
    index."""
    from .cdr import _bare  # voip.cdr imports this module

    channels = sorted({_bare(key) for key in unique_ids})
    if not channels:
        return 0
    if not Recording.objects.exists():  # the usual case: the import pays one probe
        return 0
    calls = _channel_calls(OuterRef("unique_id"))
    answered = Subquery(calls.values("pk")[:1])
    return (Recording.objects
            .filter(column_any(Recording, "unique_id", channels), Exists(calls))
            .filter(Q(call__isnull=True) | ~Q(call_id=answered))
            .update(call=answered))


def with_call(queryset):
    """``queryset`` of recordings annotated with ``linked_call_id``: the linked call, else
    the tenant's call of the recording's channel (rated after the recording came; the
    answered one of several)."""
    return queryset.annotate(linked_call_id=Coalesce(
        "call_id", Subquery(_channel_calls(OuterRef("unique_id")).values("pk")[:1])))


def recordings_of_calls(*, calls) -> dict[int, list[Recording]]:
    """call id → the recordings shown with it, oldest first, of ``calls`` (a page of the
    call history, loaded from the database): linked to it, or waiting and of its channel
    and it the channel's answered call (``with_call``) — a failed Dial's row shows none.
    One query; none for no calls."""
    calls = list(calls)
    found: dict[int, list[Recording]] = {}
    if not calls:
        return found
    wanted = {call.pk for call in calls}
    for recording in with_call(Recording.objects.filter(
            unique_id__in=sorted({call.channel for call in calls}))).order_by(
            "recorded_at", "pk"):
        if recording.linked_call_id in wanted:
            found.setdefault(recording.linked_call_id, []).append(recording)
    return found


# --------------------------------------------------------------------------- the scan

@dataclass
class ScanResult:
    registered: list[str] = field(default_factory=list)
    known: int = 0
    waiting: int = 0  # written too recently: perhaps still being recorded
    refused: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


def recordings_scan(*, min_age_seconds: int = 60, now: datetime.datetime | None = None,
                    batch: int = 1000) -> ScanResult:
    """Register the active tenant's files under its directory that are not registered
    yet (idempotent: a second scan registers nothing). A file modified less than
    ``min_age_seconds`` ago is left for the next scan (the call may still be recorded)."""
    tenant = current_tenant()
    result = ScanResult()
    directory = recordings_root() / tenant_directory(tenant)
    if not directory.is_dir():
        return result
    newest = (now or timezone.now()).timestamp() - min_age_seconds
    found = []
    for parent, dirs, files in os.walk(directory, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            relative = Path(parent, name).relative_to(directory).as_posix()
            path = f"{tenant_directory(tenant)}/{relative}"
            match = _SCANNED.match(relative)
            if match is None:
                result.refused.append((path, _("not named as a recording")))
            else:
                found.append((path, match))
    for start in range(0, len(found), batch):
        chunk = found[start:start + batch]
        known = set(Recording.objects.filter(path__in=[p for p, _m in chunk])
                    .values_list("path", flat=True))
        for path, match in chunk:
            if path in known:
                result.known += 1
                continue
            try:
                modified = _real_file(path, tenant).stat().st_mtime
                if modified > newest:
                    result.waiting += 1
                    continue
                recording_register(
                    unique_id=match["uid"], path=path,
                    recorded_at=datetime.datetime.fromtimestamp(modified, tz=datetime.UTC))
            except ValidationError as error:
                result.refused.append((path, " ".join(error.messages)))
            else:
                result.registered.append(path)
    return result


# --------------------------------------------------------------------------- links

def _payload(tenant_id: int, recording_id: int, user_id: int) -> str:
    return f"{tenant_id}:{recording_id}:{user_id}"


def recording_signature(*, recording: Recording, user) -> str:
    """The signed, timestamped ``tenant:recording:user`` of a link (no query)."""
    return signing.TimestampSigner(salt=SIGNING_SALT).sign(
        _payload(recording.tenant_id, recording.pk, user.pk))


def recording_link(*, recording: Recording, user) -> str:
    """A link that plays ``recording`` for ``user`` only, for
    ``voip.recording_link_minutes`` from now."""
    return (reverse("voip:recording_play", kwargs={"recording_id": recording.pk}) + "?"
            + urlencode({"s": recording_signature(recording=recording, user=user)}))


def link_minutes() -> int:
    return int(setting_get("voip.recording_link_minutes"))


class LinkRefused(PermissionDenied):
    """The link is expired, altered, or another user's; ``expired`` says which."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.expired = expired


def recording_access(*, recording: Recording, user, signature: str) -> Path:
    """Check the link's ``signature`` for ``recording`` and ``user`` in the active tenant
    and write the playing to the action log; returns the file. LinkRefused for a link
    expired, altered or made for another user or tenant; ValidationError when the file is
    no longer there (removed after the retention period)."""
    tenant = current_tenant()
    try:
        value = signing.TimestampSigner(salt=SIGNING_SALT).unsign(
            signature or "", max_age=datetime.timedelta(minutes=link_minutes()))
    except signing.SignatureExpired:
        raise LinkRefused(_("This link to the recording has expired: open the call "
                            "history again for a fresh one."), expired=True) from None
    except signing.BadSignature:
        raise LinkRefused(_("This link to the recording is not valid.")) from None
    if value != _payload(tenant.pk, recording.pk, user.pk):
        raise LinkRefused(_("This link to the recording was made for someone else: open "
                            "the call history yourself."))
    real = _real_file(recording.path, tenant)
    call = recording.call or (_channel_calls(recording.unique_id)
                              .select_related("customer", "phone__customer").first())
    customer = None
    if call is not None:
        customer = call.customer or (call.phone.customer if call.phone else None)
    action_log(actor=user, kind="recording.play",
               message=N_("Recording of the call %(call)s played (%(caller)s → %(destination)s)."),
               params={"call": recording.unique_id,
                       "caller": call.caller if call else "—",
                       "destination": call.destination if call else "—"},
               customer=customer)
    return real


# --------------------------------------------------------------------------- serving

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 64 * 1024


class RangeNotSatisfiable(Exception):
    pass


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one byte range ``header`` asks for, ``(first, last)`` inclusive, or None for
    the whole file (no header, several ranges or one that does not parse: RFC 9110 lets a
    server send it all). RangeNotSatisfiable when it starts past the end."""
    match = _RANGE.match((header or "").strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        if int(last) == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(size - int(last), 0), size - 1
    start = int(first)
    end = size - 1 if last == "" else min(int(last), size - 1)
    if last != "" and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable
    return start, end


def _chunks(handle, remaining: int):
    try:
        while remaining > 0:
            data = handle.read(min(_CHUNK, remaining))
            if not data:
                break
            remaining -= len(data)
            yield data
    finally:
        handle.close()


def recording_file_response(request, *, recording: Recording, real: Path) -> HttpResponse:
    """The file, streamed: whole (200) or the one byte range asked for (206, how audio
    players seek), with the recording's type and never sniffed."""
    size = real.stat().st_size
    filename = f"{recording.unique_id}{real.suffix.lower()}"
    try:
        wanted = byte_range(request.headers.get("Range"), size)
    except RangeNotSatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        if wanted is None:
            response = FileResponse(real.open("rb"), content_type=recording.content_type,
                                    filename=filename)
        else:
            start, end = wanted
            handle = real.open("rb")
            handle.seek(start)
            response = StreamingHttpResponse(_chunks(handle, end - start + 1), status=206,
                                             content_type=recording.content_type)
            response["Content-Length"] = str(end - start + 1)
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
            response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- retention

def retention_cutoff(today: datetime.date | None = None) -> datetime.datetime:
    """Recordings made before this moment are past the active tenant's retention: the
    start of the day ``voip.recording_retention_days`` before ``today``."""
    today = today or timezone.localdate()
    days = int(setting_get("voip.recording_retention_days"))
    return timezone.make_aware(datetime.datetime.combine(today - datetime.timedelta(days=days),
                                                         datetime.time.min))


def _unlink(path: str, tenant) -> None:
    """Remove the file of ``path`` and its emptied day directories. A file already gone
    is no error; a path that leads outside the tenant's directory is not touched."""
    try:
        real = _real_file(path, tenant)
    except ValidationError:
        return
    # The name, not its target: a link inside the directory is removed, never what it
    # points to (which _real_file has anyway kept inside the directory).
    location = recordings_root() / path
    try:
        location.unlink()
    except FileNotFoundError:
        return
    own = (recordings_root() / tenant_directory(tenant)).resolve()
    parent = real.parent
    while parent != own and parent.is_relative_to(own):
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent


def recordings_purge(*, today: datetime.date | None = None, batch: int = 1000) -> int:
    """Delete the active tenant's recordings past its retention period, files first,
    then their rows; returns how many. A file already gone is no error. Written to the
    action log once, when anything was removed."""
    tenant = current_tenant()
    cutoff = retention_cutoff(today)
    removed = 0
    while True:
        rows = list(Recording.objects.filter(recorded_at__lt=cutoff).order_by("pk")
                    .values_list("pk", "path")[:batch])
        if not rows:
            break
        for _pk, path in rows:
            _unlink(path, tenant)
        removed += Recording.objects.filter(pk__in=[pk for pk, _p in rows]).delete()[0]
    if removed:
        action_log(actor=None, kind="recording.purge",
                   message=N_("Call recordings past the retention period removed: "
                              "%(count)s (made before %(cutoff)s)."),
                   params={"count": removed, "cutoff": timezone.localtime(cutoff).date()})
    return removed
