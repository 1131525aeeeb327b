"""The state of the emulated Kubernetes cluster: Jobs, their pods, Secrets, and the probe they play.

``Cluster`` holds API objects as the JSON the API server would return and
acts as the Job controller and the kubelet would, against a shared clock:
it creates one pod per Job, plays the pod's probe argv (``executor_kit.probe``)
through ``ContainerCreating``, running and terminated (with ``OOMKilled``
when ``alloc`` reaches the container's memory limit), reports images it does
not have as ``ErrImagePull``/``ImagePullBackOff`` and missing Secret keys as
``CreateContainerConfigError``, enforces ``activeDeadlineSeconds``
(``DeadlineExceeded``) and ``ttlSecondsAfterFinished``, and deletes with the
documented propagation policies (``Foreground`` keeps the Job, with a
``deletionTimestamp``, until its pods are gone). A deleted pod's probe gets
SIGTERM (exit 143), or SIGKILL after ``terminationGracePeriodSeconds`` when it
ignores SIGTERM (137). Request bodies are validated through the official
client's own models (``kubernetes.client.V1Job`` and friends); unknown fields
are refused.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import functools
import random
import re
import string
import uuid
from collections.abc import Mapping
from typing import Any

from kubernetes import client as k8s_client

from executor_kit.clock import Clock
from executor_kit.probe import ProbeEvent, ProbeRun, interpret, is_probe

__all__ = ["ApiError", "Cluster"]

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?")
_LABEL_KEY = re.compile(r"([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_QUANTITY = re.compile(r"([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?")
_FACTORS = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_MODELS: dict[str, Any] = {"jobs": k8s_client.V1Job, "secrets": k8s_client.V1Secret, "pods": k8s_client.V1Pod}
_KINDS = {"jobs": ("Job", "batch/v1"), "secrets": ("Secret", "v1"), "pods": ("Pod", "v1")}
_PULL_BACKOFF_AFTER = 10.0


class ApiError(Exception):
    """An answer with a ``Status`` body."""

    def __init__(self, code: int, reason: str, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, dict(details or {})

    def status(self) -> dict[str, Any]:
        """The ``Status`` object of this answer."""
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "details": self.details,
            "code": self.code,
        }


def invalid(kind: str, name: str, message: str) -> ApiError:
    """A 422 ``Invalid`` answer."""
    return ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {message}', {"name": name, "kind": kind.lower()})


def not_found(resource: str, name: str) -> ApiError:
    """A 404 ``NotFound`` answer."""
    return ApiError(404, "NotFound", f'{resource} "{name}" not found', {"name": name, "kind": resource})


def quantity(text: object) -> float:
    """A Kubernetes quantity (``500m``, ``64Mi``) as a number."""
    match = _QUANTITY.fullmatch(str(text))
    if match is None:
        raise ValueError(f"quantities must match the regular expression '{_QUANTITY.pattern}'")
    return float(match.group(1)) * _FACTORS.get(match.group(2) or "", 1.0)


@functools.lru_cache(maxsize=1)
def _serializer() -> Any:
    """One client, used only for its ``sanitize_for_serialization`` (it never connects)."""
    return k8s_client.ApiClient()


def _unknown_fields(sent: Any, kept: Any, path: str) -> list[str]:
    """Paths present in the request but dropped by the client model (fields the API does not know)."""
    if isinstance(sent, dict) and isinstance(kept, dict):
        lost = [f"{path}.{k}" for k in sent if k not in kept and sent[k] is not None]
        return lost + [p for k in sent if k in kept for p in _unknown_fields(sent[k], kept[k], f"{path}.{k}")]
    if isinstance(sent, list) and isinstance(kept, list):
        return [p for a, b in zip(sent, kept, strict=False) for p in _unknown_fields(a, b, f"{path}[]")]
    return []


def through_model(resource: str, body: object) -> dict[str, Any]:
    """``body`` validated by the official client's model of ``resource``; 400 for what it refuses."""
    if not isinstance(body, dict):
        raise ApiError(400, "BadRequest", f"the request body is not a JSON object: {type(body).__name__}")
    try:
        model = _MODELS[resource].from_dict(body)
    except Exception as exc:  # pydantic's ValidationError or the older models' ValueError
        raise ApiError(400, "BadRequest", f"the {resource} body does not decode: {' '.join(str(exc).split())}") from exc
    kept = _serializer().sanitize_for_serialization(model)
    unknown = _unknown_fields(body, kept, "")
    if unknown:
        raise ApiError(400, "BadRequest", f'strict decoding error: unknown field "{unknown[0].lstrip(".")}"')
    return dict(kept)


