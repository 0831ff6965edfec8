"""Billing groups, price lists and their rules, typed one by one or imported from CSV."""

import csv
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.actionlog import N_, action_log, diff_fields

from ..models import (
    BillingGroup,
    Call,
    PriceList,
    PriceRule,
    VoipPhone,
)
from .checks import (
    CODE,
    IMPORT_ERRORS_LISTED,
    IMPORT_MAX_LINES,
    RULE_FIELDS,
    check,
    date_clean,
    group_of_tenant,
    raise_errors,
    rule_clean,
    text_clean,
)


def billing_group_create(*, actor, name: str, code: str) -> BillingGroup:
    """A billing group ("grupa bilingowa"): ``code`` is what price lists and imported
    files name it by (lower-case letters, digits, ``-`` and ``_``), fixed once made."""
    errors: dict = {}
    name = check(errors, "name", lambda v: text_clean(
        v, max_length=100, empty=_("Give the group a name.")), name)
    code = check(errors, "code", _code_clean, code)
    raise_errors(errors)
    with transaction.atomic():
        if BillingGroup.objects.filter(code=code).exists():
            raise ValidationError({"code": [_("A billing group with the code %(c)s exists.")
                                            % {"c": code}]})
        try:
            with transaction.atomic():
                group = BillingGroup.objects.create(name=name, code=code)
        except IntegrityError:  # the same code made at the same moment
            raise ValidationError({"code": [_("A billing group with the code %(c)s exists.")
                                            % {"c": code}]}) from None
        action_log(actor=actor, kind="billinggroup.add",
                   message=N_("Billing group %(g)s added"), params={"g": name},
                   changes={"code": [None, code]})
    return group


def _code_clean(value) -> str:
    code = str(value or "").strip().lower()
    if not code:
        raise ValidationError(_("Give the group a code."))
    if not CODE.fullmatch(code):
        raise ValidationError(_("A code has 1 to 40 lower-case letters, digits, “-” or “_” "
                                "(e.g. mobile, pl-landline)."))
    return code


def billing_group_update(*, actor, group: BillingGroup, name: str) -> BillingGroup:
    """Rename a billing group (its code stays: calls and files name the group by it)."""
    errors: dict = {}
    name = check(errors, "name", lambda v: text_clean(
        v, max_length=100, empty=_("Give the group a name.")), name)
    raise_errors(errors)
    with transaction.atomic():
        group = BillingGroup.objects.select_for_update().get(pk=group.pk)
        before = {"name": group.name}
        group.name = name
        changes = diff_fields(group, before, before)
        if changes:
            group.save(update_fields=["name"])
            action_log(actor=actor, kind="billinggroup.change",
                       message=N_("Billing group %(g)s changed"), params={"g": group.code},
                       changes=changes)
    return group


def billing_group_delete_refusal(group: BillingGroup) -> str:
    """Why the group cannot be deleted now ("" when it can)."""
    lists = sorted(set(PriceRule.objects.filter(billing_group=group)
                       .values_list("price_list__name", flat=True)))
    if lists:
        return _("Price rules of the price lists %(lists)s use this billing group; change "
                 "or delete them first.") % {"lists": ", ".join(lists[:5])
                                             + (" …" if len(lists) > 5 else "")}
    phones = VoipPhone.free_minute_groups.through.objects.filter(billinggroup_id=group.pk) \
        .count()
    if phones:
        return _("The free minutes of %(n)s phones apply to this billing group; change "
                 "the phones first.") % {"n": phones}
    return ""


def billing_group_delete(*, actor, group: BillingGroup) -> None:
    """Delete a billing group no price rule and no phone's free minutes use. Locks the
    group: a rule made with it meanwhile waits, then finds it gone."""
    with transaction.atomic():
        group = BillingGroup.objects.select_for_update().get(pk=group.pk)
        refusal = billing_group_delete_refusal(group)
        if refusal:
            raise ValidationError(refusal)
        name, code = group.name, group.code
        group.delete()
        action_log(actor=actor, kind="billinggroup.delete",
                   message=N_("Billing group %(g)s deleted"), params={"g": name},
                   changes={"code": [code, None]})


