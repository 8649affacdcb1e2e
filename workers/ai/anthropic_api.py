"""Claude through the official `anthropic` SDK (Messages API). Key and base URL: ANTHROPIC_API_KEY
(or ANTHROPIC_AUTH_TOKEN) and ANTHROPIC_BASE_URL, read by the SDK itself; the model comes with the
job (PGWARDEN_ANTHROPIC_MODEL, applied to app.ai_provider at stack start)."""

from __future__ import annotations

import time

import anthropic

from workers.ai import Conversation, Reply
from workers.ai.clients import cached
from workers.ai.failures import classify
from workers.errors import Permanent

ENVIRONMENT = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL")


def _client() -> anthropic.Anthropic:
    return anthropic.Anthropic(max_retries=0)  # the job table retries


def complete(conversation: Conversation) -> Reply:
    started = time.monotonic()
    try:
        message = cached(ENVIRONMENT, _client).messages.create(
            model=conversation.model, max_tokens=conversation.max_output_tokens, system=conversation.system,
            messages=[{"role": m.role, "content": m.content} for m in conversation.messages],
            timeout=conversation.timeout_seconds)
    except anthropic.APIError as exc:
        raise classify(exc, anthropic, "anthropic") from None
    except (TypeError, anthropic.AnthropicError) as exc:  # (TypeError: the SDK's "no key, token or credentials")
        raise Permanent(f"anthropic: no usable credentials (ANTHROPIC_API_KEY): {exc}") from None
    text = "".join(block.text for block in message.content if getattr(block, "type", None) == "text")
    return Reply(text=text, model=message.model, input_tokens=message.usage.input_tokens or 0,
                 output_tokens=message.usage.output_tokens or 0, latency_ms=round((time.monotonic() - started) * 1000))
