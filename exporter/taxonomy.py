"""Enumerations of the Data API, as published (see reference/openrouter-data-api.md).

The API treats them as open sets: new values may appear. Config validation uses them to
catch typos; `category:NAME` / `subcategory:NAME` in the config let a user name a value
that is newer than this file.
"""

from __future__ import annotations

APP_SORTS = ("popular", "trending")

# Inferred grouping (the reference marks it as our reading): used only to label a
# subcategory view with its parent group, never sent to the API, so a wrong guess
# cannot turn a request into a 400.
APP_CATEGORIES: dict[str, tuple[str, ...]] = {
    "coding": (
        "cli-agent",
        "ide-extension",
        "cloud-agent",
        "programming-app",
        "native-app-builder",
    ),
    "creative": ("creative-writing", "video-gen", "image-gen", "audio-gen"),
    "entertainment": ("roleplay", "game"),
    "productivity": ("writing-assistant", "general-chat", "personal-agent", "legal"),
}
APP_SUBCATEGORIES: tuple[str, ...] = tuple(s for subs in APP_CATEGORIES.values() for s in subs)
PARENT_CATEGORY: dict[str, str] = {s: c for c, subs in APP_CATEGORIES.items() for s in subs}

MODEL_PERIODS = ("day", "week", "month")
MODEL_MODALITIES = ("text", "image", "image_output", "audio", "tool_calling")
MODEL_CONTEXT_BUCKETS = ("1K", "10K", "100K", "1M", "10M")
MODEL_CATEGORIES = (
    "programming",
    "roleplay",
    "marketing",
    "marketing/seo",
    "technology",
    "science",
    "translation",
    "legal",
    "finance",
    "health",
    "trivia",
    "academia",
)
MODEL_LANGUAGE_TYPES = ("natural", "programming")

TURN_RANGES = ("1-turn", "2-9-turns", "10-49-turns", "50-plus-turns")
