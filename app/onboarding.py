"""Empty states: how to point an instrumented service at modelmix, demo data, and "nothing in this window".

The demo button sends generated traffic through the running collector over real OTLP (exactly as
``modelmix demo`` does), then assembles the new traces at once so the pages fill without waiting
for the settle window.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import streamlit as st

from app import data
from app.format import count, when

if TYPE_CHECKING:
    from app.context import PageContext

EMPTY_TITLE = "No LLM calls stored yet"
DEMO_SIZES: dict[str, tuple[int, float]] = {
    "Small: 2 weeks at 5% volume (about 3,000 calls)": (2, 0.05),
    "Medium: 4 weeks at 25% volume (about 28,000 calls)": (4, 0.25),
    "Full: 8 weeks at full volume (about 220,000 calls; takes a few minutes)": (8, 1.0),
}


def _otlp_host(host: str) -> str:
    return "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host


def render_empty_state(ctx: PageContext) -> None:
    s = ctx.settings
    host = _otlp_host(s.otlp_host)
    st.header(EMPTY_TITLE)
    st.write(
        "modelmix fills up as soon as an instrumented service sends it traces. Any common GenAI "
        "OpenTelemetry instrumentation works: the official `opentelemetry-instrumentation-openai-v2` "
        "(and its Anthropic, Google and Bedrock siblings), OpenLLMetry (`traceloop-sdk`), OpenInference "
        "and OpenLIT. Point the service's OTLP exporter at this collector:"
    )
    env = [
        f"export OTEL_EXPORTER_OTLP_ENDPOINT=http://{host}:{s.otlp_http_port}",
        "export OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
        "export OTEL_SERVICE_NAME=support-bot   # shows up as the service",
        "export OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name=prod",
    ]
    if s.ingest_tokens:
        env.append('export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer <one of MODELMIX_INGEST_TOKENS>"')
    st.code("\n".join(env), language="bash")
    st.markdown(
        f"- OTLP/HTTP: `http://{host}:{s.otlp_http_port}/v1/traces` (protobuf or JSON, gzip accepted)\n"
        f"- OTLP/gRPC: `{host}:{s.otlp_grpc_port}`\n"
        "- Name the unit of work with a `modelmix.task` span attribute (or a workflow name) so cost per "
        "task and escalations group by task; `modelmix.instrument` has helpers for cascades.\n"
        "- Prompts and completions are never stored unless `MODELMIX_CAPTURE_CONTENT=true`."
    )
    st.subheader("Or look around with demo data")
    st.write("The demo sends weeks of realistic, backdated traffic from several services through the "
             "running collector, the same path real traces take.")
    size = st.selectbox("Demo size", list(DEMO_SIZES), key="mm_demo_size")
    if st.button("Load demo data", type="primary", key="mm_demo"):
        _run_demo(ctx, *DEMO_SIZES[size])


def _run_demo(ctx: PageContext, weeks: int, scale: float) -> None:
    from modelmix.assembly import assemble_pending
    from modelmix.demo import DemoError, run_demo

    s = ctx.settings
    endpoint = f"http://{_otlp_host(s.otlp_host)}:{s.otlp_http_port}"
    headers = {"Authorization": f"Bearer {s.ingest_tokens[0]}"} if s.ingest_tokens else None
    bar = st.progress(0.0, text="Sending demo traces…")

    def progress(done: int, planned: int) -> None:
        bar.progress(min(done / max(planned, 1), 1.0), text=f"Sending demo traces… {done:,} of {planned:,}")

    try:
        summary = run_demo(endpoint, weeks=weeks, scale=scale, progress=progress, headers=headers)
    except DemoError as exc:
        bar.empty()
        st.error(f"The demo could not reach the collector at `{endpoint}`: {exc}\n\n"
                 "Start everything with `modelmix up` (it runs the collector next to this dashboard), or "
                 "check `MODELMIX_OTLP_HOST` / `MODELMIX_OTLP_HTTP_PORT`.")
        return
    bar.progress(1.0, text="Assembling task runs and rollups…")
    assemble_pending(data.write_engine(ctx.db), flush=True)
    data.clear()
    bar.empty()
    st.success(f"Sent {count(summary.calls)} demo calls. Reloading…")
    st.rerun()


def _show_range(days: int, last_day: str) -> None:
    from datetime import date

    end = date.fromisoformat(last_day)
    st.query_params.from_dict({"from": (end - timedelta(days=days - 1)).isoformat(), "to": end.isoformat()})


def render_empty_window(ctx: PageContext) -> None:
    ext = ctx.extent
    st.info(
        f"**No LLM calls in {ctx.view.label()}** with these filters. "
        f"The database holds {count(ext.calls)} calls from {when(ext.first_call)} to {when(ext.last_call)}.",
        icon=":material/search_off:",
    )
    if ext.last_call is not None:
        last_day = ext.last_call.date().isoformat()
        st.button("Show the last 7 days that have data", on_click=_show_range, args=(7, last_day),
                  key="mm_jump_to_data")
