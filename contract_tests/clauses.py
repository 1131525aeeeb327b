"""The clause registry: the single source of truth of the contract.

The conformance tests, the contract document (``docs/contract.md``) and the
reports are all generated from ``CLAUSES``; a check without a clause or a
clause without a check fails the kit's own tests.
"""

from __future__ import annotations

from contract_tests.clause import Clause, make_clause

__all__ = ["CLAUSES", "clause_by_id", "families"]

_c = make_clause
_LIMITS = "supports_resource_limits"
_SECRETS = "supports_secrets"
_CANCEL = "supports_cancel"
_STREAM = "supports_log_streaming"

CLAUSES: tuple[Clause, ...] = (
    _c(
        "LAUNCH-001",
        "MUST",
        "launch_job returns (True, id) with a non-empty str id and records it on the job "
        "(external_execution_id, status 'running', started_at).",
        "Return a 2-tuple (True, execution_id) and call executor_kit.job.mark_launched(job, id, clock.now()).",
    ),
    _c(
        "LAUNCH-002",
        "MUST",
        "Every launch gets a new id, also for the same job launched twice.",
        "Use the backend's own unique id (container id, task ARN, execution name), never the job's name.",
    ),
    _c(
        "LAUNCH-003",
        "MUST",
        "Ids stay unique when many threads launch at once.",
        "Guard shared counters with a lock, or use ids the backend generates.",
    ),
    _c(
        "LAUNCH-004",
        "MUST",
        "A job-level failure (an image that does not exist, a job beyond the backend's quota) returns "
        "(False, message) with a non-empty message and leaves nothing behind.",
        "Catch image-not-found / rejected-spec / quota errors, remove anything created, return (False, reason).",
    ),
    _c(
        "LAUNCH-005",
        "MUST",
        "An invalid job (empty image, command given as a str) is refused with (False, message) "
        "or ExecutorConfigurationError before anything is created.",
        "Call executor_kit.job.validate_job(job) first and turn its error into (False, str(error)).",
    ),
    _c(
        "LAUNCH-006",
        "MUST",
        "Ids are never reused: not after cleanup, not by a second executor instance of the same backend.",
        "Use the backend's own unique ids, or add randomness (uuid4) to any counter; never restart a counter.",
    ),
    _c(
        "LAUNCH-007",
        "MUST",
        "launch_job writes only external_execution_id, status and started_at on the job (nothing on a "
        "refused launch), never mutates the caller's command, environment or labels, and runs the spec "
        "as it was at the call.",
        "Copy command, environment and labels when you build the request; write the job only through "
        "executor_kit.job.mark_launched after the backend accepted it.",
    ),
    _c(
        "STATUS-001",
        "MUST",
        "check_status answers only 'running', 'exited', 'failed' or 'not-found'.",
        "Map every backend state onto the four words (executor_kit.ExecutionStatus); pending counts as running.",
    ),
    _c(
        "STATUS-002",
        "MUST",
        "An unknown id reads 'not-found', never an exception.",
        "Treat the backend's 404 / NotFound / MISSING as 'not-found'.",
    ),
    _c(
        "STATUS-003",
        "MUST",
        "An empty id reads 'not-found', never an exception.",
        "Return 'not-found' for '' before calling the backend (some APIs list everything for an empty id).",
    ),
    _c(
        "STATUS-004",
        "MUST",
        "A workload that is still running reads 'running'.",
        "Report created/pending/provisioning/running as 'running'.",
    ),
    _c(
        "STATUS-005",
        "MUST",
        "A workload that ended with an exit code reads 'exited', whatever the code.",
        "'exited' means: ended and the exit code is known; non-zero codes are still 'exited'.",
    ),
    _c(
        "STATUS-006",
        "MUST",
        "Terminal states are absorbing: once 'exited' or 'failed', the same word on every later check.",
        "Derive status from the final record of the workload; do not restart or re-create it.",
    ),
    _c(
        "STATUS-007",
        "SHOULD",
        "check_statuses (batch) agrees with check_status for each id, unknown ids included.",
        "Return a dict with every requested id; unknown ones map to 'not-found'.",
    ),
    _c(
        "STATUS-008",
        "MUST",
        "Every ending reads its terminal word, also after a settle period and when many threads ask at once: "
        "'exited' for any exit code (0, 1, 125-128, 255, a signal death 137/139), 'failed' for a timeout "
        "(and an OOM kill).",
        "Map 'has an exit code' to 'exited' whatever the code; only platform ends (OOM, timeout, lost) are "
        "'failed'. Read OOM from the platform's flag, not from the exit code 137.",
    ),
    _c(
        "LOGS-001",
        "MUST",
        "get_logs returns (stdout, stderr) as two str, separated by the real streams.",
        "Read the two streams separately from the backend; never split one stream by guessing.",
    ),
    _c(
        "LOGS-002",
        "MUST",
        "Large output (20,000 lines) is returned complete and in order.",
        "Page through the backend's log API until the end; do not stop at the first page or a tail limit.",
    ),
    _c(
        "LOGS-003",
        "MUST",
        "Long lines (100,000 characters) are returned whole.",
        "Join log chunks/partial messages; do not truncate lines.",
    ),
    _c(
        "LOGS-004",
        "MUST",
        "Unicode output is returned intact.",
        "Decode the bytes as UTF-8 (errors='replace'), never as ASCII or latin-1.",
    ),
    _c(
        "LOGS-005",
        "MUST",
        "The last line written right before exit is not lost.",
        "Read logs from the start after the workload ended (not a live snapshot); hand the workload its output "
        "descriptors (a pipe, or a file opened once for appending), so nothing it writes is overwritten.",
    ),
    _c(
        "LOGS-006",
        "MUST",
        "Logs are readable while the workload runs.",
        "Fetch logs from the live execution; do not wait for it to end.",
    ),
    _c(
        "LOGS-007",
        "MUST",
        "Logs stay readable after exit until cleanup, for every ending, also after a settle period and when "
        "many threads ask at once.",
        "Keep the finished container/task (or its log stream) until cleanup is called.",
    ),
    _c(
        "LOGS-008",
        "MUST",
        "An unknown id gives ('', '').",
        "Treat a missing execution as empty logs, not an exception.",
    ),
    _c(
        "LOGS-009",
        "MUST",
        "Output of every shape reaches get_logs and the harvested job byte for byte: no trailing newline, "
        "CR and CRLF, empty lines, trailing whitespace, characters outside the BMP, multi-byte characters "
        "across chunk boundaries, large non-ASCII output, both streams interleaved, and no output at all.",
        "Decode the whole byte stream once (incrementally: codecs.getincrementaldecoder), never per chunk "
        "or per line; do not strip, split or re-join lines.",
    ),
    _c(
        "HARVEST-001",
        "MUST",
        "Harvesting a finished execution returns True and sets exit_code, stdout, stderr, "
        "completed_at and status 'completed' for exit code 0.",
        "Use executor_kit.job.record_result(job, exit_code=..., stdout=..., stderr=..., completed_at=...).",
    ),
    _c(
        "HARVEST-002",
        "MUST",
        "Exit codes 0, 1, 3 and 255 are recorded exactly.",
        "Read the workload's own exit code from the backend; do not collapse non-zero codes to 1.",
    ),
    _c(
        "HARVEST-003",
        "MUST",
        "A non-zero exit is harvested as True with job status 'failed'.",
        "A non-zero exit is a result, not an error: return True.",
    ),
    _c(
        "HARVEST-004",
        "MUST",
        "Harvesting a running execution returns False and changes nothing on the job.",
        "Check the status first; only record results for 'exited' or 'failed'.",
    ),
    _c(
        "HARVEST-005",
        "MUST",
        "Harvesting an unknown execution returns False and invents nothing.",
        "Return False when the execution is 'not-found'; never fill in a default exit code.",
    ),
    _c(
        "HARVEST-006",
        "MUST",
        "A second harvest returns True again and changes nothing.",
        "Make harvest idempotent: read the same final record each time.",
    ),
    _c(
        "HARVEST-007",
        "MUST",
        "For every ending, harvest_job returns True and records an int exit_code (the workload's own "
        "code; for a timeout or OOM the platform's code, else -1), the status the code and ending give "
        "('completed', 'failed', 'timeout') and the same stdout/stderr as get_logs.",
        "Read the exit code from the platform's final record (never parse it from logs); "
        "use executor_kit.job.record_result.",
    ),
    _c(
        "HARVEST-008",
        "MUST",
        "started_at and completed_at are timezone-aware UTC datetimes with started_at <= completed_at <= "
        "now, and completed_at is when the workload ended (as closely as the backend knows), not when it "
        "was harvested.",
        "Take completed_at from the platform's finish time (Docker State.FinishedAt, ECS stoppedAt), as "
        "datetime with tzinfo=UTC.",
    ),
    _c(
        "HARVEST-009",
        "MUST",
        "A harvest repeated after a settle period returns True and changes nothing, for every ending.",
        "Keep the final record until cleanup; derive the result from it, never from 'now'.",
    ),
    _c(
        "HARVEST-010",
        "MUST",
        "harvest_job writes only exit_code, stdout, stderr, completed_at, status (and failure_reason, "
        "where the job has it) on the job.",
        "Write the result through executor_kit.job.record_result and touch nothing else.",
    ),
    _c(
        "CLEANUP-001",
        "MUST",
        "Cleaning up a running execution returns True, stops it, and it reads 'not-found'.",
        "Stop (kill) the workload, then delete every resource of it.",
    ),
    _c(
        "CLEANUP-002",
        "MUST",
        "Cleanup is idempotent: a second call returns True.",
        "Treat 'already gone' as success.",
    ),
    _c(
        "CLEANUP-003",
        "MUST",
        "Cleaning up an unknown id returns True and raises nothing.",
        "Swallow the backend's not-found on delete.",
    ),
    _c(
        "CLEANUP-004",
        "MUST",
        "A finished execution reads 'not-found' after cleanup.",
        "Delete the finished record too, not only running workloads.",
    ),
    _c(
        "CLEANUP-005",
        "SHOULD",
        "Cleanup ends a workload that ignores SIGTERM, within the launch deadline.",
        "Kill (SIGKILL) after a bounded grace period instead of waiting forever.",
    ),
    _c(
        "CLEANUP-006",
        "MUST",
        "After cleanup, for every ending and forever (also after a settle period): check_status reads "
        "'not-found', get_logs ('', ''), and harvest_job changes nothing and returns False (True is "
        "allowed only for a job harvested before).",
        "Forget the execution completely on cleanup; answer unknown ids as not-found, and never refill a "
        "job from a deleted record.",
    ),
    _c(
        "ENV-001",
        "MUST",
        "Environment values with spaces, '=', quotes, newlines, '$' and Unicode reach the workload exactly.",
        "Pass the environment as a mapping/list to the API, never through a shell or an env-file format.",
    ),
    _c(
        "ENV-002",
        "MUST",
        "An empty environment value reaches the workload as empty.",
        "Do not drop variables whose value is ''.",
    ),
    _c(
        "ENV-003",
        "MUST",
        "The workload sees the job's environment and secrets together, nothing of the executor's host "
        "process environment, and the job's values win over variables the backend adds (HOME, HOSTNAME).",
        "Build the environment from executor_kit.job.job_environment(job) alone (never os.environ), and apply it last.",
    ),
    _c(
        "ENV-004",
        "MUST",
        "Generated environment values (any characters but NUL) reach the workload exactly.",
        "Pass values through untouched: no strip, no quoting, no encoding other than UTF-8.",
    ),
    _c(
        "ARGV-001",
        "MUST",
        "argv reaches the workload unchanged: spaces, quotes, '$()', ';', globs, newlines (no shell).",
        "Pass job.command as a list (exec form); never join it into a string or wrap it in 'sh -c'.",
    ),
    _c(
        "ARGV-002",
        "MUST",
        "Generated argv elements (any characters but NUL, empty ones too) reach the workload exactly.",
        "Pass job.command as a list, untouched.",
    ),
    _c(
        "TIMEOUT-001",
        "MUST",
        "An execution past its timeout_seconds reads 'failed' at the first check_status after the deadline.",
        "Compare the deadline in check_status and stop the workload there (or natively) before answering.",
    ),
    _c(
        "TIMEOUT-002",
        "MUST",
        "Harvesting a timed-out execution records job status 'timeout'.",
        "Remember (or derive from start and finish times) that the timeout ended it; pass timed_out=True.",
    ),
    _c(
        "LIMITS-001",
        "MUST",
        "A declared memory limit bounds the workload: allocating beyond it ends in 'failed'.",
        "Apply memory_limit (MiB) to the backend (and the same swap limit); report OOM kills as 'failed'.",
        _LIMITS,
    ),
    _c(
        "LIMITS-002",
        "MUST",
        "A workload within its memory limit runs to 'exited' (the limit is in MiB).",
        "memory_limit is in MiB: multiply by 1024*1024, not 1000.",
        _LIMITS,
        shows=False,
    ),
    _c(
        "CAPS-001",
        "MUST",
        "get_capabilities returns the standard keys, all bool.",
        "Start from executor_kit.STANDARD_CAPABILITIES and override with bools.",
    ),
    _c(
        "CAPS-002",
        "MUST",
        "get_capabilities is stable across calls.",
        "Return the same answers each call; do not probe the backend each time.",
    ),
    _c(
        "CLOSE-001",
        "MUST",
        "close() releases client resources only: executions keep running to their end, and the executor "
        "used again after close (it reconnects) and a new instance both see them.",
        "Close only connections in close(); never stop or delete workloads there (that is cleanup's job).",
        alone=True,
    ),
    _c(
        "FIND-001",
        "MUST",
        "find_executions(labels) lists exactly the executions carrying every given label with exactly "
        "the given value (no prefix, partial or case-insensitive match); label keys and values reach the "
        "backend unchanged.",
        "Filter on every key=value pair, exactly; refuse at launch a label the backend would alter.",
    ),
    _c(
        "FOREIGN-001",
        "MUST",
        "An execution this executor did not launch is neither touched nor adopted: check_status reads "
        "'not-found', get_logs ('', ''), harvest_job False, cleanup True and the resource is still there, "
        "find_executions does not list it.",
        "Check that a resource carries your own marker (a label) before answering for it or deleting it.",
        hook="foreign_execution",
    ),
    _c(
        "OUTAGE-001",
        "MUST",
        "While the backend is unreachable every call raises ExecutorConnectionError (no status, logs or "
        "result is invented); afterwards each execution is seen as it really is.",
        "Map connection failures to ExecutorConnectionError; never answer from a guess or an empty cache.",
        alone=True,
        hook="outage",
    ),
    _c(
        "ERRORS-001",
        "MUST",
        "Odd ids ('../x', newlines, 10,000 characters) give not-found / ('', '') / True, never an exception.",
        "Validate or escape ids before building API paths; map invalid-id errors to not-found.",
    ),
    _c(
        "ERRORS-002",
        "MUST",
        "Every exception an executor raises is an ExecutorError.",
        "Wrap backend client exceptions in the executor_kit.errors classes.",
    ),
    _c(
        "SECRETS-001",
        "MUST",
        "secret_environment values reach the workload.",
        "Merge executor_kit.job.job_environment(job) into the workload's environment.",
        _SECRETS,
    ),
    _c(
        "SECRETS-002",
        "MUST",
        "Secret values never appear in the executor's repr, launch messages or exceptions.",
        "Build messages from executor_kit.job.describe_job(job), which redacts secrets.",
    ),
    _c(
        "MODEL-001",
        "SHOULD",
        "Random sequences of launch/status/logs/harvest/cleanup keep every invariant "
        "(absorbing states, idempotence, not-found after cleanup, ids never reused).",
        "Run the failing sequence Hypothesis prints against your executor and compare with the contract.",
    ),
    _c(
        "CANCEL-001",
        "MUST",
        "cancel of a running workload returns True; the execution then reads 'failed' (never 'exited'), "
        "get_logs still has everything written before the stop, and harvest_job records status 'cancelled' "
        "with an int exit code.",
        "Stop the workload (SIGTERM, then a kill after the grace period) without deleting it; remember the "
        "cancel and pass cancelled=True to executor_kit.job.record_result.",
        _CANCEL,
    ),
    _c(
        "CANCEL-002",
        "MUST",
        "cancel stops a workload that ignores SIGTERM: after the grace period it is killed, reads 'failed' "
        "and harvests as 'cancelled'.",
        "After SIGTERM wait the configured grace period, then send SIGKILL (docker stop -t, ECS stopTimeout).",
        _CANCEL,
    ),
    _c(
        "CANCEL-003",
        "MUST",
        "cancel of an execution that already ended returns True and changes nothing: status, logs and the "
        "harvested result (status, exit code) stand.",
        "Look at the execution's state first; an ended one is left alone (no 'cancelled' marker).",
        _CANCEL,
    ),
    _c(
        "CANCEL-004",
        "MUST",
        "cancel is idempotent: cancelling again returns True, raises nothing and changes nothing.",
        "Treat 'already stopping' and 'already stopped' answers of the platform as success.",
        _CANCEL,
    ),
    _c(
        "CANCEL-005",
        "MUST",
        "cancel of an unknown, empty or cleaned-up id returns False and raises nothing.",
        "Map the platform's not-found answer (404, ResourceNotFound) to False.",
        _CANCEL,
    ),
    _c(
        "CANCEL-006",
        "MUST",
        "A cancel racing the workload's own exit leaves one consistent outcome: 'exited' with the workload's "
        "own exit code and job status, or 'failed' harvested as 'cancelled'; never 'running' again.",
        "Decide 'cancelled' from what ended the workload (the stop), not from the cancel call alone.",
        _CANCEL,
    ),
    _c(
        "CANCEL-007",
        "MUST",
        "cleanup after cancel frees everything as usual: 'not-found', empty logs, not listed by find_executions.",
        "cleanup must delete a stopped (cancelled) execution too, not only running ones.",
        _CANCEL,
    ),
    _c(
        "CANCEL-008",
        "MUST",
        "A cancelled execution keeps its record and logs until cleanup, also after a quiet period.",
        "Do not remove the container or task record on cancel; only cleanup removes it.",
        _CANCEL,
    ),
    _c(
        "STREAM-001",
        "MUST",
        "stream_logs(id, follow=True) ends once the workload has ended, and its chunks, joined per stream, "
        "equal get_logs.",
        "Yield (stream, text) pairs until the platform's log stream ends; read the rest before returning.",
        _STREAM,
    ),
    _c(
        "STREAM-002",
        "MUST",
        "Chunks come in order per stream and each is a ('stdout' | 'stderr', str) pair.",
        "Keep one ordered stream per output (demultiplex), never reorder chunks.",
        _STREAM,
    ),
    _c(
        "STREAM-003",
        "MUST",
        "No chunk splits a multi-byte character (no U+FFFD from decoding a partial character).",
        "Decode with an incremental UTF-8 decoder per stream (codecs.getincrementaldecoder).",
        _STREAM,
    ),
    _c(
        "STREAM-004",
        "MUST",
        "Output written while the consumer is slow is delivered too, complete and in order.",
        "Buffer or resume from the last position; never drop what arrived between reads.",
        _STREAM,
    ),
    _c(
        "STREAM-005",
        "MUST",
        "Interleaved writes to stdout and stderr each come on their own stream, complete.",
        "Read the stream of each chunk from the platform (Docker's multiplexed frame header), never guess.",
        _STREAM,
    ),
    _c(
        "STREAM-006",
        "MUST",
        "stream_logs of an unknown, empty or cleaned-up id gives an empty iterator and raises nothing.",
        "Map the platform's not-found answer to an empty iterator.",
        _STREAM,
    ),
    _c(
        "STREAM-007",
        "MUST",
        "Closing a stream early releases it: it yields nothing more, and many early-closed streams leave the "
        "executor and new streams working.",
        "Close the HTTP response in the generator's finally block.",
        _STREAM,
    ),
    _c(
        "STREAM-008",
        "MUST",
        "stream_logs(id, follow=False) delivers what was written so far and ends while the workload still runs.",
        "Without follow, read the logs once (no waiting) and stop.",
        _STREAM,
    ),
    _c(
        "LEAKS-001",
        "MUST",
        "Everything the suite launched is gone after cleanup (checked through the executor "
        "and, where it can list, the backend).",
        "Make cleanup delete every resource; implement find_executions(labels) so leaks can be seen.",
        alone=True,
    ),
)

_BY_ID = {clause.id: clause for clause in CLAUSES}


def clause_by_id(clause_id: str) -> Clause:
    """The clause with this id.

    Raises:
        KeyError: for an unknown id.

    Example:
        >>> clause_by_id("CAPS-001").level
        <Level.MUST: 'MUST'>
    """
    return _BY_ID[clause_id]


def families() -> list[str]:
    """Clause families in registry order.

    Example:
        >>> families()[:3]
        ['LAUNCH', 'STATUS', 'LOGS']
    """
    return list(dict.fromkeys(clause.family for clause in CLAUSES))
