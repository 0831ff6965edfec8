"""Recognising a scan by its content, not its name (the ``filetype`` library)."""

import filetype

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
