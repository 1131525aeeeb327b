"""``run_jobs``: launch many jobs on any executor, watch them to the end, clean up.

The fire-and-monitor loop as a small reusable piece. It needs nothing but the
contract (``launch_job``, ``check_statuses``, ``harvest_job``, ``get_logs``,
``cleanup``) and the executor's ``clock``, so it runs unchanged on Docker, a
cloud backend or the ``MockExecutor``, where 10,000 jobs finish on the virtual
clock without a real second passing. One *tick* of the loop::

    poll     one check_statuses call for every launched, unsettled execution
    settle   harvest the ended ones (once each), fail the vanished, stop the overdue
    release  clean up the settled ones (retried next tick on a transient error)
    launch   fill the free slots: due retries first, then new jobs (``launch_workers`` at once)
    report   on_progress(Progress(...))
    wait     executor.clock.sleep until the next poll or the next due retry

Decisions, each tested under ``tests/monitor``:

* **Concurrency** counts every execution the monitor holds on the backend:
  launched and not yet settled, or settled but not yet cleaned up.
* **Launch failures.** ``(False, message)`` and an ``ExecutorConfigurationError``
  are the job's own problem: the job gets status ``failed`` and the message as
  ``failure_reason``, and is not retried. ``ExecutorConnectionError`` and
  ``ExecutorResourceError`` (``TRANSIENT_ERRORS``) are retried up to
  ``max_launch_attempts`` times with exponential ``Backoff``; the wait does not
  block polling, and launching pauses for the rest of the tick (the backend is in
  trouble). Any other error aborts the run (see below).
* **Polling.** A transient error from ``check_statuses``, ``harvest_job`` or
  ``cleanup`` is retried on the next tick; ``max_poll_failures`` consecutive
  failed polls abort the run (``None``: never give up).
* **Timeouts.** The executor enforces ``timeout_seconds`` in its status check
  (the contract), and harvest records ``timeout``. As a guard against a backend
  that does not, an execution still ``running`` ``timeout_grace`` seconds after
  its deadline (monitor clock) is stopped with ``cleanup`` and its job recorded
  as ``timeout`` by the monitor, with the logs read so far. Where the executor
  declares ``supports_cancel``, every stop (this guard, the run deadline) is a
  ``cancel`` first, so the logs read are complete up to the stop; on an abort
  (``KeyboardInterrupt``) each running execution is cancelled and harvested
  (job status ``cancelled``, its logs) before the cleanup.
* **Vanished executions** (``not-found`` before harvest, e.g. removed from
  outside) fail their job with a reason.
* **Batch status gaps.** An id that ``check_statuses`` leaves out of its answer
  (or every id, when the answer is not a mapping) is asked with ``check_status``
  on its own; a word outside the status vocabulary raises ``ExecutorError``
  (the backend broke the contract; the run aborts as below).
* **Run deadline.** With ``deadline``, the run ends at the latest that many
  seconds (executor clock) after it started: executions still held are read
  (logs kept), stopped and cleaned up, and every job not finished is ``failed``
  with the reason "run_jobs deadline ... passed".
* **Abort.** When the run raises (a non-transient backend error, a progress
  callback that raises, ``KeyboardInterrupt``), every execution the monitor
  still holds is cleaned up, best effort, before the error propagates. That
  includes launches in flight on ``launch_workers`` threads: the monitor waits
  for them (a launch cannot be called back) and cleans up each one that
  returns an id. A further ``KeyboardInterrupt`` during this cleanup does not
  cut it short.

The loop runs in the calling thread and keeps its state to itself.

Modules: ``run`` (``run_jobs``, the entry point), ``options`` (its checked
options and ``Backoff``), ``loop`` (one run, tick by tick), ``result``
(``Progress`` and ``MonitorResult``), ``launch_pool`` (the launch threads) and
``output_relay`` (``on_output``).
"""

from executor_kit.monitor.loop import TRANSIENT_ERRORS
from executor_kit.monitor.options import Backoff
from executor_kit.monitor.result import MonitorResult, Progress
from executor_kit.monitor.run import run_jobs

__all__ = ["TRANSIENT_ERRORS", "Backoff", "MonitorResult", "Progress", "run_jobs"]
