"""Where responses come from: recorded in the dataset (default, offline) or a live model endpoint.

`HttpResponder` speaks the OpenAI-compatible `/chat/completions` API, which vLLM, Ollama, LiteLLM
and the hosted vendors all serve. Its key is read from an environment variable at call time and
never stored, logged or tagged. Tests never call it.
"""

from __future__ import annotations

import json
import os
import urllib.request
from typing import Any, Protocol

from mmp_assets.prompts.cases import PromptCase
from mmp_resources.errors import MmpValidationError, Problem


class ResponseUnavailable(Exception):
    """This case has no usable response; the message says why, and the case fails with it."""


class Responder(Protocol):
    name: str

    def respond(self, case: PromptCase, rendered: str, model_config: dict[str, Any]) -> str: ...


class RecordedResponder:
    """Returns the response recorded in the dataset; refuses responses recorded for another template."""

    name = "recorded"

    def __init__(self, *, recorded_for: str | None, content_hash: str):
        self.recorded_for, self.content_hash = recorded_for, content_hash

    def respond(self, case: PromptCase, rendered: str, model_config: dict[str, Any]) -> str:
        if self.recorded_for and self.recorded_for != self.content_hash:
            raise ResponseUnavailable(
                f"stale: responses were recorded for prompt content {self.recorded_for}, this version is "
                f"{self.content_hash}; re-record them, or set evaluation.recorded_for if the change cannot alter answers"
            )
        if case.response is None:
            raise ResponseUnavailable("no recorded response in the dataset")
        return case.response


class HttpResponder:
    """POSTs each rendered prompt to an OpenAI-compatible endpoint (dev/prod only)."""

    name = "http"

    def __init__(self, *, endpoint: str, api_key_env: str, timeout_s: float = 60.0):
        self.endpoint, self.api_key_env, self.timeout_s = endpoint.rstrip("/"), api_key_env, timeout_s

    def respond(self, case: PromptCase, rendered: str, model_config: dict[str, Any]) -> str:
        key = os.environ.get(self.api_key_env)
        if not key:
            raise ResponseUnavailable(f"environment variable {self.api_key_env} holding the API key is not set")
        body: dict[str, Any] = {"model": model_config.get("model_name"), "messages": [{"role": "user", "content": rendered}]}
        body |= {k: model_config[k] for k in ("temperature", "max_tokens", "top_p") if k in model_config}
        request = urllib.request.Request(
            f"{self.endpoint}/chat/completions", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as reply:  # noqa: S310 - configured https endpoint
                return json.loads(reply.read())["choices"][0]["message"]["content"]
        except (OSError, KeyError, ValueError) as exc:
            raise ResponseUnavailable(f"endpoint call failed: {type(exc).__name__}") from None


def responder_from_env(*, recorded_for: str | None, content_hash: str) -> Responder:
    """`MMP_PROMPT_RESPONDER=http` with `MMP_PROMPT_ENDPOINT` (and `MMP_PROMPT_API_KEY_ENV`, default
    OPENAI_API_KEY) selects a live endpoint; anything else, the offline recorded responses."""
    kind = os.environ.get("MMP_PROMPT_RESPONDER", "recorded").strip() or "recorded"
    if kind == "recorded":
        return RecordedResponder(recorded_for=recorded_for, content_hash=content_hash)
    if kind != "http":
        raise MmpValidationError([Problem("MMP_PROMPT_RESPONDER", "", f"{kind!r} is not a responder; allowed: recorded, http")])
    endpoint = os.environ.get("MMP_PROMPT_ENDPOINT", "").strip()
    if not endpoint:
        raise MmpValidationError([Problem("MMP_PROMPT_ENDPOINT", "", "is required when MMP_PROMPT_RESPONDER=http; set the base URL, e.g. https://host/v1")])
    return HttpResponder(endpoint=endpoint, api_key_env=os.environ.get("MMP_PROMPT_API_KEY_ENV", "OPENAI_API_KEY"))
