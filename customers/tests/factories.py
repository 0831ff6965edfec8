"""Test data built through the services, as the product builds it."""

import io

from PIL import Image

VALID_PESEL = "44051401458"
VALID_NIP = "5260250274"
VALID_REGON = "012100784"
VALID_IBAN = "PL61109010140000071219812874"


def png_bytes(size=(4, 4)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes(pages: int = 1) -> bytes:
    """A real PDF of blank A4 pages: uploads are opened, so a header alone is refused."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def exe_bytes() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
