"""Performance benchmarks for modelmix: ingest throughput, dashboard query latency, storage size.

Run them with ``make bench`` (``python -m benchmarks``); each part prints a table and the run is
saved as JSON so ``python -m benchmarks.compare`` can check a new run against the recorded one.
Results and the machine they were measured on are written up in ``docs/performance.md``.
"""
