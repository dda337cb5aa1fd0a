"""`mscwatch run`: the scheduler daemon, or one job now (`--job`)."""

from __future__ import annotations

import logging
import os
import signal
from types import FrameType

import typer

from etl import clock
from etl.cli.common import engine, out, settings, stop_on_signal
from etl.db.states import Outcome
from etl.errors import ConfigError
from etl.mail.transport import open_transport
from etl.scheduler.daemon import Daemon
from etl.scheduler.jobs import JobContext
from etl.scheduler.runner import run_job
from etl.scheduler.stop import StopSignal
from etl.settings import JOBS, Settings

log = logging.getLogger("etl.scheduler")


def run(
    job: str = typer.Option(
        None, "--job", help="Run this one job now (e.g. crawl:pubmed, digest:send) and exit."
    ),
) -> None:
    """Run the jobs of config/schedule.toml on their schedule until SIGTERM or Ctrl-C; a
    running job finishes its batch and commits first."""
    config = settings()
    if job:
        _one(config, job)
        return
    if not config.scheduled_jobs():
        raise ConfigError(
            f"{config.config_dir / 'schedule.toml'}: no job to run",
            "add crontab lines under [schedule.jobs] (see the comments in that file)",
        )
    stop = StopSignal()
    daemon = Daemon(_context(config, stop))

    def ask(signum: int, frame: FrameType | None) -> None:
        log.info("%s: stopping after the running jobs' current batch", signal.Signals(signum).name)
        stop.set()

    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, ask)
    late = daemon.start()
    catching = f"; catching up {', '.join(late)}" if late else ""
    log.info(
        "scheduler started (pid %d): %d jobs, times in %s%s",
        os.getpid(),
        len(config.scheduled_jobs()),
        config.schedule.timezone,
        catching,
    )
    while not stop.wait(3600):
        pass
    daemon.stop()
    log.info("scheduler stopped")


def _context(config: Settings, stop: StopSignal) -> JobContext:
    return JobContext(config, engine(config), clock.now, stop, lambda: open_transport(config))


def _one(config: Settings, job: str) -> None:
    jobs = [*(f"crawl:{name}" for name in config.source_names()), *JOBS]
    if job not in jobs:
        raise ConfigError(f"--job {job!r} is not a job", f"jobs are: {', '.join(jobs)}")
    with stop_on_signal("stopping after the batch in hand…") as stop:
        result = run_job(_context(config, stop), job, "manual")
    out.print(f"{job}: {result.outcome}: {result.summary()}", highlight=False, soft_wrap=True)
    if result.outcome in (Outcome.FAILED, Outcome.SKIPPED):
        raise typer.Exit(1)
