"""Fixed vocabularies of the Data API and the raw material the synthetic market is drawn from.

Enumerations mirror the official SDK (`openrouter` 1.3.84); the grouping of subcategories
into categories is the reference's *inferred* mapping.

The exporter keeps its own copy of these vocabularies (exporter/taxonomy.py and the dataset
packages), and this copy is not shared with it on purpose: the simulator is an independent
witness of the API, so a word wrong on one side shows up as a disagreement in the tests
instead of being wrong on both sides at once (the import contract in pyproject.toml forbids
the simulator from importing any other part of exporter).
"""

from __future__ import annotations

from datetime import date
from typing import Final

API_PREFIX: Final = "/api/v1"
APP_RANKINGS_PATH: Final = "/datasets/app-rankings"
RANKINGS_DAILY_PATH: Final = "/datasets/rankings-daily"
SESSION_COST_PATH: Final = "/datasets/session-cost"
TASK_CLASSIFICATIONS_PATH: Final = "/classifications/task"
BENCHMARKS_PATH: Final = "/benchmarks"
ENDPOINT_PATHS: Final = (
    APP_RANKINGS_PATH,
    RANKINGS_DAILY_PATH,
    SESSION_COST_PATH,
    TASK_CLASSIFICATIONS_PATH,
    BENCHMARKS_PATH,
)

DATASET_FLOOR: Final = date(2025, 1, 1)
MAX_WINDOW_DAYS: Final = 366
DEFAULT_WINDOW_DAYS: Final = 30
VERSION: Final = "v1"
CACHE_CONTROL: Final = "private, max-age=60, stale-while-revalidate=300"
OTHER_SLUG: Final = "other"
TOP_MODELS_PER_BUCKET: Final = 50

# Reported gaps in the live history (reference: "Some days are missing from the history").
REPORTED_MISSING_DAYS: Final = (date(2025, 6, 15), date(2025, 7, 15))

APP_SORTS: Final = ("popular", "trending")
CATEGORY_GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "coding": (
        "cli-agent",
        "ide-extension",
        "cloud-agent",
        "programming-app",
        "native-app-builder",
    ),
    "creative": ("creative-writing", "video-gen", "image-gen", "audio-gen"),
    "productivity": ("writing-assistant", "general-chat", "personal-agent", "legal"),
    "entertainment": ("roleplay", "game"),
}
APP_CATEGORIES: Final = ("coding", "creative", "productivity", "entertainment")
SUBCATEGORIES: Final = (
    "cli-agent",
    "ide-extension",
    "cloud-agent",
    "programming-app",
    "native-app-builder",
    "creative-writing",
    "video-gen",
    "image-gen",
    "audio-gen",
    "roleplay",
    "game",
    "writing-assistant",
    "general-chat",
    "personal-agent",
    "legal",
)
SUBCATEGORY_TO_CATEGORY: Final = {sub: cat for cat, subs in CATEGORY_GROUPS.items() for sub in subs}

