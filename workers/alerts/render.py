"""The Jinja2 templates in templates/ (HTML autoescaped), shared by the e-mail and apprise channels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from workers.alerts.delivery import facts, headline, safe_links

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True,
                        keep_trailing_newline=True)


def render(template: str, notification: dict[str, Any]) -> str:
    """Render templates/<template> for one notification (`n` in the template)."""
    return TEMPLATES.get_template(template).render(n=notification, headline=headline(notification),
                                                   facts=facts(notification), links=safe_links(notification))
