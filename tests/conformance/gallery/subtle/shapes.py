"""Bugs that need a particular shape of output, environment, argv or id.

Output without a trailing newline, CR, empty lines, trailing whitespace,
characters outside the BMP, multi-byte characters across chunk boundaries,
long lines on stderr; environment values with padding or CR, mixed with
secrets; odd ids (a prefix of a real id, whitespace, URL-special characters).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote

from executor_kit.job import JobLike, job_environment
from executor_kit.probe import Probe
from executor_kit.status import ExecutionStatus

from ._base import NOT_YET, Bug, LogTransform, Subtle, WorkloadTransform, registrar
from ._witness import expect_logs, launch

P = Probe  # witness argvs: P().out("x").exit(3).argv
REGISTRY: dict[type, Bug] = {}
bug = registrar(REGISTRY)

L001 = "LOGS-001: get_logs returns (stdout, stderr), separated by the real streams (BRIEF: complete, Unicode-safe)."
L004 = "LOGS-004: Unicode output is returned intact."
E001 = "ENV-001: Environment values with spaces, '=', quotes, newlines, '$' and Unicode reach the workload exactly."
A001 = "ARGV-001: argv reaches the workload unchanged (no shell)."
S002 = "STATUS-002: An unknown id reads 'not-found', never an exception."


def _raw_output(stdout: str) -> Any:
    """A witness: a non-probe job whose whole stdout is ``stdout`` (the mock scripts it by rule)."""

    def witness(ex: Any) -> None:
        ex.on(image="raw", stdout=stdout, duration=1)
        launched, execution_id = launch(ex, ["run"], image="raw")
        ex.advance(2)
        assert ex.get_logs(execution_id) == (stdout, ""), f"get_logs: {ex.get_logs(execution_id)!r}"
        assert ex.harvest_job(launched) and launched.stdout == stdout, f"harvest: {launched.stdout!r}"

    return witness


@bug(
    "LOGS",
    L001 + " LOGS-005: The last line written right before exit is not lost.",
    "output without final newline",
    _raw_output("done\npartial"),
)
class UnterminatedLastLineDropped(LogTransform):
    """Docker/CloudWatch line readers that keep only newline-terminated lines (the last partial line is lost)."""

    def _transform(self, text: str, stream: str, execution_id: object) -> str:
        return text[: text.rfind("\n") + 1]


@bug(
    "LOGS", L001, "output containing a carriage return", expect_logs(P().out("50%\r100%").argv, 1, ("50%\r100%\n", ""))
)
class CarriageReturnsNormalised(LogTransform):
    """Log readers decoding with universal newlines (io.TextIOWrapper default): CR becomes LF."""

    def _transform(self, text: str, stream: str, execution_id: object) -> str:
        return text.replace("\r\n", "\n").replace("\r", "\n")


@bug(
    "LOGS", L001, "output containing empty lines", expect_logs(P().out("a").out("").out("b").argv, 1, ("a\n\nb\n", ""))
)
class EmptyLinesDropped(LogTransform):
    """CloudWatch Logs / Cloud Logging store no empty log events: blank lines vanish."""

    def _transform(self, text: str, stream: str, execution_id: object) -> str:
        return "".join(line for line in text.splitlines(keepends=True) if line.strip("\n"))


@bug("LOGS", L001, "lines with trailing spaces or tabs", expect_logs(P().out("key:  ").argv, 1, ("key:  \n", "")))
class TrailingWhitespaceStripped(LogTransform):
    """Cloud Logging textPayload / log shippers that rstrip each message."""

    def _transform(self, text: str, stream: str, execution_id: object) -> str:
        return "".join(line.rstrip(" \t\n") + "\n" for line in text.splitlines(keepends=True))


@bug(
    "LOGS",
    L004,
    "characters outside the BMP (emoji)",
    expect_logs(P().out("ok \U0001f600").argv, 1, ("ok \U0001f600\n", "")),
)
class NonBmpReplaced(LogTransform):
    """Log APIs returning UTF-16 surrogate pairs that the client decodes one unit at a time."""

    def _transform(self, text: str, stream: str, execution_id: object) -> str:
        return "".join(char if ord(char) <= 0xFFFF else "\ufffd\ufffd" for char in text)


@bug(
    "LOGS",
    L004,
    "multi-byte characters straddling an 8 KiB chunk boundary",
    expect_logs(P().out("x" + "\u00e9" * 5000).argv, 1, ("x" + "\u00e9" * 5000 + "\n", "")),
)
class MultibyteSplitAcrossChunks(LogTransform):
    """Docker attach/log streams decoded chunk by chunk with errors='replace' instead of an incremental decoder."""

    def _transform(self, text: str, stream: str, execution_id: object) -> str:
        raw = text.encode("utf-8")
        return "".join(raw[i : i + 8192].decode("utf-8", "replace") for i in range(0, len(raw), 8192))


@bug(
    "LOGS",
    "LOGS-003: Long lines (100,000 characters) are returned whole.",
    "a long line on stderr",
    expect_logs(P().err("y" * 20000).argv, 1, ("", "y" * 20000 + "\n")),
)
class LongStderrLinesSplit(LogTransform):
    """Docker json-file: lines over 16 KiB come as partial messages, re-joined for stdout only."""

    def _transform(self, text: str, stream: str, execution_id: object) -> str:
        if stream == "stdout":
            return text
        return "".join(_split(line, 16384) for line in text.splitlines(keepends=True))


def _split(line: str, width: int) -> str:
    body = line.rstrip("\n")
    parts = [body[i : i + width] for i in range(0, len(body), width)] or [""]
    return "\n".join(parts) + line[len(body) :]


@bug(
    "LOGS",
    "LOGS-002: Large output (20,000 lines) is returned complete and in order.",
    "more than 10,000 lines on stderr",
    expect_logs(
        P().lines("err", 12000, 3).argv, 1, ("", "".join(f"{i}".ljust(3, ".") + "\n" for i in range(1, 12001)))
    ),
)
class StderrTailOnly(LogTransform):
    """Executors that page stdout but fetch stderr with a tail limit of 10,000 lines."""

    def _transform(self, text: str, stream: str, execution_id: object) -> str:
        return text if stream == "stdout" else "".join(text.splitlines(keepends=True)[-10000:])


@bug(
    "LOGS",
    L001,
    "the job's environment sets TERM",
    expect_logs(P().out("o").err("e").argv, 1, ("o\n", "e\n"), environment={"TERM": "xterm"}),
)
class TtyWhenTermSet(LogTransform):
    """Docker: a TTY is allocated when TERM is passed; a TTY merges stderr into stdout and writes CRLF."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        ok, execution_id = super().launch_job(job)
        if ok and "TERM" in job.environment:
            self._seen.add(execution_id)
        return ok, execution_id

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        stdout, stderr = super().get_logs(execution_id)
        if execution_id not in self._seen:
            return stdout, stderr
        return (stdout + stderr).replace("\n", "\r\n"), ""