PERIODS: Final = ("day", "week", "month")
MODALITIES: Final = ("text", "image", "image_output", "audio", "tool_calling")
CONTEXT_BUCKETS: Final = ("1K", "10K", "100K", "1M", "10M")
# Upper bound (tokens) of each prompt-size bucket: our reading of the labels (*inferred*).
CONTEXT_BUCKET_LIMITS: Final = {
    "1K": 1_000,
    "10K": 10_000,
    "100K": 100_000,
    "1M": 1_000_000,
    "10M": 10_000_000,
}
RANKING_CATEGORIES: Final = (
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
LANGUAGE_TYPES: Final = ("natural", "programming")
TURN_RANGES: Final = ("1-turn", "2-9-turns", "10-49-turns", "50-plus-turns")

# Session-cost harnesses: (app_slug, app_name).
HARNESSES: Final = (
    ("claude-code", "Claude Code"),
    ("cline", "Cline"),
    ("kilo-code", "Kilo Code"),
    ("roo-code", "Roo Code"),
)

# Real-looking apps: (name, subcategory or None, size boost). The boost nudges well-known
# names towards the top so the default top 50 looks plausible.
KNOWN_APPS: Final[tuple[tuple[str, str | None, float], ...]] = (
    ("Kilo Code", "ide-extension", 3.0),
    ("Cline", "ide-extension", 3.0),
    ("Roo Code", "ide-extension", 2.5),
    ("Claude Code", "cli-agent", 2.0),
    ("SillyTavern", "roleplay", 2.5),
    ("Janitor AI", "roleplay", 2.5),
    ("Chub AI", "roleplay", 1.5),
    ("Open WebUI", "general-chat", 1.5),
    ("LibreChat", "general-chat", 1.2),
    ("Aider", "cli-agent", 1.2),
    ("opencode", "cli-agent", 1.5),
    ("Codex CLI", "cli-agent", 1.2),
    ("Gemini CLI", "cli-agent", 1.0),
    ("Crush", "cli-agent", 0.8),
    ("Goose", "cli-agent", 0.8),
    ("Continue", "ide-extension", 1.0),
    ("Zed", "ide-extension", 1.0),
    ("Void", "ide-extension", 0.6),
    ("OpenHands", "cloud-agent", 1.0),
    ("Jules", "cloud-agent", 0.6),
    ("Devin Lite", "cloud-agent", 0.5),
    ("Bolt", "native-app-builder", 1.0),
    ("Lovable", "native-app-builder", 0.8),
    ("Dyad", "native-app-builder", 0.6),
    ("Replit Agent", "programming-app", 0.7),
    ("Blackbox AI", "programming-app", 0.9),
    ("Novelcrafter", "creative-writing", 0.8),
    ("Sudowrite", "creative-writing", 0.7),
    ("NovelAI", "creative-writing", 0.6),
    ("AI Dungeon", "game", 1.0),
    ("Infinite Worlds", "game", 0.7),
    ("Talemate", "game", 0.4),
    ("Agnai", "roleplay", 0.7),
    ("RisuAI", "roleplay", 0.8),
    ("HammerAI", "roleplay", 0.6),
    ("Venus Chub", "roleplay", 0.5),
    ("TypingMind", "general-chat", 0.8),
    ("Msty", "general-chat", 0.6),
    ("LobeChat", "general-chat", 0.7),
    ("ChatHub", "general-chat", 0.5),
    ("big-AGI", "general-chat", 0.5),
    ("Jan", "general-chat", 0.5),
    ("Perplexica", "personal-agent", 0.5),
    ("n8n", "personal-agent", 0.9),
    ("Letta", "personal-agent", 0.5),
    ("Open Interpreter", "personal-agent", 0.5),
    ("Obsidian Copilot", "writing-assistant", 0.5),
    ("Raycast AI", "writing-assistant", 0.5),
    ("Grammar Fixer", "writing-assistant", 0.3),
    ("LexDraft", "legal", 0.3),
    ("Contract Counsel AI", "legal", 0.2),
    ("Suno Lyrics Helper", "audio-gen", 0.2),
    ("VoiceForge", "audio-gen", 0.2),
    ("PixelDream", "image-gen", 0.3),
    ("Storyboarder", "video-gen", 0.2),
    ("Liner", None, 0.5),
    ("Quizlet Helper", None, 0.2),
)

# Names that break naive exposition or logging code: quotes, backslashes, newlines,
# label-injection attempts, emoji, RTL text, zero-width and control characters, length.
HOSTILE_APP_NAMES: Final = (
    'Say "Hello" Bot',
    "C:\\Users\\agent\\tool",
    "Line one\nLine two",
    'evil"} 1\nopenrouter_fake_metric{x="y',
    "🚀 Rocket Chat 🤖",
    "مساعد الكتابة",
    "Zero\u200bWidth\u200dJoiner",
    "Tab\tSeparated\rCarriage",
    "Trailing backslash \\",
    "A " + "very long app name " * 24 + "end",
    " ",
    "Chatbot",
    "Chatbot",
)

NAME_PREFIXES: Final = (
    "Astra", "Nimbus", "Quill", "Vector", "Lumen", "Echo", "Nova", "Pixel", "Orbit", "Cobalt",
    "Sage", "Ember", "Drift", "Atlas", "Forge", "Prism", "Muse", "Quartz", "Relay", "Cipher",
    "Harbor", "Kestrel", "Maple", "Onyx", "Pulse", "Rune", "Sable", "Tidal", "Umbra", "Willow",
    "Zephyr", "Bramble", "Cinder", "Dune", "Fable", "Glint", "Halo", "Iris", "Juniper", "Koi",
)  # fmt: skip
NAME_SUFFIXES: Final = (
    "AI", "Chat", "Studio", "Agent", "Pilot", "Labs", "Code", "Writer", "Tales", "Assist",
    "Bot", "Mind", "Desk", "Flow", "Dev", "Play", "Works", "Notes", "Quest", "Hub",
)  # fmt: skip
SUFFIX_SUBCATEGORY_HINTS: Final[dict[str, tuple[str, ...]]] = {
    "Code": ("cli-agent", "ide-extension", "programming-app"),
    "Dev": ("cloud-agent", "programming-app", "native-app-builder"),
    "Pilot": ("ide-extension", "cli-agent", "personal-agent"),
    "Agent": ("personal-agent", "cloud-agent", "cli-agent"),
    "Writer": ("creative-writing", "writing-assistant"),
    "Tales": ("roleplay", "creative-writing", "game"),
    "Quest": ("game", "roleplay"),
    "Play": ("game", "roleplay"),
    "Chat": ("general-chat", "roleplay"),
    "Studio": ("image-gen", "video-gen", "audio-gen", "creative-writing"),
    "Notes": ("writing-assistant", "personal-agent"),
    "Desk": ("legal", "writing-assistant"),
}

# Models: (permaslug, launch date or None for "before the dataset floor", size tier 1..5,
# capability flags, context length, traffic kind). Flags: t = tool calling, i = image input,
# o = image output, a = audio input. Kind drives category shares; "zero" marks a non-token
# endpoint, which rankings-daily must drop.
ModelSpec = tuple[str, str | None, int, str, int, str]
MODEL_SPECS: Final[tuple[ModelSpec, ...]] = (
    ("openai/gpt-4o-2024-05-13", None, 3, "ti", 128_000, "general"),
    ("openai/gpt-4o-2024-05-13:extended", None, 5, "ti", 128_000, "general"),
    ("openai/gpt-4o-mini-2024-07-18", None, 2, "ti", 128_000, "general"),
    ("openai/gpt-4.1-2025-04-14", "2025-04-14", 2, "ti", 1_047_576, "code"),
    ("openai/gpt-4.1-mini-2025-04-14", "2025-04-14", 2, "ti", 1_047_576, "general"),
    ("openai/gpt-4.1-nano-2025-04-14", "2025-04-14", 4, "ti", 1_047_576, "general"),
    ("openai/o3-mini-2025-01-31", "2025-01-31", 4, "t", 200_000, "code"),
    ("openai/o3-2025-04-16", "2025-04-16", 4, "ti", 200_000, "general"),
    ("openai/o4-mini-2025-04-16", "2025-04-16", 3, "ti", 200_000, "code"),
    ("openai/gpt-5-2025-08-07", "2025-08-07", 1, "ti", 400_000, "code"),
    ("openai/gpt-5-mini-2025-08-07", "2025-08-07", 2, "ti", 400_000, "general"),
    ("openai/gpt-5-nano-2025-08-07", "2025-08-07", 3, "ti", 400_000, "general"),
    ("openai/gpt-5-codex", "2025-09-15", 2, "ti", 400_000, "code"),
    ("openai/gpt-5.1-20251113", "2025-11-13", 1, "ti", 400_000, "code"),
    ("openai/gpt-oss-120b", "2025-08-05", 2, "t", 131_072, "general"),
    ("openai/gpt-oss-20b", "2025-08-05", 3, "t", 131_072, "general"),
    ("openai/gpt-oss-20b:free", "2025-08-05", 4, "t", 131_072, "general"),
    ("openai/gpt-4o-audio-preview-2025-06-03", "2025-06-03", 5, "ta", 128_000, "general"),
    ("openai/gpt-5-image-2025-10-14", "2025-10-14", 5, "tio", 400_000, "general"),
    ("openai/tts-1-hd", None, 5, "", 4_096, "zero"),
    ("anthropic/claude-3.5-sonnet-20241022", None, 2, "ti", 200_000, "code"),
    ("anthropic/claude-3.5-sonnet-20241022:beta", None, 4, "ti", 200_000, "code"),
    ("anthropic/claude-3.5-haiku-20241022", None, 3, "ti", 200_000, "general"),
    ("anthropic/claude-3.7-sonnet-20250219", "2025-02-24", 1, "ti", 200_000, "code"),
    ("anthropic/claude-3.7-sonnet-20250219:thinking", "2025-02-24", 3, "ti", 200_000, "code"),
    ("anthropic/claude-4-sonnet-20250522", "2025-05-22", 1, "ti", 1_000_000, "code"),
    ("anthropic/claude-4-opus-20250522", "2025-05-22", 3, "ti", 200_000, "code"),
    ("anthropic/claude-4.1-opus-20250805", "2025-08-05", 3, "ti", 200_000, "code"),
    ("anthropic/claude-4.5-sonnet-20250929", "2025-09-29", 1, "ti", 1_000_000, "code"),
    ("anthropic/claude-4.5-haiku-20251001", "2025-10-15", 2, "ti", 200_000, "code"),
    ("anthropic/claude-4.5-opus-20251124", "2025-11-24", 2, "ti", 200_000, "code"),
    ("google/gemini-2.0-flash-001", "2025-02-05", 2, "tia", 1_048_576, "general"),
    ("google/gemini-2.0-flash-lite-001", "2025-02-25", 3, "tia", 1_048_576, "general"),
    ("google/gemini-2.0-flash-exp:free", None, 3, "tia", 1_048_576, "general"),
    ("google/gemini-2.5-pro-preview-03-25", "2025-03-25", 2, "tia", 1_048_576, "code"),
    ("google/gemini-2.5-pro", "2025-06-17", 1, "tia", 1_048_576, "code"),
    ("google/gemini-2.5-flash", "2025-06-17", 1, "tia", 1_048_576, "general"),
    ("google/gemini-2.5-flash-lite", "2025-07-22", 2, "tia", 1_048_576, "general"),
    ("google/gemini-2.5-flash-image", "2025-08-26", 3, "io", 32_768, "general"),
    ("google/gemini-3-pro-preview-20251117", "2025-11-18", 2, "tia", 1_048_576, "code"),
    ("google/gemma-3-27b-it", "2025-03-12", 4, "ti", 131_072, "general"),
    ("google/gemma-3-27b-it:free", "2025-03-12", 4, "ti", 131_072, "general"),
    ("deepseek/deepseek-chat-v3", None, 2, "t", 64_000, "rp"),
    ("deepseek/deepseek-r1", "2025-01-20", 2, "", 64_000, "general"),
    ("deepseek/deepseek-r1:free", "2025-01-20", 2, "", 64_000, "rp"),
    ("deepseek/deepseek-chat-v3-0324", "2025-03-24", 1, "t", 163_840, "rp"),
    ("deepseek/deepseek-chat-v3-0324:free", "2025-03-24", 1, "t", 163_840, "rp"),
    ("deepseek/deepseek-r1-0528", "2025-05-28", 2, "t", 163_840, "general"),
    ("deepseek/deepseek-r1-0528:free", "2025-05-28", 3, "", 163_840, "rp"),
    ("deepseek/deepseek-chat-v3.1", "2025-08-21", 2, "t", 163_840, "code"),
    ("deepseek/deepseek-v3.2-exp", "2025-09-29", 2, "t", 163_840, "code"),
    ("x-ai/grok-2-1212", None, 5, "t", 131_072, "general"),
    ("x-ai/grok-3-beta", "2025-04-09", 4, "t", 131_072, "general"),
    ("x-ai/grok-3-mini-beta", "2025-04-09", 4, "t", 131_072, "general"),
    ("x-ai/grok-4-07-09", "2025-07-09", 3, "ti", 256_000, "general"),
    ("x-ai/grok-code-fast-1", "2025-08-26", 1, "t", 256_000, "code"),
    ("x-ai/grok-4-fast", "2025-09-19", 1, "ti", 2_000_000, "general"),
    ("x-ai/grok-4-fast:free", "2025-09-19", 2, "ti", 2_000_000, "general"),
    ("qwen/qwen-2.5-72b-instruct", None, 4, "t", 32_768, "general"),
    ("qwen/qwen-2.5-coder-32b-instruct", None, 4, "", 32_768, "code"),
    ("qwen/qwq-32b", "2025-03-06", 4, "t", 131_072, "general"),
    ("qwen/qwen3-235b-a22b-04-28", "2025-04-28", 3, "t", 131_072, "general"),
    ("qwen/qwen3-30b-a3b-04-28", "2025-04-28", 3, "t", 131_072, "general"),
    ("qwen/qwen3-coder-480b-a35b-07-25", "2025-07-23", 2, "t", 262_144, "code"),
    ("qwen/qwen3-coder-480b-a35b-07-25:free", "2025-07-23", 2, "t", 262_144, "code"),
    ("qwen/qwen3-235b-a22b-07-25", "2025-07-21", 3, "t", 262_144, "general"),
    ("qwen/qwen3-max", "2025-09-05", 3, "t", 262_144, "general"),
    ("qwen/qwen3-vl-235b-a22b-instruct", "2025-09-23", 4, "ti", 131_072, "general"),
    ("meta-llama/llama-3.1-8b-instruct", None, 3, "t", 131_072, "general"),
    ("meta-llama/llama-3.1-70b-instruct", None, 4, "t", 131_072, "general"),
    ("meta-llama/llama-3.1-405b-instruct", None, 5, "t", 131_072, "general"),
    ("meta-llama/llama-3.3-70b-instruct", None, 2, "t", 131_072, "general"),
    ("meta-llama/llama-3.3-70b-instruct:free", None, 3, "t", 131_072, "general"),
    ("meta-llama/llama-4-maverick-17b-128e-instruct", "2025-04-05", 3, "ti", 1_048_576, "general"),
    ("meta-llama/llama-4-scout-17b-16e-instruct", "2025-04-05", 4, "ti", 1_048_576, "general"),
    ("meta-llama/llama-guard-4-12b", "2025-04-29", 5, "i", 163_840, "general"),
    ("mistralai/mistral-nemo", None, 2, "t", 131_072, "rp"),
    ("mistralai/mistral-7b-instruct-v0.3", None, 4, "", 32_768, "general"),
    ("mistralai/mistral-large-2411", None, 5, "t", 131_072, "general"),
    ("mistralai/pixtral-large-2411", None, 5, "ti", 131_072, "general"),
    ("mistralai/codestral-2501", "2025-01-14", 4, "t", 262_144, "code"),
    ("mistralai/mistral-small-3.1-24b-instruct-2503", "2025-03-17", 4, "ti", 131_072, "general"),
    ("mistralai/mistral-medium-3", "2025-05-07", 4, "ti", 131_072, "general"),
    ("mistralai/devstral-small-2505", "2025-05-21", 4, "t", 131_072, "code"),
    ("mistralai/mistral-small-3.2-24b-instruct-2506", "2025-06-20", 3, "ti", 131_072, "rp"),
    ("moonshotai/kimi-k2", "2025-07-11", 2, "t", 131_072, "code"),
    ("moonshotai/kimi-k2:free", "2025-07-11", 3, "t", 32_768, "general"),
    ("moonshotai/kimi-k2-0905", "2025-09-05", 2, "t", 262_144, "code"),
    ("moonshotai/kimi-k2-thinking", "2025-11-06", 2, "t", 262_144, "code"),
    ("z-ai/glm-4.5", "2025-07-25", 2, "t", 131_072, "code"),
    ("z-ai/glm-4.5-air", "2025-07-25", 3, "t", 131_072, "code"),
    ("z-ai/glm-4.5-air:free", "2025-07-25", 3, "t", 131_072, "rp"),
    ("z-ai/glm-4.6", "2025-09-30", 1, "t", 202_752, "code"),
    ("minimax/minimax-m1", "2025-06-17", 4, "t", 1_000_000, "general"),
    ("minimax/minimax-m2", "2025-10-27", 2, "t", 204_800, "code"),
    ("minimax/minimax-m2:free", "2025-10-27", 2, "t", 204_800, "code"),
    ("nousresearch/hermes-3-llama-3.1-405b", None, 4, "", 131_072, "rp"),
    ("nousresearch/hermes-3-llama-3.1-70b", None, 4, "", 131_072, "rp"),
    ("nousresearch/hermes-4-405b", "2025-08-26", 5, "t", 131_072, "rp"),
    ("nousresearch/hermes-4-70b", "2025-08-26", 5, "t", 131_072, "rp"),
    ("thedrummer/rocinante-12b", None, 4, "", 32_768, "rp"),
    ("thedrummer/unslopnemo-12b", None, 4, "", 32_768, "rp"),
    ("thedrummer/anubis-70b-v1.1", "2025-06-29", 5, "", 131_072, "rp"),
    ("sao10k/l3.3-euryale-70b", None, 4, "", 131_072, "rp"),
    ("sao10k/l3.1-euryale-70b", None, 5, "", 131_072, "rp"),
    ("gryphe/mythomax-l2-13b", None, 3, "", 4_096, "rp"),
    ("neversleep/llama-3.1-lumimaid-8b", None, 5, "", 32_768, "rp"),
    ("anthracite-org/magnum-v4-72b", None, 4, "", 16_384, "rp"),
    (
        "cognitivecomputations/dolphin-mistral-24b-venice-edition:free",
        "2025-07-09",
        4,
        "",
        32_768,
        "rp",
    ),
    ("tngtech/deepseek-r1t2-chimera:free", "2025-07-08", 3, "", 163_840, "rp"),
    ("cohere/command-r-plus-08-2024", None, 5, "t", 128_000, "general"),
    ("cohere/command-a-03-2025", "2025-03-13", 5, "t", 256_000, "general"),
    ("microsoft/phi-4", None, 5, "", 16_384, "general"),
    ("microsoft/wizardlm-2-8x22b", None, 3, "", 65_536, "rp"),
    ("amazon/nova-lite-v1", None, 4, "ti", 300_000, "general"),
    ("amazon/nova-pro-v1", None, 5, "ti", 300_000, "general"),
    ("inception/mercury-coder", "2025-04-30", 5, "t", 32_000, "code"),
    ("perplexity/sonar", "2025-01-27", 4, "i", 127_072, "general"),
    ("perplexity/sonar-reasoning", "2025-01-29", 5, "", 127_000, "general"),
    ("ai21/jamba-1.6-large", "2025-03-13", 5, "t", 256_000, "general"),
    ("liquid/lfm-7b", None, 5, "", 32_768, "general"),
    ("baidu/ernie-4.5-300b-a47b", "2025-06-30", 5, "", 123_000, "general"),
    ("tencent/hunyuan-a13b-instruct", "2025-07-08", 5, "t", 32_768, "general"),
    ("arcee-ai/virtuoso-large", "2025-05-05", 5, "t", 131_072, "general"),
    ("meituan/longcat-flash-chat", "2025-09-09", 4, "t", 131_072, "general"),
    ("meituan/longcat-flash-chat:free", "2025-09-09", 4, "t", 131_072, "general"),
    ("inclusionai/ling-1t", "2025-10-09", 5, "t", 131_072, "general"),
    ("openrouter/horizon-beta", "2025-08-01", 2, "ti", 256_000, "code"),
    ("openrouter/sonoma-sky-alpha", "2025-09-05", 2, "ti", 2_000_000, "code"),
    ("black-forest-labs/flux-1.1-pro", None, 5, "o", 0, "zero"),
    ("openai/whisper-1", None, 5, "a", 0, "zero"),
)

# Cloaked models that vanish after their stealth period: permaslug -> last day served.
RETIRED_MODELS: Final = {
    "openrouter/horizon-beta": date(2025, 8, 14),
    "openrouter/sonoma-sky-alpha": date(2025, 9, 19),
}
# Pairs given byte-identical series, so ties (broken by permaslug) really happen.
TWIN_MODELS: Final = {"qwen/qwen3-30b-a3b-04-28": "qwen/qwen3-235b-a22b-04-28"}

# Share of each model kind's traffic per rankings-daily category (before perturbation).
KIND_CATEGORY_SHARES: Final[dict[str, dict[str, float]]] = {
    "code": {
        "programming": 0.55, "technology": 0.12, "science": 0.04, "academia": 0.03,
        "roleplay": 0.01, "marketing": 0.04, "marketing/seo": 0.01, "translation": 0.03,
        "legal": 0.01, "finance": 0.03, "health": 0.02, "trivia": 0.02,
    },
    "rp": {
        "programming": 0.05, "technology": 0.04, "science": 0.02, "academia": 0.02,
        "roleplay": 0.6, "marketing": 0.03, "marketing/seo": 0.01, "translation": 0.04,
        "legal": 0.01, "finance": 0.01, "health": 0.02, "trivia": 0.05,
    },
    "general": {
        "programming": 0.2, "technology": 0.12, "science": 0.07, "academia": 0.06,
        "roleplay": 0.08, "marketing": 0.08, "marketing/seo": 0.03, "translation": 0.07,
        "legal": 0.03, "finance": 0.05, "health": 0.05, "trivia": 0.06,
    },
}  # fmt: skip
# Share of each kind's traffic per prompt-size bucket (before capping by context length).
KIND_CONTEXT_SHARES: Final[dict[str, tuple[float, ...]]] = {
    "code": (0.02, 0.13, 0.55, 0.28, 0.02),
    "rp": (0.08, 0.52, 0.37, 0.03, 0.0),
    "general": (0.25, 0.45, 0.25, 0.05, 0.0),
}

# --- /classifications/task -------------------------------------------------------------
# The SDK documents the window enum ("only 7d"), the four macro-categories and two tags
# (code:general_impl, agent:web_search); the other tags, the labels and the traffic mix per
# model kind are ours (*inferred*): the live list of tags is open.
CLASSIFICATION_WINDOWS: Final = {"7d": 7}
MACRO_CATEGORIES: Final = (
    ("code", "Code"),
    ("data", "Data"),
    ("agent", "Agent"),
    ("general", "General"),
)
TASK_TAGS: Final = (
    ("code:general_impl", "Code Generation"),
    ("code:debugging", "Debugging"),
    ("code:refactor", "Refactoring"),
    ("code:review", "Code Review"),
    ("code:testing", "Test Writing"),
    ("data:extraction", "Data Extraction"),
    ("data:analysis", "Data Analysis"),
    ("data:transformation", "Data Transformation"),
    ("agent:web_search", "Web Search"),
    ("agent:tool_use", "Tool Use"),
    ("agent:planning", "Planning"),
    ("agent:browser", "Browser Automation"),
    ("general:chat", "Conversation"),
    ("general:roleplay", "Roleplay"),
    ("general:creative_writing", "Creative Writing"),
    ("general:summarization", "Summarization"),
    ("general:translation", "Translation"),
    ("general:qa", "Question Answering"),
)
# Weight of each macro-category in a model kind's classified traffic, and the mean tokens of
# a request of each macro-category (coding and agent requests carry long contexts).
KIND_MACRO_WEIGHTS: Final[dict[str, dict[str, float]]] = {
    "code": {"code": 0.62, "data": 0.08, "agent": 0.2, "general": 0.1},
    "rp": {"code": 0.03, "data": 0.02, "agent": 0.03, "general": 0.92},
    "general": {"code": 0.22, "data": 0.14, "agent": 0.16, "general": 0.48},
}
MACRO_TOKENS_PER_REQUEST: Final = {"code": 24_000, "data": 6_000, "agent": 15_000, "general": 3_000}
TOP_MODELS_PER_TAG: Final = 10

# --- /benchmarks -----------------------------------------------------------------------
# Enumerations are the SDK's (open: new values may appear); citations other than Artificial
# Analysis's (the SDK's example) and every Design Arena category, search engine and
# task_type mapping are ours (*inferred*).
BENCHMARK_SOURCES: Final = ("artificial-analysis", "design-arena", "openrouter")
BENCHMARK_TASK_TYPES: Final = ("coding", "intelligence", "agentic", "search")
CLASSIC_BENCHMARKS: Final = ("gpqa_diamond", "tau_bench_verified_airline")
SEARCH_BENCHMARKS: Final = ("search_browsecomp", "search_hle", "search_dsqa", "search_widesearch")
BENCHMARK_TYPES: Final = CLASSIC_BENCHMARKS + SEARCH_BENCHMARKS
SEARCH_SURFACES: Final = ("server-tool", "plugin")
SEARCH_ENGINES: Final = ("exa", "native", "parallel")
ARENAS: Final = ("models", "builders", "agents")
ARENA_CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "models": ("website", "codecategories", "uicomponent", "gamedev", "3d", "dataviz", "svg"),
    "builders": ("website",),
    "agents": ("codecategories",),
}
# Design Arena entrants that are not OpenRouter models: their upstream id, no pricing.
ARENA_ENTRANTS: Final[dict[str, tuple[str, ...]]] = {
    "builders": ("lovable", "bolt", "v0", "replit-agent", "same-dev"),
    "agents": ("claude-code", "codex-cli", "gemini-cli", "cursor-agent", "devin"),
}
# Which items a task_type keeps: Artificial Analysis's index, OpenRouter's classic benchmark,
# Design Arena's categories.
TASK_TYPE_AA_INDEX: Final = {
    "coding": "coding_index",
    "intelligence": "intelligence_index",
    "agentic": "agentic_index",
}
TASK_TYPE_BENCHMARK: Final = {
    "intelligence": "gpqa_diamond",
    "agentic": "tau_bench_verified_airline",
}
TASK_TYPE_ARENA_CATEGORIES: Final = {
    "coding": ("codecategories", "uicomponent", "website", "gamedev"),
    "agentic": ("codecategories",),
}
BENCHMARK_CITATIONS: Final = {
    "artificial-analysis": (
        "Source: Artificial Analysis (artificialanalysis.ai) via OpenRouter "
        "(openrouter.ai/rankings).",
        "https://artificialanalysis.ai",
    ),
    "design-arena": (
        "Source: Design Arena (designarena.ai) via OpenRouter (openrouter.ai/rankings).",
        "https://www.designarena.ai",
    ),
    "openrouter": (
        "Source: OpenRouter (openrouter.ai/benchmarks).",
        "https://openrouter.ai/benchmarks",
    ),
}
# Tasks in one run of each OpenRouter benchmark (GPQA Diamond has 198 questions).
BENCHMARK_TASKS_PER_RUN: Final = {
    "gpqa_diamond": 198,
    "tau_bench_verified_airline": 50,
    "search_browsecomp": 200,
    "search_hle": 150,
    "search_dsqa": 100,
    "search_widesearch": 40,
}
# (low, high) of a plausible score on each OpenRouter benchmark, weakest to strongest model.
BENCHMARK_SCORE_RANGES: Final = {
    "gpqa_diamond": (0.3, 0.88),
    "tau_bench_verified_airline": (0.2, 0.72),
    "search_browsecomp": (0.05, 0.6),
    "search_hle": (0.05, 0.35),
    "search_dsqa": (0.3, 0.85),
    "search_widesearch": (0.1, 0.55),
}
