"""The Markdown reader on a file written here with every construct a team's notes use."""

from __future__ import annotations

import pytest

from bot.readers import read as read_file
from bot.readers.base import Article, Block, Limits, Unreadable
from bot.readers.markdown import read

NOTE = """\
---
title: Package management on the build hosts
authors:
  - name: Ana Pérez
  - Bob Stone
date: 2024-05-01
tags: [apt, ops]
---
Intro with **bold**, _emphasis_, a [link text](https://example.org), `inline code`
and an ![architecture diagram](arch.png).

APT
===

Sources
-------

Before upgrading:

3. Refresh the lists
   - check the mirror
     1. first sub-step
     2. second sub-step
4. Upgrade

* plain bullet

| Host | Role |
|------|------|
| a1   | build |
| a2   | cache |

Run this:

```sh
apt-get update{TRAILING}
apt-get -y upgrade
```

    indented code line

> Quoted advice
> on two lines.

<div class="note"><p>Raw <b>HTML</b> note.</p></div>

## Comments

Comments in sources.list start with a hash.

## Support hours

Monday to Friday, 9 to 17.
""".replace("{TRAILING}", "   ")  # trailing spaces: stripped from code


def blocks_of(text: str) -> tuple[Article, list[Block]]:
    [article] = read(text.encode(), Limits())
    return article, list(article.blocks)


def test_front_matter_is_metadata_not_text() -> None:
    article, blocks = blocks_of(NOTE)
    assert article.title == "Package management on the build hosts"
    assert article.byline == "Ana Pérez, Bob Stone"
    assert article.date == "2024-05-01"
    assert not any("tags" in b.text or "---" in b.text for b in blocks)


def test_every_block_in_order() -> None:
    _, blocks = blocks_of(NOTE)
    assert [(b.kind, b.text, b.level) for b in blocks] == [
        (
            "paragraph",
            "Intro with bold, emphasis, a link text, inline code and an architecture diagram.",
            0,
        ),
        ("heading", "APT", 1),  # the front matter's title is the title; this stays a heading
        ("heading", "Sources", 2),
        ("paragraph", "Before upgrading:", 0),
        ("item", "3. Refresh the lists", 1),
        ("item", "check the mirror", 2),
        ("item", "1. first sub-step", 3),
        ("item", "2. second sub-step", 3),
        ("item", "4. Upgrade", 1),
        ("item", "plain bullet", 1),
        ("row", "Host | Role", 0),
        ("row", "a1 | build", 0),
        ("row", "a2 | cache", 0),
        ("paragraph", "Run this:", 0),
        ("code", "apt-get update\napt-get -y upgrade", 0),
        ("code", "indented code line", 0),
        ("paragraph", "Quoted advice on two lines.", 0),
        ("paragraph", "Raw HTML note.", 0),
        ("heading", "Comments", 2),
        ("paragraph", "Comments in sources.list start with a hash.", 0),
        ("heading", "Support hours", 2),
        ("paragraph", "Monday to Friday, 9 to 17.", 0),
    ]


@pytest.mark.parametrize("title_line", ["APT\n===", "# APT", "# APT #"])
def test_first_level_one_heading_is_the_title_without_front_matter(title_line: str) -> None:
    article, blocks = blocks_of(f"{title_line}\n\nInstall with apt.\n\n## Usage\n\nRun it.\n")
    assert article.title == "APT"
    assert [b.text for b in blocks] == ["Install with apt.", "Usage", "Run it."]


def test_front_matter_title_equal_to_heading_is_not_repeated() -> None:
    article, blocks = blocks_of("---\ntitle: Deploy\n---\n# Deploy\n\nSteps follow.\n")
    assert article.title == "Deploy"
    assert [b.text for b in blocks] == ["Steps follow."]


def test_no_title_anywhere() -> None:
    article, blocks = blocks_of("Just a note: buy milk.\n\n## Later\n\nMore.\n")
    assert article.title is None
    assert blocks[0] == Block("paragraph", "Just a note: buy milk.")


def test_broken_front_matter_is_ignored_not_fatal() -> None:
    article, blocks = blocks_of("---\ntitle: [unclosed\n---\n# Real title\n\nBody.\n")
    assert article.title == "Real title"
    assert [b.text for b in blocks] == ["Body."]


def test_loose_list_item_with_several_paragraphs() -> None:
    _, blocks = blocks_of("1. First step\n\n   More about it.\n\n2. Second step\n")
    assert [(b.kind, b.text) for b in blocks] == [
        ("item", "1. First step"),
        ("paragraph", "More about it."),
        ("item", "2. Second step"),
    ]


def test_legacy_encoding() -> None:
    [article] = read("# Café\n\nRésumé des étapes à suivre.\n".encode("cp1252"), Limits())
    assert article.title == "Café"
    assert [b.text for b in article.blocks] == ["Résumé des étapes à suivre."]


def test_deep_nesting_is_refused_not_read_short() -> None:
    with pytest.raises(Unreadable, match="nested"):
        read((">" * 100_000 + " deep\n").encode(), Limits())
    nested = "".join("  " * i + "- level\n" for i in range(40))
    assert len(read(nested.encode(), Limits())[0].blocks) == 40


def test_registry_reads_md_files() -> None:
    assert read_file(NOTE.encode(), "notes/apt.md") == read(NOTE.encode(), Limits())


def test_code_nested_in_a_list_item_loses_only_the_shared_indent() -> None:
    text = "- Set strict mode:\n\n          set -eu\n            trap cleanup EXIT\n"
    _, blocks = blocks_of(text)
    assert blocks == [
        Block("item", "Set strict mode:", level=1),
        Block("code", "set -eu\n  trap cleanup EXIT"),
    ]
