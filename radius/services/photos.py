"""Photos of a login's installation ("Zdjęcia/skany" in the login's window).

JPEG and PNG only, recognised by content and decoded whole (``customers.scans.upload_check``:
``core.uploads``, the same check and size limit as the customer's scans), never judged by
the file's name.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log, staff_of
from customers.scans import upload_check

from ..models import Login, LoginPhoto

PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png"}


def login_photo_add(*, actor, login: Login, uploaded_file, description: str = "") -> LoginPhoto:
    """Store a photo of ``login``; the stored name ends as its content says (.jpg/.png).

    A file refused by content or size raises ``ValidationError`` on "file", nothing stored.
    """
    checked = upload_check(uploaded_file, accepted=tuple(PHOTO_TYPES), refusal=_(
        "Only JPG and PNG photos are accepted; this file's content is neither."))
    stem = checked.name.rsplit(".", 1)[0][:80] or "photo"
    name = f"{stem}.{checked.extension}"
    # The tenant is set now: the file is stored (under the tenant's id) before the row.
    photo = LoginPhoto(tenant_id=login.tenant_id, login=login,
                       description=description.strip()[:200],
                       uploaded_by=staff_of(actor))
    with transaction.atomic():
        photo.image.save(name, uploaded_file, save=False)
        try:
            photo.save()
            action_log(actor=staff_of(actor), customer=login.customer, kind="login.photo_add",
                       message=N_("Photo “%(name)s” added to login %(login)s."),
                       params={"name": name, "login": login.login})
        except Exception:
            photo.image.delete(save=False)
            raise
    return photo


def login_photo_remove(*, actor, photo: LoginPhoto) -> None:
    """Delete the photo; its file goes once the deletion is committed."""
    login = photo.login
    name = photo.image.name.rsplit("/", 1)[-1].split("-", 1)[-1]  # without the token
    with transaction.atomic():
        photo.delete()
        action_log(actor=staff_of(actor), customer=login.customer, kind="login.photo_remove",
                   message=N_("Photo “%(name)s” of login %(login)s deleted."),
                   params={"name": name, "login": login.login})
        transaction.on_commit(lambda: photo.image.delete(save=False))
