"""Home's note about the instructor's plan (issue 12 item 1): "Your instructor changed
your plan" with what changed, until the next session starts; or why the newest plan
fetched could not be used. Nothing at all with no plan kept.

`plan_news` is a template global (registered with the session blueprint); the
partial web/templates/participant/_plan_news.html shows it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from escape_home.participant import plan_store
from escape_home.participant.db import get_db


def plan_news() -> dict[str, Any] | None:
    """What changed in the plan since the last session, or a plan not used."""
    return plan_store.news(get_db(), current_app.extensions["escape_home.programme"])


def template_globals() -> dict[str, Any]:
    return {"plan_news": plan_news}