def _name_problem(name: str) -> str | None:
    if _DNS_LABEL.fullmatch(name) and len(name) <= 63:
        return None
    return f"metadata.name: Invalid value: {name!r}: a lowercase RFC 1123 label must be alphanumerics or '-'"


def _restart_problem(pod: Mapping[str, Any]) -> str | None:
    if pod.get("restartPolicy") in ("Never", "OnFailure"):
        return None
    return 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'


def _quantity_problem(value: object) -> str | None:
    try:
        quantity(value)
    except ValueError as exc:
        return f"spec.template.spec.containers[0].resources.limits: Invalid value: {value!r}: {exc}"
    return None


def _container_problem(container: Mapping[str, Any]) -> str | None:
    if not container.get("image"):
        return "spec.template.spec.containers[0].image: Required value"
    limits = ((container.get("resources") or {}).get("limits") or {}).values()
    return next(filter(None, map(_quantity_problem, limits)), None)


def labels_problem(labels: Mapping[str, Any]) -> str | None:
    """What the API server says about invalid labels, or ``None``."""
    for key, value in labels.items():
        if not _LABEL_KEY.fullmatch(key) or len(key.rpartition("/")[2]) > 63:
            return f"metadata.labels: Invalid value: {key!r}: name part must consist of alphanumeric characters"
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.fullmatch(value):
            return f"metadata.labels: Invalid value: {value!r}: a valid label must be 63 characters or less"
    return None


def match(labels: Mapping[str, str], selector: str) -> bool:
    """Whether ``labels`` satisfy an equality-based label selector (``a=b,c==d,e!=f,g``)."""
    for term in filter(None, (t.strip() for t in selector.split(","))):
        key, op, value = re.split(r"(==|!=|=)", term, maxsplit=1) if re.search("[=!]", term) else (term, "", "")
        if (op == "!=" and labels.get(key) == value) or (op in ("=", "==") and labels.get(key) != value):
            return False
        if not op and key not in labels:
            return False
    return True


@dataclasses.dataclass
class _Play:
    """One pod's container as the kubelet runs it."""

    run: ProbeRun | None  # None: it cannot start (see ``waiting``)
    waiting: tuple[str, str] | None
    created: float
    started: float
    grace: float
    deleted: float | None = None
    settled: bool = False  # ended, and its final status is written

    def end(self) -> float | None:
        """When the container ends (monotonic), if known."""
        natural = None if self.run is None else self.started + self.run.duration
        if self.deleted is None:
            return natural
        stop = max(self.deleted, self.started) + (self.grace if self.run and self.run.ignores_term else 0.0)
        return stop if natural is None or self.run is None else min(natural, stop)

    def stopped_early(self) -> bool:
        """Whether the deletion, not the program, ended it."""
        natural = None if self.run is None else self.started + self.run.duration
        end = self.end()
        return self.deleted is not None and (natural is None or (end is not None and end < natural))


