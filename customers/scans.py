"""Checking an uploaded scan: size within the tenant's limit, type recognised by content
(the ``filetype`` library), never by the file's name."""

from dataclasses import dataclass

import filetype
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.tenant_settings import setting_get

ACCEPTED = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
}


def sniff_scan(uploaded_file) -> str | None:
    """The MIME type if the file's leading bytes are PDF, JPEG, PNG or GIF, else None."""
    position = uploaded_file.tell() if hasattr(uploaded_file, "tell") else 0
    uploaded_file.seek(0)
    head = uploaded_file.read(8192)
    uploaded_file.seek(position)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ACCEPTED:
        return None
    return kind.mime


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    name: str  # the uploader's file name, without any path, for display only


def upload_check(uploaded_file, *, accepted=tuple(ACCEPTED), refusal: str) -> CheckedUpload:
    """Refuse a file over ``customer.scan_max_mb`` or whose content is not of ``accepted``
    types (``refusal`` is the message); raises ``ValidationError`` on the field "file"."""
    limit_mb = setting_get("customer.scan_max_mb")
    if uploaded_file.size > limit_mb * 1024 * 1024:
        raise ValidationError({"file": [_("The file is larger than %(mb)s MB.")
                                        % {"mb": limit_mb}]})
    content_type = sniff_scan(uploaded_file)
    if content_type not in accepted:
        raise ValidationError({"file": [refusal]})
    name = (getattr(uploaded_file, "name", "") or "scan").rsplit("/", 1)[-1][:255]
    return CheckedUpload(content_type, name)
