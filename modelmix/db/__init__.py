"""Database layer: schema models, engines, the embedded PostgreSQL, migrations and partitions."""
