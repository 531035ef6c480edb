"""Ingest security against a real ``modelmix collector`` process: auth on both transports, size
limits, and no token or password in anything the process prints.

The process runs with two ingest tokens, a database URL carrying a password, and DEBUG logging
(the most talkative setting). Every refused request must store nothing; afterwards neither the
configured secrets nor a presented wrong token may appear on stdout, stderr or ``/metrics``.
"""

from __future__ import annotations

import gzip
import os
import time

import grpc
import httpx
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from sqlalchemy import Engine

from tests.collector.otlp_helpers import chat_span, export_request, gzip_bomb
from tests.reliability.conftest import CollectorPool, Record
from tests.reliability.load import PROTOBUF
from tests.reliability.storage import stored_span_counts

TOKENS = ("tok-alpha-7f3a9c2e1b5d", "tok-bravo-0d4e8a6f55c1")
DB_PASSWORD = "pg-Pa55word-never-logged"
PRESENTED_WRONG = "presented-but-unknown-9876"
WRONG_AUTHORIZATIONS = (
    None, "", "Bearer", f"Basic {TOKENS[0]}", f"Bearer {TOKENS[0][:-1]}", f"Bearer {TOKENS[0]}x",
    f"Bearer {PRESENTED_WRONG}", "Bearer ' OR 1=1 --", TOKENS[0], f"Bearer {TOKENS[0]},{TOKENS[1]}",
    f"Bearer {TOKENS[0].upper()}", f"Bearer  {PRESENTED_WRONG} {TOKENS[0]}",
)
MAX_REQUEST_BYTES = 256 * 1024


def _with_password(db_url: str) -> str:
    scheme, rest = db_url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}://{user.split(':', 1)[0]}:{DB_PASSWORD}@{host}"  # trust auth ignores it


def _headers(authorization: str | None) -> dict[str, str]:
    return {**PROTOBUF, **({"Authorization": authorization} if authorization is not None else {})}


def test_auth_on_both_transports_and_no_secret_is_ever_printed(
        db_url: str, engine: Engine, collectors: CollectorPool, figures: Record) -> None:
    collector = collectors.start(_with_password(db_url), env={
        "MODELMIX_INGEST_TOKENS": ",".join(TOKENS), "MODELMIX_LOG_LEVEL": "DEBUG",
        "MODELMIX_MAX_REQUEST_BYTES": str(MAX_REQUEST_BYTES)})
    refused_ids: list[bytes] = []
    accepted_ids: list[bytes] = []
    statuses: set[int] = set()
    grpc_codes: set[grpc.StatusCode] = set()
    with httpx.Client(base_url=collector.http_base, timeout=30) as http, \
            grpc.insecure_channel(collector.grpc_target) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        for authorization in WRONG_AUTHORIZATIONS:
            request = export_request(chat_span())
            refused_ids.append(request.resource_spans[0].scope_spans[0].spans[0].span_id)
            for path, body in (("/v1/traces", request.SerializeToString()),
                               ("/v1/logs", ExportLogsServiceRequest().SerializeToString()), ("/v1/metrics", b"")):
                answer = http.post(path, content=body, headers=_headers(authorization))
                statuses.add(answer.status_code)
                assert answer.status_code == 401 and answer.headers["www-authenticate"].startswith("Bearer"), path
            metadata = None if authorization is None else (("authorization", authorization),)
            try:
                stub.Export(request, metadata=metadata, timeout=30)
            except grpc.RpcError as exc:
                grpc_codes.add(exc.code())
            else:
                raise AssertionError(f"gRPC accepted {authorization!r}")
        for token in TOKENS:
            request = export_request(chat_span())
            accepted_ids.append(request.resource_spans[0].scope_spans[0].spans[0].span_id)
            assert http.post("/v1/traces", content=request.SerializeToString(),
                             headers=_headers(f"Bearer {token}")).status_code == 200
            request = export_request(chat_span())
            accepted_ids.append(request.resource_spans[0].scope_spans[0].spans[0].span_id)
            stub.Export(request, metadata=(("authorization", f"bearer {token}"),), timeout=30)

        # Size limits, with a valid token: declared, streamed without a length, and inflated.
        authorized = _headers(f"Bearer {TOKENS[0]}")
        big = os.urandom(MAX_REQUEST_BYTES + 1)
        declared = http.post("/v1/traces", content=big, headers=authorized)
        streamed = http.post("/v1/traces", content=iter([big[i:i + 65536] for i in range(0, len(big), 65536)]),
                             headers=authorized)
        bomb = http.post("/v1/traces", content=gzip_bomb(64 * MAX_REQUEST_BYTES),
                         headers={**authorized, "Content-Encoding": "gzip"})
        fits = http.post("/v1/traces", content=gzip.compress(export_request(chat_span()).SerializeToString()),
                         headers={**authorized, "Content-Encoding": "gzip"})
        try:
            stub.Export(export_request(chat_span(extra={"pad": "x" * (MAX_REQUEST_BYTES + 10)})),
                        metadata=(("authorization", f"Bearer {TOKENS[0]}"),), timeout=30)
            grpc_too_big = grpc.StatusCode.OK
        except grpc.RpcError as exc:
            grpc_too_big = exc.code()
        metrics_page = http.get("/metrics").text
    time.sleep(0.2)
    code = collector.stop()
    stored = stored_span_counts(engine)
    output = collector.output + metrics_page
    figures(wrong_credentials=len(WRONG_AUTHORIZATIONS), http_statuses=sorted(statuses),
            grpc_codes=sorted(c.name for c in grpc_codes), accepted=len(accepted_ids),
            stored_of_refused=sum(stored[i] for i in refused_ids), size_statuses=[
                declared.status_code, streamed.status_code, bomb.status_code, fits.status_code],
            grpc_oversized=grpc_too_big.name, output_lines=len(collector.stdout) + len(collector.stderr))

    assert grpc_codes == {grpc.StatusCode.UNAUTHENTICATED}
    assert all(stored[i] == 1 for i in accepted_ids)
    assert not any(stored[i] for i in refused_ids)
    assert (declared.status_code, streamed.status_code, bomb.status_code, fits.status_code) == (413, 413, 413, 200)
    assert grpc_too_big == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert code == 0, collector.output
    assert len(collector.stderr) > 0, "DEBUG logging printed nothing: the leak check would prove nothing"
    for secret in (*TOKENS, DB_PASSWORD, PRESENTED_WRONG, TOKENS[0][:-1]):
        assert secret not in output, f"{secret[:6]}… appears in the collector's output or metrics"
