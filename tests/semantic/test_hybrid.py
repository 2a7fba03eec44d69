"""The semantic layer in the product (bot/semantic/hybrid.py through the real Library): a
question in other words finds its passage only with the layer on, with the sentence that
answers as its excerpt; a question about nothing in the documents still finds nothing; with the
layer off, answers are what they were; threads share one layer."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from tests.conftest import SEEDS, make_settings
from tests.semantic.conftest import prose, require_extra, semantic_settings, write_doc

require_extra()

from bot.answer import render_html, to_json  # noqa: E402
from bot.config import ConfigError  # noqa: E402
from bot.library import Library  # noqa: E402

pytestmark = pytest.mark.timeout(180)

QUESTIONS = SEEDS.parent / "benchmarks" / "seeds_eval.jsonl"

# Shares no word with the passage that answers it (nor, stemmed, with any other passage).
PARAPHRASE = "how can I get back in when I cannot remember my credentials"
ANSWERING = "Forgot your login password? Choose Send reset link on the sign-in page."
HANDBOOK = [
    (
        "New staff collect their laptop from IT on the first morning. "
        f"{ANSWERING} "
        "Reset links expire after one hour, so use them promptly."
    ),
    "Visitors park in the lower garage. Reception hands out day tickets for the windscreen.",
    "Trains and flights are booked through the travel desk at least two weeks ahead.",
]


def write_handbook(seeds: Path) -> None:
    write_doc(seeds, "handbook.txt", "Office handbook", HANDBOOK)
    for n in range(3):
        write_doc(
            seeds, f"filler_{n}.txt", f"Filler {n}", [prose(200 + 3 * n + p) for p in range(3)]
        )


def test_a_paraphrase_is_found_only_with_the_layer_on(tmp_path: Path, model_dir: Path) -> None:
    seeds = tmp_path / "seeds"
    write_handbook(seeds)
    extra = {"answers": {"excerpt_chars": 90}}
    off = Library(make_settings(tmp_path, **extra))
    off.reindex()
    assert not any(ANSWERING in r.text for r in off.ask(PARAPHRASE).results)
    off.close()

    on = Library(semantic_settings(tmp_path, model_dir, **extra))
    on.reindex()
    answer = on.ask(PARAPHRASE)
    assert answer.results, "nothing found with the layer on"
    first = answer.results[0]
    assert ANSWERING in first.text and first.marks == ()  # found by meaning, no word matched
    # Its excerpt is the sentence that answers, not the passage's first characters.
    assert "login password" in first.excerpt and "laptop" not in first.excerpt
    message = render_html(answer)
    assert "login password" in message and "Office handbook" in message
    # A question that shares the words is still answered by them, marks and all.
    worded = on.ask("login password reset").results[0]
    assert ANSWERING in worded.text and worded.marks
    on.close()


ONE_PROCESS = {"index": {"processes": 1}}  # the same segments in every build: ties break alike


def shipped(root: Path, model: Path | None) -> Path:
    """The shipped seeds under `root`, indexed (with vectors when `model` is given)."""
    shutil.copytree(SEEDS, root / "seeds")
    builder = Library(semantic_settings(root, model, **ONE_PROCESS))
    builder.reindex()
    builder.close()
    return root


@pytest.fixture(scope="module")
def layered(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Path:
    """The shipped seeds indexed once with the layer on, for tests that only read."""
    return shipped(tmp_path_factory.mktemp("layered"), model_dir)


@pytest.mark.parametrize(
    "question", ["what is the capital of Mongolia", "how do I knit a scarf for winter"]
)
def test_a_question_about_nothing_in_the_documents_finds_nothing(
    layered: Path, model_dir: Path, question: str
) -> None:
    library = Library(semantic_settings(layered, model_dir))
    answer = library.ask(question)
    assert answer.results == () and answer.total == 0
    assert "Nothing found" in render_html(answer)
    library.close()
    # With a threshold of -1 every nearest neighbour is an answer: the rule kept them out.
    lax = Library(make_settings(layered, semantic={"model": str(model_dir), "threshold": -1}))
    assert lax.ask(question).results
    lax.close()


def test_with_the_layer_off_answers_are_what_they_were(tmp_path: Path, layered: Path) -> None:
    """An index whose vectors were built answers a Library without the layer exactly as an
    index that never had any: same hits, scores, excerpts and suggestions."""
    plain = shipped(tmp_path, None)
    assert (layered / "index" / "vectors").is_dir() and not (plain / "index" / "vectors").exists()
    questions = [
        json.loads(line)["question"]
        for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    questions += ["what is the capital of Mongolia", '"Islamic State"', "smuglers idlib"]
    a, b = Library(make_settings(plain)), Library(make_settings(layered))
    for question in questions:
        assert to_json(a.ask(question)) == to_json(b.ask(question)), question
    a.close()
    b.close()


def test_threads_share_one_layer(tmp_path: Path, model_dir: Path) -> None:
    seeds = tmp_path / "seeds"
    write_handbook(seeds)
    library = Library(semantic_settings(tmp_path, model_dir))
    library.reindex()
    questions = [PARAPHRASE, "where do visitors leave the car", "booking a flight", "laptop"]
    expected = {q: to_json(library.ask(q)) for q in questions}
    failures: list[str] = []

    def ask() -> None:
        for _ in range(5):
            for q in questions:
                if to_json(library.ask(q)) != expected[q]:
                    failures.append(q)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    library.close()


def test_a_model_that_cannot_be_loaded_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "seeds").mkdir()
    settings = make_settings(tmp_path, semantic={"model": "./no-such-model"})
    assert settings.semantic.model == str(tmp_path / "no-such-model")
    with pytest.raises(ConfigError, match=r"^semantic\.model: .*no-such-model"):
        Library(settings)
