"""Shared helpers for commands: one Stack per invocation."""

from __future__ import annotations

from functools import cache

from workers import settings
from workers.stack.runtime import Stack


@cache
def stack() -> Stack:
    return Stack(settings.load())
