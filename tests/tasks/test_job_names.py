"""Jobs live next to their domains; the names of jobs queued before they moved still run.

RQ stores a job by its function's dotted path, so after the upgrade Redis may still hold jobs
named ``konexi.jobs.<name>``: deliveries and their scheduled retries, unsubscribes, data exports
and the cron's periodic runs. ``konexi.jobs`` keeps exactly those names as aliases.
"""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.utils import import_attribute

import konexi.jobs
from konexi.config import ROOT
from konexi.extensions import db
from konexi.messaging import dispatch
from konexi.messaging.outbox import queue_sms
from konexi.models import DataExport, User
from konexi.services.privacy import export_jobs
from konexi.services.privacy.unsubscribe import is_suppressed
from konexi.tasks.schedule import SCHEDULE
from tests.support.factories import fresh
from tests.support.faults import start_worker, worker_environ
from tests.support.worker import run_worker_until_idle

# Every job name that could be waiting in Redis from before the move, with its queue: those that
# carry an id (queued by a request or the outbox), then the cron's periodic runs.
WITH_IDS = {
    "deliver_message": "sms",
    "process_unsubscribe": "default",
    "build_data_export": "default",
}
PERIODIC = (
    "sweep_outbox",
    "scrub_share_contacts",
    "send_weekly_digests",
    "purge_accounts",
    "purge_old_records",
    "delete_expired_exports",
    "requeue_stalled_exports",
)
OLD_NAMES = (*WITH_IDS, *PERIODIC)
DEADLINE = 30.0


def test_every_name_queued_before_the_move_resolves_to_the_job_in_its_domain():
    assert sorted(konexi.jobs.__all__) == sorted(OLD_NAMES)
    for name in OLD_NAMES:
        job = import_attribute(f"konexi.jobs.{name}")
        assert job.__module__ != "konexi.jobs", f"{name} still lives in konexi.jobs"
        assert job is import_attribute(f"{job.__module__}.{name}")


def test_the_app_enqueues_and_schedules_jobs_only_by_their_new_paths():
    assert dispatch.DELIVERY_JOB == "konexi.messaging.jobs.deliver_message"
    assert callable(import_attribute(dispatch.DELIVERY_JOB))
    assert all(recurring.func.__module__ != "konexi.jobs" for recurring in SCHEDULE)
    old_name = re.compile(r"from konexi import jobs\b|import konexi\.jobs\b|konexi\.jobs\.\w+\b")
    users = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "konexi").rglob("*.py"))
        if path != ROOT / "konexi" / "jobs.py"
        for line in path.read_text().splitlines()
        if old_name.search(line) and not line.lstrip().startswith("#")
    ]
    assert users == []


def _job_states(connection: Redis, job_ids: dict[str, str]) -> dict[str, JobStatus | None]:
    return {
        name: Job.fetch(job_id, connection=connection).get_status(refresh=True)
        for name, job_id in job_ids.items()
    }


def _enqueue_old_names(
    connection: Redis,
    queues: dict[str, str],
    arguments: dict[str, tuple[int, ...]],
    given_ids: dict[str, str] | None = None,
) -> dict[str, str]:
    """Queue each job as the release before the move did, under ``konexi.jobs.<name>``."""
    job_ids = {}
    for name, queue_name in queues.items():
        job = Queue(queue_name, connection=connection).enqueue(
            f"konexi.jobs.{name}",
            *arguments.get(name, ()),
            job_id=(given_ids or {}).get(name),
        )
        job_ids[name] = job.id
    return job_ids


@pytest.mark.slow  # a real process for many seconds: `make test` runs it, not the quick loop
def test_jobs_queued_under_their_old_names_are_run_by_the_worker_after_the_upgrade(
    app, create_user, database_url, redis_url, twilio, mailbox, tmp_path: Path
):
    user = create_user(email="siti@example.com")
    user.marketing_email = True
    sms = queue_sms(to="+6281200000009", body="Kode Anda 246810", kind="claim_code")
    db.session.commit()  # queued by the release before this one, then the deploy happened
    data_export, _created = export_jobs.request_large_export(user.id)
    connection = Redis.from_url(redis_url)
    job_ids = _enqueue_old_names(
        connection,
        WITH_IDS,
        {
            "deliver_message": (sms.id,),
            "process_unsubscribe": (user.id,),
            "build_data_export": (data_export.id,),
        },
        # As the outbox names a delivery: the sweeper then sees it waiting and leaves it alone.
        {"deliver_message": dispatch.delivery_job_id(sms.id, 0)},
    )
    log = (tmp_path / "worker.log").open("w+")
    worker = start_worker(worker_environ(database_url, redis_url, twilio, mailbox), log)
    try:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            states = _job_states(connection, job_ids)
            if all(state in (JobStatus.FINISHED, JobStatus.FAILED) for state in states.values()):
                break
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=DEADLINE) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    log.seek(0)
    output = log.read()
    log.close()

    states = _job_states(connection, job_ids)
    assert states == dict.fromkeys(WITH_IDS, JobStatus.FINISHED), output
    assert {Job.fetch(i, connection=connection).func_name for i in job_ids.values()} == {
        f"konexi.jobs.{name}" for name in WITH_IDS
    }
    assert [message.body for message in twilio.to("+6281200000009")] == ["Kode Anda 246810"]
    assert fresh(User, user.id).marketing_email is False
    assert is_suppressed("siti@example.com")
    assert fresh(DataExport, data_export.id).status == "ready"
    connection.close()


def test_periodic_runs_queued_under_their_old_names_are_run_too(app, redis_url):
    connection = Redis.from_url(redis_url)
    job_ids = _enqueue_old_names(connection, dict.fromkeys(PERIODIC, "default"), {})
    run_worker_until_idle(redis_url)  # RQ's worker, in this process and its app context
    assert _job_states(connection, job_ids) == dict.fromkeys(PERIODIC, JobStatus.FINISHED)
    connection.close()
