"""OTLP/JSON bodies: build the protobuf request from JSON by the OTLP rules.

OTLP/JSON is proto3 JSON with differences (opentelemetry-proto ``docs/specification.md``):
trace and span ids are hex strings in any case (not base64), enums are integers, 64-bit integers
may be decimal strings or numbers, keys are lowerCamelCase and unknown keys are ignored.
``google.protobuf.json_format`` handles none of the id rules and is slow, so the message is built
here field by field from the protobuf descriptors (cached per message type).

Two kinds of problems are told apart:
- a body that is not OTLP at all (invalid JSON or UTF-8, a list where an object belongs, a
  string where a number belongs, bad base64 ...) raises ``DecodeError`` naming the location;
- an unusable id or timestamp only spoils its own span: the id is stored with an impossible
  length (or the time as 0), so ``decode_traces`` rejects that span and keeps the others.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from modelmix.conventions.wire import DecodeError

MAX_VALUE_DEPTH = 32  # nesting of arrayValue / kvlistValue inside one attribute value
_KEY_VALUE = "opentelemetry.proto.common.v1.KeyValue"
_HEX_ID_FIELDS = frozenset({"trace_id", "span_id", "parent_span_id"})
_INVALID_ID = b"\xff"  # an id no validator accepts (ids are 8 or 16 bytes)
_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}

Setter = Callable[[Message, Any], None]


class _ShapeError(Exception):
    """A value of the wrong shape; ``where`` is filled in while the error travels up."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.where: list[str] = []


def parse_json_traces(body: bytes) -> ExportTraceServiceRequest:
    """Parse an OTLP/JSON trace export body; raise ``DecodeError`` with a clear message."""
    request = ExportTraceServiceRequest()
    _parse_into(request, body, "trace")
    return request


def parse_json_logs(body: bytes) -> ExportLogsServiceRequest:
    """Parse an OTLP/JSON log export body; raise ``DecodeError`` with a clear message."""
    request = ExportLogsServiceRequest()
    _parse_into(request, body, "log")
    return request


def _parse_into(request: Message, body: bytes, what: str) -> None:
    document = _load_json(body, what)
    if not isinstance(document, dict):
        raise DecodeError(f"OTLP/JSON {what} request must be a JSON object, got {_type_name(document)}")
    try:
        _fill(request, document)
    except _ShapeError as exc:
        location = "".join(reversed(exc.where)).lstrip(".") or "(top level)"
        raise DecodeError(f"invalid OTLP/JSON {what} request at {location}: {exc.problem}") from None
    except UnicodeError:
        raise DecodeError(f"invalid OTLP/JSON {what} request: a string is not valid UTF-8") from None
    except RecursionError:
        raise DecodeError(f"invalid OTLP/JSON {what} request: nested too deeply") from None


def _load_json(body: bytes, what: str) -> Any:
    try:
        text = bytes(body).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"OTLP/JSON {what} request is not valid UTF-8 (byte {exc.start})") from None
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DecodeError(f"OTLP/JSON {what} request is not valid JSON: {exc.msg} at line {exc.lineno} "
                          f"column {exc.colno}") from None
    except RecursionError:
        raise DecodeError(f"OTLP/JSON {what} request is nested too deeply") from None


def _type_name(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            type(None): "null"}.get(type(value), "a number")


def _fill(message: Message, document: Any) -> None:
    if not isinstance(document, dict):
        raise _ShapeError(f"expected an object, got {_type_name(document)}")
    setters = _SETTER_CACHE.get(type(message)) or _setters_for(message)
    for key, value in document.items():
        setter = setters.get(key)
        if setter is None or value is None:
            continue  # unknown fields are ignored; null means "not set"
        try:
            setter(message, value)
        except _ShapeError as exc:
            exc.where.append("." + key)
            raise


_SETTER_CACHE: dict[type, dict[str, Setter]] = {}


def _setters_for(message: Message) -> dict[str, Setter]:
    descriptor: Descriptor = message.DESCRIPTOR
    setters = {field.json_name: _make_setter(field) for field in descriptor.fields}
    _SETTER_CACHE[type(message)] = setters
    return setters


