"""The agent protocol's framing: encode, FrameBuffer and read_frame, on real bytes."""

from __future__ import annotations

import io
import json

import pytest

from grader.agent.protocol import MAX_BODY, MAX_HEADER, PREFIX, FrameBuffer, ProtocolError, encode, read_frame


def raw_frame(header_bytes: bytes, body: bytes = b"") -> bytes:
    """A frame built by hand, so that the header may be anything at all."""
    return PREFIX.pack(len(header_bytes), len(body)) + header_bytes + body


def test_encode_layout():
    frame = encode({"op": "ping"}, b"xyz")
    header_len, body_len = PREFIX.unpack_from(frame)
    assert (header_len, body_len) == (len(b'{"op":"ping"}'), 3)
    assert frame[PREFIX.size:] == b'{"op":"ping"}xyz'


@pytest.mark.parametrize("header, body", [
    ({"op": "ping"}, b""),
    ({"op": "request", "environ": {"PATH_INFO": "/é", "n": [1, 2.5, None, True]}}, b"\x00\xff" * 1000),
    ({}, b"body only"),
])
def test_round_trip(header, body):
    buffer = FrameBuffer()
    buffer.feed(encode(header, body))
    assert buffer.next_frame() == (header, body)
    assert buffer.next_frame() is None


def test_partial_feeds_byte_by_byte():
    header, body = {"op": "request", "environ": {"PATH_INFO": "/x"}}, b"hello body"
    frame = encode(header, body)
    buffer = FrameBuffer()
    for i, byte in enumerate(frame):
        assert buffer.next_frame() is None, f"a frame came out after only {i} bytes"
        buffer.feed(bytes([byte]))
    assert buffer.next_frame() == (header, body)
    assert buffer.next_frame() is None


def test_two_frames_in_one_feed_and_a_third_split():
    first, second, third = encode({"n": 1}, b"a"), encode({"n": 2}), encode({"n": 3}, b"ccc")
    buffer = FrameBuffer()
    buffer.feed(first + second + third[:5])
    assert buffer.next_frame() == ({"n": 1}, b"a")
    assert buffer.next_frame() == ({"n": 2}, b"")
    assert buffer.next_frame() is None
    buffer.feed(third[5:])
    assert buffer.next_frame() == ({"n": 3}, b"ccc")
    assert buffer.next_frame() is None


def test_header_over_limit_raises_as_soon_as_prefix_arrives():
    buffer = FrameBuffer()
    prefix = PREFIX.pack(MAX_HEADER + 1, 0)
    buffer.feed(prefix[:7])  # not the whole prefix yet: nothing to judge
    with pytest.raises(ProtocolError, match="header of .* over"):
        buffer.feed(prefix[7:])


def test_body_over_limit_raises_as_soon_as_prefix_arrives():
    buffer = FrameBuffer()
    with pytest.raises(ProtocolError, match="body of .* over"):
        buffer.feed(PREFIX.pack(2, MAX_BODY + 1))


def test_limits_exactly_at_max_are_accepted():
    buffer = FrameBuffer()
    buffer.feed(PREFIX.pack(MAX_HEADER, MAX_BODY))  # announcing the maximum is fine
    assert buffer.next_frame() is None


def test_custom_limits():
    buffer = FrameBuffer(max_header=10, max_body=5)
    buffer.feed(raw_frame(b'{"a":1}', b"12345"))
    assert buffer.next_frame() == ({"a": 1}, b"12345")
    with pytest.raises(ProtocolError):
        FrameBuffer(max_header=10, max_body=5).feed(raw_frame(b'{"a":1}', b"123456"))
    with pytest.raises(ProtocolError):
        FrameBuffer(max_header=6, max_body=5).feed(raw_frame(b'{"a":1}'))


@pytest.mark.parametrize("header_bytes", [b"not json", b"{\"a\":", b"\xff\xfe", b""])
def test_header_not_json(header_bytes):
    buffer = FrameBuffer()
    buffer.feed(raw_frame(header_bytes))
    with pytest.raises(ProtocolError, match="not JSON"):
        buffer.next_frame()


@pytest.mark.parametrize("value", [[1, 2], "text", 3, None, True])
def test_header_not_an_object(value):
    buffer = FrameBuffer()
    buffer.feed(raw_frame(json.dumps(value).encode()))
    with pytest.raises(ProtocolError, match="not a JSON object"):
        buffer.next_frame()


def test_read_frame_sequence_then_clean_eof():
    stream = io.BytesIO(encode({"n": 1}, b"one") + encode({"n": 2}))
    assert read_frame(stream) == ({"n": 1}, b"one")
    assert read_frame(stream) == ({"n": 2}, b"")
    assert read_frame(stream) is None


def test_read_frame_empty_stream_is_clean_eof():
    assert read_frame(io.BytesIO(b"")) is None


@pytest.mark.parametrize("cut", [1, PREFIX.size - 1, PREFIX.size, PREFIX.size + 3])
def test_read_frame_eof_inside_a_frame(cut):
    frame = encode({"op": "ping"}, b"body")
    with pytest.raises(ProtocolError, match="ended inside a frame"):
        read_frame(io.BytesIO(frame[:cut]))


def test_read_frame_eof_inside_a_second_frame():
    stream = io.BytesIO(encode({"n": 1}) + encode({"n": 2}, b"body")[:-1])
    assert read_frame(stream) == ({"n": 1}, b"")
    with pytest.raises(ProtocolError):
        read_frame(stream)


def test_read_frame_checks_sizes_before_reading_the_rest():
    class Guarded(io.BytesIO):
        """Fails the test if anything past the prefix is read."""

        def read(self, size=-1):
            assert self.tell() < PREFIX.size, "read_frame read past an oversized prefix"
            return super().read(size)

    with pytest.raises(ProtocolError, match="header of"):
        read_frame(Guarded(PREFIX.pack(MAX_HEADER + 1, 0) + b"x" * 64))
    with pytest.raises(ProtocolError, match="body of"):
        read_frame(Guarded(PREFIX.pack(2, MAX_BODY + 1) + b"{}"))


def test_read_frame_short_reads():
    class Trickle(io.RawIOBase):
        """A stream that returns at most 3 bytes per read, like a slow pipe."""

        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def read(self, size=-1):
            return self._data.read(min(size, 3) if size >= 0 else 3)

    stream = Trickle(encode({"op": "x", "pad": "y" * 50}, b"z" * 40))
    assert read_frame(stream) == ({"op": "x", "pad": "y" * 50}, b"z" * 40)
    assert read_frame(stream) is None


def test_read_frame_bad_header():
    with pytest.raises(ProtocolError, match="not a JSON object"):
        read_frame(io.BytesIO(raw_frame(b"[]")))
    with pytest.raises(ProtocolError, match="not JSON"):
        read_frame(io.BytesIO(raw_frame(b"nope")))
