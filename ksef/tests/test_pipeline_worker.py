"""A real Celery worker killed (SIGKILL) in the middle of a KSeF session: a second worker
finishes the run and every invoice reaches KSeF (the local peer) exactly once.

The workers are this file run as a script (``--worker``): a Celery worker on a free Redis
database against the test database, with a short claim lease and, for the first one, a
pause *after* each invoice reached KSeF and before the pipeline records it — the window
in which a crash would tempt a naive pipeline to send the invoice again.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def worker_main(name: str) -> None:
    import django

    django.setup()
    from datetime import timedelta

    from config.celery import app
    from ksef import pipeline
    from ksef.client import KsefClient

    pipeline.LEASE = timedelta(seconds=float(os.environ["KSEF_TEST_LEASE_S"]))
    pause = float(os.environ.get("KSEF_TEST_PAUSE_AFTER_SEND_S", "0"))
    if pause:
        real_send = KsefClient.invoice_send

        def send_then_pause(self, *args, **kwargs):
            sent = real_send(self, *args, **kwargs)
            time.sleep(pause)
            return sent

        KsefClient.invoice_send = send_then_pause
    app.worker_main(["worker", "-P", "solo", "-n", f"{name}@%h", "--loglevel=WARNING",
                     "--without-gossip", "--without-mingle", "--without-heartbeat"])


def _free_redis_db() -> str:
    import redis

    for db in range(12, 0, -1):
        url = f"redis://127.0.0.1:6379/{db}"
        if redis.Redis.from_url(url, socket_connect_timeout=2).dbsize() == 0:
            return url
    pytest.skip("no empty Redis database for the worker's queue")


def _start(name: str, env: dict, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, __file__, "--worker", name], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_session_sends_nothing_twice(peer_profile, tenant, staff, customer,
                                                       ksef_peer_clean, monkeypatch,
                                                       tmp_path):
    import redis
    from celery import Celery
    from django.db import connection

    from ksef import pipeline
    from ksef.models import KsefSubmission
    from ksef.tests.fixtures_pipeline import issue

    State = KsefSubmission.State
    monkeypatch.setattr(pipeline, "send_later", lambda *a, **kw: None)
    invoices = issue(staff, customer, 20)
    pipeline.submissions_queue(document_ids=[i.pk for i in invoices], trigger="issue")

    redis_url = _free_redis_db()
    db = connection.settings_dict
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REDIS_URL": redis_url,
           "DJANGO_SETTINGS_MODULE": "config.settings", "KSEF_TEST_LEASE_S": "2",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"}
    broker = Celery(broker=redis_url)
    log = tmp_path / "workers.log"
    first = _start("first", {**env, "KSEF_TEST_PAUSE_AFTER_SEND_S": "0.3"}, log)
    second = None
    try:
        broker.send_task("ksef.tasks.ksef_send", args=[tenant.pk])
        _wait(lambda: len(ksef_peer_clean.received()) >= 5, 60, "the first invoices sent")
        _kill(first)  # mid-session, most likely within the pause after a send
        received = {r["hash"] for r in ksef_peer_clean.received()}
        states = Counter(KsefSubmission.objects.values_list("state", flat=True))
        assert states[State.SENDING] > 0 and states[State.ACCEPTED] == 0
        # An invoice KSeF has while its row still says "sending": the case to resume.
        assert KsefSubmission.objects.filter(state=State.SENDING,
                                             invoice_hash__in=received).exists()

        second = _start("second", env, log)
        broker.send_task("ksef.tasks.ksef_send", args=[tenant.pk])
        _wait(lambda: not KsefSubmission.objects.exclude(state=State.ACCEPTED).exists(),
              90, f"every invoice accepted (log: {log.read_text()[-2000:]})")
    finally:
        _kill(first)
        if second is not None:
            _kill(second)
        redis.Redis.from_url(redis_url).flushdb()
    got = Counter(n for r in ksef_peer_clean.received() for n in [
        i.number for i in invoices if f"<P_2>{i.number}</P_2>" in r["xml"]])
    assert len(ksef_peer_clean.received()) == 20
    assert set(got.values()) == {1} and len(got) == 20


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    worker_main(sys.argv[2])