def _make_setter(field: FieldDescriptor) -> Setter:
    name = field.name
    repeated = field.is_repeated
    if field.message_type is not None and field.message_type.full_name == "opentelemetry.proto.common.v1.AnyValue":
        if repeated:
            raise AssertionError("repeated AnyValue is only reached through ArrayValue")

        def set_any(message: Message, value: Any) -> None:
            target = getattr(message, name)
            target.SetInParent()
            _fill_any(target, value, 0)

        return set_any
    if field.message_type is not None and field.message_type.full_name == _KEY_VALUE and repeated:
        def set_attributes(message: Message, value: Any) -> None:
            if not isinstance(value, list):
                raise _ShapeError(f"expected an array, got {_type_name(value)}")
            _add_key_values(getattr(message, name), value, 0)

        return set_attributes
    if field.message_type is not None:
        if repeated:
            def set_messages(message: Message, value: Any) -> None:
                if not isinstance(value, list):
                    raise _ShapeError(f"expected an array, got {_type_name(value)}")
                container = getattr(message, name)
                for index, item in enumerate(value):
                    try:
                        _fill(container.add(), item)
                    except _ShapeError as exc:
                        exc.where.append(f"[{index}]")
                        raise

            return set_messages

        def set_message(message: Message, value: Any) -> None:
            target = getattr(message, name)
            target.SetInParent()
            _fill(target, value)

        return set_message
    convert = _scalar_converter(field)
    if repeated:
        def set_scalars(message: Message, value: Any) -> None:
            if not isinstance(value, list):
                raise _ShapeError(f"expected an array, got {_type_name(value)}")
            getattr(message, name).extend(convert(item) for item in value)

        return set_scalars

    def set_scalar(message: Message, value: Any) -> None:
        setattr(message, name, convert(value))

    return set_scalar


def _scalar_converter(field: FieldDescriptor) -> Callable[[Any], Any]:
    kind = field.type
    if kind == FieldDescriptor.TYPE_BYTES:
        return _hex_id if field.name in _HEX_ID_FIELDS else _base64_bytes
    if kind == FieldDescriptor.TYPE_STRING:
        return _string
    if kind == FieldDescriptor.TYPE_BOOL:
        return _boolean
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return _double
    if kind == FieldDescriptor.TYPE_ENUM:
        return _enum_converter(field)
    low, high = _INT_RANGES[kind]
    if field.name.endswith("time_unix_nano"):
        return lambda value: _lenient_time(value, high)
    return lambda value: _integer(value, low, high)


def _hex_id(value: Any) -> bytes:
    if not isinstance(value, str):
        raise _ShapeError(f"expected a hex string, got {_type_name(value)}")
    if not value:
        return b""
    try:
        return bytes.fromhex(value)
    except ValueError:
        return _INVALID_ID


def _base64_bytes(value: Any) -> bytes:
    if not isinstance(value, str):
        raise _ShapeError(f"expected a base64 string, got {_type_name(value)}")
    text = value.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise _ShapeError("invalid base64") from None


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise _ShapeError(f"expected a string, got {_type_name(value)}")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _ShapeError(f"expected true or false, got {_type_name(value)}")
    return value


def _double(value: Any) -> float:
    if isinstance(value, bool):
        raise _ShapeError("expected a number, got a boolean")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)  # also "NaN", "Infinity", "-Infinity"
        except ValueError:
            pass
    raise _ShapeError(f"expected a number, got {_type_name(value)}")


def _integer(value: Any, low: int, high: int) -> int:
    number = _as_integer(value)
    if number is None:
        raise _ShapeError(f"expected an integer, got {_describe(value)}")
    if not low <= number <= high:
        raise _ShapeError(f"integer {number} is out of range")
    return number


