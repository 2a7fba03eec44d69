"""Sentence embeddings from an ONNX model folder, computed as sentence-transformers does.

A sentence-transformers repository on the Hugging Face hub ships `onnx/model.onnx` beside
`tokenizer.json` and the module configs (`sentence_bert_config.json`, `1_Pooling/config.json`).
Reading that layout directly gives the same vectors as sentence-transformers without torch.
Two details matter for equality (see ../shared/models/all-MiniLM-L6-v2/SOURCE.md): the
tokenizer file carries its own fixed padding and truncation, which sentence-transformers does
not use (it truncates at `max_seq_length` and pads per batch), and pooling follows the pooling
module's config.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

__all__ = ["Embedder", "ModelConfig", "ModelUnavailable", "default_threads", "resolve_model"]

POOLING_MODES = ("mean", "cls", "max", "mean_sqrt_len", "lasttoken")
# What a model folder needs, as hub patterns: the model (and its external weights for models
# over 2 GB), the tokenizer and sentence-transformers' module configs.
HUB_FILES = (
    "onnx/model.onnx",
    "onnx/model.onnx_data",
    "tokenizer.json",
    "tokenizer_config.json",
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "*Pooling/config.json",
)
_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
ID_VERSION = "docbot-embedder-1"  # bump when the embedding computation itself changes
Progress = Callable[[int, int], None]  # (texts done, texts in all)


class ModelUnavailable(RuntimeError):
    """The configured model is neither a usable folder nor fetchable from the hub."""


@dataclass(frozen=True)
class ModelConfig:
    """How a model folder turns text into a vector; part of `Embedder.model_id`."""

    max_length: int  # tokens, special tokens included
    pooling: str  # one of POOLING_MODES
    lower_case: bool  # sentence-transformers' do_lower_case: lower the text before tokenising


def default_threads() -> int:
    """The cores this process may run on (not the machine's count when pinned to fewer)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def resolve_model(name: str, cache_dir: Path | None = None) -> Path:
    """A model folder for a folder path or a Hugging Face hub name.

    An existing folder is used as it is. A hub name is looked up in the local Hugging Face
    cache first, so a bot that fetched its model once starts without a network; only when
    it is not there is it downloaded (only the files listed in HUB_FILES).
    """
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    if not _HUB_NAME.match(name):
        raise ModelUnavailable(f"model {name!r}: no such folder")
    from huggingface_hub import snapshot_download

    def fetch(offline: bool) -> Path:
        folder = snapshot_download(
            name, local_files_only=offline, allow_patterns=list(HUB_FILES), cache_dir=cache_dir
        )
        return Path(folder)

    try:
        return fetch(offline=True)
    except Exception:  # not cached (the exception type varies across hub versions)
        pass
    try:
        return fetch(offline=False)
    except Exception as exc:
        raise ModelUnavailable(
            f"model {name!r}: not a folder, not in the Hugging Face cache, and could not be "
            f"fetched from the hub ({type(exc).__name__}: {exc})"
        ) from exc


def read_config(folder: Path) -> ModelConfig:
    """Tokeniser length and pooling from the sentence-transformers module configs, with
    sentence-transformers' own defaults where a file is missing."""
    sbert = _json(folder / "sentence_bert_config.json") or {}
    max_length = sbert.get("max_seq_length")
    if max_length is None:  # sentence-transformers: the smaller of model and tokenizer limits
        limits = [
            (_json(folder / "config.json") or {}).get("max_position_embeddings"),
            (_json(folder / "tokenizer_config.json") or {}).get("model_max_length"),
        ]
        max_length = min((int(v) for v in limits if isinstance(v, int | float)), default=512)
    pooling = _pooling_mode(_json(folder / _pooling_path(folder) / "config.json"))
    return ModelConfig(int(max_length), pooling, bool(sbert.get("do_lower_case", False)))


def _pooling_path(folder: Path) -> str:
    for module in _json(folder / "modules.json") or []:
        if str(module.get("type", "")).endswith("Pooling"):
            return str(module.get("path") or "1_Pooling")
    return "1_Pooling"


# sentence-transformers' pooling config keys -> our mode names
_POOLING_KEYS = {
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}


def _pooling_mode(config: dict[str, Any] | None) -> str:
    if not config:
        return "mean"  # sentence-transformers' default for a bare transformer
    modes = [mode for key, mode in _POOLING_KEYS.items() if config.get(key)]
    if len(modes) != 1 or modes[0] not in POOLING_MODES:
        raise ModelUnavailable(
            f"unsupported pooling {modes or config!r}; supported: one of {POOLING_MODES}"
        )
    return modes[0]


def _json(path: Path) -> Any:
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _model_file(folder: Path) -> Path:
    for candidate in (folder / "onnx" / "model.onnx", folder / "model.onnx"):
        if candidate.is_file():
            return candidate
    raise ModelUnavailable(f"model folder {folder}: no onnx/model.onnx")


class Embedder:
    """Texts -> L2-normalised float32 vectors (cosine similarity is a dot product).

    Thread-safe: ONNX Runtime sessions may run from several threads, and the tokenizer is
    only read after construction.
    """

    def __init__(
        self,
        folder: Path,
        threads: int | None = None,
        batch_size: int = 64,
        batch_tokens: int = 2048,
        chunk_size: int = 1024,
    ) -> None:
        self.folder = Path(folder)
        # A batch holds at most batch_size texts and batch_tokens padded tokens: ONNX Runtime
        # keeps its peak working memory, which grows with the batch (measured on 256-token
        # passages: 32 a batch 680 MB, 8 a batch 320 MB, at the same speed).
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.chunk_size = chunk_size  # texts tokenised and sorted together
        self._onnx = _model_file(self.folder)
        tokenizer_file = self.folder / "tokenizer.json"
        if not tokenizer_file.is_file():
            raise ModelUnavailable(f"model folder {self.folder}: no tokenizer.json")
        self.config = read_config(self.folder)
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        padding = self._tokenizer.padding
        self._pad_id = int(padding["pad_id"]) if padding else 0
        # The file's own padding and truncation (128 for all-MiniLM-L6-v2) are not what
        # sentence-transformers uses: pad per batch here, truncate at max_seq_length.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.config.max_length)

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or default_threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # exported models warn about unused initialisers
        # Idle worker threads spin by default: measured +2.6 ms of CPU per question for
        # 0.3 ms less latency, and no gain on batches. CPU is what a 2-core bot runs out of.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(self._onnx), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        outputs = {o.name: o for o in self._session.get_outputs()}
        name = next((n for n in ("last_hidden_state", "token_embeddings") if n in outputs), None)
        self._output = name or next(iter(outputs))
        shape = outputs[self._output].shape
        self._pooled = len(shape) == 2  # the model pools itself (a "sentence_embedding" output)
        if isinstance(shape[-1], int):
            self.dim = shape[-1]
        else:  # an export without a fixed width: ask the model
            self.dim = int(self._run(self._tokenizer.encode_batch(["x"])).shape[1])

    @classmethod
    def load(cls, name: str, threads: int | None = None, cache_dir: Path | None = None) -> Embedder:
        """An embedder for a folder or a Hugging Face hub name (see `resolve_model`)."""
        return cls(resolve_model(name, cache_dir), threads=threads)

    @cached_property
    def model_id(self) -> str:
        """Changes whenever the vectors could: the model's bytes, the tokenizer, the settings.
        Content only (not the path), so the same model from a folder or the cache matches."""
        digest = hashlib.sha256(ID_VERSION.encode())
        files = [self._onnx, self._onnx.with_name(self._onnx.name + "_data")]
        for path in [*files, self.folder / "tokenizer.json"]:
            if path.is_file():
                digest.update(path.name.encode() + b"\0" + _file_digest(path))
        settings = {**asdict(self.config), "output": self._output, "dim": self.dim}
        digest.update(json.dumps(settings, sort_keys=True).encode())
        return digest.hexdigest()[:32]

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """One row per text, in the order given. Texts are sorted by length within chunks so
        that a batch pads to similar lengths (padding is wasted work)."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.chunk_size):
            chunk = [self._prepare(t) for t in texts[start : start + self.chunk_size]]
            encodings = self._tokenizer.encode_batch(chunk)
            order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
            for rows in self._batches(order, [len(e.ids) for e in encodings]):
                out[[start + r for r in rows]] = self._run([encodings[r] for r in rows])
            if progress is not None:
                progress(start + len(chunk), len(texts))
        return out

    def _batches(self, order: list[int], lengths: list[int]) -> Iterator[list[int]]:
        """Consecutive runs of `order` (shortest first) within both batch limits."""
        batch: list[int] = []
        for i in order:  # lengths only grow, so the newest text sets the padded length
            if batch and (
                len(batch) == self.batch_size or (len(batch) + 1) * lengths[i] > self.batch_tokens
            ):
                yield batch
                batch = []
            batch.append(i)
        if batch:
            yield batch

    def _prepare(self, text: str) -> str:
        text = str(text).strip()  # as sentence-transformers does
        return text.lower() if self.config.lower_case else text

    def _run(self, batch: Sequence[Encoding]) -> np.ndarray:
        length = max(len(e.ids) for e in batch)
        ids = np.full((len(batch), length), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.int64)
        types = np.zeros((len(batch), length), dtype=np.int64)
        for row, e in enumerate(batch):
            n = len(e.ids)
            ids[row, :n], mask[row, :n], types[row, :n] = e.ids, e.attention_mask, e.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:  # BERT-like models take them, XLM-R ones do not
            feeds["token_type_ids"] = types
        (hidden,) = self._session.run([self._output], feeds)
        pooled = hidden if self._pooled else pool(hidden, mask, self.config.pooling)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Token vectors [batch, seq, dim] -> one vector per text, over real tokens only."""
    weights = mask[:, :, None].astype(hidden.dtype)
    lengths = np.maximum(weights.sum(axis=1), 1e-9)
    if mode == "mean":
        return (hidden * weights).sum(axis=1) / lengths
    if mode == "mean_sqrt_len":
        return (hidden * weights).sum(axis=1) / np.sqrt(lengths)
    if mode == "cls":
        return hidden[:, 0]
    if mode == "max":
        return np.where(weights > 0, hidden, -1e9).max(axis=1)
    if mode == "lasttoken":  # padding is on the right
        last = mask.sum(axis=1).astype(np.int64) - 1
        return hidden[np.arange(len(hidden)), np.maximum(last, 0)]
    raise ValueError(f"unknown pooling mode {mode!r}")


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.digest()
