"""Stage "voip": LMS's VoIP accounts, their numbers and call records, counted and reported.

Abonent has no VoIP module yet (issue 18), so nothing is written: each kind gets one
report line with its count and the reason, so the ISP sees what the import left behind
and nothing disappears silently.

TODO(issue 18): once the ``voip`` app exists with its models and services, import
``voipaccounts`` (owner via the "customer" mapping, login, password, access flag),
``voip_numbers`` (the account's numbers in ``number_index`` order, their tariffs) and,
if the module keeps them, ``voip_cdr``. Until then this stage only reports, even where a
``voip`` app is installed: writing into a module whose rules are not settled would be
guessing.
"""

from django.utils.translation import gettext as _

from lmsimport.report import Problem

KINDS = (
    # (report kind, LMS table)
    ("voip_account", "voipaccounts"),
    ("voip_number", "voip_numbers"),
    ("voip_call", "voip_cdr"),
)


def run(ctx) -> None:
    for kind, table in KINDS:
        count = ctx.lms.all(f"SELECT count(*) AS n FROM {table}")[0]["n"]  # noqa: S608
        ctx.report.add(kind, "read", count)
        if not count:
            continue
        ctx.report.add(kind, "skipped", count)
        # One line per kind with the count (lms_id 0: no single row), not one per row.
        ctx.report.problems.append(Problem(
            lms_id=0, kind=kind, action="skipped",
            message=_("%(n)s rows of %(table)s: the VoIP module does not exist yet "
                      "(issue 18)") % {"n": count, "table": table}))
    ctx.advance(1, 1)