def _lenient_time(value: Any, high: int) -> int:
    """Timestamps never fail the request: an unusable one becomes 0 (the span is then rejected)."""
    number = _as_integer(value)
    if number is None and not isinstance(value, dict | list):
        return 0
    if number is None:
        raise _ShapeError(f"expected an integer, got {_type_name(value)}")
    return number if 0 <= number <= high else 0


def _as_integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= 40 and text.isascii():
            try:
                return int(text)
            except ValueError:
                return None
    return None


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return repr(value[:40])
    return _type_name(value)


def _enum_converter(field: FieldDescriptor) -> Callable[[Any], int]:
    by_name: dict[str, int] = {value.name: value.number for value in field.enum_type.values}

    def convert(value: Any) -> int:
        if isinstance(value, str) and value in by_name:
            return by_name[value]  # proto3 JSON also allows the value's name
        return _integer(value, -(2**31), 2**31 - 1)

    return convert


def _fill_any(target: Message, value: Any, depth: int) -> None:
    """Fill an ``AnyValue``; arrays and kvlists recurse up to ``MAX_VALUE_DEPTH`` levels."""
    if not isinstance(value, dict):
        raise _ShapeError(f"expected an AnyValue object, got {_type_name(value)}")
    if depth > MAX_VALUE_DEPTH:
        raise _ShapeError(f"attribute value nested deeper than {MAX_VALUE_DEPTH} levels")
    for key, item in value.items():
        if item is None:
            continue
        try:
            _set_any_field(target, key, item, depth)
        except _ShapeError as exc:
            exc.where.append("." + key)
            raise


def _set_any_field(target: Any, key: str, item: Any, depth: int) -> None:
    if key == "stringValue":
        target.string_value = _string(item)
    elif key == "intValue":
        number = _as_integer(item)
        if number is None:
            if isinstance(item, float):
                target.double_value = item  # a fraction where an integer belongs: keep it
                return
            raise _ShapeError(f"expected an integer, got {_describe(item)}")
        if not -(2**63) <= number < 2**63:
            raise _ShapeError(f"integer {number} is out of the int64 range")
        target.int_value = number
    elif key == "doubleValue":
        target.double_value = _double(item)
    elif key == "boolValue":
        target.bool_value = _boolean(item)
    elif key == "bytesValue":
        target.bytes_value = _base64_bytes(item)
    elif key == "arrayValue":
        _fill_values(target.array_value, item, depth)
    elif key == "kvlistValue":
        _fill_key_values(target.kvlist_value, item, depth)


def _fill_values(array: Any, item: Any, depth: int) -> None:
    if not isinstance(item, dict):
        raise _ShapeError(f"expected an object, got {_type_name(item)}")
    values = item.get("values")
    if values is None:
        array.SetInParent()
        return
    if not isinstance(values, list):
        raise _ShapeError(f"values: expected an array, got {_type_name(values)}")
    container = array.values
    for index, element in enumerate(values):
        try:
            _fill_any(container.add(), element, depth + 1)
        except _ShapeError as exc:
            exc.where.append(f".values[{index}]")
            raise


def _fill_key_values(kvlist: Any, item: Any, depth: int) -> None:
    if not isinstance(item, dict):
        raise _ShapeError(f"expected an object, got {_type_name(item)}")
    values = item.get("values")
    if values is None:
        kvlist.SetInParent()
        return
    if not isinstance(values, list):
        raise _ShapeError(f"values: expected an array, got {_type_name(values)}")
    _add_key_values(kvlist.values, values, depth + 1, ".values")


def _add_key_values(container: Any, values: list[Any], depth: int, where: str = "") -> None:
    for index, element in enumerate(values):
        try:
            if not isinstance(element, dict):
                raise _ShapeError(f"expected a key/value object, got {_type_name(element)}")
            entry = container.add()
            entry.key = _string(element.get("key", ""))
            if element.get("value") is not None:
                entry.value.SetInParent()
                try:
                    _fill_any(entry.value, element["value"], depth)
                except _ShapeError as exc:
                    exc.where.append(".value")
                    raise
        except _ShapeError as exc:
            exc.where.append(f"{where}[{index}]")
            raise
