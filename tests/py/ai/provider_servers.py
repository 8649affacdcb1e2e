"""Local stand-ins for the AI providers, on 127.0.0.1, speaking the protocols the official SDKs use:
Anthropic's Messages API (POST /v1/messages; the key in x-api-key, or as a Bearer token, which is how
this SDK version sends it) and OpenAI's Chat Completions API
(POST /v1/chat/completions, Bearer key). Each answers with a valid analysis unless told otherwise
with then(...): scripted answers (an error status with Retry-After, a delay past the client's
timeout, malformed or schema-violating text) are used one per request, in order. Every request is
recorded: the privacy test reads every body they received.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import json
import sys
import uuid
from collections import deque
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent.parent / "probes"))  # the probe tests' local servers
from servers import RecordedRequest, ScriptedHttpServer, ScriptedResponse  # noqa: E402

__all__ = ["AnthropicStub", "OpenAIStub", "ScriptedResponse", "VALID_ANSWER"]

VALID_ANSWER = {
    "rootCause": "The cart total is read before the cart has loaded.",
    "impact": "Every user who opens the cart before it loads; 3 so far.",
    "suggestedFix": "Use optional chaining: cart?.total ?? 0",
    "prevention": "Enable strictNullChecks and type the cart as optional.",
    "severity": 3,
    "relatedErrors": [],
}


class ProviderStub(ScriptedHttpServer):
    path = "/"
    api_key = ""

    def __init__(self) -> None:
        super().__init__()
        self._scripted: deque[ScriptedResponse] = deque()
        self.route(self.path, self._answer)

    def then(self, *answers: ScriptedResponse | str | dict) -> None:
        """Answer the next requests with these, in order: a response as is, a text (or a dict as JSON
        text) as the model's answer."""
        self._scripted.extend(answer if isinstance(answer, ScriptedResponse)
                              else self.text(answer if isinstance(answer, str) else json.dumps(answer))
                              for answer in answers)

    def _answer(self, request: RecordedRequest) -> ScriptedResponse:
        if not self.authorized(request):
            return self.error(401, "authentication_error", "invalid x-api-key")
        if self._scripted:
            return self._scripted.popleft()
        return self.text(json.dumps(VALID_ANSWER))

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request.body) for request in self.requests if request.path == self.path]

    def raw_bodies(self) -> list[str]:
        return [request.body.decode("utf-8", "replace") for request in self.requests]

    def authorized(self, request: RecordedRequest) -> bool:
        raise NotImplementedError

    def text(self, text: str, input_tokens: int = 120, output_tokens: int = 80) -> ScriptedResponse:
        raise NotImplementedError

    def error(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> ScriptedResponse:
        raise NotImplementedError


class AnthropicStub(ProviderStub):
    path = "/v1/messages"
    api_key = "sk-ant-stub-key"
    model = "claude-stub-1"

    def environment(self) -> dict[str, str]:
        return {"ANTHROPIC_API_KEY": self.api_key, "ANTHROPIC_BASE_URL": self.url}

    def authorized(self, request: RecordedRequest) -> bool:
        return self.api_key in (request.headers.get("x-api-key"),
                                request.headers.get("authorization", "").removeprefix("Bearer "))

    def text(self, text: str, input_tokens: int = 120, output_tokens: int = 80) -> ScriptedResponse:
        return ScriptedResponse(200, json.dumps({
            "id": f"msg_{uuid.uuid4().hex}", "type": "message", "role": "assistant", "model": self.model,
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens}}),
            {"Content-Type": "application/json", "request-id": f"req_{uuid.uuid4().hex}"})

    def error(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> ScriptedResponse:
        return ScriptedResponse(status, json.dumps({"type": "error", "error": {"type": kind, "message": message}}),
                                {"Content-Type": "application/json", **(headers or {})})


class OpenAIStub(ProviderStub):
    path = "/v1/chat/completions"
    api_key = "sk-openai-stub-key"
    model = "gpt-stub-1"

    def environment(self) -> dict[str, str]:
        return {"OPENAI_API_KEY": self.api_key, "OPENAI_BASE_URL": self.url + "/v1"}

    def authorized(self, request: RecordedRequest) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.api_key}"

    def text(self, text: str, input_tokens: int = 120, output_tokens: int = 80) -> ScriptedResponse:
        return ScriptedResponse(200, json.dumps({
            "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": 1_790_000_000,
            "model": self.model,
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": text, "refusal": None}}],
            "usage": {"prompt_tokens": input_tokens, "completion_tokens": output_tokens,
                      "total_tokens": input_tokens + output_tokens}}),
            {"Content-Type": "application/json", "x-request-id": f"req_{uuid.uuid4().hex}"})

    def error(self, status: int, kind: str, message: str, headers: dict[str, str] | None = None) -> ScriptedResponse:
        return ScriptedResponse(status, json.dumps({"error": {"message": message, "type": kind, "param": None,
                                                              "code": kind}}),
                                {"Content-Type": "application/json", **(headers or {})})
