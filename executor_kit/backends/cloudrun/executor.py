"""``CloudRunExecutor``: Cloud Run Jobs through the Admin API v2 and Cloud Logging v2.

How the contract maps onto Cloud Run:

* **launch** runs a Cloud Run job (``POST v2/{job}:run``) with per-execution
  overrides: the argv after the program (``args``), the environment
  (``env``, secrets included), ``taskCount`` 1 and the job's ``timeout``. The
  execution id is the execution's full resource name. ``jobs.run`` answers with
  a long-running operation that is done only when the execution ends, so the
  id is read from its ``metadata`` (an ``Execution``) without waiting.
* ``jobs.run`` overrides cannot change the image, the program, the labels or
  the limits. So with ``create_job: true`` each launch creates its own job
  ``<job>-<8 hex>`` from the ``ContainerJob`` (image, program, labels,
  ``maxRetries`` 0) and cleanup deletes it again. Without it, the configured
  job must exist and run the job's image and program, or the launch is
  refused with ``(False, message)``.
* **status** comes from the execution's ``Completed`` condition (and its
  counts): succeeded → ``exited``; failed with reason ``NON_ZERO_EXIT_CODE`` →
  ``exited``; any other failure (cancelled, timed out, could not start) →
  ``failed``; no verdict yet → ``running``; 404 → ``not-found``.
* **exit codes** come from the task's ``lastAttemptResult.exitCode`` (proto3
  JSON omits a zero). An execution that ended without one is harvested with
  exit code ``-1``.
* **timeouts** travel natively (``overrides.timeout``) and are also enforced
  by ``check_status``: an execution still running past ``startTime`` plus its
  ``template.timeout`` is cancelled and reads ``failed``. Harvest records
  ``timeout`` for an execution that ended without an exit code at or after its
  deadline; this is derived from the execution itself, so it survives a
  restart of the caller.
* **logs** come from Cloud Logging ``entries:list`` filtered by the execution
  name, split by log name (``run.googleapis.com/stdout`` and ``/stderr``),
  every page, oldest first. Each entry is one line. Cloud Logging keeps logs
  after an execution is deleted, so ``get_logs`` first checks that the
  execution still exists. Ingestion delay is real on Cloud Run: logs written in
  the last seconds may not be listed yet.
* **live logs** (``supports_log_streaming``): ``stream_logs`` polls the same
  ``entries:list`` every ``log_poll_seconds`` seconds (default 5: Cloud
  Logging limits read requests per project, and every poll costs a read per
  page plus an ``executions.get``), on ``self.clock``. Each read resumes
  where the last stopped, as the REST API allows tailing: the filter asks for
  ``timestamp>=`` the newest timestamp delivered, and entries already
  delivered at that timestamp are skipped by ``insertId`` (Cloud Logging orders
  equal timestamps by it). With ``follow`` it reads until it has seen the
  execution ended, then once more, and ends; a line that reaches Cloud Logging
  later than that final read (ingestion delay) is in ``get_logs`` afterwards,
  not in the stream. One chunk per line, so no character is ever split.
* **cancel** (``supports_cancel``) is ``executions.cancel``: the execution
  reads ``failed`` (reason ``CANCELLED``) and harvests ``cancelled`` with exit
  code ``-1`` (Cloud Run gives none), its logs kept until cleanup.
* **cleanup** cancels a running execution, deletes it, and deletes the job if
  this executor created it (``create_job``); each 404 counts as done.
* **errors**: 401/403 → ``ExecutorAuthenticationError``; 429 and 503 are
  retried with exponential backoff on ``self.clock``, then raise
  ``ExecutorResourceError`` (429) or ``ExecutorConnectionError`` (503); other
  5xx and network errors → ``ExecutorConnectionError``; other 4xx at launch →
  ``(False, message)``, elsewhere ``ExecutorConfigurationError``. Secret values
  are removed from every message.

Beside it in this package: ``settings`` (the options), ``api`` (the HTTP
client: retries, paging, operations, error mapping), ``jobs`` (the job a
launch runs), ``executions`` (reading an execution), ``logs`` (entries as
chunks) and ``emulator`` (the offline emulation).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar

import requests

from executor_kit.backends.cloudrun import executions, jobs
from executor_kit.backends.cloudrun.api import SCOPE, CloudRunApi, RejectedError, authorized_session, load_credentials
from executor_kit.backends.cloudrun.logs import STREAMS, LogCursor, entries_request, log_chunks
from executor_kit.backends.cloudrun.settings import CloudRunSettings
from executor_kit.base import ContainerExecutor, LogChunk
from executor_kit.clock import Clock
from executor_kit.errors import ExecutorConfigurationError, ExecutorError
from executor_kit.job import JobLike, already_harvested, mark_launched, record_result, secret_values, validate_job
from executor_kit.redaction import SecretLogGuard
from executor_kit.status import ExecutionStatus

__all__ = ["SCOPE", "CloudRunExecutor", "CloudRunSettings"]

#: The loggers of the libraries this executor drives; secret values never reach their records.
_LIBRARY_LOGGERS = ("requests", "urllib3", "google.auth", "responses")


class CloudRunExecutor(ContainerExecutor):
    """Runs jobs as Cloud Run Jobs executions (see the module docstring for the mapping).

    Args:
        config: ``project`` and ``region`` (required); ``job`` (the job to
            run, or the name prefix with ``create_job``); ``create_job``;
            ``credentials`` (credentials or a service-account key file; default
            Application Default Credentials); ``run_endpoint``,
            ``logging_endpoint``; ``max_attempts``, ``initial_backoff``,
            ``max_backoff`` (429/503 retries); ``poll_interval``,
            ``operation_timeout`` (long-running operations);
            ``request_timeout``; ``log_page_size``; ``log_poll_seconds``
            (seconds between the reads of ``stream_logs``); ``harvest_cleans_up``
            (``harvest_job`` cleans up after itself). Validated by ``CloudRunSettings``.
        clock: Where time is read and waited (retries, deadlines, log polls).
        session: A ready ``requests.Session`` to use instead of building an
            ``AuthorizedSession`` from the credentials.

    Raises:
        ExecutorConfigurationError: for a missing project or region, or any
            malformed setting.
        ExecutorAuthenticationError: when no credentials can be found.

    Example:
        >>> import requests
        >>> ex = CloudRunExecutor({"project": "my-project", "region": "us-central1"},
        ...                       session=requests.Session())
        >>> ex.name, ex.get_capabilities()["supports_resource_limits"], ex
        ('cloudrun', False, CloudRunExecutor(project='my-project', region='us-central1', job='executor-kit'))
    """

    #: Limits, networking and storage are not applied; secrets travel as env values.
    name: ClassVar[str] = "cloudrun"

    capabilities: ClassVar[Mapping[str, bool]] = {
        "supports_resource_limits": False,
        "supports_networking": False,
        "supports_persistent_storage": False,
        "supports_secrets": True,
        "separates_output_streams": True,
        # The platform stores logs as one entry per line: where a line ends is not kept.
        "line_oriented_logs": True,
        "supports_cancel": True,
        "supports_log_streaming": True,
    }

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(config, clock=clock)
        self.settings = CloudRunSettings.from_mapping(self.config)
        http = session if session is not None else authorized_session(load_credentials(self.settings.credentials))
        self._api = CloudRunApi(http, self.settings, self.clock)
        self._secret_logs = SecretLogGuard(_LIBRARY_LOGGERS, owner=self)

    def __repr__(self) -> str:
        s = self.settings
        return f"CloudRunExecutor(project={s.project!r}, region={s.region!r}, job={s.job!r})"

    # -- launch --------------------------------------------------------------
    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        """Run the job as a new Cloud Run execution; ``(True, execution name)``.

        Example:
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation
            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").argv)
            >>> ok, eid = ex.launch_job(job)
            >>> ok, eid == job.external_execution_id, str(job.status)
            (True, True, 'running')
            >>> eid.startswith("projects/emulated-project/locations/us-central1/jobs/executor-kit-")
            True
            >>> ex.launch_job(ContainerJob(image="ghcr.io/acme/missing:1"))
            (False, "Cloud Run refused job 'ghcr.io/acme/missing:1': Image 'ghcr.io/acme/missing:1' not found.")
            >>> ex.close()
        """
        try:
            validate_job(job)
        except ExecutorConfigurationError as exc:
            return False, str(exc)
        secrets = secret_values(job)
        try:
            with self._secret_logs.hiding(secrets):
                execution = self._launch(job, secrets)
        except RejectedError as exc:
            return False, f"Cloud Run refused job {job.image!r}: {exc}"
        self._secret_logs.keep(execution, secrets)  # an execution's GET answer carries the overrides
        mark_launched(job, execution, self.clock.now())
        return True, execution

    def _launch(self, job: JobLike, secrets: list[str]) -> str:
        if not self.settings.create_job:
            return jobs.run_job(self._api, jobs.existing_job(self._api, job), job, secrets)
        job_name = jobs.create_job(self._api, job)
        try:
            return jobs.run_job(self._api, job_name, job, secrets)
        except ExecutorError:
            jobs.delete_job(self._api, job_name)
            raise

    # -- status ----------------------------------------------------------------
    def _get(self, execution_id: str) -> dict[str, Any] | None:
        if not isinstance(execution_id, str) or not executions.EXECUTION_NAME.fullmatch(execution_id):
            return None
        return self._api.run("GET", execution_id)

    def _observe(self, execution: dict[str, Any]) -> ExecutionStatus:
        status = executions.status(execution)
        deadline = executions.deadline(execution)
        if status is ExecutionStatus.RUNNING and deadline is not None and self.clock.now() >= deadline:
            self._cancel(execution["name"])
            return ExecutionStatus.FAILED
        return status

    def check_status(self, execution_id: str) -> ExecutionStatus:
        """``running``, ``exited``, ``failed`` or ``not-found``; cancels past the deadline.

        Example:
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation
            >>> done = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(2).exit(3).argv))[1]
            >>> slow = ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv, timeout_seconds=5)
            >>> stuck = ex.launch_job(slow)[1]
            >>> str(ex.check_status(done)), str(ex.check_status(stuck))
            ('running', 'running')
            >>> ex.clock.sleep(6)  # the first exits with 3; the second outlives its timeout and is cancelled
            >>> str(ex.check_status(done)), str(ex.check_status(stuck))
            ('exited', 'failed')
            >>> str(ex.check_status("projects/emulated-project/locations/us-central1/jobs/j/executions/j-1"))
            'not-found'
            >>> ex.close()
        """
        execution = self._get(execution_id)
        return ExecutionStatus.NOT_FOUND if execution is None else self._observe(execution)

    def _all_executions(self) -> Iterator[dict[str, Any]]:
        url = f"{self.settings.run_endpoint}/v2/{self.settings.parent}/jobs/-/executions"
        return self._api.pages("GET", url, "executions", params={"pageSize": 100})

    def check_statuses(self, execution_ids: Iterable[str]) -> dict[str, ExecutionStatus | str]:
        """Statuses from one paged listing of the region's executions.

        Example:
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation
            >>> quick = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().exit(0).argv))[1]
            >>> slow = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv))[1]
            >>> statuses = ex.check_statuses([quick, slow, "not-an-execution"])
            >>> [str(statuses[eid]) for eid in (quick, slow, "not-an-execution")]
            ['exited', 'running', 'not-found']
            >>> ex.close()
        """
        wanted = list(execution_ids)
        found = {e["name"]: e for e in self._all_executions() if e.get("name") in set(wanted)}
        return {eid: self._observe(found[eid]) if eid in found else ExecutionStatus.NOT_FOUND for eid in wanted}

    def find_executions(self, labels: Mapping[str, str]) -> list[str]:
        """Names of the region's executions whose labels include ``labels``.

        Executions carry their job's labels, so this finds what ``create_job``
        launched with those labels (and every execution of a configured job
        that carries them).

        Example:
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation
            >>> docs = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=["probe"], labels={"team": "docs"}))[1]
            >>> ops = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=["probe"], labels={"team": "ops"}))[1]
            >>> ex.find_executions({"team": "docs"}) == [docs], sorted(ex.find_executions({})) == sorted([docs, ops])
            (True, True)
            >>> ex.find_executions({"team": "nobody"})
            []
            >>> ex.close()
        """
        wanted = dict(labels).items()
        return [e["name"] for e in self._all_executions() if wanted <= dict(e.get("labels", {})).items()]

    # -- logs --------------------------------------------------------------------
    def _log_entries(
        self, execution_id: str, execution: Mapping[str, Any], since: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """The execution's stdout and stderr entries (at or after ``since``), oldest first, every page."""
        body = entries_request(execution_id, execution, since, self.settings.log_page_size)
        return self._api.pages("POST", f"{self.settings.logging_endpoint}/v2/entries:list", "entries", body=body)

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        """``(stdout, stderr)`` from Cloud Logging, every page; ``("", "")`` if unknown.

        Example:
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation
            >>> eid = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").err("oops").argv))[1]
            >>> ex.get_logs(eid)
            ('hi\\n', 'oops\\n')
            >>> ex.get_logs("projects/emulated-project/locations/us-central1/jobs/j/executions/j-1")
            ('', '')
            >>> ex.close()
        """
        execution = self._get(execution_id)
        if execution is None:
            return "", ""
        lines: dict[str, list[str]] = {stream: [] for stream in STREAMS}
        for stream, text in log_chunks(self._log_entries(execution_id, execution)):
            lines[stream].append(text)
        return "".join(lines["stdout"]), "".join(lines["stderr"])

    def stream_logs(self, execution_id: str, *, follow: bool = True) -> Iterator[LogChunk]:
        """Live ``(stream, text)`` chunks, one per line, by polling Cloud Logging every ``log_poll_seconds``.

        Each read asks ``entries:list`` only for entries at or after the
        newest timestamp delivered and skips those already delivered (by
        ``insertId``). With ``follow`` the iterator reads until it has seen the
        execution ended (as ``check_status`` would: past its deadline it is
        cancelled), then reads once more and ends; without it, it reads once.
        Joined per stream the chunks equal ``get_logs``. An unknown, empty or
        deleted id gives an empty iterator; a deletion while following ends
        it. Nothing is contacted until the first ``next``; nothing is
        held between reads, so closing early releases everything. The waits
        are ``self.clock.sleep``: on a virtual clock they advance it.

        Raises:
            ExecutorError: (while iterating) as ``get_logs`` does, for backend-level trouble.

        Example:
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation
            >>> eid = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().out("a").sleep(8).err("b").argv))[1]
            >>> list(ex.stream_logs(eid, follow=False))  # what was written so far
            [('stdout', 'a\\n')]
            >>> start = ex.clock.monotonic()
            >>> list(ex.stream_logs(eid)), ex.clock.monotonic() - start  # read every 5 s until it had ended
            ([('stdout', 'a\\n'), ('stderr', 'b\\n')], 10.0)
            >>> list(ex.stream_logs("projects/emulated-project/locations/us-central1/jobs/j/executions/j-1"))
            []
            >>> ex.close()
        """
        return self._tail(execution_id, follow)

    def _tail(self, execution_id: str, follow: bool) -> Iterator[LogChunk]:
        cursor = LogCursor()
        execution = self._get(execution_id)
        while execution is not None:
            # Whether it had ended is read before the logs: the read after the end is the last one.
            last = not follow or self._observe(execution) is not ExecutionStatus.RUNNING
            yield from log_chunks(cursor.fresh(self._log_entries(execution_id, execution, cursor.since)))
            if last:
                return
            self.clock.sleep(self.settings.log_poll_seconds)
            execution = self._get(execution_id)

    # -- harvest -----------------------------------------------------------------
    def harvest_job(self, job: JobLike) -> bool:
        """Record the result of a finished execution on ``job``; ``False`` while running or unknown.

        Example:
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation
            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").sleep(5).exit(3).argv)
            >>> _ = ex.launch_job(job)
            >>> ex.harvest_job(job)  # still running
            False
            >>> ex.clock.sleep(5)
            >>> ex.harvest_job(job), str(job.status), job.exit_code, job.stdout
            (True, 'failed', 3, 'hi\\n')
            >>> ex.close()
        """
        if already_harvested(job):
            return True
        execution_id = job.external_execution_id or ""
        execution = self._get(execution_id)
        if execution is None or self._observe(execution) is ExecutionStatus.RUNNING:
            return False
        self._record(job, execution_id, self._get(execution_id) or execution)
        if self.settings.harvest_cleans_up:
            self.cleanup(execution_id)
        return True

    def _exit_code(self, execution_id: str, execution: Mapping[str, Any]) -> int:
        if executions.succeeded(execution):
            return 0
        url = f"{self.settings.run_endpoint}/v2/{execution_id}/tasks"
        return executions.task_exit_code(list(self._api.pages("GET", url, "tasks")))

    def _record(self, job: JobLike, execution_id: str, execution: dict[str, Any]) -> None:
        stdout, stderr = self.get_logs(execution_id)
        now = self.clock.now()
        condition = executions.completed(execution)
        failed = condition.get("state") != "CONDITION_SUCCEEDED"
        record_result(
            job,
            exit_code=self._exit_code(execution_id, execution),
            stdout=stdout,
            stderr=stderr,
            completed_at=executions.parse_time(execution.get("completionTime")) or now,
            timed_out=executions.timed_out(execution, now),
            cancelled=condition.get("executionReason") == "CANCELLED",
            reason=condition.get("message") if failed else None,
        )

    # -- cleanup -----------------------------------------------------------------
    def _cancel(self, execution_id: str) -> None:
        with contextlib.suppress(RejectedError):  # already ended or cancelling: nothing left to stop
            self._api.wait(self._api.run("POST", f"{execution_id}:cancel", body={}))

    def cancel(self, execution_id: str) -> bool:
        """Cancel a running execution (``executions.cancel``); it stays, with its logs, until ``cleanup``.

        A cancelled execution reads ``failed`` and harvests as ``cancelled``
        (exit code ``-1``: Cloud Run reports none for a cancelled task); one that
        ended before keeps its outcome.

        Returns:
            ``True`` for a known execution, ``False`` for an unknown or deleted one.

        Example:
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation
            >>> job = ContainerJob(image=PROBE_IMAGE, command=Probe().out("hi").sleep(60).argv)
            >>> eid = ex.launch_job(job)[1]
            >>> ex.cancel(eid), str(ex.check_status(eid)), ex.harvest_job(job), job.status, job.stdout
            (True, 'failed', True, 'cancelled', 'hi\\n')
            >>> ex.cleanup(eid), ex.cancel(eid)
            (True, False)
            >>> ex.close()
        """
        execution = self._get(execution_id)
        if execution is None:
            return False
        if self._observe(execution) is ExecutionStatus.RUNNING:
            self._cancel(execution_id)
        return True

    def cleanup(self, execution_id: str) -> bool:
        """Cancel if running, delete the execution and any job created for it; ``True``.

        Example:
            >>> ex = emulated_executor()  # a CloudRunExecutor on an offline emulation
            >>> eid = ex.launch_job(ContainerJob(image=PROBE_IMAGE, command=Probe().sleep(60).argv))[1]
            >>> ex.cleanup(eid), str(ex.check_status(eid)), ex.emulator.jobs  # cancelled, deleted, its job deleted too
            (True, 'not-found', {})
            >>> ex.cleanup(eid)  # again: nothing left, still True
            True
            >>> ex.close()
        """
        execution = self._get(execution_id)
        if execution is not None and executions.status(execution) is ExecutionStatus.RUNNING:
            self._cancel(execution_id)
        if execution is not None:
            self._api.wait(self._api.run("DELETE", execution_id))
        # Only the job of an execution that was there: an id that merely names the same job is not ours to end.
        ours = execution is not None and executions.EXECUTION_NAME.fullmatch(str(execution_id))
        job_name = jobs.owned_job(self._api, execution_id) if ours else None
        if job_name is not None:
            jobs.delete_job(self._api, job_name)
        self._secret_logs.release(str(execution_id))
        return True

    def close(self) -> None:
        """Close the HTTP session.

        Example:
            >>> import requests
            >>> class Session(requests.Session):
            ...     def close(self):
            ...         print("session closed")
            ...         super().close()
            >>> CloudRunExecutor({"project": "my-project", "region": "us-central1"}, session=Session()).close()
            session closed
        """
        self._api.session.close()
