"""Alembic migrations for the modelmix schema (each revision writes its own DDL)."""