def price_list_create(*, actor, name: str, valid_from, copy_from: PriceList | None = None,
                      ) -> PriceList:
    """A price list valid from ``valid_from`` (one per day); with ``copy_from`` (another
    price list of the tenant) starting with a copy of its rules."""
    errors: dict = {}
    name = check(errors, "name", lambda v: text_clean(
        v, max_length=100, empty=_("Give the price list a name.")), name)
    valid_from = check(errors, "valid_from", date_clean, valid_from)
    source = None
    if copy_from is not None:
        source = PriceList.objects.filter(pk=getattr(copy_from, "pk", copy_from)).first()
        if source is None:
            errors["copy_from"] = [_("Choose a price list of this operator.")]
    raise_errors(errors)
    with transaction.atomic():
        clash = PriceList.objects.filter(valid_from=valid_from).first()
        if clash is not None:
            raise ValidationError({"valid_from": [
                _("The price list %(p)s is valid from this day; choose another day.")
                % {"p": clash.name}]})
        try:
            with transaction.atomic():
                prices = PriceList.objects.create(name=name, valid_from=valid_from)
        except IntegrityError:
            raise ValidationError({"valid_from": [
                _("Another price list is valid from this day.")]}) from None
        copied = 0
        if source is not None:
            copied = len(PriceRule.objects.bulk_create([
                PriceRule(tenant_id=prices.tenant_id, price_list=prices, prefix=r.prefix,
                          billing_group_id=r.billing_group_id,
                          price_per_minute=r.price_per_minute,
                          first_increment=r.first_increment, next_increment=r.next_increment,
                          connection_fee=r.connection_fee)
                for r in PriceRule.objects.filter(price_list=source).order_by("prefix")],
                batch_size=2000))
        action_log(actor=actor, kind="pricelist.add",
                   message=N_("Price list %(p)s added (valid from %(d)s)"),
                   params={"p": name, "d": valid_from},
                   changes={"rules": [None, copied]} if source is not None else None)
    return prices


def price_list_delete_refusal(price_list: PriceList) -> str:
    """Why the price list cannot be deleted now ("" when it can)."""
    if Call.objects.filter(rule__price_list=price_list).exists():
        return _("Calls were priced by the rules of this price list; it is kept to explain "
                 "them.")
    return ""


def price_list_delete(*, actor, price_list: PriceList) -> None:
    """Delete a price list and its rules, refused once a call was priced by one of them.
    Locks the price list."""
    with transaction.atomic():
        price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
        refusal = price_list_delete_refusal(price_list)
        if refusal:
            raise ValidationError(refusal)
        name, valid_from = price_list.name, price_list.valid_from
        count = PriceRule.objects.filter(price_list=price_list).count()
        price_list.delete()
        action_log(actor=actor, kind="pricelist.delete",
                   message=N_("Price list %(p)s deleted (valid from %(d)s)"),
                   params={"p": name, "d": valid_from}, changes={"rules": [count, None]})


PRICE_RULE_ADD, PRICE_RULE_CHANGE = "voip.add_pricerule", "voip.change_pricerule"


def price_rule_set_allowed(actor, *, exists: bool | None = None) -> bool:
    """May ``actor`` set a price rule (``price_rule_set``): adding the rule of a new
    prefix takes ``voip.add_pricerule``; a prefix the list has already is a change of
    that rule's price, ``voip.change_pricerule``. ``exists`` None (a form not yet read):
    may the actor do either? No actor (the system's own work): yes. The one rule of the
    staff page, the API and the service."""
    if actor is None:
        return True
    if exists is None:
        return actor.has_perm(PRICE_RULE_ADD) or actor.has_perm(PRICE_RULE_CHANGE)
    return actor.has_perm(PRICE_RULE_CHANGE if exists else PRICE_RULE_ADD)


def price_rule_set(*, actor, price_list: PriceList, prefix, billing_group, price_per_minute,
                   first_increment=60, next_increment=60, connection_fee=0) -> PriceRule:
    """Add the rule of ``prefix`` to the price list, or change the one it has — each only
    for an actor allowed to (``price_rule_set_allowed``, judged under the lock: a rule
    added meanwhile is a change; ``PermissionDenied`` otherwise). Locks the price list
    (rules of one list are written one writer at a time)."""
    errors: dict = {}
    try:
        clean = rule_clean(prefix=prefix, price_per_minute=price_per_minute,
                            first_increment=first_increment, next_increment=next_increment,
                            connection_fee=connection_fee)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        clean = {}
    group = check(errors, "billing_group", group_of_tenant, billing_group)
    raise_errors(errors)
    with transaction.atomic():
        price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
        rule = (PriceRule.objects.select_for_update()
                .filter(price_list=price_list, prefix=clean["prefix"]).first())
        if not price_rule_set_allowed(actor, exists=rule is not None):
            raise PermissionDenied(
                _("The price list has a rule for the prefix %(x)s; changing its price "
                  "needs the permission to change price rules.") % {"x": clean["prefix"]}
                if rule is not None else
                _("Adding a rule needs the permission to add price rules."))
        values = {**clean, "billing_group_id": group.pk}
        if rule is None:
            rule = PriceRule.objects.create(price_list=price_list, **values)
            action_log(actor=actor, kind="pricerule.add",
                       message=N_("Price rule %(x)s added to %(p)s"),
                       params={"x": rule.prefix, "p": price_list.name},
                       changes=_rule_changes(None, rule))
            return rule
        before = {k: getattr(rule, k) for k in RULE_FIELDS}
        for key, value in values.items():
            setattr(rule, key, value)
        changes = diff_fields(rule, before, RULE_FIELDS)
        if changes:
            rule.save()
            if "billing_group_id" in changes:
                changes["billing_group"] = [_group_code(before["billing_group_id"]),
                                            group.code]
                del changes["billing_group_id"]
            action_log(actor=actor, kind="pricerule.change",
                       message=N_("Price rule %(x)s of %(p)s changed"),
                       params={"x": rule.prefix, "p": price_list.name}, changes=changes)
    return rule


