"""Every page through ``AppTest`` on the seeded week (Nov 2-8, 2026): no exception, and the key numbers
are the ones written out in ``tests.app.seeding`` (and, where pricing decides them, computed below by
hand from the genai-prices list price the dashboard's price book uses)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.seeding import ESCALATED_TRACE

# The one downgrade candidate: 40 simple classify-ticket calls on gpt-4o ($0.0035 each = $0.14) moved to its
# cheaper sibling gpt-4o-mini at $0.15 / $0.60 per million tokens (500 in, 50 out): 40 x $0.000105 = $0.0042,
# plus the heuristic 10% of calls escalating back at their current cost ($0.014) → projected $0.0182,
# savings $0.1218.
CANDIDATE_SAVINGS = "$0.12"
CANDIDATE_PROJECTED = "$0.02"


def open_page(dashboard: Callable[..., AppTest], url: str, page: str | None = None) -> AppTest:
    at = dashboard(MODELMIX_DATABASE_URL=url)
    at.query_params["from"] = "2026-11-02"
    at.query_params["to"] = "2026-11-08"
    at.run()
    if page is not None:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta or None) for m in at.metric}


def button(at: AppTest, label: str) -> object:
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r}: {[b.label for b in at.button]}"
    return found[0]


def frame_with(at: AppTest, column: str) -> pd.DataFrame:
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with a {column!r} column")


def texts(at: AppTest) -> str:
    parts = [*(m.value for m in at.markdown), *(c.value for c in at.caption), *(e.value for e in at.error),
             *(w.value for w in at.warning), *(i.value for i in at.info), *(s.value for s in at.success),
             *(h.value for h in at.header), *(h.value for h in at.subheader), *(e.label for e in at.expander)]
    return "\n".join(str(p) for p in parts)


def test_overview_headline_numbers_and_week_over_week(dashboard: Callable[..., AppTest], seeded_url: str) -> None:
    at = open_page(dashboard, seeded_url)
    assert at.title[0].value == "Overview"
    shown = metrics(at)
    assert shown["Spend"] == ("$0.30", "+311.1%")  # $0.296 vs $0.072
    assert shown["LLM calls"] == ("88", "+193.3%")  # 88 vs 30
    assert shown["Frontier share"] == ("11.4%", "+11.4 pp")  # 10 of 88 vs 0 of 30
    assert shown["Avoidable spend"] == (CANDIDATE_SAVINGS, "+100.0%")  # $0.1218 vs $0.0609 (20 calls)
    assert shown["Escalation rate"] == ("7.5%", "+7.5 pp")  # 6 of 80 runs vs 0 of 30
    assert shown["Unpriced calls"] == ("2", None)  # none the week before: no relative change
    assert "2 calls have no price" in "\n".join(p.label for p in at.get("page_link"))


def test_model_mix_table_and_measures(dashboard: Callable[..., AppTest], seeded_url: str) -> None:
    at = open_page(dashboard, seeded_url, "model_mix")
    table = frame_with(at, "share of calls").set_index("model")
    assert table.loc["gpt-4o", "calls"] == 46 and table.loc["gpt-4o", "share of calls"] == "52.3%"
    assert table.loc["gpt-4o", "spend"] == "$0.17" and table.loc["gpt-4o", "tier"] == "mid"
    assert table.loc["mystery-model", "spend"] == "unknown"  # unpriced is never $0
    assert table.loc["mystery-model", "tier"] == "unknown"
    at.segmented_control(key="mix_measure").set_value("cost").run()
    at.segmented_control(key="mix_by").set_value("tier").run()
    assert not at.exception
    assert "2 unpriced calls are left out" in texts(at)


def test_tasks_costs_and_drill_down_to_the_calls_of_a_run(dashboard: Callable[..., AppTest],
                                                          seeded_url: str) -> None:
    at = open_page(dashboard, seeded_url, "tasks")
    table = frame_with(at, "p95 / run").set_index("task")
    assert list(table.index) == ["classify-ticket", "summarize-thread", "answer-question"]  # by spend
    assert table.loc["classify-ticket", "runs"] == 40 and table.loc["classify-ticket", "spend"] == "$0.14"
    answer = table.loc["answer-question"]
    # 24 runs at $0.0002 and 6 escalated runs at $0.0052: $0.036 in all, mean $0.0012, median $0.0002,
    # p95 (interpolated between the 28th and 29th of 30 sorted costs) $0.0052.
    assert (answer["spend"], answer["mean / run"], answer["p50 / run"], answer["p95 / run"]) == (
        "$0.04", "$0.0012", "$0.0002", "$0.0052")
    assert answer["escalation rate"] == "20.0%" and answer["calls per run"] == "1.20"

    at.selectbox(key="tasks_pick").select("answer-question").run()
    at.selectbox(key="tasks_run").select(ESCALATED_TRACE).run()
    assert not at.exception
    calls = frame_with(at, "price source")
    assert list(calls["model"]) == ["gpt-4o-mini", "gpt-4o"]
    assert list(calls["escalation"]) == ["", "explicit"]
    assert list(calls["cost"]) == ["$0.0002", "$0.0050"]


def test_escalations_rates_pairs_and_cost(dashboard: Callable[..., AppTest], seeded_url: str) -> None:
    at = open_page(dashboard, seeded_url, "escalations")
    shown = metrics(at)
    assert shown["Escalation rate"][0] == "7.5%"
    assert shown["Escalated runs"][0] == "6 of 80"
    assert (shown["Explicit"][0], shown["Inferred"][0]) == ("6", "0")
    table = frame_with(at, "cost of escalated runs").set_index("task")
    assert table.loc["answer-question", "escalation rate"] == "20.0%"
    assert table.loc["answer-question", "explicit"] == "6 (20.0%)"
    assert table.loc["answer-question", "cost of escalated runs"] == "$0.03"  # 6 x $0.0052
    assert table.loc["classify-ticket", "cost of escalated runs"] == "—"


def test_candidate_is_ranked_explained_and_carried_into_what_if(dashboard: Callable[..., AppTest],
                                                                seeded_url: str) -> None:
    at = open_page(dashboard, seeded_url, "candidates")
    shown = metrics(at)
    assert shown["Estimated avoidable spend"][0] == CANDIDATE_SAVINGS
    assert shown["Candidates"][0] == "1"
    assert (shown["Current spend"][0], shown["Projected"][0], shown["Savings"][0], shown["Calls"][0]) == (
        "$0.14", CANDIDATE_PROJECTED, CANDIDATE_SAVINGS, "40")
    page = texts(at)
    assert "classify-ticket" in page and "gpt-4o → gpt-4o-mini" in page and "low confidence, heuristic" in page
    assert "heuristic: calls are simple" in page

    at.toggle(key="cand_calls_0").set_value(True).run()
    sample = frame_with(at, "finish")
    assert len(sample) == 20 and set(sample["served as"]) == {"gpt-4o-2024-08-06"}

    at.button(key="cand_try_0").click().run()
    assert not at.exception
    assert at.title[0].value == "What-if"
    shown = metrics(at)
    # Actual priced spend $0.296; the rule moves the 40 calls: $0.296 - $0.14 + $0.0182 = $0.1742.
    assert shown["Actual spend"][0] == "$0.30"
    assert shown["Projected spend"][0] == "$0.17"
    assert shown["Savings"][0] == CANDIDATE_SAVINGS
    assert shown["Calls moved"][0] == "40"
    assert "2 calls have no actual cost" in texts(at)
    assert at.query_params == {"from": "2026-11-02", "to": "2026-11-08"}  # the window came along


def test_what_if_form_rejects_garbage_and_projects_a_valid_rule(dashboard: Callable[..., AppTest],
                                                                seeded_url: str) -> None:
    at = open_page(dashboard, seeded_url, "what_if")
    assert "Add a rule above" in texts(at)
    for src, dst, pct, message in (
        (None, "claude-haiku-4-5", "0", "choose both"),
        ("claude-sonnet-4-5", "", "0", "choose both"),
        ("claude-sonnet-4-5", "claude-sonnet-4-5", "0", "routed to itself"),
        ("claude-sonnet-4-5", "claude-haiku-4-5", "ten", "is not a number"),
        ("claude-sonnet-4-5", "claude-haiku-4-5", "150", "between 0% and 100%"),
    ):
        at.selectbox(key="wi_from").set_value(src)
        at.text_input(key="wi_to").set_value(dst)
        at.text_input(key="wi_pct").set_value(pct)
        button(at, "Add rule").click().run()
        assert not at.exception
        assert any(message in e.value for e in at.error), (message, [e.value for e in at.error])
        assert "Calls moved" not in metrics(at)
    at.selectbox(key="wi_from").set_value("claude-sonnet-4-5")
    at.text_input(key="wi_to").set_value("claude-haiku-4-5")
    at.text_input(key="wi_pct").set_value("0")
    button(at, "Add rule").click().run()
    assert not at.exception
    shown = metrics(at)
    # 10 calls of 3000 in / 200 out at claude-haiku-4-5's $1 / $5: $0.004 each, $0.04 instead of $0.12.
    assert shown["Projected spend"][0] == "$0.22"
    assert shown["Savings"][0] == "$0.08"
    assert shown["Calls moved"][0] == "10"


def test_calls_explorer_search_pages_and_never_shows_content(dashboard: Callable[..., AppTest],
                                                            seeded_url: str) -> None:
    at = open_page(dashboard, seeded_url, "calls")
    table = frame_with(at, "price source")
    assert len(table) == 50  # 88 calls, 50 per page, newest first
    assert not {"prompt", "completion", "attributes", "content"} & set(table.columns)
    at.button(key="calls_next").click().run()
    assert len(frame_with(at, "price source")) == 38
    assert "Calls 51–88" in texts(at)

    at.text_input(key="calls_search").set_value("mystery").run()
    found = frame_with(at, "price source")
    assert len(found) == 2 and set(found["price source"]) == {"unpriced"}
    assert found["cost"].isna().all()  # unknown, not $0
    assert "Calls 1–2" in texts(at)  # a new search starts at page 1

    at.text_input(key="calls_search").set_value("%' OR 1=1 --").run()
    assert not at.exception
    assert "No calls match these filters" in texts(at)
    at.text_input(key="calls_search").set_value("gpt\x00-4o").run()
    assert "control characters" in texts(at)

    at.text_input(key="calls_search").set_value("")
    at.selectbox(key="calls_status").select("error").run()
    assert "No calls match these filters" in texts(at)


@pytest.mark.parametrize("fields, message", [
    ({"pr_model": "mystery-model", "pr_input_per_mtok": "abc", "pr_output_per_mtok": "1"}, "input_per_mtok"),
    ({"pr_model": "mystery-model", "pr_input_per_mtok": "-1", "pr_output_per_mtok": "1"}, "must not be negative"),
    ({"pr_model": "mystery-model", "pr_input_per_mtok": "1", "pr_output_per_mtok": ""}, "output_per_mtok"),
    ({"pr_model": "", "pr_input_per_mtok": "1", "pr_output_per_mtok": "1"}, "model"),
    ({"pr_model": "gpt-4o*", "pr_input_per_mtok": "1", "pr_output_per_mtok": "1"}, "wildcard"),
    ({"pr_model": "mystery-model", "pr_input_per_mtok": "1", "pr_output_per_mtok": "1",
      "pr_from": "next tuesday"}, "valid_from"),
    ({"pr_model": "mystery-model", "pr_input_per_mtok": "1", "pr_output_per_mtok": "1",
      "pr_from": "2026-11-05", "pr_until": "2026-11-01"}, "valid_until"),
    ({"pr_model": "mystery-model", "pr_input_per_mtok": "1e400", "pr_output_per_mtok": "1"}, "input_per_mtok"),
])
def test_price_form_rejects_garbage_and_stores_nothing(dashboard: Callable[..., AppTest], seeded_url: str,
                                                       fields: dict[str, str], message: str) -> None:
    at = open_page(dashboard, seeded_url, "prices")
    for key, value in fields.items():
        at.text_input(key=key).set_value(value)
    button(at, "Save override").click().run()
    assert not at.exception
    errors = [e.value.replace("\\", "") for e in at.error]  # Markdown escapes removed
    assert len(errors) == 1 and errors[0].startswith("Not saved:") and message in errors[0], errors
    assert "No overrides stored" in texts(at)


def test_prices_and_tiers_edits_go_through_the_domain_api(dashboard: Callable[..., AppTest],
                                                          seeded_url: str) -> None:
    at = open_page(dashboard, seeded_url, "prices")
    assert "mystery-model" in "\n".join(w.value for w in at.warning)  # seen and unpriced
    in_force = frame_with(at, "calls seen").set_index("model")
    assert in_force.loc["gpt-4o-2024-08-06", "source"].startswith("genai-prices")
    assert in_force.loc["gpt-4o-2024-08-06", "input"] == "$2.50"
    assert in_force.loc["mystery-model", "source"] == "UNPRICED"

    at.text_input(key="pr_model").set_value("mystery-model")
    at.text_input(key="pr_input_per_mtok").set_value("2")
    at.text_input(key="pr_output_per_mtok").set_value("$8")
    at.text_input(key="pr_from").set_value("2026-01-01")
    button(at, "Save override").click().run()
    assert not at.exception
    assert any("Saved override 1 for mystery-model" in s.value for s in at.success)
    assert not any("mystery-model" in w.value for w in at.warning)
    in_force = frame_with(at, "calls seen").set_index("model")
    assert in_force.loc["mystery-model", "source"] == "override:1"

    # Reprice the week: the seeded costs become list-price costs, and the mystery calls get priced.
    button(at, "Reprice this window").click().run()
    assert not at.exception
    assert any("Repriced 88 calls" in s.value and "0 unpriced" in s.value for s in at.success), \
        [s.value for s in at.success]

    at.selectbox(key="pr_delete_id").select(1)
    button(at, "Delete").click().run()
    assert "Tick “Yes, delete it”" in texts(at)
    at.checkbox(key="pr_delete_sure").check()
    button(at, "Delete").click().run()
    assert any("Deleted override 1" in s.value for s in at.success)

    at.selectbox(key="pr_tier_model").set_value("gpt-4o")
    at.text_input(key="pr_tier_sibling").set_value("gpt-4o")
    button(at, "Save tier").click().run()
    assert any("cannot be the model itself" in e.value for e in at.error)
    at.text_input(key="pr_tier_sibling").set_value("")
    at.selectbox(key="pr_tier_tier").set_value("frontier")
    button(at, "Save tier").click().run()
    assert not at.exception
    tiers = frame_with(at, "tier from").set_index("model")
    assert (tiers.loc["gpt-4o", "tier"], tiers.loc["gpt-4o", "tier from"]) == ("frontier", "override")


def test_weekly_review_generates_lists_and_opens(dashboard: Callable[..., AppTest], seeded_url: str) -> None:
    at = open_page(dashboard, seeded_url, "review")
    assert "No review has been generated yet" in texts(at)
    at.text_input(key="rv_week").set_value("2026-W99")
    button(at, "Generate review").click().run()
    assert any(e.value.startswith("Not generated:") and "2026-W99" in e.value.replace("\\", "") for e in at.error)
    at.text_input(key="rv_week").set_value("2026-W45")  # Mon Nov 2 - Sun Nov 8, the seeded week
    button(at, "Generate review").click().run()
    assert not at.exception
    assert at.selectbox(key="rv_pick").value is not None
    assert "2026-W45" in at.selectbox(key="rv_pick").format_func(at.selectbox(key="rv_pick").value)
    assert "2026-W45" in texts(at)
