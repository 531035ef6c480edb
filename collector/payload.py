"""Reading an OTLP/HTTP request body safely: media type, content encoding and the size limit.

The limit (``MODELMIX_MAX_REQUEST_BYTES``) applies to the decompressed body and is enforced while
reading and while inflating: a gzip body is inflated chunk by chunk with ``max_length`` so a
compression bomb is cut off as soon as its output passes the limit, never after it was expanded.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterable
from enum import Enum

from collector.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType

_GZIP_WBITS = 16 + zlib.MAX_WBITS  # gzip header and trailer required


class Encoding(Enum):
    """The two OTLP/HTTP wire encodings; responses use the request's."""

    PROTOBUF = "application/x-protobuf"
    JSON = "application/json"

    @property
    def media_type(self) -> str:
        return self.value


def body_encoding(content_type: str | None) -> Encoding:
    """The encoding named by a ``Content-Type`` header (parameters such as charset are ignored)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in ("application/x-protobuf", "application/protobuf"):
        return Encoding.PROTOBUF
    if media == "application/json":
        return Encoding.JSON
    raise UnsupportedMediaType(
        f"unsupported content type {media or '(none)'!r}: send application/x-protobuf or application/json"
    )


def is_gzip(content_encoding: str | None) -> bool:
    """Whether the body is gzip-compressed; raises for an encoding the collector does not speak."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return False
    if codings in (["gzip"], ["x-gzip"]):
        return True
    raise UnsupportedMediaType(f"unsupported content encoding {content_encoding!r}: send gzip or identity")


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"request body is larger than {limit} bytes (MODELMIX_MAX_REQUEST_BYTES)")


class BoundedInflater:
    """Inflates a gzip stream, refusing to produce more than ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._inflater = zlib.decompressobj(_GZIP_WBITS)
        self._parts: list[bytes] = []
        self._size = 0

    def feed(self, chunk: bytes) -> None:
        data = chunk
        while data:
            if self._inflater.eof:  # another gzip member follows (concatenated members are valid gzip)
                self._inflater = zlib.decompressobj(_GZIP_WBITS)
            room = self._limit - self._size + 1  # one byte more than allowed proves the excess
            try:
                out = self._inflater.decompress(data, room)
            except zlib.error as exc:
                raise BadRequest(f"the gzip body is corrupt: {exc}") from None
            self._size += len(out)
            if self._size > self._limit:
                raise _too_large(self._limit)
            self._parts.append(out)
            inflater = self._inflater
            data = inflater.unused_data if inflater.eof else inflater.unconsumed_tail

    def finish(self) -> bytes:
        if not self._inflater.eof:
            raise BadRequest("the gzip body is truncated")
        return b"".join(self._parts)


async def read_body(chunks: AsyncIterable[bytes], *, gzip: bool, limit: int,
                    content_length: str | None = None) -> bytes:
    """Collect the request body (inflating gzip), raising ``PayloadTooLarge`` past ``limit`` bytes."""
    if content_length is not None:
        try:
            declared = int(content_length)
        except ValueError:
            raise BadRequest("Content-Length is not a number") from None
        if declared > limit:
            raise _too_large(limit)
    inflater = BoundedInflater(limit) if gzip else None
    parts: list[bytes] = []
    received = 0
    async for chunk in chunks:
        if not chunk:
            continue
        received += len(chunk)
        if received > limit:  # the raw body alone is already too big
            raise _too_large(limit)
        if inflater is not None:
            inflater.feed(chunk)
        else:
            parts.append(chunk)
    if inflater is not None:
        return inflater.finish() if received else b""
    return b"".join(parts)
