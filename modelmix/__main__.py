"""``python -m modelmix`` runs the CLI."""

from modelmix.cli import entrypoint

entrypoint()
