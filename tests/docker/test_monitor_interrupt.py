"""Ctrl-C while ``run_jobs`` launches on worker threads: every container launched is removed."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import pytest

from executor_kit.backends.docker.executor import DockerExecutor
from executor_kit.job import ContainerJob, JobLike
from executor_kit.monitor import run_jobs
from executor_kit.probe import Probe

pytestmark = pytest.mark.docker


class InterruptedMidLaunch(DockerExecutor):
    """The first launch sends SIGINT to the main thread, then every launch goes on to the engine."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.signalled = threading.Event()
        self.launched: list[str] = []

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        if not self.signalled.is_set():
            self.signalled.set()
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        ok, value = super().launch_job(job)
        if ok:
            self.launched.append(value)
        return ok, value


def test_interrupt_with_launches_in_flight_leaves_no_container(
    docker_client: Any, run_labels: dict[str, str], probe_image: str, run_containers: Any
) -> None:
    executor = InterruptedMidLaunch({"labels": run_labels, "pull_policy": "never"})
    jobs = [ContainerJob(image=probe_image, command=Probe().sleep(30).argv, name=f"irq-{i}") for i in range(8)]
    before = run_containers()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_jobs(executor, jobs, launch_workers=8, concurrency=8)
        time.sleep(3)  # a launch the monitor lost track of would finish by now
        assert executor.launched, "no launch returned: the test proves nothing"
        assert run_containers() - before == set()
    finally:
        for execution_id in executor.launched:
            executor.cleanup(execution_id)
        executor.close()
