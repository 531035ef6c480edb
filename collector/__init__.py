"""The modelmix collector: OTLP/HTTP and OTLP/gRPC receivers feeding a batching PostgreSQL writer.

Modules, edge to storage: ``http_edge`` / ``grpc_edge`` (transports) → ``auth``, ``payload`` (checks and
limits) → ``ingest`` (decode with ``modelmix.conventions``, wait for the commit, answer) → ``batcher``
(bounded queue, micro-batches) → ``writer`` (pricing, partitions, poison rows; SQL in
``modelmix.db.writes``). ``errors`` is the one exception tree, ``telemetry`` the ``/metrics``
registry, ``app`` the factory (``create_collector``) and ``service`` the process entry point (``serve``).
"""
