"""The harness: how conformance checks talk to the executor under test.

It launches probe workloads with the run label, records every launch in a
ledger, polls on the executor's own clock (a virtual clock never sleeps), and
caches finished runs so that clauses that look at the same workload share one
launch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from contract_tests.parallel import parallel_map
from contract_tests.timing import TimeProfile
from executor_kit.base import ContainerExecutor
from executor_kit.job import ContainerJob
from executor_kit.labels import RUN_LABEL
from executor_kit.probe import PROBE_IMAGE, Probe

__all__ = ["Finished", "Harness", "NotApplicable", "Scenario", "Spec"]

TERMINAL = ("exited", "failed")

#: A workload to run to its end: the probe (or argv) and the job's other fields.
Spec = tuple[Probe | Sequence[str], dict[str, Any]]

#: Lists the workloads some clauses will look at, so they can all run at once.
Scenario = Callable[["Harness"], list[Spec]]


@dataclasses.dataclass
class Finished:
    """A workload run to its end: the job after harvest, and what was observed.

    Example:
        >>> Finished(ContainerJob(image="x"), "id", "exited", ("a\\n", ""), True).stdout
        'a\\n'
    """

    job: ContainerJob
    execution_id: str
    status: str
    logs: tuple[str, str]
    harvested: bool

    @property
    def stdout(self) -> str:
        """Stdout as ``get_logs`` returned it after the end.

        Example:
            >>> Finished(ContainerJob(image="x"), "i", "exited", ("o", "e"), True).stdout
            'o'
        """
        return self.logs[0]


class _Slot:
    """One value computed once for every thread that asks (see ``Harness.shared``)."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False
        self.value: Any = None


#: Seconds into a quiet period at which a virtual clock's checks look again (a day and more, in all).
_VIRTUAL_MARKS = (10.0, 25.0, 45.0, 70.0, 100.0, 300.0, 1000.0, 3700.0, 90000.0)


def _never_ended(execution_id: str, seen: list[str]) -> str:
    """What a workload that never ended showed: its last statuses, naming a word outside the vocabulary.

    Example:
        >>> _never_ended("e1", ["running", "pending", "pending"])
        "e1 to end (last statuses ['running', 'pending', 'pending']; 'pending' is not a status word of the contract)"
    """
    strange = sorted({status for status in seen if status not in (*TERMINAL, "running", "not-found")})
    words = "".join(f"; {status!r} is not a status word of the contract" for status in strange)
    return f"{execution_id} to end (last statuses {seen[-3:]}{words})"


def _capabilities(executor: ContainerExecutor) -> dict[str, bool] | None:
    """``executor.get_capabilities()``, or ``None`` when it raises (CAPS-001 judges that).

    Example:
        >>> _capabilities(object()) is None  # type: ignore[arg-type]
        True
    """
    try:
        return dict(executor.get_capabilities())
    except Exception:  # a broken get_capabilities is judged by its own clause
        return None


class NotApplicable(Exception):  # noqa: N818 - a verdict, not an error
    """Raised by a check when the executor does not offer the optional feature its clause is about.

    The clause's verdict is then ``n/a`` with this message.

    Example:
        >>> str(NotApplicable("find_executions returns None"))
        'find_executions returns None'
    """


def _key(argv: Sequence[str], fields: dict[str, Any]) -> str:
    return repr((list(argv), sorted(fields.items())))


