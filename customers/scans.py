"""Checking an uploaded scan or photo: within the tenant's size limit, its type recognised by
content and the file really opened (``core.uploads.upload_validate``, the one check every
upload goes through), never judged by the file's name."""

from core.tenant_settings import setting_get
from core.uploads import EXTENSIONS, CheckedUpload, upload_validate

ACCEPTED = tuple(EXTENSIONS)  # PDF, JPEG, PNG, GIF

__all__ = ["ACCEPTED", "CheckedUpload", "scan_max_bytes", "upload_check"]


def scan_max_bytes() -> int:
    """The active tenant's limit on one scan ("customer.scan_max_mb")."""
    return setting_get("customer.scan_max_mb") * 1024 * 1024


def upload_check(uploaded_file, *, accepted=ACCEPTED, refusal: str) -> CheckedUpload:
    """Refuse a file over ``customer.scan_max_mb``, whose content is not of ``accepted``
    types (``refusal`` is the message) or that does not open as its type; raises
    ``ValidationError`` on the field "file"."""
    return upload_validate(uploaded_file, max_bytes=scan_max_bytes(), accepted=accepted,
                           refusal=refusal)