@bug(
    "LOGS",
    "LOGS-005: The last line written right before exit is not lost.",
    "a non-zero exit",
    expect_logs(P().out("a").out("last").exit(3).argv, 1, ("a\nlast\n", "")),
)
class LastLineLostOnError(LogTransform):
    """Docker: the follow stream is closed on the 'die' event before the final flush of a failing container."""

    def _transform(self, text: str, stream: str, execution_id: object) -> str:
        if self._ended(execution_id) and self._exit_code(execution_id) not in (0, None):
            return "".join(text.splitlines(keepends=True)[:-1])
        return text


@bug(
    "LOGS",
    "LOGS-007: Logs stay readable after exit until cleanup.",
    "an OOM-killed execution",
    expect_logs(P().out("x").alloc(200).argv, 1, ("x\n", ""), memory_limit=100),
)
class LogsGoneAfterOom(LogTransform):
    """Kubernetes: the OOM-killed container is restarted and `kubectl logs` shows the new, empty one."""

    def _transform(self, text: str, stream: str, execution_id: object) -> str:
        return "" if self._oom(execution_id) else text


@bug(
    ("LOGS", "TIMEOUT"),
    "LOGS-007: Logs stay readable after exit until cleanup.",
    "an execution ended by timeout",
    expect_logs(P().out("x").sleep(100).argv, 11, ("x\n", ""), timeout_seconds=10),
)
class LogsGoneAfterTimeout(LogTransform):
    """Docker: the timeout path runs `kill` on an auto-remove container, so its logs are gone."""

    def _transform(self, text: str, stream: str, execution_id: object) -> str:
        return "" if self._timed_out(execution_id) else text


