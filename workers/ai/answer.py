"""Reading a provider's answer: one JSON object (a Markdown code fence around it is tolerated) that
matches the response schema SQL sent with the job (app.ai_response_schema)."""

from __future__ import annotations

import json
import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

FENCE = re.compile(r"^```[A-Za-z]*\s*(.*?)\s*```$", re.S)


def parse(text: str, schema: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """(the answer, None) when it is valid, else (None, what is wrong with it)."""
    candidate = text.strip()
    fenced = FENCE.match(candidate)
    if fenced:
        candidate = fenced.group(1)
    try:
        document = json.loads(candidate)
    except ValueError as exc:
        return None, f"not JSON ({exc})"
    error = best_match(Draft202012Validator(schema).iter_errors(document))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "the answer"
        return None, f"{where}: {error.message}"[:500]
    return document, None
