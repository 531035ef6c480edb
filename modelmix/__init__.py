"""modelmix: model mix as a first-class production metric.

The shared domain package: settings, schema, conventions, pricing, assembly and analytics used by
the collector (``collector/``), the dashboard (``app/``), the CLI and the migrations.
"""

__version__ = "0.1.0"
