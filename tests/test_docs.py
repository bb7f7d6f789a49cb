"""The documentation holds together: a README for users that fits, and every relative link
and anchor in README.md, CHANGELOG.md and docs/ leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from exporter.statuspage.html import DASHBOARDS

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MAX_README_LINES = 600
FIRST_SCREEN = 40

LINK = re.compile(r"(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~)")


def documents() -> list[Path]:
    return [README, ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]


def prose(text: str) -> str:
    """The text outside fenced code blocks, and outside inline code spans."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            out.append(re.sub(r"`[^`]*`", "", line))
    return "\n".join(out)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation other than '-' and '_'
    dropped, each space a '-'."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for line in prose_keep_code(path.read_text(encoding="utf-8")).splitlines():
        m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def prose_keep_code(text: str) -> str:
    """Lines outside fenced code blocks (headings keep their inline code)."""
    out, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            out.append(line)
    return "\n".join(out)


def links(path: Path) -> list[str]:
    return LINK.findall(prose(path.read_text(encoding="utf-8")))


def test_slug_follows_github() -> None:
    assert slug("TLS and basic auth (`--web.config.file`)") == "tls-and-basic-auth---webconfigfile"
    assert slug("Soak: a week in a minute") == "soak-a-week-in-a-minute"
    assert slug("Quick start: `docker compose up`") == "quick-start-docker-compose-up"


def test_readme_is_at_most_600_lines() -> None:
    n = len(README.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_README_LINES, f"README.md has {n} lines; move detail to docs/"


def test_readme_first_screen_has_the_two_set_up_commands() -> None:
    first = "\n".join(README.read_text(encoding="utf-8").splitlines()[:FIRST_SCREEN])
    assert "make run" in first
    assert "make test" in first


@pytest.mark.parametrize("doc", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_and_anchors_resolve(doc: Path) -> None:
    assert doc.exists(), doc
    broken = []
    for target in links(doc):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (doc.parent / file_part).resolve() if file_part else doc
        if not dest.exists():
            broken.append(f"{target}: no such file")
            continue
        if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading with that anchor in {dest.name}")
    assert not broken, f"{doc.relative_to(ROOT)}: " + "; ".join(broken)


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {
        (README.parent / t.partition("#")[0]).resolve()
        for t in links(README)
        if not re.match(r"^[a-z]+:", t)
    }
    missing = [str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md") if p not in linked]
    assert not missing, f"not in the README's Documentation list: {missing}"


def test_the_status_page_points_at_a_readme_section() -> None:
    file_part, _, anchor = DASHBOARDS.partition("#")
    assert file_part == "README.md"
    assert anchor in anchors(README), DASHBOARDS
