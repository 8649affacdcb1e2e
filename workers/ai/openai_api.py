"""GPT through the official `openai` SDK (Chat Completions API, JSON mode). Key and base URL:
OPENAI_API_KEY and OPENAI_BASE_URL, read by the SDK itself; the model comes with the job
(PGWARDEN_OPENAI_MODEL, applied to app.ai_provider at stack start)."""

from __future__ import annotations

import time

import openai

from workers.ai import Conversation, Reply
from workers.ai.clients import cached
from workers.ai.failures import classify
from workers.errors import Permanent

ENVIRONMENT = ("OPENAI_API_KEY", "OPENAI_BASE_URL")


def _client() -> openai.OpenAI:
    return openai.OpenAI(max_retries=0)  # the job table retries


def complete(conversation: Conversation) -> Reply:
    started = time.monotonic()
    try:
        completion = cached(ENVIRONMENT, _client).chat.completions.create(
            model=conversation.model, max_completion_tokens=conversation.max_output_tokens,
            messages=[{"role": "system", "content": conversation.system},
                      *({"role": m.role, "content": m.content} for m in conversation.messages)],
            response_format={"type": "json_object"}, timeout=conversation.timeout_seconds)
    except openai.APIError as exc:
        raise classify(exc, openai, "openai") from None
    except openai.OpenAIError as exc:  # raised before any request: no API key
        raise Permanent(f"openai: no credentials (OPENAI_API_KEY): {exc}") from None
    choice = completion.choices[0] if completion.choices else None
    usage = completion.usage
    return Reply(text=(choice.message.content if choice else None) or "", model=completion.model,
                 input_tokens=(usage.prompt_tokens if usage else 0) or 0,
                 output_tokens=(usage.completion_tokens if usage else 0) or 0,
                 latency_ms=round((time.monotonic() - started) * 1000))
