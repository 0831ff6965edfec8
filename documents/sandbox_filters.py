"""Filters and tags of the document template sandbox that replace Django's own where those
take a size from the template: ``{{ x|ljust:"999999999" }}`` or ``{% lorem 9999999 %}``
would fill memory in one step, which no render-time check can interrupt."""

import re

from django import template
from django.template import defaultfilters
from django.utils.translation import gettext as _

register = template.Library()

MAX_WIDTH = 1000


def _width(arg) -> int:
    try:
        width = int(arg)
    except (TypeError, ValueError):
        return 0
    if width > MAX_WIDTH:
        raise template.TemplateSyntaxError(
            _("A width over %(n)s is not allowed in a document template.") % {"n": MAX_WIDTH})
    return width


@register.filter(is_safe=True)
@defaultfilters.stringfilter
def ljust(value, arg):
    return value.ljust(_width(arg))


@register.filter(is_safe=True)
@defaultfilters.stringfilter
def rjust(value, arg):
    return value.rjust(_width(arg))


@register.filter(is_safe=True)
@defaultfilters.stringfilter
def center(value, arg):
    return value.center(_width(arg))


@register.filter(is_safe=True)
def stringformat(value, arg):
    for number in re.findall(r"\d+", str(arg)):
        _width(number)
    return defaultfilters.stringformat(value, arg)


@register.tag
def lorem(parser, token):
    raise template.TemplateSyntaxError(_("{% lorem %} is not available in document templates."))


@register.filter(is_safe=True)
def floatformat(value, arg=-1):
    for number in re.findall(r"\d+", str(arg)):
        _width(number)
    return defaultfilters.floatformat(value, arg)