def _separate_unnamed(ex: Any) -> None:
    _, first = launch(ex, P().out("first").argv)
    launch(ex, P().out("second").argv)
    ex.advance(1)
    assert ex.get_logs(first) == ("first\n", ""), f"get_logs: {ex.get_logs(first)!r}"


@bug("LOGS", L001 + " (of this execution)", "two jobs without a name", _separate_unnamed)
class UnnamedJobsShareLogStream(Subtle):
    """ECS awslogs: the stream prefix comes from the job name, 'default' without one: unnamed jobs share a stream."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        ok, execution_id = super().launch_job(job)
        if ok and job.name is None:
            self._seen.add(execution_id)
        return ok, execution_id

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        if execution_id not in self._seen:
            return super().get_logs(execution_id)
        shared = [super(UnnamedJobsShareLogStream, self).get_logs(eid) for eid in self._executions if eid in self._seen]
        return "".join(out for out, _ in shared), "".join(err for _, err in shared)


# -- environment and argv ------------------------------------------------------


@bug(
    "ENV",
    E001 + " (and nothing of the host's environment)" + NOT_YET,
    "a variable unset in the job but set on the host",
    expect_logs(P().env("PATH").argv, 1, ("\n", "")),
)
class HostEnvironmentLeaks(WorkloadTransform):
    """Local/process executors passing env={**os.environ, **job.environment} to the workload."""

    def _workload_env(self, job: JobLike) -> dict[str, str]:
        return {**os.environ, **job_environment(job)}


@bug(
    "ENV",
    E001 + " (the job's values win over backend defaults)",
    "the job sets LANG, PATH or HOSTNAME",
    expect_logs(P().env("LANG").argv, 1, ("de_DE.UTF-8\n", ""), environment={"LANG": "de_DE.UTF-8"}),
)
class BackendDefaultsWin(WorkloadTransform):
    """Executors merging their default environment after the job's ({**job_env, **defaults})."""

    def _workload_env(self, job: JobLike) -> dict[str, str]:
        return {**job_environment(job), "LANG": "C.UTF-8", "HOSTNAME": "task"}


@bug(
    "ENV",
    E001,
    "values with leading or trailing whitespace",
    expect_logs(P().env("V").argv, 1, ("  padded \n", ""), environment={"V": "  padded "}),
)
class EnvValuesStripped(WorkloadTransform):
    """Env-file / YAML based spec builders that strip values."""

    def _workload_env(self, job: JobLike) -> dict[str, str]:
        return {key: value.strip() for key, value in job_environment(job).items()}


@bug(
    "ENV",
    E001,
    "values containing a carriage return",
    expect_logs(P().env("V").argv, 1, ("a\r\nb\n", ""), environment={"V": "a\r\nb"}),
)
class EnvCarriageReturnsDropped(WorkloadTransform):
    """Spec builders writing an env file in text mode; CR is lost on the way."""

    def _workload_env(self, job: JobLike) -> dict[str, str]:
        return {key: value.replace("\r", "") for key, value in job_environment(job).items()}


