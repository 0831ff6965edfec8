"""``{% staff_menu %}``: the staff navigation's menus (``core/_staff_menu.html``).

What the menus show depends only on the user's permissions in the active tenant and on
the language: about eighty links, each a permission check and a URL reversed. They are
rendered once per (language, script prefix, permissions) in each process and the HTML is
reused (``core.backends.permissions_key``: equal keys, equal permissions); with DEBUG on
they are rendered every time, so an edited template shows at once."""

from django import template
from django.conf import settings
from django.contrib.auth.context_processors import PermWrapper
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from core.backends import permissions_key

register = template.Library()

MEMO_MAX = 256  # languages × roles, with room; emptied when full
_rendered: dict[tuple, str] = {}


@register.simple_tag(takes_context=True)
def staff_menu(context) -> str:
    user = context["user"]
    key = (get_language(), get_script_prefix(), permissions_key(user))
    html = None if settings.DEBUG else _rendered.get(key)
    if html is None:
        html = render_to_string("core/_staff_menu.html",
                                {"user": user, "perms": PermWrapper(user)})
        if not settings.DEBUG:
            if len(_rendered) >= MEMO_MAX:
                _rendered.clear()
            _rendered[key] = html
    return mark_safe(html)  # noqa: S308 — rendered from our template, escaped there
