"""AI providers behind one small interface. SQL builds the conversation (db/functions/app/460_ai_prompt.sql)
and decides which provider answers; a provider here only speaks its API through its official SDK:

    complete(conversation: Conversation) -> Reply

raising workers.errors.Retryable (429 with its Retry-After, 5xx, timeouts, connection errors) or
Permanent (rejected credentials or request). Keys and base URLs come from each SDK's own environment
variables (ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL, OPENAI_API_KEY / OPENAI_BASE_URL); the SDKs'
own retries are off, the job table retries (with backoff, or the provider's Retry-After).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Message:
    role: str  # "user" or "assistant"
    content: str


@dataclass(frozen=True)
class Conversation:
    model: str
    system: str
    messages: tuple[Message, ...]
    max_output_tokens: int = 1500
    timeout_seconds: float = 30.0

    def followed_by(self, *messages: Message) -> Conversation:
        return Conversation(self.model, self.system, (*self.messages, *messages), self.max_output_tokens,
                            self.timeout_seconds)


@dataclass(frozen=True)
class Reply:
    text: str
    model: str | None
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: int = 0
    extra: dict = field(default_factory=dict)


Provider = Callable[[Conversation], Reply]


def providers() -> dict[str, Provider]:
    """The providers by name (imported on first use: a worker without AI jobs never loads the SDKs)."""
    from workers.ai import anthropic_api, openai_api

    return {"anthropic": anthropic_api.complete, "openai": openai_api.complete}