def _group_code(pk) -> str | None:
    return BillingGroup.objects.filter(pk=pk).values_list("code", flat=True).first()


def _rule_changes(before: PriceRule | None, after: PriceRule | None) -> dict:
    def values(rule):
        if rule is None:
            return dict.fromkeys(("billing_group", "price_per_minute", "increments",
                                  "connection_fee"))
        return {"billing_group": _group_code(rule.billing_group_id),
                "price_per_minute": str(rule.price_per_minute),
                "increments": f"{rule.first_increment}/{rule.next_increment}",
                "connection_fee": str(rule.connection_fee)}

    old, new = values(before), values(after)
    return {k: [old[k], new[k]] for k in old if old[k] != new[k]}


def price_rule_delete(*, actor, rule: PriceRule) -> None:
    """Delete one rule. Calls it priced keep its explanation (``Call.priced_by``)."""
    with transaction.atomic():
        price_list = PriceList.objects.select_for_update().get(pk=rule.price_list_id)
        rule = PriceRule.objects.select_for_update().get(pk=rule.pk)
        changes = _rule_changes(rule, None)
        prefix = rule.prefix
        rule.delete()
        action_log(actor=actor, kind="pricerule.delete",
                   message=N_("Price rule %(x)s of %(p)s deleted"),
                   params={"x": prefix, "p": price_list.name}, changes=changes)


# --------------------------------------------------------------------------- CSV import

@dataclass(frozen=True)
class _Line:
    number: int
    prefix: str
    group_id: int
    price_per_minute: Decimal
    first_increment: int
    next_increment: int
    connection_fee: Decimal


_FIELD_LABELS = {
    "prefix": gettext_lazy("prefix"),
    "price_per_minute": gettext_lazy("price per minute"),
    "first_increment": gettext_lazy("first increment"),
    "next_increment": gettext_lazy("next increment"),
    "connection_fee": gettext_lazy("connection fee"),
}


def price_rules_import(*, actor, price_list: PriceList, text: str, replace: bool = False,
                       ) -> int:
    """Rules from a CSV text, all or nothing: columns prefix; billing group code; price per
    minute (a comma or a dot); and optionally first increment, next increment (seconds,
    60 each when left out) and connection fee (0). ``;`` or ``,`` between columns (the
    first line's decides), an optional header line; with ``,`` a decimal comma is quoted
    (``"0,25"``) or written as a point — a whole price followed by a whole number
    (``0,25``, ``1,60``) is refused, not guessed. A prefix the list has is changed, a
    new one added; ``replace``: the list's rules not in the file are deleted. Any bad
    line refuses the whole file, with the lines (numbered from 1) and what is wrong.
    Returns the rules written. Locks the price list."""
    lines = _import_parse(text)
    with transaction.atomic():
        price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
        tenant_id = price_list.tenant_id
        prefixes = [line.prefix for line in lines]
        before = PriceRule.objects.filter(price_list=price_list).count()
        PriceRule.objects.bulk_create(
            [PriceRule(tenant_id=tenant_id, price_list=price_list, prefix=line.prefix,
                       billing_group_id=line.group_id, price_per_minute=line.price_per_minute,
                       first_increment=line.first_increment,
                       next_increment=line.next_increment, connection_fee=line.connection_fee)
             for line in lines],
            batch_size=2000, update_conflicts=True, unique_fields=["price_list", "prefix"],
            update_fields=["billing_group", "price_per_minute", "first_increment",
                           "next_increment", "connection_fee"])
        deleted = 0
        if replace:
            # Calls priced by a rule deleted here keep their explanation (priced_by).
            deleted, _by_model = (PriceRule.objects.filter(price_list=price_list)
                                  .exclude(prefix__in=prefixes).delete())
        after = PriceRule.objects.filter(price_list=price_list).count()
        action_log(actor=actor, kind="pricerule.import",
                   message=N_("%(n)s price rules imported into %(p)s"),
                   params={"n": len(lines), "p": price_list.name},
                   changes={"rules": [before, after],
                            **({"deleted": [None, deleted]} if replace else {})})
    return len(lines)