@bug(
    "ENV",
    E001,
    "values with characters outside the BMP",
    expect_logs(P().env("V").argv, 1, ("rocket \U0001f680\n", ""), environment={"V": "rocket \U0001f680"}),
)
class EnvNonBmpMangled(WorkloadTransform):
    """Task definitions sent through a UCS-2 (MySQL utf8mb3-style) store that turns non-BMP characters into '?'."""

    def _workload_env(self, job: JobLike) -> dict[str, str]:
        return {k: "".join(c if ord(c) <= 0xFFFF else "?" for c in v) for k, v in job_environment(job).items()}


@bug(
    ("ENV", "SECRETS"),
    E001 + " SECRETS-001: secret_environment values reach the workload.",
    "a job with both environment and secret_environment",
    expect_logs(P().env("A").argv, 1, ("1\n", ""), environment={"A": "1"}, secret_environment={"S": "2"}),
)
class SecretsReplacePlainEnv(WorkloadTransform):
    """Kubernetes: a spec builder that sets env from the secret only (envFrom) when secrets are present."""

    def _workload_env(self, job: JobLike) -> dict[str, str]:
        secrets = dict(getattr(job, "secret_environment", {}) or {})
        return secrets or dict(job.environment)


@bug(
    "SECRETS",
    "SECRETS-001: secret_environment values reach the workload (BRIEF: secrets win).",
    "a secret with the same name as a plain variable",
    expect_logs(P().env("T").argv, 1, ("s3\n", ""), environment={"T": "plain"}, secret_environment={"T": "s3"}),
)
class PlainEnvShadowsSecret(WorkloadTransform):
    """ECS container definitions listing `secrets` before `environment`: the plain value wins."""

    def _workload_env(self, job: JobLike) -> dict[str, str]:
        return {**(getattr(job, "secret_environment", {}) or {}), **job.environment}


