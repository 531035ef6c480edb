"""Posting the review summary to an incoming webhook (e.g. Slack): ``{"text": <markdown summary>}``.

The URL is a secret (a Slack webhook URL is its own credential), so it never appears in a log
line or an error message: failures say what went wrong and refer to the setting by name. The
standard library's ``urllib`` is used because it logs nothing on its own.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request

DEFAULT_TIMEOUT_SECONDS = 10.0
SETTING = "MODELMIX_WEBHOOK_URL"


class WebhookError(RuntimeError):
    """The post did not go through; the message never contains the URL."""


def post_text(url: str, text: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> int:
    """POST ``{"text": text}`` as JSON; return the HTTP status (2xx) or raise ``WebhookError``."""
    if not url.startswith(("http://", "https://")):
        raise WebhookError(f"{SETTING} must be an http(s) URL")
    body = json.dumps({"text": text}).encode("utf-8")
    try:
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8",
                                                  "User-Agent": "modelmix-review"})
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"the webhook at {SETTING} answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise WebhookError(f"could not reach the webhook at {SETTING}: {_reason(exc.reason)}") from None
    except TimeoutError:
        raise WebhookError(f"the webhook at {SETTING} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise WebhookError(f"posting to the webhook at {SETTING} failed: {_reason(exc)}") from None
    except (ValueError, http.client.InvalidURL):  # their messages quote the URL: say nothing of it
        raise WebhookError(f"{SETTING} is not a valid URL") from None
    except http.client.HTTPException as exc:
        raise WebhookError(f"the webhook at {SETTING} sent a malformed answer ({type(exc).__name__})") from None
    if not 200 <= status < 300:
        raise WebhookError(f"the webhook at {SETTING} answered HTTP {status}")
    return status


def _reason(reason: object) -> str:
    """Why a connection failed, from the OS error text only (which never quotes the URL)."""
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return type(reason).__name__