def _import_parse(text: str) -> list[_Line]:
    """The file's rules, checked line by line; every error collected before refusing."""
    if not isinstance(text, str):
        raise ValidationError({"text": [_("The file is not text.")]})
    text = text.lstrip("\ufeff")  # a spreadsheet's byte order mark
    rows = text.splitlines()
    if len(rows) > IMPORT_MAX_LINES:
        raise ValidationError({"text": [_("At most %(n)s lines in one file.")
                                        % {"n": IMPORT_MAX_LINES}]})
    first = next((row for row in rows if row.strip()), "")
    delimiter = ";" if ";" in first else ","
    groups = {}
    for pk, code in BillingGroup.objects.values_list("pk", "code"):
        groups.setdefault(code.lower(), pk)
        groups[code] = pk  # an exact match wins over one differing in case
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    lines: list[_Line] = []
    reader = csv.reader(rows, delimiter=delimiter)
    try:
        parsed = list(reader)  # the lines are counted and capped above
    except csv.Error as error:  # a field past csv's limit, a stray NUL …
        raise ValidationError({"text": [_("Nothing was imported: line %(n)s is not CSV "
                                          "(%(e)s).") % {"n": reader.line_num,
                                                         "e": error}]}) from None
    header_possible = True
    for number, cells in enumerate(parsed, start=1):
        cells = [cell.strip() for cell in cells]
        while cells and not cells[-1]:
            cells.pop()  # trailing empty columns of a spreadsheet's export
        if not cells:
            continue
        if header_possible:
            header_possible = False
            if not any(ch.isdigit() for ch in cells[0]):
                continue  # a header line ("prefix;group;price…"): a prefix has digits
        problem = _import_line(number, cells, groups, seen, lines, comma=delimiter == ",")
        if problem:
            errors.append((number, problem))
    if errors:
        listed = [_("line %(n)s: %(problem)s") % {"n": n, "problem": p}
                  for n, p in errors[:IMPORT_ERRORS_LISTED]]
        if len(errors) > IMPORT_ERRORS_LISTED:
            listed.append(_("… and %(n)s more lines with errors.")
                          % {"n": len(errors) - IMPORT_ERRORS_LISTED})
        raise ValidationError({"text": [
            _("Nothing was imported: %(n)s lines are wrong.") % {"n": len(errors)},
            *listed]})
    if not lines:
        raise ValidationError({"text": [_("The file holds no price rules.")]})
    return lines


def _import_line(number: int, cells: list[str], groups: dict, seen: dict,
                 lines: list[_Line], *, comma: bool = False) -> str:
    """One line's rule appended to ``lines``, or what is wrong with it. ``comma``: the
    columns are separated by commas."""
    if len(cells) < 3 or len(cells) > 6:
        return _("%(n)s columns; a line has 3 to 6: prefix, billing group code, price per "
                 "minute[, first increment, next increment, connection fee].") % {
            "n": len(cells)}
    prefix, code, price, *rest = cells
    if comma and rest and _whole(price) and _whole(rest[0]):
        # "4860,mobile,0,25": 0,25 zł written with a decimal comma reads as the price 0
        # and a first increment of 25 s; "48,pl,1,60,60" may be 1,60 zł as well. Which
        # was meant cannot be told, and a wrong guess prices every call: refused.
        return f"{_FIELD_LABELS['price_per_minute']}: " + _(
            "“%(a)s” followed by “%(b)s” may be the price %(a)s,%(b)s cut in two by the "
            "commas between columns: write the price with a dot (%(a)s.%(b)s), in quotes "
            "(\"%(a)s,%(b)s\"), or separate the columns by “;”.") % {
            "a": price[:20], "b": rest[0][:20]}
    rest += [""] * (3 - len(rest))
    problems = []
    try:
        clean = rule_clean(prefix=prefix, price_per_minute=price,
                            first_increment=rest[0] or 60, next_increment=rest[1] or 60,
                            connection_fee=rest[2] or 0)
    except ValidationError as exc:
        clean = None
        problems += [f"{_FIELD_LABELS[key]}: {' '.join(messages)}"
                     for key, messages in exc.message_dict.items()]
    group_id = groups.get(code, groups.get(code.lower()))
    if group_id is None:
        problems.append(_("unknown billing group code “%(c)s”.") % {"c": code[:40]})
    if clean is not None:
        earlier = seen.get(clean["prefix"])
        if earlier is not None:
            problems.append(_("the prefix %(x)s is already on line %(n)s.")
                            % {"x": clean["prefix"], "n": earlier})
        else:
            seen[clean["prefix"]] = number
    if problems:
        return " ".join(problems)
    lines.append(_Line(number, clean["prefix"], group_id, clean["price_per_minute"],
                       clean["first_increment"], clean["next_increment"],
                       clean["connection_fee"]))
    return ""


def _whole(cell: str) -> bool:
    """Digits only: a whole number, or either half of a decimal comma split in two."""
    return cell.isascii() and cell.isdigit()
