"""Framed messages between the grader and the agent: a JSON header, then raw body bytes.

Frame = 4-byte header length + 4-byte body length (big-endian) + UTF-8 JSON header + body.
Standard library only: the agent carries a copy of this file into the sandbox.
"""

from __future__ import annotations

import json
import struct

PREFIX = struct.Struct(">II")
MAX_HEADER = 1 << 20  # 1 MiB of JSON is far more than any honest reply needs
MAX_BODY = 16 << 20  # a response body over 16 MiB fails the request


class ProtocolError(Exception):
    """The other side sent something that is not a valid frame."""


def encode(header: dict, body: bytes = b"") -> bytes:
    """One frame, ready to write."""
    data = json.dumps(header, separators=(",", ":")).encode("utf-8")
    return PREFIX.pack(len(data), len(body)) + data + body


class FrameBuffer:
    """Accumulates bytes as they arrive and yields complete frames; checks sizes early."""

    def __init__(self, max_header: int = MAX_HEADER, max_body: int = MAX_BODY) -> None:
        self._data = bytearray()
        self.max_header = max_header
        self.max_body = max_body

    def feed(self, chunk: bytes) -> None:
        self._data += chunk
        if len(self._data) >= PREFIX.size:
            header_len, body_len = PREFIX.unpack_from(self._data)
            if header_len > self.max_header:
                raise ProtocolError(f"header of {header_len} bytes is over the {self.max_header}-byte limit")
            if body_len > self.max_body:
                raise ProtocolError(f"body of {body_len} bytes is over the {self.max_body}-byte limit")

    def next_frame(self) -> tuple[dict, bytes] | None:
        """The first complete frame, removed from the buffer; None if it has not all arrived."""
        if len(self._data) < PREFIX.size:
            return None
        header_len, body_len = PREFIX.unpack_from(self._data)
        end = PREFIX.size + header_len + body_len
        if len(self._data) < end:
            return None
        raw_header = bytes(self._data[PREFIX.size : PREFIX.size + header_len])
        body = bytes(self._data[PREFIX.size + header_len : end])
        del self._data[:end]
        try:
            header = json.loads(raw_header.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ProtocolError(f"header is not JSON ({exc})") from None
        if not isinstance(header, dict):
            raise ProtocolError("header is not a JSON object")
        return header, body


def read_frame(stream) -> tuple[dict, bytes] | None:
    """Read exactly one frame from a blocking binary stream; None at a clean end of stream."""
    prefix = _read_exact(stream, PREFIX.size)
    if prefix is None:
        return None
    buffer = FrameBuffer()
    buffer.feed(prefix)  # checks the sizes before reading the rest
    header_len, body_len = PREFIX.unpack(prefix)
    rest = _read_exact(stream, header_len + body_len)
    if rest is None:
        raise ProtocolError("stream ended inside a frame")
    buffer.feed(rest)
    return buffer.next_frame()


def _read_exact(stream, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            if data:
                raise ProtocolError("stream ended inside a frame")
            return None
        data += chunk
    return bytes(data)