@bug("ARGV", A001, "an empty argument", expect_logs(P().out("").out("x").argv, 1, ("\nx\n", "")))
class EmptyArgumentsDropped(WorkloadTransform):
    """Kubernetes/YAML or shlex-based builders dropping '' arguments."""

    def _workload_argv(self, argv: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(arg for arg in argv if arg)


@bug("ARGV", A001, "an argument containing a comma", expect_logs(P().out("a,b").argv, 1, ("a,b\n", "")))
class ArgumentsSplitOnComma(WorkloadTransform):
    """Cloud Run: args passed as gcloud's comma-separated --args list, so 'a,b' becomes two arguments."""

    def _workload_argv(self, argv: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(part for arg in argv for part in arg.split(","))


@bug("ARGV", A001, "arguments with leading or trailing whitespace", expect_logs(P().out(" x ").argv, 1, (" x \n", "")))
class ArgumentsStripped(WorkloadTransform):
    """Builders that normalise each argument with str.strip()."""

    def _workload_argv(self, argv: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(arg.strip() for arg in argv)


# -- odd ids -------------------------------------------------------------------


def _odd_id_status(make: Any) -> Any:
    def witness(ex: Any) -> None:
        job, execution_id = launch(ex, P().sleep(100).argv, name="nightly")
        odd = make(execution_id, job)
        assert ex.check_status(odd) == "not-found", f"check_status({odd!r}) = {ex.check_status(odd)!r}"

    return witness


class _IdLookup(Subtle):
    """A status lookup that normalises the id first (the broken part)."""

    def _normalise(self, execution_id: str) -> str:
        return execution_id

    def check_status(self, execution_id: str) -> ExecutionStatus:
        fixed = self._normalise(execution_id) if isinstance(execution_id, str) else execution_id
        return super().check_status(fixed)


@bug("STATUS", S002, "a real id with surrounding whitespace", _odd_id_status(lambda eid, job: f" {eid}\n"))
class IdWhitespaceStripped(_IdLookup):
    """HTTP backends whose path router strips whitespace from the id segment."""

    def _normalise(self, execution_id: str) -> str:
        return execution_id.strip()


@bug("STATUS", S002, "a prefix of a real id", _odd_id_status(lambda eid, job: eid[:-1]))
class IdPrefixResolves(_IdLookup):
    """Docker SDK: containers.get() accepts any unique prefix of a container id."""

    def _normalise(self, execution_id: str) -> str:
        return str(self._resolve_prefix(execution_id))


@bug("STATUS", S002, "the name of a launched job used as id", _odd_id_status(lambda eid, job: job.name))
class JobNameResolvesAsId(_IdLookup):
    """Docker SDK: containers.get() accepts a container name as well as its id."""

    def launch_job(self, job: JobLike) -> tuple[bool, str]:
        ok, execution_id = super().launch_job(job)
        if ok and job.name:
            self.__dict__.setdefault("_names", {})[job.name] = execution_id
        return ok, execution_id

    def _normalise(self, execution_id: str) -> str:
        return str(self.__dict__.get("_names", {}).get(execution_id, execution_id))


@bug("STATUS", S002, "a percent-encoded form of a real id", _odd_id_status(lambda eid, job: eid.replace("-", "%2D")))
class IdPercentDecoded(_IdLookup):
    """REST clients that unquote the id before putting it in the path (mock%2D1 -> mock-1)."""

    def _normalise(self, execution_id: str) -> str:
        return unquote(execution_id)


def _prefix_logs_empty(ex: Any) -> None:
    _, execution_id = launch(ex, P().out("mine").argv)
    ex.advance(1)
    assert ex.get_logs(execution_id[:-1]) == ("", ""), "logs of another execution for a prefix id"


@bug("LOGS", "LOGS-008: An unknown id gives ('', '').", "a prefix of a real id", _prefix_logs_empty)
class LogsByIdPrefix(Subtle):
    """Docker SDK: container lookup by unique id prefix, in the log path."""

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        return super().get_logs(self._resolve_prefix(execution_id))  # type: ignore[arg-type]


def _prefix_cleanup_spares(ex: Any) -> None:
    _, execution_id = launch(ex, P().sleep(100).argv)
    assert ex.cleanup(execution_id[:-1]) is True
    assert ex.check_status(execution_id) == "running", "cleaning up an unknown id removed another execution"


@bug(
    ("CLEANUP", "STATUS"),
    "CLEANUP-003: Cleaning up an unknown id returns True (and touches nothing else).",
    "a prefix of a real id",
    _prefix_cleanup_spares,
)
class CleanupByIdPrefix(Subtle):
    """Docker SDK: containers.get(prefix).remove(force=True) removes the container the prefix resolves to."""

    def cleanup(self, execution_id: str) -> bool:
        return super().cleanup(self._resolve_prefix(execution_id))  # type: ignore[arg-type]


def _url_special_ids(ex: Any) -> None:
    for odd in ("a%zz", "x?y=1", "frag#1"):
        assert ex.check_status(odd) == "not-found"
        assert ex.get_logs(odd) == ("", "")
        assert ex.cleanup(odd) is True


@bug(
    ("ERRORS", "STATUS"),
    "ERRORS-002: Every exception an executor raises is an ExecutorError (odd ids: not-found).",
    "ids with '%', '?' or '#'",
    _url_special_ids,
)
class UrlSpecialIdsRaise(Subtle):
    """requests building /executions/{id}: a bad percent-escape or '?'/'#' raises a bare ValueError."""

    @staticmethod
    def _check(execution_id: object) -> None:
        if isinstance(execution_id, str) and any(char in execution_id for char in "%?#"):
            raise ValueError(f"Invalid URL path segment: {execution_id!r}")

    def check_status(self, execution_id: str) -> ExecutionStatus:
        self._check(execution_id)
        return super().check_status(execution_id)

    def get_logs(self, execution_id: str) -> tuple[str, str]:
        self._check(execution_id)
        return super().get_logs(execution_id)

    def cleanup(self, execution_id: str) -> bool:
        self._check(execution_id)
        return super().cleanup(execution_id)
