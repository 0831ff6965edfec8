"""The one check every uploaded file goes through: size, type by content, and opening it.

A file is accepted only once it has been opened the way its users will open it: a PDF
is read by pypdf and its pages copied into a new PDF (what printing a document with its
signed copies does), an image is decoded whole by Pillow within a pixel limit. A file
that merely starts with ``%PDF``, a decompression bomb or an HTML page renamed ``.pdf`` is
refused here, with a message saying why, instead of breaking every later print.

The stored name's extension comes from the type found in the content (``extension``),
never from the uploader's file name.
"""

import io
import warnings
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

EXTENSIONS = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF"}


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str  # "" for a file checked by size only
    extension: str  # "pdf", "jpg", …: from the content; "" for a file checked by size only
    name: str  # the uploader's file name without any path, for display only
    size: int


def _refuse(message: str):
    raise ValidationError({"file": [message]})


def sniff(uploaded_file) -> str | None:
    """The MIME type the leading bytes say (one of ``EXTENSIONS``), else None."""
    uploaded_file.seek(0)
    head = uploaded_file.read(8192)
    uploaded_file.seek(0)
    kind = filetype.guess(head)
    return kind.mime if kind is not None and kind.mime in EXTENSIONS else None


def _open_pdf(uploaded_file) -> None:
    from pypdf import PdfReader, PdfWriter

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(uploaded_file, strict=False)
            if reader.is_encrypted:
                _refuse(_("The PDF is password-protected; upload it without the password."))
            if len(reader.pages) == 0:
                _refuse(_("The PDF has no pages."))
            # Exactly what printing does with a signed copy: copy its pages into a new PDF.
            writer = PdfWriter()
            for page in reader.pages:
                writer.add_page(page)
            writer.write(io.BytesIO())
    except ValidationError:
        raise
    except Exception as e:  # pypdf raises many kinds on a damaged file
        _refuse(_("The file starts like a PDF but cannot be read (%(error)s).")
                % {"error": (str(e) or type(e).__name__)[:200]})


def _open_image(uploaded_file, content_type: str) -> None:
    from PIL import Image

    limit = settings.UPLOAD_MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check warns (and refuses beyond twice its limit); ours is
            # the explicit limit below, checked before a single pixel is decoded.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(uploaded_file) as image:
                width, height = image.size
                if width * height > limit:
                    _refuse(_("The image is %(w)s × %(h)s pixels, more than the "
                              "%(mp)s megapixels accepted.")
                            % {"w": width, "h": height, "mp": limit // 1_000_000})
                if image.format != PILLOW_FORMATS[content_type]:
                    raise ValueError(image.format)
                # WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process, so
                # load() alone would pass a cut-off file: verify() reads its structure.
                image.verify()
            uploaded_file.seek(0)
            with Image.open(uploaded_file) as image:
                image.load()
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        _refuse(_("The image has more pixels than the %(mp)s megapixels accepted.")
                % {"mp": limit // 1_000_000})
    except Exception as e:
        _refuse(_("The file starts like an image but cannot be read (%(error)s).")
                % {"error": (str(e) or type(e).__name__)[:200]})


def upload_validate(uploaded_file, *, max_bytes: int, accepted: tuple[str, ...] = (),
                    refusal: str = "") -> CheckedUpload:
    """Refuse ``uploaded_file`` over ``max_bytes``, of a type not in ``accepted`` (says
    ``refusal``), or that does not open as its type; raises ``ValidationError`` on "file".

    With ``accepted`` empty only the size is checked (bank statements: their parser
    says what is wrong with the content). The file is left at its start.
    """
    name = (getattr(uploaded_file, "name", "") or "file").replace("\\", "/")
    name = name.rsplit("/", 1)[-1][:255] or "file"
    size = uploaded_file.size
    if size > max_bytes:
        _refuse(_("The file is larger than %(mb)s MB.") % {"mb": _megabytes(max_bytes)})
    if not accepted:
        return CheckedUpload("", "", name, size)
    content_type = sniff(uploaded_file)
    if content_type not in accepted:
        _refuse(refusal)
    if content_type == "application/pdf":
        _open_pdf(uploaded_file)
    else:
        _open_image(uploaded_file, content_type)
    uploaded_file.seek(0)
    return CheckedUpload(content_type, EXTENSIONS[content_type], name, size)


def _megabytes(size: int) -> str:
    mb = size / (1024 * 1024)
    return str(int(mb)) if mb == int(mb) else f"{mb:.1f}"


def upload_path(prefix: str, instance, *parts, content_type: str) -> str:
    """``<prefix>/<tenant id>/<parts…>/<random>.<extension of content_type>``: the stored
    name is ours (no path tricks, no overwrites, no uploader's extension) and every file
    lies under its tenant, also when the row is not saved yet."""
    import uuid

    from core.tenancy import current_tenant

    tenant_id = instance.tenant_id or current_tenant().pk
    return "/".join([prefix, str(tenant_id), *(str(p) for p in parts),
                     f"{uuid.uuid4().hex}.{EXTENSIONS.get(content_type, 'bin')}"])
