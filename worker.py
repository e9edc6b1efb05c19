"""The background worker: ``python worker.py`` (the Procfile's ``worker:`` process).

Runs an RQ worker on the sms, email, default and periodic queues with RQ's scheduler (which
enqueues retries scheduled with ``enqueue_in``), and RQ's CronScheduler in a child process with
every recurring job from ``konexi/tasks/schedule.py``. SIGTERM (a deploy or restart) lets the
current job finish, stops the cron process and exits 0.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq.cron import CronScheduler
from rq.exceptions import StopRequested
from rq.executions import Execution
from rq.job import Job
from rq.queue import Queue
from rq.worker import HerokuWorker

from konexi import create_app
from konexi.config import ConfigError
from konexi.extensions import db
from konexi.redis_client import connect_redis, describe_redis
from konexi.tasks.queue import QUEUE_NAMES

log = logging.getLogger("konexi.worker")

SCHEDULE_MODULE = "konexi.tasks.schedule"
CRON_STOP_TIMEOUT = 10
SHUTDOWN_DEADLINE = 27.0  # seconds after SIGTERM; the platform sends SIGKILL at 30


class KonexiWorker(HerokuWorker):
    """RQ's forking worker for platforms that SIGTERM every process on a restart: a running job
    gets ``imminent_shutdown_delay`` seconds to finish; each job opens its own DB connections."""

    imminent_shutdown_delay = 20  # sends time out after 15s; the platform waits 30s
    stopping = False  # a SIGTERM/SIGINT arrived: errors from here on are about stopping
    cron: BaseProcess | None = None  # the cron child, stopped with the worker

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        if not self.stopping:
            self.stopping = True
            start_shutdown_watchdog(self)
        super().request_stop(signum, frame)

    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        # Runs in the forked work horse: sockets inherited from the parent must not be reused.
        db.engine.dispose(close=False)
        try:
            return super().perform_job(job, queue, execution)
        finally:
            db.session.remove()


class KonexiCronScheduler(CronScheduler):
    """RQ's CronScheduler that also stops when the worker process that started it is gone."""

    def __init__(self, connection: Redis, parent_pid: int) -> None:
        super().__init__(connection=connection, name=f"konexi-cron:{os.getpid()}")
        self.parent_pid = parent_pid

    def heartbeat(self) -> None:
        if os.getppid() != self.parent_pid:
            self.log.warning("CronScheduler %s: the worker is gone, stopping", self.name)
            raise StopRequested()
        super().heartbeat()


def run_cron(config: Mapping[str, Any], parent_pid: int) -> None:
    """The cron child process: enqueue each recurring job when due, until SIGTERM."""
    scheduler = KonexiCronScheduler(connect_redis(config), parent_pid=parent_pid)
    scheduler.load_config_from_file(SCHEDULE_MODULE)
    for cron_job in scheduler.get_jobs():
        when = f"every {cron_job.interval}s" if cron_job.interval else f"at '{cron_job.cron}'"
        log.info("cron: %s on queue %s %s", cron_job.name, cron_job.queue_name, when)
    try:
        scheduler.start()
    except RedisError as error:
        # Redis went away (a failover, or the add-on restarting): the worker's own log line says
        # so too; the platform starts a new worker, whose cron child registers afresh.
        log.error("cron: stopped, Redis is unreachable: %s", error)


def start_cron(config: Mapping[str, Any]) -> BaseProcess:
    """Start RQ's CronScheduler in a child process (it needs its own main thread for signals)."""
    process = multiprocessing.get_context("fork").Process(
        target=run_cron, args=(config, os.getpid()), name="konexi-cron", daemon=False
    )
    process.start()
    return process


def stop_cron(process: BaseProcess) -> None:
    if process.is_alive() and process.pid:
        os.kill(process.pid, signal.SIGTERM)
    process.join(CRON_STOP_TIMEOUT)
    if process.is_alive():
        log.warning("cron process did not stop in %ss, killing it", CRON_STOP_TIMEOUT)
        process.kill()
        process.join()


