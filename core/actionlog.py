"""The action log ("Akcje Klient System"): every service writes it through ``action_log``.

An entry keeps what happened in a form that is rendered when it is **shown**, in the
reader's language, not when it is written:

- ``kind``: the event code (``phone.add``); each app registers a human name for its kinds
  in its ``log_kinds`` module (``register_log_kinds``), found like ``admin.py`` modules;
- ``message``: the English sentence as written in the code (the msgid, marked with
  ``gettext_noop``) and ``params`` the values it interpolates. A parameter that is itself
  words (a choice's label, any ``gettext_lazy`` text), a date, a moment or an amount is
  stored tagged and rendered in the reader's language and format;
- ``changes``: ``{field: [before, after]}``, rendered "before → after" in words with the
  field's label. The registry says which model a kind's fields belong to.

Entries written before the log stored msgids keep their sentence as written (it is not a
msgid, so gettext returns it as it is, and it has no params).
"""

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db.models import Field
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_noop, ngettext, pgettext

from .models import ActionLog
from .rls import copy_rows
from .tenancy import current_tenant

N_ = gettext_noop


def _jsonable(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


def diff_fields(instance, before: dict, fields) -> dict:
    """``{field: [before, after]}`` for each field whose value changed."""
    changes = {}
    for name in fields:
        old, new = before.get(name), getattr(instance, name)
        if old != new:
            changes[name] = [_jsonable(old), _jsonable(new)]
    return changes


# --------------------------------------------------------------------------- parameters
# Tagged parameter values (JSON objects with one of these keys):
#   {"_t": msgid[, "_c": context]}  words, translated when shown
#   {"_d": "2026-12-03"}             a date          {"_dt": iso}  a moment
#   {"_m": "72.00"}                  an amount of PLN {"_n": "1.5"} another number
#   {"_s": msgid, "_p": {...}[, "_pl": plural, "_k": count]}  a whole sentence


def money(amount) -> dict:
    """An amount of money as a parameter: ``72,00 zł`` / ``PLN 72.00`` when shown."""
    return {"_m": str(amount)}


def plural_noop(singular: str, plural: str) -> tuple[str, str]:
    """Mark a sentence's singular and plural for ``makemessages`` (``gettext_noop`` for
    plurals); give the pair to ``sentence(..., count=n)``."""
    return singular, plural


def sentence(message: str | tuple[str, str], params: dict | None = None, *,
             count: int | None = None) -> dict:
    """A sentence as a parameter, or a further sentence of an entry
    (``action_log(more=[...])``); plural (``ngettext``) when ``message`` is a
    ``plural_noop`` pair and ``count`` is given."""
    singular, plural = message if isinstance(message, tuple) else (message, None)
    tagged = {"_s": str(singular), "_p": {k: _param(v) for k, v in (params or {}).items()}}
    if plural is not None:
        tagged.update(_pl=str(plural), _k=int(count or 0))
    return tagged


def _lazy_msgid(value: Promise) -> dict | None:
    """The msgid behind ``gettext_lazy``/``pgettext_lazy`` text (a choice's label)."""
    try:
        _unpickle, (func, args, kw, *_rest) = value.__reduce__()
    except (TypeError, ValueError):
        return None
    if kw:
        return None
    if func is gettext and len(args) == 1:
        return {"_t": str(args[0])}
    if func is pgettext and len(args) == 2:
        return {"_t": str(args[1]), "_c": str(args[0])}
    return None


def _param(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Promise):
        return _lazy_msgid(value) or str(value)
    if isinstance(value, datetime.datetime):
        return {"_dt": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"_d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"_n": str(value)}
    if isinstance(value, dict):
        return value  # already tagged (money(), sentence())
    if isinstance(value, list | tuple):
        return [_param(v) for v in value]
    return str(value)


def _moment_text(value: datetime.datetime) -> str:
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "SHORT_DATETIME_FORMAT")


def _param_text(value):
    """A stored parameter in the active language (plain values as they are)."""
    if isinstance(value, list):
        return ", ".join(str(_param_text(v)) for v in value)
    if not isinstance(value, dict):
        return value
    try:
        if "_t" in value:
            return pgettext(value["_c"], value["_t"]) if "_c" in value else gettext(value["_t"])
        if "_d" in value:
            return formats.date_format(parse_date(value["_d"]), "SHORT_DATE_FORMAT")
        if "_dt" in value:
            return _moment_text(parse_datetime(value["_dt"]))
        if "_m" in value:
            from .templatetags.money import money_format

            return money_format(Decimal(value["_m"]))
        if "_n" in value:
            return formats.number_format(Decimal(value["_n"]), use_l10n=True)
        if "_s" in value:
            return _sentence_text(value["_s"], value.get("_p"), value.get("_pl"),
                                  value.get("_k"))
    except (TypeError, ValueError, InvalidOperation, AttributeError):
        pass
    return json.dumps(value, ensure_ascii=False)


def _sentence_text(message: str, params: dict | None, plural=None, count=None) -> str:
    if plural is not None:
        text = ngettext(message, plural, count or 0)
    else:
        text = gettext(message) if message else ""
    if not params:
        return text
    values = {k: _param_text(v) for k, v in params.items() if not k.startswith("_")}
    try:
        rendered = text % values
    except (KeyError, TypeError, ValueError):
        return text
    # "%(k)s address added" with k the kind's label: the sentence starts with a capital.
    if text.startswith("%(") and any(isinstance(v, dict) and "_t" in v
                                     for v in params.values()):
        rendered = capfirst(rendered)
    return rendered


def render_text(message: str, params: dict | None) -> str:
    """The entry's sentence(s) in the active language, parameters filled in."""
    params = params or {}
    parts = [_sentence_text(message, params)]
    for more in params.get("_more") or ():
        parts.append(str(_param_text(more)))
    return " ".join(part for part in parts if part)


# --------------------------------------------------------------------------- writing


def _actor_fields(actor) -> dict:
    from customers.models import Customer

    if actor is None:
        # Shown as "System" in the reader's language (ActionLog.actor_display).
        return {"actor_kind": ActionLog.ActorKind.SYSTEM, "actor_name": "System"}
    if isinstance(actor, Customer):
        return {"actor_kind": ActionLog.ActorKind.CUSTOMER, "actor_customer_id": actor.pk,
                "actor_name": actor.display_name}
    return {"actor_kind": ActionLog.ActorKind.STAFF, "actor_user_id": actor.pk,
            "actor_name": actor.get_full_name() or actor.get_username()}


def _params(params: dict | None, more=None) -> dict:
    stored = {k: _param(v) for k, v in (params or {}).items()}
    if more:
        stored["_more"] = [m if isinstance(m, dict) else str(m) for m in more if m]
    return stored


def staff_of(actor):
    """The staff user behind an action: None for the system or a customer in the panel."""
    from customers.models import Customer

    return actor if actor is not None and not isinstance(actor, Customer) else None


def action_log(*, actor, kind: str, message: str, params: dict | None = None, customer=None,
               changes=None, more=None) -> ActionLog:
    """Record one change.

    ``message`` is the untranslated sentence (mark it with ``gettext_noop``) and ``params``
    the values it interpolates (``%(name)s``): the entry is rendered in the reader's
    language when shown. Give words as ``gettext_lazy`` text (a choice's ``label``), dates
    and moments as ``date``/``datetime`` and amounts of money as ``money(amount)``: they
    are shown in the reader's language and format. ``more``: further sentences, each a
    ``sentence(...)`` or text a person wrote (a reason). ``actor`` is a staff ``User``, a
    ``Customer`` (acting in the customer panel) or ``None`` for the system itself.
    """
    entry = ActionLog(tenant=current_tenant(), customer=customer, kind=kind,
                      message=str(message), params=_params(params, more),
                      changes=changes or {}, **_actor_fields(actor))
    entry.save()
    return entry


def action_log_bulk(*, actor, kind: str, entries) -> int:
    """One entry per ``(customer id, message, params)`` of ``entries``, for bulk operations
    such as the billing run (100,000 invoices, each logged on its customer): written by one
    COPY on PostgreSQL, by ``bulk_create`` elsewhere. Message and params as in
    ``action_log``; the actor too."""
    from django.db import connection

    tenant = current_tenant()
    who = _actor_fields(actor)
    rows = [(customer_id, str(message), _params(params))
            for customer_id, message, params in entries]
    if connection.vendor != "postgresql":
        ActionLog.objects.bulk_create([
            ActionLog(tenant=tenant, customer_id=customer_id, kind=kind, message=message,
                      params=params, changes={}, **who) for customer_id, message, params in rows])
        return len(rows)
    now = timezone.now()
    fixed = {"tenant_id": tenant.pk, "at": now, "kind": kind, "changes": "{}", **who}
    columns = [*fixed, "customer_id", "message", "params"]
    head = tuple(fixed.values())
    with connection.cursor() as cursor, copy_rows(
            cursor, f"COPY {ActionLog._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy:
        for customer_id, message, params in rows:
            copy.write_row((*head, customer_id, message, json.dumps(params)))
    return len(rows)


# --------------------------------------------------------------------------- kinds


@dataclass(frozen=True)
class LogKind:
    """What an app says about one kind of entry.

    ``model``: ``"app_label.Model"`` whose fields the keys of ``changes`` name (their
    ``verbose_name`` and choices say them in words); ``fields``: labels of keys that are no
    field of it (``{"password": _("password")}``, or an unbound model field for its type:
    ``DecimalField(_("gross"))``), or a callable ``key -> (label, choices)`` for kinds
    whose keys are data (a tenant setting's key).
    """

    code: str
    label: str
    model: str | None = None
    fields: dict | Callable | None = field(default=None, compare=False)


_KINDS: dict[str, LogKind] = {}
_discovered = False


def register_log_kinds(kinds: dict, *, model: str | None = None, fields=None) -> None:
    """Register ``{kind: label}`` (labels ``gettext_lazy``), their changes naming fields of
    ``model``."""
    for code, label in kinds.items():
        _KINDS[code] = LogKind(code, label, model, fields)


def _registry() -> dict[str, LogKind]:
    global _discovered
    if not _discovered:
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("log_kinds")
        _discovered = True
    return _KINDS


def kind_label(code: str) -> str:
    """The kind's name in the active language; an unregistered kind shows its code."""
    kind = _registry().get(code)
    return capfirst(str(kind.label)) if kind else code


# Keys several kinds use that are no model field.
_COMMON_FIELDS = {
    "password": N_("password"), "user": N_("user"), "role": N_("role"),
    "address": N_("address"), "until": N_("until"), "path": N_("address in the app"),
    "failures": N_("failed attempts"), "token": N_("token"), "account": N_("account"),
}


def _field_info(kind: LogKind | None, key: str):
    """(label, Django field or None, choices dict or None) of ``key`` of ``kind``; the
    label is None when nothing names the key."""
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    if kind is not None and callable(kind.fields):
        described = kind.fields(key)
        if described:
            return described[0], None, described[1]
    if kind is not None and isinstance(kind.fields, dict) and key in kind.fields:
        described = kind.fields[key]
        if isinstance(described, Field):  # a field of no model, for its type and choices
            choices = dict(described.flatchoices) if described.choices else None
            return described.verbose_name, described, choices
        return described, None, None
    if kind is not None and kind.model:
        try:
            model_field = apps.get_model(kind.model)._meta.get_field(key)
        except (LookupError, FieldDoesNotExist):
            model_field = None
        if model_field is not None and hasattr(model_field, "verbose_name"):
            choices = dict(model_field.flatchoices) if model_field.choices else None
            return model_field.verbose_name, model_field, choices
    if key in _COMMON_FIELDS:
        return gettext(_COMMON_FIELDS[key]), None, None
    return None, None, None


def _value_text(value, model_field=None, choices=None) -> str:
    """A value of ``changes`` in words: yes/no, "—", a choice's label, a local date."""
    if isinstance(value, str | int) and choices and value in choices:
        return str(choices[value])  # "" may be a choice: Login.Block.NONE, "not blocked"
    if value == "" and model_field is not None and \
            model_field.get_internal_type() == "BooleanField":
        value = False  # login_update writes ``str(value or "")``
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(_value_text(v, model_field, choices) for v in value)
    internal = model_field.get_internal_type() if model_field is not None else ""
    try:
        if internal == "BooleanField" and isinstance(value, str):
            value = {"true": True, "false": False}.get(value.lower(), value)
        elif internal == "DateField" and isinstance(value, str):
            value = parse_date(value) or value
        elif internal == "DateTimeField" and isinstance(value, str):
            value = parse_datetime(value) or value
        elif internal == "DecimalField" and isinstance(value, str | int | float):
            value = Decimal(str(value))
    except (ValueError, InvalidOperation):
        pass
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, datetime.datetime):
        return _moment_text(value)
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal):
        return formats.number_format(value, use_l10n=True)
    if isinstance(value, str) and not internal and value in ("True", "False"):
        return gettext("yes") if value == "True" else gettext("no")
    if isinstance(value, str) and not internal:
        moment = parse_datetime(value) if len(value) > 10 and value[4:5] == "-" else None
        if moment is not None:
            return _moment_text(moment)
    return str(value)


@dataclass(frozen=True)
class ChangeRow:
    label: str
    before: str | None  # None: the key holds one value, not [before, after]
    after: str


def render_changes(code: str, changes: dict) -> list[ChangeRow]:
    """``changes`` of an entry of kind ``code`` in words, in the active language."""
    kind = _registry().get(code)
    rows = []
    for key, value in (changes or {}).items():
        label, model_field, choices = _field_info(kind, key)
        # A key nothing names (an attribute's name typed by staff) is shown as typed.
        label = key if label is None else capfirst(str(label))
        if isinstance(value, list) and len(value) == 2:
            before, after = (_value_text(v, model_field, choices) for v in value)
            if before == after:  # a secret: "***" → "***"
                rows.append(ChangeRow(label, None, gettext("changed")))
            else:
                rows.append(ChangeRow(label, before, after))
        else:
            rows.append(ChangeRow(label, None, _value_text(value, model_field, choices)))
    return rows
