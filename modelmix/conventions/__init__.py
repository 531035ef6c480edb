"""From OTLP to normalized LLM calls: decoding, convention extraction, scrubbing, de-duplication.

Pure functions, no database and no network. The collector parses a request body with
``parse_json_traces`` / ``parse_protobuf_traces`` (``DecodeError`` → HTTP 400) and turns the
request into records with ``decode_traces``. Five instrumentation conventions are understood
(OTel GenAI current and deprecated, OpenLLMetry/Traceloop, OpenInference, OpenLIT, Langfuse); see
``docs/conventions.md`` for the rules.
"""

from modelmix.conventions.decode import DecodedBatch, decode_traces
from modelmix.conventions.otlp_json import parse_json_logs, parse_json_traces
from modelmix.conventions.providers import normalize_provider
from modelmix.conventions.wire import DecodeError, parse_protobuf_logs, parse_protobuf_traces

__all__ = [
    "DecodeError",
    "DecodedBatch",
    "decode_traces",
    "normalize_provider",
    "parse_json_logs",
    "parse_json_traces",
    "parse_protobuf_logs",
    "parse_protobuf_traces",
]
