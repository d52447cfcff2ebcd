"""The docs stay true to the tree: every link, anchor and file path they name exists.

Five helpers wrote the docs in parallel; a renamed test or module, or a heading reworded,
would otherwise leave a page pointing at nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
LINK = re.compile(r"\]\(([^)\s]+)\)")
PATH = re.compile(r"(?<![\w./-])((?:src|tests|specs|bench|docs|schema)/[\w./*-]*[\w*])")
HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.M)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {slug(h) for h in HEADING.findall(text)}


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_links_and_anchors_exist(page):
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        assert path.exists(), f"{page.name}: {target} does not exist"
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), f"{page.name}: no heading #{anchor} in {path.name}"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_no_link_leaves_the_repository(page):
    """A clone holds nothing beside the repository: a link out of it points at nothing."""
    outside = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        file = target.partition("#")[0]
        path = (page.parent / file).resolve() if file else page
        if ROOT not in path.parents and path != ROOT:
            outside.append(target)
    assert outside == [], f"{page.name} links outside the repository"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_no_page_sends_the_reader_to_files_a_clone_lacks(page):
    """The contract is docs/spec.md: the design notes it was written from are not shipped."""
    named = re.findall(r"\b(?:SPEC|DESIGN)\.md\b|\breference/[\w/-]+\.\w+|\.\./shared\b",
                       page.read_text())
    assert named == [], f"{page.name} names files outside the repository"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_named_files_exist(page):
    missing = []
    for name in PATH.findall(page.read_text()):
        if any(ch in name for ch in "*<{"):
            continue
        if not (ROOT / name).exists():
            missing.append(name)
    assert missing == [], f"{page.name} names files that do not exist"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_named_test_modules_exist(page):
    """`test_loader.py` written without its folder still names a file of tests/."""
    have = {p.name for p in (ROOT / "tests").rglob("*.py")}
    named = set(re.findall(r"\b(test_\w+\.py|\w+_harness\.py|shape\.py)\b", page.read_text()))
    assert named - have == set(), f"{page.name} names test modules that do not exist"


def test_architecture_lists_every_member_of_the_type_contract():
    from awsprov.resources.base import ResourceType

    page = (ROOT / "docs" / "architecture.md").read_text()
    members = {name for name in vars(ResourceType) if not name.startswith("_")}
    members |= set(ResourceType.__annotations__)
    missing = sorted(m for m in members if f"`{m}" not in page)
    assert missing == [], "docs/architecture.md's contract table lacks these"
