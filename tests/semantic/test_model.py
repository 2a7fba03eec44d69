"""Embedder: the reference vector of the model folder, batching, truncation, model identity,
and loading from a folder or from the Hugging Face cache without a network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.semantic.conftest import REPO, require_extra

require_extra()

import numpy as np  # noqa: E402

from bot.semantic.model import (  # noqa: E402
    Embedder,
    ModelUnavailable,
    read_config,
    resolve_model,
)

# From ../shared/models/all-MiniLM-L6-v2/SOURCE.md, checked there against sentence-transformers.
REFERENCE_TEXT = "This is an example sentence"
REFERENCE_START = [0.0677, 0.0635, 0.0487, 0.0793, 0.0374, 0.0027]


def words(n: int, seed: int) -> str:
    """n distinct-ish English words, reproducible."""
    vocab = (
        "river bank money loan city night train music paper storm garden doctor window "
        "market letter forest engine summer silver castle bridge planet winter school"
    ).split()
    rng = np.random.default_rng(seed)
    return " ".join(vocab[i] for i in rng.integers(0, len(vocab), n))


def model_copy(model_dir: Path, tmp_path: Path) -> Path:
    """A copy of the model folder whose configs a test may change (the weights linked)."""
    target = tmp_path / "model"
    shutil.copytree(model_dir, target, ignore=shutil.ignore_patterns("onnx"))
    (target / "onnx").mkdir()
    (target / "onnx" / "model.onnx").symlink_to(model_dir / "onnx" / "model.onnx")
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # the shared folder is read-only
    return target


def test_reference_vector(embedder: Embedder) -> None:
    vector = embedder.embed([REFERENCE_TEXT])
    assert vector.shape == (1, 384) and vector.dtype == np.float32
    assert np.allclose(vector[0, :6], REFERENCE_START, atol=5e-4)
    assert np.linalg.norm(vector[0]) == pytest.approx(1.0, abs=1e-5)


def test_batches_give_the_vectors_of_single_texts_in_the_order_given(model_dir: Path) -> None:
    # Small batch limits and chunks, so sorting by length and several batches are exercised.
    embedder = Embedder(model_dir, batch_size=2, batch_tokens=64, chunk_size=3)
    texts = [words(n, n) for n in (40, 3, 17, 1, 60, 8, 25)] + ["", "  padded  "]
    together = embedder.embed(texts)
    one_by_one = np.vstack([embedder.embed([t]) for t in texts])
    assert together.shape == (len(texts), embedder.dim)
    assert np.allclose(together, one_by_one, atol=1e-5)
    assert not np.allclose(together[0], together[1], atol=1e-3)


def test_no_texts(embedder: Embedder) -> None:
    assert embedder.embed([]).shape == (0, embedder.dim)


def test_meaning_is_closer_than_unrelated_text(embedder: Embedder) -> None:
    q, paraphrase, unrelated = embedder.embed(
        [
            "How do I reset my password?",
            "Steps to change a forgotten login password",
            "The recipe needs two cups of flour and an egg.",
        ]
    )
    assert q @ paraphrase > q @ unrelated + 0.2


def test_truncates_at_max_seq_length_not_at_the_tokenizer_files_128(embedder: Embedder) -> None:
    # The tokenizer file pads and truncates at 128; sentence-transformers reads 256.
    assert embedder.config.max_length == 256
    head = words(160, 1)  # about 160 tokens: past 128, short of 256
    beyond_128 = embedder.embed([head + " " + words(40, 2), head + " " + words(40, 3)])
    assert not np.allclose(beyond_128[0], beyond_128[1], atol=1e-4)
    head = words(300, 4)  # past 256: what follows is cut off
    beyond_256 = embedder.embed([head + " " + words(40, 2), head + " " + words(40, 3)])
    assert np.allclose(beyond_256[0], beyond_256[1], atol=1e-6)


def test_threads_share_one_embedder(embedder: Embedder) -> None:
    texts = [words(n, n) for n in range(5, 45, 5)]
    expected = embedder.embed(texts)
    results: dict[int, np.ndarray] = {}

    def run(i: int) -> None:
        results[i] = embedder.embed(texts)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.allclose(r, expected, atol=1e-5) for r in results.values())


def test_model_id_is_stable_and_follows_the_settings(
    embedder: Embedder, model_dir: Path, tmp_path: Path
) -> None:
    copy = model_copy(model_dir, tmp_path)
    same = Embedder(copy, threads=1)
    assert same.model_id == embedder.model_id  # content, not path or threads, decides

    config = json.loads((copy / "sentence_bert_config.json").read_text())
    (copy / "sentence_bert_config.json").write_text(json.dumps({**config, "max_seq_length": 128}))
    shorter = Embedder(copy)
    assert shorter.config.max_length == 128
    assert shorter.model_id != embedder.model_id
    long_text = words(200, 5)
    assert not np.allclose(shorter.embed([long_text]), embedder.embed([long_text]), atol=1e-4)


def test_pooling_follows_the_pooling_config(
    embedder: Embedder, model_dir: Path, tmp_path: Path
) -> None:
    copy = model_copy(model_dir, tmp_path)
    pooling = copy / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    config.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    pooling.write_text(json.dumps(config))
    cls = Embedder(copy)
    assert cls.config.pooling == "cls"
    assert cls.model_id != embedder.model_id
    text = [REFERENCE_TEXT]
    assert not np.allclose(cls.embed(text), embedder.embed(text), atol=1e-3)
    assert np.linalg.norm(cls.embed(text)[0]) == pytest.approx(1.0, abs=1e-5)

    config.update(pooling_mode_cls_token=True, pooling_mode_max_tokens=True)
    pooling.write_text(json.dumps(config))
    with pytest.raises(ModelUnavailable, match="pooling"):
        read_config(copy)


def test_defaults_where_sentence_transformers_configs_are_missing(
    model_dir: Path, tmp_path: Path
) -> None:
    copy = model_copy(model_dir, tmp_path)
    (copy / "sentence_bert_config.json").unlink()
    shutil.rmtree(copy / "1_Pooling")
    config = read_config(copy)
    # sentence-transformers: the smaller of the model's positions and the tokenizer's limit
    positions = json.loads((copy / "config.json").read_text())["max_position_embeddings"]
    limit = json.loads((copy / "tokenizer_config.json").read_text())["model_max_length"]
    assert config.max_length == min(positions, limit)
    assert config.pooling == "mean"


def test_a_folder_without_a_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(ModelUnavailable, match=r"onnx/model\.onnx"):
        Embedder(tmp_path)
    with pytest.raises(ModelUnavailable, match="no such folder"):
        resolve_model(str(tmp_path / "not-there"))


def test_a_hub_name_is_read_from_the_cache_without_a_network(
    embedder: Embedder, model_dir: Path, tmp_path: Path
) -> None:
    """Laid out as huggingface_hub caches a download: refs/main names a snapshot folder."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "cache" / "models--someone--minilm"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    shutil.copytree(model_copy(model_dir, tmp_path), repo / "snapshots" / commit, symlinks=True)
    folder = resolve_model("someone/minilm", cache_dir=tmp_path / "cache")
    assert folder == repo / "snapshots" / commit
    assert Embedder(folder).model_id == embedder.model_id


def test_a_hub_name_neither_cached_nor_reachable_says_so(tmp_path: Path) -> None:
    """In a fresh interpreter with the hub's offline switch on, so no test touches a network."""
    code = (
        "import sys; from pathlib import Path\n"
        "from bot.semantic.model import ModelUnavailable, resolve_model\n"
        "try:\n"
        "    resolve_model('someone/not-cached', cache_dir=Path(sys.argv[1]))\n"
        "except ModelUnavailable as exc:\n"
        "    print(exc)\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    assert "'someone/not-cached': not a folder, not in the Hugging Face cache" in out.stdout
