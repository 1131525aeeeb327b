"""The shared filter that keeps secret values out of library log records."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor

from executor_kit.redaction import SecretLogGuard, shown_config_value
from tests.logcapture import SECRET, debug_records


def _log_everything(log: logging.Logger) -> None:
    log.debug("plain %s", SECRET)
    log.debug("json body: %r", json.dumps({"value": SECRET + "✓"}).encode())
    log.debug("escaped: %s", '{"value": "a\\"b"}')
    try:
        raise ValueError(f"boom {SECRET}")
    except ValueError:
        log.exception("failed")


def test_held_values_are_scrubbed_in_every_form_until_released() -> None:
    guard = SecretLogGuard(["kit_test_library"])
    log = logging.getLogger("kit_test_library.sub.module")
    with debug_records() as logs:
        guard.keep("exec-1", [SECRET, 'a"b', SECRET + "✓"])
        _log_everything(log)
        guard.release("exec-1")
        log.debug("released %s", SECRET)
    texts = [r.getMessage() + (r.exc_text or "") for r in logs.records]
    assert not any(SECRET in text or 'a\\"b' in text for text in texts[:-1]), texts
    assert texts[-1] == f"released {SECRET}"


def test_concurrent_holders_count_each_value() -> None:
    guard = SecretLogGuard(["kit_test_library"])
    log = logging.getLogger("kit_test_library")

    def hold(index: int) -> None:
        for _ in range(50):
            guard.keep(f"e{index}", [SECRET])
            with guard.hiding([SECRET]):
                pass

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(hold, range(8)))
    with debug_records() as logs:
        for index in range(7):
            guard.release(f"e{index}")
        log.debug(SECRET)  # e7 still holds it
        guard.release("e7")
        log.debug(SECRET)
    assert [r.getMessage() for r in logs.records] == ["***", SECRET]


def test_config_values_of_secret_looking_keys_are_hidden() -> None:
    for key in ("aws_secret_access_key", "aws_session_token", "password", "api_key", "credentials"):
        assert SECRET not in shown_config_value(key, [SECRET])
    assert shown_config_value("region", SECRET) == repr(SECRET)