class Harness:
    """Drives one executor for the conformance checks.

    Args:
        executor: The executor under test.
        probe_image: The image holding the probe script on real backends.
        profile: Waiting times; defaults to the executor's own profile.
        scenarios: Workloads to run concurrently the first time any finished
            run is asked for, so independent clauses share the waiting.

    Example:
        >>> from executor_kit import get_executor
        >>> h = Harness(get_executor("mock"))
        >>> h.run(Probe().out("hi")).stdout
        'hi\\n'
        >>> h.close()
        []
    """

    def __init__(
        self,
        executor: ContainerExecutor,
        *,
        probe_image: str = PROBE_IMAGE,
        profile: TimeProfile | None = None,
        scenarios: Sequence[Scenario] = (),
    ) -> None:
        self.executor = executor
        self.probe_image = probe_image
        self.profile = profile or TimeProfile.for_executor(executor)
        self.run_id = f"contract-{uuid.uuid4().hex[:12]}"
        self.launched: list[str] = []
        self._slots: dict[tuple[str, str], _Slot] = {}
        self._scenarios = list(scenarios)
        self._lock = threading.Lock()
        #: Launches under way; ``close`` waits for them, so none completes after the cleanup listed.
        self._in_flight = 0
        self._idle = threading.Condition(self._lock)
        #: Every secret value handed to the executor, redacted from what reports show.
        self.secrets: set[str] = set()
        #: ``time.monotonic()`` after which no clause starts (the run's ``--timeout``).
        self.deadline: float | None = None
        #: Set when the run stops (interrupt, cleanup): a check still running launches and waits no more.
        self.stopping = threading.Event()
        #: The ``contract_tests.schedule.Schedule`` judging this run's clauses ahead, if any.
        self.schedule: Any = None
        #: The suite profile: how many generated inputs a check tries (see ``examples``).
        self.depth = "standard"
        #: Makes another executor instance of the same backend (``--executor`` sets it), for the
        #: clauses about ids across instances and about ``close()``.
        self.new_executor: Callable[[], ContainerExecutor] | None = None
        #: What ``get_capabilities`` answered when the run began (``None`` if it raised); CAPS-002 compares.
        self.capabilities_at_start = _capabilities(executor)

    def _go_on(self) -> None:
        if self.stopping.is_set():
            raise KeyboardInterrupt("the conformance run is stopping")

    def clause_limit(self) -> float:
        """Wall-clock seconds the next clause may take: the profile's limit, cut by the run's deadline.

        Example:
            >>> h = Harness(__import__("executor_kit").get_executor("mock"))
            >>> h.clause_limit() == h.profile.clause_limit
            True
            >>> h.deadline = time.monotonic() - 1
            >>> h.clause_limit() <= 0
            True
        """
        if self.deadline is None:
            return self.profile.clause_limit
        return min(self.profile.clause_limit, self.deadline - time.monotonic())

    def second_executor(self) -> ContainerExecutor | None:
        """Another instance of the same backend, or ``None`` (no factory, or no instance sees another's executions).

        An executor that keeps its executions in memory (``MockExecutor``) says so with
        ``instances_share_backend = False``; on a virtual clock an instance is a backend
        of its own too (an emulator per instance), so there is no second instance of the same one.

        Example:
            >>> h = Harness(__import__("executor_kit").get_executor("mock"))
            >>> h.new_executor = lambda: __import__("executor_kit").get_executor("mock")
            >>> h.second_executor() is None
            True
        """
        shared = type(self.executor).instances_share_backend and not getattr(self.executor.clock, "is_virtual", False)
        if self.new_executor is None or not shared:
            return None
        return self.new_executor()

    def examples(self, standard: int) -> int:
        """How many generated inputs a check tries: ``standard`` scaled by the suite profile.

        Example:
            >>> h = Harness(__import__("executor_kit").get_executor("mock"))
            >>> h.examples(20), [setattr(h, "depth", d) or h.examples(20) for d in ("quick", "full")]
            (20, [4, 80])
        """
        return {"quick": max(1, standard // 5), "full": standard * 4}.get(self.depth, standard)

    # -- jobs and launches -------------------------------------------------
    def job(self, command: Probe | Sequence[str], **fields: Any) -> ContainerJob:
        """A job running ``command`` in the probe image, labelled with the run id.

        Example:
            >>> Harness(__import__("executor_kit").get_executor("mock")).job(Probe()).command
            ['probe']
        """
        self._go_on()  # a check still running after the run stopped launches nothing more
        argv = command.argv if isinstance(command, Probe) else list(command)
        labels = {RUN_LABEL: self.run_id, **fields.pop("labels", {})}
        self.secrets.update(str(value) for value in (fields.get("secret_environment") or {}).values())
        fields.setdefault("image", self.probe_image)
        return ContainerJob(command=list(argv), labels=labels, **fields)

    def record(self, execution_id: str) -> None:
        """Add an id to the ledger of everything the suite launched.

        Example:
            >>> h = Harness(__import__("executor_kit").get_executor("mock")); h.record("x"); h.launched
            ['x']
        """
        with self._lock:
            self.launched.append(execution_id)

    def launch(self, job: ContainerJob) -> str:
        """Launch and return the id; fails the check if the launch is refused.

        Example:
            >>> h = Harness(__import__("executor_kit").get_executor("mock"))
            >>> h.launch(h.job(Probe())).startswith("mock-")
            True
        """
        self._go_on()
        with self._idle:
            self._in_flight += 1
        try:
            result = self.executor.launch_job(job)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()
        ok, value = result
        if ok:
            self.record(value)
        assert ok, f"launch_job refused a valid probe job: {value!r}"
        return value

    def start(self, command: Probe | Sequence[str], **fields: Any) -> tuple[ContainerJob, str]:
        """Build, launch, and return the job with its id.

        Example:
            >>> h = Harness(__import__("executor_kit").get_executor("mock"))
            >>> job, eid = h.start(Probe().out("x")); job.external_execution_id == eid
            True
        """
        job = self.job(command, **fields)
        return job, self.launch(job)

    # -- time --------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        """Let time pass on the executor's clock (instantly on a virtual one).

        Example:
            >>> h = Harness(__import__("executor_kit").get_executor("mock"))
            >>> before = h.executor.clock.monotonic(); h.sleep(90); h.executor.clock.monotonic() - before
            90.0
        """
        self._go_on()
        self.executor.clock.sleep(seconds)

    def settle(self) -> None:
        """Let a quiet period pass: the profile's ``settle``; on a virtual clock, where it is free, a day and more.

        Example:
            >>> h = Harness(__import__("executor_kit").get_executor("mock")); h.settle()
            >>> h.executor.clock.monotonic()
            90000.0
        """
        virtual = getattr(self.executor.clock, "is_virtual", False)
        self.sleep(max(90000.0, self.profile.settle) if virtual else self.profile.settle)

    def quiet_period(self) -> Iterator[float]:
        """Let a settle period pass in steps, yielding the seconds passed at each step (observe there).

        On a virtual clock the steps reach from seconds to past a day, so a
        state that flips in a window, or after an hour, is seen.

        Example:
            >>> list(Harness(__import__("executor_kit").get_executor("mock")).quiet_period())[:3]
            [10.0, 25.0, 45.0]
        """
        virtual = getattr(self.executor.clock, "is_virtual", False)
        marks = _VIRTUAL_MARKS if virtual else tuple(self.profile.settle * f for f in (0.2, 0.5, 1.0))
        passed = 0.0
        for mark in marks:
            self.sleep(mark - passed)
            passed = mark
            yield mark

    def wait_for(self, predicate: Callable[[], bool], deadline: float, what: str | Callable[[], str]) -> None:
        """Poll ``predicate`` until true; fail the check after ``deadline`` seconds.

        ``what`` names what is awaited; a callable is asked only when giving up,
        so the message can tell what was observed by then.

        Example:
            >>> h = Harness(__import__("executor_kit").get_executor("mock"))
            >>> h.wait_for(lambda: True, 1, "nothing") is None
            True
            >>> h.wait_for(lambda: False, 1, "the sky to fall")
            Traceback (most recent call last):
            ...
            AssertionError: gave up after 1 s waiting for the sky to fall
        """
        clock = self.executor.clock
        end = clock.monotonic() + deadline
        while not predicate():
            if clock.monotonic() >= end:
                described = what() if callable(what) else what
                raise AssertionError(f"gave up after {deadline:g} s waiting for {described}")
            self.sleep(self.profile.poll_interval)

    def status(self, execution_id: str) -> str:
        """``check_status`` as a plain str.

        Example:
            >>> Harness(__import__("executor_kit").get_executor("mock")).status("nope")
            'not-found'
        """
        status = self.executor.check_status(execution_id)
        value = getattr(status, "value", status)
        return value if isinstance(value, str) else repr(value)

    def wait_terminal(self, execution_id: str, deadline: float | None = None) -> str:
        """Poll until ``exited`` or ``failed`` and return it.

        Example:
            >>> h = Harness(__import__("executor_kit").get_executor("mock"))
            >>> h.wait_terminal(h.start(Probe().sleep(3))[1])
            'exited'
        """
        seen: list[str] = []

        def ended() -> bool:
            seen.append(self.status(execution_id))
            return seen[-1] in TERMINAL

        self.wait_for(ended, deadline or self.profile.finish_deadline, lambda: _never_ended(execution_id, seen))
        return seen[-1]

    # -- shared finished runs ----------------------------------------------
    def finish(self, job: ContainerJob, execution_id: str) -> Finished:
        """Wait for the end, then read the logs and harvest.

        Example:
            >>> h = Harness(__import__("executor_kit").get_executor("mock"))
            >>> h.finish(*h.start(Probe().exit(3))).job.exit_code
            3
        """
        status = self.wait_terminal(execution_id)
        logs = self.executor.get_logs(execution_id)
        harvested = self.executor.harvest_job(job)
        return Finished(job, execution_id, status, logs, harvested)

    def _key(self, spec: Spec) -> str:
        return _key(self.job(spec[0]).command, spec[1])

    def _obtain(self, spec: Spec) -> Finished:
        """The finished run of ``spec``: launched once, however many checks ask for it at once."""
        finished: Finished = self._once(
            ("run", self._key(spec)), lambda: self.finish(*self.start(spec[0], **dict(spec[1])))
        )
        return finished

    def _try_run(self, spec: Spec) -> None:
        # A failure here is not judged (nor kept): the clause that needs this run runs it again and judges it.
        with contextlib.suppress(Exception):
            self._obtain(spec)

    def _warm_up(self) -> None:
        with self._lock:
            scenarios, self._scenarios = self._scenarios, []
        specs = {self._key(spec): spec for scenario in scenarios for spec in scenario(self)}
        parallel_map(self._try_run, specs.values(), workers=self.profile.max_concurrency)

    def run_many(self, specs: Iterable[Spec]) -> list[Finished]:
        """Launch every spec at once, then wait for each; a run is shared by every check asking for it.

        Example:
            >>> h = Harness(__import__("executor_kit").get_executor("mock"))
            >>> [f.job.exit_code for f in h.run_many([(Probe().exit(1), {}), (Probe(), {})])]
            [1, 0]
        """
        self._warm_up()
        todo = list(specs)
        return parallel_map(self._obtain, todo, workers=max(1, len(todo)))

    def run(self, command: Probe | Sequence[str], **fields: Any) -> Finished:
        """Run one workload to its end (shared: same command and fields, same run).

        Example:
            >>> Harness(__import__("executor_kit").get_executor("mock")).run(Probe().exit(3)).job.status
            'failed'
        """
        return self.run_many([(command, fields)])[0]

    def shared(self, key: str, compute: Callable[[], Any]) -> Any:
        """Compute once per harness what several clauses look at (``key`` names it).

        Checks running at once that ask for the same key wait for one
        computation; a computation that raised is not kept, so the next
        asker computes (and is judged on) its own.

        Example:
            >>> h = Harness(__import__("executor_kit").get_executor("mock"))
            >>> h.shared("x", lambda: [1]) is h.shared("x", lambda: [2])
            True
        """
        return self._once(("shared", key), compute)

    def _once(self, key: tuple[str, str], compute: Callable[[], Any]) -> Any:
        while True:
            slot, mine = self._claim(key)
            if mine:
                return self._fill(key, slot, compute)
            slot.done.wait()
            if slot.ok:
                return slot.value

    def _claim(self, key: tuple[str, str]) -> tuple[_Slot, bool]:
        with self._lock:
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = _Slot()
                return slot, True
            return slot, False

    def _fill(self, key: tuple[str, str], slot: _Slot, compute: Callable[[], Any]) -> Any:
        try:
            slot.value, slot.ok = compute(), True
        except BaseException:
            with self._lock:
                del self._slots[key]
            raise
        finally:
            slot.done.set()
        return slot.value

    # -- the end -----------------------------------------------------------
    def close(self) -> list[str]:
        """Clean up everything launched; return the ids still not ``not-found``.

        Besides the ledger, whatever the backend lists under this run's label is
        cleaned up too: a launch interrupted before its id came back is not lost.

        Example:
            >>> h = Harness(__import__("executor_kit").get_executor("mock"))
            >>> _ = h.start(Probe().sleep(60)); h.close()
            []
        """
        self.stopping.set()
        with self._idle:  # a launch still under way would come back after the listing: wait for it
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=self.profile.launch_deadline)
        listed = self._quietly(self.executor.find_executions, {RUN_LABEL: self.run_id})
        unrecorded = [eid for eid in listed if eid not in self.launched] if isinstance(listed, list) else []
        launched = [*self.launched, *unrecorded]
        parallel_map(lambda eid: self._quietly(self.executor.cleanup, eid), launched)
        statuses = parallel_map(lambda eid: self._quietly(self.status, eid), launched)
        return [eid for eid, status in zip(launched, statuses, strict=True) if status != "not-found"]

    @staticmethod
    def _quietly(call: Callable[[Any], Any], argument: Any) -> Any:
        try:
            return call(argument)
        except Exception as exc:  # the ledger must finish even against a broken executor
            return exc