def start_shutdown_watchdog(worker: KonexiWorker, deadline: float = SHUTDOWN_DEADLINE) -> None:
    """After a SIGTERM the worker must be gone before the platform's SIGKILL (30 s later). If
    stopping gets stuck anyway (RQ waits on its scheduler process, or on Redis), leave at
    ``deadline`` with one log line and every thread's stack instead of being killed unseen;
    the children go too. The job in hand, if any, had its 20 s."""

    def watch() -> None:
        time.sleep(deadline)
        # No logging here: the main thread may be stuck holding the logging module's lock (a
        # signal handler that raised inside it). Straight to stderr, as faulthandler does.
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        line = f"{stamp} ERROR konexi.worker: worker still stopping {deadline}s after SIGTERM: "
        os.write(2, (line + "leaving now (stacks follow)\n").encode())
        faulthandler.dump_traceback(all_threads=True)
        scheduler = getattr(getattr(worker, "scheduler", None), "_process", None)
        for child in (worker.cron, scheduler):
            if child is not None and child.pid:
                with contextlib.suppress(OSError):
                    os.kill(child.pid, signal.SIGKILL)
        if worker.horse_pid:
            with contextlib.suppress(OSError):
                os.kill(worker.horse_pid, signal.SIGKILL)
        os._exit(0)

    threading.Thread(target=watch, name="konexi-shutdown-watchdog", daemon=True).start()


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    # Until RQ installs its own handlers: leave through the finally blocks that stop cron.
    raise SystemExit(0)


def preload() -> None:
    """Import the jobs (and the Twilio API they use) once, so each forked job starts warm;
    ``konexi.jobs`` holds the old names of jobs queued before they moved to their domains."""
    import twilio.rest.api.v2010.account.message  # noqa: F401

    import konexi.jobs  # noqa: F401
    import konexi.messaging.jobs  # noqa: F401
    import konexi.services.catalogue.jobs  # noqa: F401
    import konexi.services.privacy.jobs  # noqa: F401
    import konexi.services.sharing.jobs  # noqa: F401


def main() -> int:
    try:
        app = create_app()
    except ConfigError as error:
        # One clear line in the platform's log instead of a traceback (as wsgi.py does).
        print(f"konexi worker: {error}", file=sys.stderr)  # noqa: T201
        return 1
    redis_url = app.config.get("REDIS_URL")
    if not redis_url:
        log.error("REDIS_URL is not set: jobs run in-process in the web app, no worker is needed")
        return 1
    connection = connect_redis(app.config)
    try:
        connection.ping()
    except RedisError as exc:
        log.error("cannot reach Redis at %s: %s", describe_redis(redis_url), exc)
        if "CERTIFICATE_VERIFY_FAILED" in str(exc):
            log.error(
                "the Redis server's TLS certificate could not be verified "
                "(REDIS_SSL_CERT_REQS=%s); Heroku's Redis uses a self-signed certificate: "
                "REDIS_SSL_CERT_REQS=none",
                app.config["REDIS_SSL_CERT_REQS"],
            )
        return 1
    preload()
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGINT, _exit_on_signal)
    log.info(
        "worker starting (%s) on queues %s with Redis at %s",
        app.config["KONEXI_ENV"],
        ", ".join(QUEUE_NAMES),
        describe_redis(redis_url),
    )
    with app.app_context():
        cron = start_cron(app.config)
        worker = KonexiWorker(list(QUEUE_NAMES), connection=connection)
        worker.cron = cron
        try:
            worker.work(
                with_scheduler=True, logging_level=logging.getLevelName(log.getEffectiveLevel())
            )
        except Exception as error:
            if not worker.stopping:
                raise  # a crash: exit 1 and the platform restarts the worker
            # Asked to stop (a deploy, a restart) and something failed on the way out, most
            # often Redis gone during a failover: the job in hand has finished or was given
            # back, so this is still a clean stop. One line says what could not be done.
            log.error(
                "worker could not stop cleanly (%s: %s); the next worker cleans up after it",
                type(error).__name__,
                error,
            )
        finally:
            stop_cron(cron)
    log.info("worker stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
