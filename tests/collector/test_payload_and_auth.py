"""Body reading (media types, gzip, the size limit while inflating) and bearer-token checks."""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
from collections.abc import AsyncIterator

import pytest

from collector.auth import TokenAuth
from collector.errors import BadRequest, PayloadTooLarge, Unauthenticated, UnsupportedMediaType
from collector.payload import BoundedInflater, Encoding, body_encoding, is_gzip, read_body
from tests.collector.otlp_helpers import gzip_bomb


async def _chunks(data: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def read(data: bytes, *, gz: bool, limit: int, content_length: str | None = None) -> bytes:
    return asyncio.run(read_body(_chunks(data), gzip=gz, limit=limit, content_length=content_length))


def test_media_types() -> None:
    assert body_encoding("application/x-protobuf") is Encoding.PROTOBUF
    assert body_encoding("Application/JSON; charset=utf-8") is Encoding.JSON
    for bad in (None, "", "text/plain", "application/jsonx", "multipart/form-data"):
        with pytest.raises(UnsupportedMediaType):
            body_encoding(bad)


def test_content_encodings() -> None:
    assert is_gzip("gzip") and is_gzip("GZIP") and is_gzip("x-gzip")
    assert not is_gzip(None) and not is_gzip("") and not is_gzip("identity")
    for bad in ("br", "deflate", "zstd", "gzip, gzip", "gzip, br"):
        with pytest.raises(UnsupportedMediaType):
            is_gzip(bad)


def test_plain_and_gzip_bodies_round_trip() -> None:
    payload = b"otlp " * 10_000
    assert read(payload, gz=False, limit=len(payload)) == payload
    assert read(gzip.compress(payload), gz=True, limit=len(payload)) == payload
    assert read(b"", gz=True, limit=10) == b""


def test_limits_on_declared_received_and_inflated_size() -> None:
    payload = b"a" * 2000
    with pytest.raises(PayloadTooLarge):
        read(b"", gz=False, limit=1000, content_length="2000")
    with pytest.raises(PayloadTooLarge):
        read(payload, gz=False, limit=1999)
    with pytest.raises(PayloadTooLarge):
        read(gzip.compress(payload), gz=True, limit=1999)
    with pytest.raises(BadRequest):
        read(payload, gz=False, limit=5000, content_length="lots")


def test_gzip_errors_are_bad_requests() -> None:
    packed = gzip.compress(b"z" * 50_000)
    with pytest.raises(BadRequest, match="truncated"):
        read(packed[: len(packed) // 2], gz=True, limit=1 << 20)
    with pytest.raises(BadRequest, match="corrupt"):
        read(b"\x1f\x8b\x08\x00garbage-garbage-garbage", gz=True, limit=1 << 20)
    with pytest.raises(BadRequest, match="corrupt"):
        read(packed + b"trailing garbage", gz=True, limit=1 << 20)
    members = gzip.compress(b"first ") + gzip.compress(b"second")
    assert read(members, gz=True, limit=100) == b"first second"


def test_a_gzip_bomb_never_inflates_past_the_limit() -> None:
    limit = 1 << 20
    bomb = gzip_bomb(1 << 30)  # 1 GiB of zeros
    inflater = BoundedInflater(limit)
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooLarge):
            for start in range(0, len(bomb), 65536):
                inflater.feed(bomb[start:start + 65536])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * limit  # the gigabyte was never produced


def test_tokens_are_checked() -> None:
    auth = TokenAuth(["first-token", "second-token"])
    auth.check("Bearer first-token")
    auth.check("bearer   second-token ")
    for bad in (None, "", "first-token", "Bearer", "Bearer first-tokenx", "Basic first-token",
                "Bearer FIRST-TOKEN"):
        with pytest.raises(Unauthenticated) as exc:
            auth.check(bad)
        assert "first-token" not in str(exc.value) and "second-token" not in str(exc.value)
    auth.check_metadata([("user-agent", "x"), ("authorization", "Bearer second-token")])
    with pytest.raises(Unauthenticated):
        auth.check_metadata([("user-agent", "x")])
    with pytest.raises(Unauthenticated):
        auth.check_metadata(None)


def test_no_tokens_means_open_ingest() -> None:
    auth = TokenAuth([])
    assert not auth.enabled
    auth.check(None)
    auth.check_metadata(None)
