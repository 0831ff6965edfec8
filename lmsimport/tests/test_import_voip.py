"""The voip stage of the LMS import: Abonent has no VoIP module yet (issue 18), so LMS's
accounts, numbers and calls are counted and reported as skipped — never dropped silently."""

from datetime import datetime

import pytest

from lmsimport.models import ImportRun
from lmsimport.report import report_text
from lmsimport.runner import import_run
from lmsimport.stages import voip
from lmsimport.tests.generator import LmsWriter, scenario_small
from lmsimport.tests.generator_helpdesk import scenario_helpdesk, voip_account, voip_call

pytestmark = pytest.mark.django_db

STAGES = [("voip", voip.run)]


@pytest.fixture
def lms(lms_db):
    with lms_db.connect() as conn:
        lms_db.writer = LmsWriter(conn)
        lms_db.made = scenario_small(lms_db.writer)
        lms_db.rt = scenario_helpdesk(lms_db.writer, lms_db.made)
        yield lms_db


def stage(run):
    return next(s for s in run.report["stages"] if s["name"] == "voip")


def test_each_kind_is_one_skipped_line_with_its_count(lms, tenant):
    run = import_run(tenant=tenant, dsn=lms.dsn, stages=STAGES)
    assert run.status == ImportRun.Status.DONE
    counts = stage(run)["counts"]
    assert counts["voip_account"]["read"] == counts["voip_account"]["skipped"] == 2
    assert counts["voip_number"]["read"] == counts["voip_number"]["skipped"] == 3
    assert counts["voip_call"]["read"] == counts["voip_call"]["skipped"] == 3
    lines = stage(run)["problems"]
    assert [(p["kind"], p["action"]) for p in lines] == [
        ("voip_account", "skipped"), ("voip_number", "skipped"), ("voip_call", "skipped")]
    assert all("issue 18" in p["message"] and "does not exist yet" in p["message"]
               for p in lines)
    assert lines[0]["message"].startswith("2 rows of voipaccounts")
    assert lines[1]["message"].startswith("3 rows of voip_numbers")
    assert "issue 18" in report_text(run.report)


def test_counts_follow_lms_and_an_empty_kind_has_no_line(lms, tenant):
    w = lms.writer
    account = voip_account(w, lms.made["customers"]["overpaid"], "48229990000", "x",
                           numbers=["48229990000"])
    voip_call(w, "48229990000", "48601000000", datetime(2025, 4, 1, 8), 5, account=account,
              uniqueid="call-new")
    run = import_run(tenant=tenant, dsn=lms.dsn, stages=STAGES)
    counts = stage(run)["counts"]
    assert (counts["voip_account"]["skipped"], counts["voip_number"]["skipped"],
            counts["voip_call"]["skipped"]) == (3, 4, 4)
    w.conn.execute("DELETE FROM voip_cdr")
    run = import_run(tenant=tenant, dsn=lms.dsn, stages=STAGES)
    assert [p["kind"] for p in stage(run)["problems"]] == ["voip_account", "voip_number"]
    assert stage(run)["counts"]["voip_call"]["read"] == 0
