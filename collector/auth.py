"""Optional bearer-token authentication for OTLP ingest (``MODELMIX_INGEST_TOKENS``).

HTTP requests send ``Authorization: Bearer <token>``; gRPC calls send the same value in the
``authorization`` metadata. Tokens are compared in constant time against every configured token,
and neither the configured tokens nor the presented one ever appears in a log line or an error.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from collector.errors import Unauthenticated


class TokenAuth:
    """Checks bearer credentials; with no tokens configured every request is allowed."""

    def __init__(self, tokens: Iterable[str]) -> None:
        self._tokens = tuple(token.encode() for token in tokens)

    @property
    def enabled(self) -> bool:
        return bool(self._tokens)

    def check(self, authorization: str | None) -> None:
        """Raise ``Unauthenticated`` unless ``authorization`` is ``Bearer <a configured token>``."""
        if not self._tokens:
            return
        if not authorization:
            raise Unauthenticated("missing bearer token")
        scheme, _, presented = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise Unauthenticated("the authorization must be a bearer token")
        candidate = presented.strip().encode()
        matched = False
        for token in self._tokens:  # no early exit: the time taken does not depend on which one matches
            matched |= hmac.compare_digest(candidate, token)
        if not matched:
            raise Unauthenticated("unknown bearer token")

    def check_metadata(self, metadata: Iterable[tuple[str, str | bytes]] | None) -> None:
        """The gRPC form: the ``authorization`` entry of the call's invocation metadata."""
        if not self._tokens:
            return
        value: str | None = None
        for key, raw in metadata or ():
            if key.lower() == "authorization":
                value = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
                break
        self.check(value)