class Cluster:
    """Namespaced API objects plus the Job controller and kubelet; see the module docstring.

    Args:
        clock: The clock shared with the executor.
        images: Images that can be pulled.
        namespaces: Namespaces that exist.
        start_delay: Seconds a pod spends in ``ContainerCreating``.
    """

    def __init__(self, clock: Clock, images: set[str], namespaces: set[str], start_delay: float) -> None:
        self.clock = clock
        self.images = images
        self.namespaces = namespaces
        self.start_delay = start_delay
        self.objects: dict[str, dict[tuple[str, str], dict[str, Any]]] = {kind: {} for kind in _MODELS}
        self.plays: dict[str, _Play] = {}
        self.job_times: dict[str, list[float]] = {}  # Job uid -> [started, finished...]
        self.version = 0

    # --------------------------------------------------------------- helpers

    def stamp(self, at: float | None = None) -> str:
        """An RFC 3339 timestamp (seconds, as the API writes them) of monotonic time ``at``."""
        moment = self.clock.now() - dt.timedelta(
            seconds=self.clock.monotonic() - (at if at is not None else self.clock.monotonic())
        )
        return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _meta(self, resource: str, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        self.version += 1
        kind, version = _KINDS[resource]
        meta = {**body.get("metadata", {}), "namespace": namespace, "uid": str(uuid.uuid4())}
        meta.update(resourceVersion=str(self.version), creationTimestamp=self.stamp())
        return {**body, "kind": kind, "apiVersion": version, "metadata": meta}

    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any]:
        """One object, or 404."""
        found = self.objects[resource].get((namespace, name))
        if found is None:
            raise not_found(resource, name)
        return found

    def select(self, resource: str, namespace: str, selector: str) -> list[dict[str, Any]]:
        """The objects of a namespace matching a label selector."""
        items = [o for (ns, _), o in sorted(self.objects[resource].items()) if ns == namespace]
        return [o for o in items if match(o["metadata"].get("labels") or {}, selector)]

    def _check_new(self, resource: str, namespace: str, body: dict[str, Any]) -> str:
        if namespace not in self.namespaces:
            details = {"name": namespace, "kind": "namespaces"}
            raise ApiError(404, "NotFound", f'namespaces "{namespace}" not found', details)
        name = str((body.get("metadata") or {}).get("name") or "")
        problem = _name_problem(name) or labels_problem((body.get("metadata") or {}).get("labels") or {})
        if problem:
            raise invalid(_KINDS[resource][0], name, problem)
        if (namespace, name) in self.objects[resource]:
            details = {"name": name, "kind": resource}
            raise ApiError(409, "AlreadyExists", f'{resource} "{name}" already exists', details)
        return name

    # ---------------------------------------------------------------- create

    def create_secret(self, namespace: str, body: object) -> dict[str, Any]:
        """``POST .../secrets``."""
        secret = through_model("secrets", body)
        name = self._check_new("secrets", namespace, secret)
        for key, value in (secret.get("data") or {}).items():
            try:
                base64.b64decode(value, validate=True)
            except ValueError as exc:
                raise invalid("Secret", name, f"data[{key}]: Invalid value: not base64") from exc
        data = {**(secret.get("data") or {})}
        data.update(
            {k: base64.b64encode(v.encode()).decode() for k, v in (secret.pop("stringData", None) or {}).items()}
        )
        created = self._meta("secrets", namespace, {**secret, "data": data})
        self.objects["secrets"][(namespace, name)] = created
        return created

    def _check_job(self, name: str, spec: Mapping[str, Any]) -> None:
        template = spec.get("template") or {}
        pod = template.get("spec") or {}
        problem = labels_problem((template.get("metadata") or {}).get("labels") or {})
        if problem:
            raise invalid("Job", name, problem.replace("metadata.", "spec.template.metadata."))
        problem = _restart_problem(pod) or next(
            filter(None, map(_container_problem, pod.get("containers") or [])), None
        )
        if problem:
            raise invalid("Job", name, problem)

    def create_job(self, namespace: str, body: object) -> dict[str, Any]:
        """``POST .../jobs``: the Job, and at once its pod (the Job controller's work)."""
        job = through_model("jobs", body)
        name = self._check_new("jobs", namespace, job)
        self._check_job(name, job.get("spec") or {})
        job = self._meta("jobs", namespace, job)
        job["status"] = {"startTime": self.stamp(), "active": 1}
        self.job_times[job["metadata"]["uid"]] = [self.clock.monotonic()]
        self.objects["jobs"][(namespace, name)] = job
        self._create_pod(namespace, job)
        return job

    def _create_pod(self, namespace: str, job: dict[str, Any]) -> None:
        template = job["spec"]["template"]
        name, uid = job["metadata"]["name"], job["metadata"]["uid"]
        suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=5))
        labels = {**(template.get("metadata") or {}).get("labels", {}), "job-name": name, "controller-uid": uid}
        labels.update({"batch.kubernetes.io/job-name": name, "batch.kubernetes.io/controller-uid": uid})
        owner = {"apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": uid, "controller": True}
        meta = {"name": f"{name}-{suffix}", "labels": labels, "ownerReferences": [owner]}
        pod = self._meta("pods", namespace, {"metadata": meta, "spec": dict(template["spec"])})
        pod["status"] = {"phase": "Pending"}
        self.objects["pods"][(namespace, pod["metadata"]["name"])] = pod
        self.plays[pod["metadata"]["uid"]] = self._play(namespace, pod)

    # ------------------------------------------------------------------ play

    def _environment(self, namespace: str, container: Mapping[str, Any]) -> dict[str, str] | str:
        env: dict[str, str] = {}
        for item in container.get("env") or []:
            ref = (item.get("valueFrom") or {}).get("secretKeyRef")
            if ref is None:
                env[item["name"]] = item.get("value") or ""
                continue
            secret = self.objects["secrets"].get((namespace, ref["name"]))
            if secret is None or ref["key"] not in (secret.get("data") or {}):
                return (
                    f'secret "{ref["name"]}" not found'
                    if secret is None
                    else f"couldn't find key {ref['key']} in Secret"
                )
            env[item["name"]] = base64.b64decode(secret["data"][ref["key"]]).decode()
        return env

    def _play(self, namespace: str, pod: Mapping[str, Any]) -> _Play:
        container = pod["spec"]["containers"][0]
        now = self.clock.monotonic()
        grace = float(pod["spec"].get("terminationGracePeriodSeconds", 30))
        if container["image"] not in self.images:
            message = f'Failed to pull image "{container["image"]}": pull access denied, repository does not exist'
            return _Play(None, ("ErrImagePull", message), now, now, grace)
        env = self._environment(namespace, container)
        if isinstance(env, str):
            return _Play(None, ("CreateContainerConfigError", env), now, now, grace)
        memory = ((container.get("resources") or {}).get("limits") or {}).get("memory")
        limit = None if memory is None else quantity(memory) / 2**20
        argv = list(container.get("command") or ["probe"]) + list(container.get("args") or [])
        run = interpret(argv, env, memory_limit_mib=limit) if is_probe(argv) else _not_probe(argv)
        return _Play(run, None, now, now + self.start_delay, grace)

    # ------------------------------------------------------------------ sync

    def sync(self) -> None:
        """Bring every pod, Job and deletion up to the clock's present."""
        for (namespace, name), pod in list(self.objects["pods"].items()):
            self._sync_pod(namespace, name, pod)
        owners = self._owners()
        for (namespace, name), job in list(self.objects["jobs"].items()):
            self._sync_job(namespace, name, job, owners.get(job["metadata"]["uid"], []))

    def _sync_pod(self, namespace: str, name: str, pod: dict[str, Any]) -> None:
        play = self.plays[pod["metadata"]["uid"]]
        if play.settled and play.deleted is None:
            return
        now = self.clock.monotonic()
        end = play.end()
        if play.deleted is not None and (end is None or end <= now):
            del self.objects["pods"][(namespace, name)]
            return
        pod["status"] = self._pod_status(play, now)
        play.settled = play.run is not None and end is not None and end <= now

    def _owners(self) -> dict[str, list[dict[str, Any]]]:
        """Pods by the uid of the Job that owns them."""
        owners: dict[str, list[dict[str, Any]]] = {}
        for pod in self.objects["pods"].values():
            owners.setdefault(pod["metadata"]["labels"]["controller-uid"], []).append(pod)
        return owners

    def _pod_status(self, play: _Play, now: float) -> dict[str, Any]:
        base = {"startTime": self.stamp(play.created)}
        if play.run is None or now < play.started:
            return {**base, "phase": "Pending", "containerStatuses": [self._container_status(self._waiting(play, now))]}
        end = play.end()
        if end is not None and end <= now:
            code, reason = self._outcome(play)
            finished = {"exitCode": code, "reason": reason, "startedAt": self.stamp(play.started)}
            state = {"terminated": {**finished, "finishedAt": self.stamp(end)}}
            return {
                **base,
                "phase": "Succeeded" if code == 0 else "Failed",
                "containerStatuses": [self._container_status(state)],
            }
        running = {"running": {"startedAt": self.stamp(play.started)}}
        return {**base, "phase": "Running", "containerStatuses": [self._container_status(running)]}

    def _waiting(self, play: _Play, now: float) -> dict[str, Any]:
        if play.waiting is None:
            return {"waiting": {"reason": "ContainerCreating"}}
        reason, message = play.waiting
        if reason == "ErrImagePull" and now - play.created >= _PULL_BACKOFF_AFTER:
            reason = "ImagePullBackOff"
        return {"waiting": {"reason": reason, "message": message}}

    def _container_status(self, state: dict[str, Any]) -> dict[str, Any]:
        ready = "running" in state
        return {"name": "job", "image": "", "imageID": "", "ready": ready, "restartCount": 0, "state": state}

    def _outcome(self, play: _Play) -> tuple[int, str]:
        assert play.run is not None
        if play.stopped_early():
            return (137 if play.run.ignores_term else 143), "Error"
        if play.run.oom_killed:
            return play.run.exit_code, "OOMKilled"
        return play.run.exit_code, "Completed" if play.run.exit_code == 0 else "Error"

    def _pods_of(self, job: Mapping[str, Any]) -> list[dict[str, Any]]:
        return self._owners().get(job["metadata"]["uid"], [])

    def _sync_job(self, namespace: str, name: str, job: dict[str, Any], pods: list[dict[str, Any]]) -> None:
        if job["metadata"].get("deletionTimestamp"):
            if not pods:
                self._forget_job(namespace, name, job)
            return
        status = job["status"]
        if not any(c["type"] in ("Complete", "Failed") for c in status.get("conditions", [])):
            self._judge(namespace, job, pods)
        self._expire(namespace, name, job)

    def _judge(self, namespace: str, job: dict[str, Any], pods: list[dict[str, Any]]) -> None:
        seconds = job["spec"].get("activeDeadlineSeconds")
        deadline = None if seconds is None else self.job_times[job["metadata"]["uid"]][0] + seconds
        ends = [(end, play) for play in map(self._play_of, pods) if (end := play.end()) is not None]
        ended = [(end, play) for end, play in ends if end <= self.clock.monotonic()]
        if ended and (deadline is None or ended[0][0] <= deadline):
            self._exited(job, ended[0][1])
        elif deadline is not None and self.clock.monotonic() >= deadline:
            for pod in pods:
                self._delete_pod(pod, deadline)
            self._finish(job, "Failed", "DeadlineExceeded", "Job was active longer than specified deadline")

    def _play_of(self, pod: Mapping[str, Any]) -> _Play:
        return self.plays[pod["metadata"]["uid"]]

    def _exited(self, job: dict[str, Any], play: _Play) -> None:
        if self._outcome(play)[0] == 0:
            self._finish(job, "Complete", "CompletionsReached", "Reached expected number of succeeded pods")
        else:
            self._finish(job, "Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")

    def _finish(self, job: dict[str, Any], kind: str, reason: str, message: str) -> None:
        now = self.stamp()
        first = "SuccessCriteriaMet" if kind == "Complete" else "FailureTarget"
        conditions = [
            {
                "type": t,
                "status": "True",
                "reason": reason,
                "message": message,
                "lastProbeTime": now,
                "lastTransitionTime": now,
            }
            for t in (first, kind)
        ]
        counts = {"succeeded": 1} if kind == "Complete" else {"failed": 1}
        job["status"] = {**job["status"], "active": 0, "conditions": conditions, **counts}
        if kind == "Complete":
            job["status"]["completionTime"] = now
        self.job_times[job["metadata"]["uid"]].append(self.clock.monotonic())

    def _expire(self, namespace: str, name: str, job: dict[str, Any]) -> None:
        ttl = job["spec"].get("ttlSecondsAfterFinished")
        times = self.job_times[job["metadata"]["uid"]]
        if ttl is not None and len(times) > 1 and self.clock.monotonic() >= times[1] + ttl:
            self.delete(namespace, "jobs", name, "Background")

    # ---------------------------------------------------------------- delete

    def _delete_pod(self, pod: dict[str, Any], at: float | None = None) -> None:
        play = self.plays[pod["metadata"]["uid"]]
        if play.deleted is None:
            play.deleted = self.clock.monotonic() if at is None else at
            pod["metadata"]["deletionTimestamp"] = self.stamp(play.deleted)
        self._sync_pod(pod["metadata"]["namespace"], pod["metadata"]["name"], pod)

    def _forget_job(self, namespace: str, name: str, job: Mapping[str, Any]) -> None:
        self.objects["jobs"].pop((namespace, name), None)
        uid = job["metadata"]["uid"]
        for key, secret in list(self.objects["secrets"].items()):
            if any(ref.get("uid") == uid for ref in secret["metadata"].get("ownerReferences") or []):
                del self.objects["secrets"][key]  # the garbage collector follows ownerReferences

    def delete(self, namespace: str, resource: str, name: str, propagation: str | None) -> dict[str, Any]:
        """``DELETE`` an object; a Job's pods go as ``propagation`` says (the API's default: ``Background``)."""
        obj = self.get(resource, namespace, name)
        if resource == "jobs":
            self._delete_job(namespace, name, obj, propagation)
        elif resource == "pods":
            self._delete_pod(obj)
        else:
            del self.objects[resource][(namespace, name)]
        return obj

    def _delete_job(self, namespace: str, name: str, job: dict[str, Any], propagation: str | None) -> None:
        for pod in self._pods_of(job) if propagation != "Orphan" else []:
            self._delete_pod(pod)
        if propagation == "Foreground" and self._pods_of(job):
            job["metadata"].setdefault("deletionTimestamp", self.stamp())
            job["metadata"]["finalizers"] = ["foregroundDeletion"]
        else:
            self._forget_job(namespace, name, job)

    # ----------------------------------------------------------------- patch

    def patch(self, namespace: str, resource: str, name: str, patch: object) -> dict[str, Any]:
        """A JSON merge patch (RFC 7386), validated through the model like a create."""
        current = self.get(resource, namespace, name)
        merged = _merge(current, patch)
        merged = {**merged, **through_model(resource, merged)}
        if (
            resource == "jobs"
            and merged["spec"] != current["spec"]
            and _immutable_changed(current["spec"], merged["spec"])
        ):
            raise invalid("Job", name, "spec.template: Invalid value: field is immutable")
        self.version += 1
        merged["metadata"]["resourceVersion"] = str(self.version)
        self.objects[resource][(namespace, name)] = merged
        return merged

    # ------------------------------------------------------------------ logs

    def log(self, namespace: str, name: str, container: str | None, stream: str) -> str:
        """The container's output so far: both streams interleaved (``All``), or one of them."""
        pod = self.get("pods", namespace, name)
        if container not in (None, "job"):
            raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {name}")
        play = self.plays[pod["metadata"]["uid"]]
        now = self.clock.monotonic()
        if play.run is None or now < play.started:
            reason = self._waiting(play, now)["waiting"]["reason"]
            raise ApiError(400, "BadRequest", f'container "job" in pod "{name}" is waiting to start: {reason}')
        end = play.end()
        until = (now if end is None else min(now, end)) - play.started
        wanted = {"All": ("stdout", "stderr"), "Stdout": ("stdout",), "Stderr": ("stderr",)}[stream]
        return "".join(e.text for e in play.run.events if e.at <= until and e.stream in wanted)


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merge(merged.get(key), value)
    return merged


def _immutable_changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    mutable = {"activeDeadlineSeconds", "ttlSecondsAfterFinished", "suspend", "parallelism"}
    return {k: v for k, v in before.items() if k not in mutable} != {k: v for k, v in after.items() if k not in mutable}


def _not_probe(argv: list[str]) -> ProbeRun:
    message = f"exec: {argv[0]!r}: the emulated image runs only the probe\n"
    return ProbeRun(events=(ProbeEvent(0.0, "stderr", message),), exit_code=127, duration=0.0)
