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
