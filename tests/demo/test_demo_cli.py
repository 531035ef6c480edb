"""``modelmix demo`` from the command line: output, exit codes, refused input, the printed price
change commands (parsed by the real CLI), and the progress bar."""

from __future__ import annotations

import io
import shlex
import socket
from datetime import UTC, datetime

import pytest

from modelmix.cli import build_parser, main
from modelmix.cli.demo_cmd import default_endpoint
from modelmix.demo.price_change import change_starts, price_change_commands
from modelmix.demo.progress import ProgressBar
from modelmix.demo.schedule import demo_window
from modelmix.settings import SETTINGS, Settings
from tests.demo.receiver import otlp_receiver


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for spec in SETTINGS:
        monkeypatch.delenv(spec.env_var, raising=False)


def test_demo_sends_through_the_receiver_and_prints_a_summary(capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELMIX_INGEST_TOKENS", "first-token-1,second-token-2")
    with otlp_receiver() as receiver:
        code = main(["demo", "--weeks", "1", "--scale", "0.02", "--endpoint", receiver.url, "--seed", "3"])
    out, err = capsys.readouterr()
    assert code == 0
    assert receiver.received.spans > 100
    assert receiver.received.authorization == {"Bearer first-token-1"}
    assert f"({receiver.received.spans:,} spans" in out
    assert "modelmix prices set gemini-2.5-pro" in out and "modelmix reprice --since" in out
    assert "100%" in err  # the progress bar finished on stderr


def test_an_explicit_token_wins(capsys: pytest.CaptureFixture[str]) -> None:
    with otlp_receiver() as receiver:
        code = main(["demo", "--weeks", "1", "--scale", "0.01", "--endpoint", receiver.url, "--token", "cli-token-9",
                     "--no-progress"])
    assert code == 0
    assert receiver.received.authorization == {"Bearer cli-token-9"}
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("argv", "message"), [
    (["--weeks", "0"], "weeks must be a whole number from 1 to 52"),
    (["--weeks", "60"], "weeks must be a whole number from 1 to 52"),
    (["--scale", "-2"], "scale must be above 0"),
    (["--workers", "0"], "workers must be from 1 to 32"),
    (["--endpoint", "localhost:4318"], "endpoint must be an http(s) URL"),
    (["--with-price-change"], "needs MODELMIX_DATABASE_URL"),
])
def test_bad_input_exits_1_with_a_message(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--no-progress", *argv]) == 1
    assert message in capsys.readouterr().err


def test_no_collector_exits_1_and_says_how_to_start_one(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["demo", "--no-progress", "--endpoint", f"http://127.0.0.1:{port}"]) == 1
    assert "modelmix up" in capsys.readouterr().err


def test_non_numeric_weeks_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--weeks", "eight"])
    assert exit_info.value.code == 2


def test_the_printed_price_change_commands_parse_with_the_real_cli() -> None:
    window = demo_window(8, datetime(2026, 5, 14, 9, 30, tzinfo=UTC))
    set_cmd, reprice_cmd = price_change_commands(window)
    parser = build_parser()
    set_args = parser.parse_args(shlex.split(set_cmd)[1:])
    assert (set_args.model, set_args.input, set_args.output) == ("gemini-2.5-pro", "1.00", "8.00")
    assert set_args.valid_from == "2026-04-16T00:00:00Z" == f"{change_starts(window):%Y-%m-%dT%H:%M:%SZ}"
    reprice_args = parser.parse_args(shlex.split(reprice_cmd)[1:])
    assert reprice_args.since == "2026-04-16T00:00:00Z" and reprice_args.until == "2026-05-14T10:00:00Z"


def test_the_default_endpoint_follows_the_otlp_settings() -> None:
    assert default_endpoint(Settings()) == "http://127.0.0.1:4318"
    assert default_endpoint(Settings(otlp_host="0.0.0.0", otlp_http_port=14318)) == "http://127.0.0.1:14318"
    assert default_endpoint(Settings(otlp_host="::1")) == "http://[::1]:4318"


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_redraws_in_place_on_a_terminal() -> None:
    stream = FakeTty()
    bar = ProgressBar(stream)
    bar(0, 200)
    bar(100, 200)  # within 0.1 s of the last draw: skipped
    bar(200, 200)
    text = stream.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n")
    assert "100% 200/200 traces" in text and "[------------------------------]" in text


def test_progress_bar_prints_a_line_per_tenth_into_a_file() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream)
    for done in range(0, 1001, 50):
        bar(done, 1000)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11
    assert lines[-1].startswith("[##############################] 100% 1,000/1,000 traces")
    bar(1000, 1000)
    assert len(stream.getvalue().splitlines()) == 11
