"""Output of a Docker container: its multiplexed log stream, whole or live frame by frame, decoded per stream.

Docker sends each write as a frame: an 8-byte header (stream id 1 = stdout,
2 = stderr, three zero bytes, a big-endian length) and the bytes. A frame can
end inside a multi-byte character (the engine cuts long lines into pieces),
so each stream has its own incremental UTF-8 decoder: a character cut across
frames is delivered whole with the next chunk of its stream.
"""

from __future__ import annotations

import codecs
import itertools
import struct
from collections.abc import Iterator
from typing import Any

import requests  # type: ignore[import-untyped,unused-ignore]
import urllib3

from executor_kit.errors import ExecutorConnectionError

__all__ = ["FRAME_HEADER", "decoded_frames", "demultiplex", "live_chunks", "read_frames"]

#: stream id (1 stdout, 2 stderr), 3 zero bytes, payload length.
FRAME_HEADER = struct.Struct(">BxxxL")
_NAMES = {1: "stdout", 2: "stderr"}
_CHUNK = 1 << 20


def _read_exactly(raw: Any, size: int) -> bytes:
    """``size`` bytes from ``raw`` (fewer only at the end of the stream)."""
    parts: list[bytes] = []
    missing = size
    while missing > 0:
        part = raw.read(missing)
        if not part:
            break
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def read_frames(raw: Any) -> Iterator[tuple[int, bytes]]:
    """``(stream id, payload)`` for each frame of a multiplexed stream, as it arrives.

    Example:
        >>> import io
        >>> data = FRAME_HEADER.pack(1, 2) + b"hi" + FRAME_HEADER.pack(2, 1) + b"!"
        >>> list(read_frames(io.BytesIO(data)))
        [(1, b'hi'), (2, b'!')]
    """
    while len(header := _read_exactly(raw, FRAME_HEADER.size)) == FRAME_HEADER.size:
        kind, length = FRAME_HEADER.unpack(header)
        yield kind, _read_exactly(raw, length)


def decoded_frames(frames: Iterator[tuple[int, bytes]]) -> Iterator[tuple[str, str]]:
    """``(stream, text)`` chunks: each stream decoded incrementally, never splitting a character.

    Undecodable bytes become U+FFFD, as in ``get_logs``; the end flushes each decoder.

    Example:
        >>> euro = "€".encode()
        >>> list(decoded_frames(iter([(1, b"a" + euro[:1]), (2, b"e"), (1, euro[1:] + b"\\n")])))
        [('stdout', 'a'), ('stderr', 'e'), ('stdout', '€\\n')]
    """
    decoders = {kind: codecs.getincrementaldecoder("utf-8")(errors="replace") for kind in _NAMES}
    decoded = ((kind, decoders[kind].decode(payload)) for kind, payload in frames if kind in decoders)
    flushed = ((kind, decoder.decode(b"", final=True)) for kind, decoder in decoders.items())
    yield from ((_NAMES[kind], text) for kind, text in itertools.chain(decoded, flushed) if text)


def live_chunks(raw: Any, execution_id: str) -> Iterator[tuple[str, str]]:
    """``decoded_frames(read_frames(raw))``, a broken transport raised as ``ExecutorConnectionError``.

    Example:
        >>> import io
        >>> list(live_chunks(io.BytesIO(FRAME_HEADER.pack(2, 3) + b"err"), "c1"))
        [('stderr', 'err')]
    """
    try:
        yield from decoded_frames(read_frames(raw))
    except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException, OSError) as exc:
        raise ExecutorConnectionError(
            f"Docker: the log stream broke: {exc}", backend="docker", execution_id=execution_id
        ) from exc


def demultiplex(raw: Any) -> tuple[str, str]:
    """``(stdout, stderr)`` of a whole multiplexed stream, read in 1 MiB chunks, each stream decoded once at the end.

    Frames are appended to one buffer per stream as they arrive (no second copy
    of the raw response); undecodable bytes become U+FFFD.

    Example:
        >>> import io
        >>> demultiplex(io.BytesIO(FRAME_HEADER.pack(1, 3) + b"out" + FRAME_HEADER.pack(2, 1) + b"\\xff"))
        ('out', '\ufffd')
    """
    streams = {1: bytearray(), 2: bytearray()}
    pending = bytearray()
    for chunk in iter(lambda: raw.read(_CHUNK), b""):
        pending += chunk
        del pending[: _drain(pending, streams)]
    return streams[1].decode("utf-8", errors="replace"), streams[2].decode("utf-8", errors="replace")


def _drain(buffer: bytearray, streams: dict[int, bytearray]) -> int:
    """Move every complete frame of ``buffer`` to its stream; return how many bytes were used."""
    offset = 0
    while len(buffer) - offset >= FRAME_HEADER.size:
        kind, length = FRAME_HEADER.unpack_from(buffer, offset)
        end = offset + FRAME_HEADER.size + length
        if end > len(buffer):
            break
        streams.get(kind, bytearray()).extend(buffer[offset + FRAME_HEADER.size : end])
        offset = end
    return offset
