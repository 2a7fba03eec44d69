"""The model folder the semantic tests load, and skips that say why when it cannot be."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.semantic import missing_modules

REPO = Path(__file__).resolve().parents[2]
MODEL_ENV = "DOCBOT_TEST_MODEL"
MODEL_DIR = Path(
    os.environ.get(MODEL_ENV) or REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2"
)


def require_extra() -> None:
    """Skip the calling module when the `semantic` extra is not installed."""
    missing = missing_modules()
    if missing:
        pytest.skip(
            f"the semantic extra is not installed (missing {', '.join(missing)}); "
            'pip install -e ".[semantic]"',
            allow_module_level=True,
        )


@pytest.fixture(scope="session")
def model_dir() -> Path:
    require_extra()
    if not (MODEL_DIR / "onnx" / "model.onnx").is_file():
        pytest.skip(f"no model folder at {MODEL_DIR} (set {MODEL_ENV} to one)")
    return MODEL_DIR


@pytest.fixture(scope="session")
def embedder(model_dir: Path):
    from bot.semantic.model import Embedder

    return Embedder(model_dir)


def semantic_settings(tmp: Path, model: Path | None, seeds: Path | None = None, **extra: object):
    """Settings for a seeds folder and index under `tmp`, with the layer on for `model`."""
    from tests.conftest import make_settings

    semantic = {"model": str(model)} if model is not None else {}
    return make_settings(tmp, seeds, semantic=semantic, **extra)


WORDS = (
    "river harbour market engine signal winter garden letter ladder copper meadow lantern "
    "orchard tunnel bridge shadow pepper canvas marble saddle thunder velvet island compass "
    "blanket cellar feather kettle mirror needle parcel quarry ribbon timber wagon basket"
).split()


def prose(seed: int, sentences: int = 4, words: int = 12) -> str:
    """Sentences of words from WORDS, different for every seed, the same on every run."""
    import random

    rng = random.Random(seed)
    out = []
    for _ in range(sentences):
        chosen = [rng.choice(WORDS) for _ in range(words)]
        out.append(" ".join(chosen).capitalize() + ".")
    return " ".join(out)


def write_doc(seeds: Path, name: str, title: str, paragraphs: list[str]) -> None:
    seeds.mkdir(parents=True, exist_ok=True)
    (seeds / name).write_text(f"{title}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
