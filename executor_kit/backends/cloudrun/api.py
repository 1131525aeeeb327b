"""JSON over an authorized ``requests`` session: retries, paging, long-running operations, error mapping.

What the Cloud Run Admin API v2 and Cloud Logging v2 answer becomes an
``ExecutorError`` here: 401/403 → ``ExecutorAuthenticationError``; 429 and 503
are retried with exponential backoff on the executor's clock, then raise
``ExecutorResourceError`` (429) or ``ExecutorConnectionError`` (503); other
5xx and network errors → ``ExecutorConnectionError``; other 4xx →
``RejectedError`` (a configuration error the launch turns into ``(False,
message)``); a 404 is ``None`` for the caller to read. Secret values are
removed from every message. Nothing here is public.

Example:
    >>> error_for_status(400, client_error=RejectedError).__name__, error_for_status(503).__name__
    ('RejectedError', 'ExecutorConnectionError')
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

import google.auth
import google.auth.credentials
import google.auth.exceptions
import google.oauth2.service_account
import requests
from google.auth.transport.requests import AuthorizedSession

from executor_kit._retry import retry
from executor_kit.backends.cloudrun.settings import CloudRunSettings
from executor_kit.clock import Clock
from executor_kit.errors import (
    ExecutorAuthenticationError,
    ExecutorConfigurationError,
    ExecutorConnectionError,
    ExecutorError,
    error_for_status,
    translated,
)
from executor_kit.job import redact

__all__: list[str] = []

BACKEND = "cloudrun"
#: The OAuth scope the executor asks for.
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
_RETRIED = (429, 503)


class RejectedError(ExecutorConfigurationError):
    """The API refused a request (a 4xx other than 401/403/404/429), or an operation ended in an error.

    Example:
        >>> isinstance(RejectedError("Image 'x' not found."), ValueError)
        True
    """


def _error_message(response: requests.Response) -> str:
    try:
        error = response.json().get("error", {})
        return f"{error.get('status', response.reason)}: {error.get('message', '')}"
    except (ValueError, AttributeError):
        return f"{response.reason}: {response.text[:200]}"


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


def _transport_error(exc: Exception) -> type[ExecutorError] | None:
    if isinstance(exc, requests.RequestException):
        return ExecutorConnectionError
    return ExecutorAuthenticationError if isinstance(exc, google.auth.exceptions.GoogleAuthError) else None


class CloudRunApi:
    """The two REST APIs through one session, retrying 429 and 503 on ``clock``.

    Example:
        >>> from executor_kit.clock import VirtualClock
        >>> api = CloudRunApi(requests.Session(), CloudRunSettings(project="p-1234", region="us-east1"), VirtualClock())
        >>> api.settings.run_endpoint
        'https://run.googleapis.com'
    """

    def __init__(self, session: requests.Session, settings: CloudRunSettings, clock: Clock) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock

    def _send(self, method: str, url: str, body: Any, params: Any) -> requests.Response:
        host = url.split("/v2/")[0]

        def describe(exc: Exception) -> str:
            if isinstance(exc, requests.RequestException):
                return f"cannot reach {host}: {exc}"
            return f"Google credentials failed: {exc}"

        with translated(BACKEND, _transport_error, describe):
            return self.session.request(method, url, json=body, params=params, timeout=self.settings.request_timeout)

    def call(
        self, method: str, url: str, *, body: Any = None, params: Any = None, secrets: Iterable[str] = ()
    ) -> dict[str, Any] | None:
        """The decoded answer, or ``None`` for a 404; raise an ``ExecutorError`` otherwise.

        Example:
            >>> from executor_kit.backends.cloudrun.emulator import CloudRunEmulator
            >>> with CloudRunEmulator() as cloud:
            ...     url = "https://run.googleapis.com/v2/projects/emulated-project/locations/us-central1/jobs/x"
            ...     cloud.executor()._api.call("GET", url) is None  # a 404
            True
        """
        response = retry(
            lambda: self._send(method, url, body, params),
            retryable=lambda r: r.status_code in _RETRIED,
            policy=self.settings.retry_policy,
            sleep=self.clock.sleep,
            hint=_retry_after,
        )
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            message = f"{method} {url} answered {response.status_code} {_error_message(response)}"
            error = error_for_status(response.status_code, client_error=RejectedError)
            raise error(redact(message, secrets), backend=BACKEND)
        return self._decode(response)

    @staticmethod
    def _decode(response: requests.Response) -> dict[str, Any]:
        try:
            answer = response.json() if response.content else {}
        except ValueError as exc:
            raise ExecutorConnectionError(f"not JSON from {response.url}", backend=BACKEND) from exc
        return answer if isinstance(answer, dict) else {}

    def run(self, method: str, path: str, **kwargs: Any) -> dict[str, Any] | None:
        """Call the Cloud Run Admin API v2 at ``path`` (a resource name plus verb).

        Example:
            >>> from executor_kit.backends.cloudrun.emulator import CloudRunEmulator
            >>> with CloudRunEmulator() as cloud:
            ...     cloud.executor()._api.run("GET", "projects/emulated-project/locations/us-central1/jobs/x") is None
            True
        """
        return self.call(method, f"{self.settings.run_endpoint}/v2/{path}", **kwargs)

    def wait(self, operation: dict[str, Any] | None, secrets: Iterable[str] = ()) -> dict[str, Any]:
        """Poll a long-running operation until done; its ``response``.

        Raises:
            RejectedError: for an operation that ended in an error.
            ExecutorConnectionError: for one not done within ``operation_timeout``.

        Example:
            >>> from executor_kit.clock import VirtualClock
            >>> settings = CloudRunSettings(project="p-1234", region="us-east1")
            >>> api = CloudRunApi(requests.Session(), settings, VirtualClock())
            >>> api.wait({"done": True, "response": {"name": "j"}}), api.wait(None)
            ({'name': 'j'}, {})
        """
        deadline = self.clock.monotonic() + self.settings.operation_timeout
        while operation is not None and not operation.get("done"):
            if self.clock.monotonic() >= deadline:
                message = f"operation {operation.get('name')} did not finish in time"
                raise ExecutorConnectionError(message, backend=BACKEND)
            self.clock.sleep(self.settings.poll_interval)
            operation = self.run("GET", str(operation.get("name")))
        error = (operation or {}).get("error")
        if error:
            raise RejectedError(redact(str(error.get("message", error)), secrets), backend=BACKEND)
        return dict((operation or {}).get("response", {}))

    def pages(self, method: str, url: str, key: str, **request: Any) -> Iterator[dict[str, Any]]:
        """Every item under ``key`` of every page (``pageToken`` / ``nextPageToken``).

        Example:
            >>> from executor_kit.backends.cloudrun.emulator import CloudRunEmulator
            >>> with CloudRunEmulator() as cloud:
            ...     url = "https://run.googleapis.com/v2/projects/emulated-project/locations/us-central1/jobs/-/executions"
            ...     list(cloud.executor()._api.pages("GET", url, "executions"))
            []
        """
        token = ""
        while True:
            page = self._page(method, url, token, request)
            yield from page.get(key, [])
            token = page.get("nextPageToken", "")
            if not token:
                return

    def _page(self, method: str, url: str, token: str, request: dict[str, Any]) -> dict[str, Any]:
        if method == "GET":
            params = {**request.get("params", {}), **({"pageToken": token} if token else {})}
            return self.call(method, url, params=params) or {}
        body = {**request.get("body", {}), **({"pageToken": token} if token else {})}
        return self.call(method, url, body=body) or {}


# -- credentials and session ------------------------------------------------------


def _default_credentials() -> Any:
    try:
        credentials, _ = google.auth.default(scopes=[SCOPE])
    except google.auth.exceptions.GoogleAuthError as exc:
        message = f"no Application Default Credentials: {exc}"
        raise ExecutorAuthenticationError(message, backend=BACKEND) from exc
    return credentials


def _service_account(path: str) -> Any:
    try:
        load = google.oauth2.service_account.Credentials.from_service_account_file
        return load(path, scopes=[SCOPE])  # type: ignore[no-untyped-call]
    except (OSError, ValueError, KeyError) as exc:
        message = f"cannot load service-account key file {path!r}: {type(exc).__name__}"
        raise ExecutorConfigurationError(message, backend=BACKEND) from exc


def load_credentials(value: Any) -> Any:
    """The credentials of the ``credentials`` option: as given, from a key file, or the default ones.

    Raises:
        ExecutorConfigurationError: for a key file that cannot be loaded.
        ExecutorAuthenticationError: when there are no Application Default Credentials.

    Example:
        >>> anonymous = google.auth.credentials.AnonymousCredentials()
        >>> load_credentials(anonymous) is anonymous
        True
        >>> load_credentials("/nonexistent/key.json")
        Traceback (most recent call last):
        ...
        executor_kit.errors.ExecutorConfigurationError: cannot load service-account key file ...
    """
    if value is None:
        return _default_credentials()
    if isinstance(value, str | os.PathLike):
        return _service_account(os.fspath(value))
    return value


def authorized_session(credentials: Any) -> requests.Session:
    """A session that signs every request with ``credentials`` (and refreshes them on a 401, unless anonymous).

    Example:
        >>> session = authorized_session(google.auth.credentials.AnonymousCredentials())
        >>> session._refresh_status_codes
        ()
        >>> session.close()
    """
    anonymous = isinstance(credentials, google.auth.credentials.AnonymousCredentials)
    codes = () if anonymous else (401,)  # anonymous credentials cannot be refreshed
    session: requests.Session = AuthorizedSession(  # type: ignore[no-untyped-call]
        credentials, refresh_status_codes=codes
    )
    return session
