"""The built-in ``webhook`` action: POST each transition as JSON to a URL.

```toml
[[actions]]
name = "sql-to-slack"
kind = "webhook"
to = ["SQL"]
url = "https://hooks.slack.com/services/${SLACK_WEBHOOK}"
timeout = 10                    # seconds (default 10)
headers = { Authorization = "Bearer ${HOOK_TOKEN}" }
```

The body is the transition's payload (``text`` and ``transition``; see
:mod:`scoredsl.data.actions`): a Slack incoming webhook shows ``text`` and ignores the rest.
The request carries ``Idempotency-Key: ACTION:KEY`` (the action's name and the transition's
key: the same each time the same transition is delivered again) and ``Content-Type: application/json``. Any 2xx answer is success; any
other answer, a timeout or a refused connection is a failure that the next run retries. The
URL is a secret (Slack's carries its token): messages show only its scheme and host.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any, Mapping

from scoredsl.data.actions import ActionError
from scoredsl.plugins.hookspecs import hookimpl

DEFAULT_TIMEOUT = 10.0


@hookimpl
def scoredsl_register_actions(registry) -> None:
    registry.add("webhook", Webhook.of, "POST each transition as JSON to url = \"https://...\" (Slack, Zapier, ...)")


class Webhook:
    def __init__(self, url: str, timeout: float, headers: Mapping[str, str]):
        self.url = url
        self.timeout = timeout
        self.headers = dict(headers)
        parts = urllib.parse.urlsplit(url)
        self.shown = f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}/..."

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> "Webhook":
        unknown = sorted(set(options) - {"url", "timeout", "headers"})
        if unknown:
            raise ActionError(f"unknown option(s) {', '.join(unknown)}; a webhook takes url, timeout and headers")
        url = options.get("url")
        if not isinstance(url, str) or urllib.parse.urlsplit(url).scheme not in ("http", "https") \
                or not urllib.parse.urlsplit(url).hostname:
            raise ActionError("url = \"https://...\" is required (http or https)")
        timeout = options.get("timeout", DEFAULT_TIMEOUT)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 300:
            raise ActionError("timeout is a number of seconds, above 0 and at most 300")
        headers = options.get("headers", {})
        if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                    for k, v in headers.items()):
            raise ActionError("headers is a table of text values")
        return cls(url, float(timeout), headers)

    def deliver(self, payload: Mapping[str, Any], key: str) -> None:
        import urllib.error
        import urllib.request        # (the HTTP client, when a run delivers: not for check)

        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            **self.headers, "Content-Type": "application/json", "Idempotency-Key": key,
            "User-Agent": "scoredsl"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read(200).decode("utf-8", "replace").strip()
            raise ActionError(f"{self.shown} answered {exc.code} {exc.reason}"
                              + (f": {detail}" if detail else "")) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ActionError(f"{self.shown} could not be reached: {reason}") from None
