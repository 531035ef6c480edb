"""Demo traffic: weeks of realistic, backdated LLM traces sent to a collector over real OTLP.

``run_demo(endpoint, weeks=8, seed=42, progress=None) -> DemoSummary`` builds the spans that
several instrumented services would have produced (OpenAI, Anthropic, Gemini and Bedrock calls in
the OpenTelemetry GenAI convention, cascades with verification, two-step pipelines, an agent, a
model rollout, failures, caching) and sends them with the OpenTelemetry SDK's OTLP/HTTP exporter.
It never touches the database: everything it shows goes through the collector like real traffic.
"""

from modelmix.demo.delivery import DemoError
from modelmix.demo.runner import run_demo
from modelmix.demo.summary import DemoSummary

__all__ = ["DemoError", "DemoSummary", "run_demo"]
