"""Summarizing py-spy's raw (collapsed) stacks: inclusive and self counts per function."""

from __future__ import annotations

from benchmarks.profile import summarize

RAW = [
    "Thread 1 (idle);run (threading.py:10);decode_traces (/x/modelmix/conventions/decode.py:80);"
    "read_span (/x/modelmix/conventions/reader.py:50) 6",
    "Thread 1 (idle);run (threading.py:10);decode_traces (/x/modelmix/conventions/decode.py:95) 3",
    "Thread 2;run (threading.py:12);write (/x/collector/writer.py:77) 1",
    "garbage line without a count",
    "",
]


def test_counts_are_inclusive_and_self_with_lines_of_one_function_merged() -> None:
    total, inclusive, own = summarize(RAW)
    assert total == 10
    inc = dict(inclusive)
    assert inc["run (threading.py)"] == 10
    assert inc["decode_traces (decode.py)"] == 9  # two different lines of the same function
    assert inc["read_span (reader.py)"] == 6
    assert dict(own) == {"read_span (reader.py)": 6, "decode_traces (decode.py)": 3, "write (writer.py)": 1}


def test_a_recursive_frame_counts_once_per_sample() -> None:
    total, inclusive, _ = summarize(["a (m.py:1);b (m.py:2);a (m.py:3) 4"])
    assert total == 4 and dict(inclusive)["a (m.py)"] == 4
