"""The semantic layer as the Library uses it: one object per Library that holds the model and
the vectors, ranks a question's passages by BM25 and meaning together, and keeps the vectors
in step with the index.

Search: the question is embedded (a few ms), the store's 100 nearest passages by cosine are
fused with BM25's 100 best (bot/semantic/fusion.py: a convex combination of min-max
normalised scores over the union), and a passage that only the cosine side found is kept only
when its cosine reaches the threshold, so a question about nothing in the documents still finds
nothing. Answers: a passage found by meaning alone has no matched words to pick its excerpt by,
so its sentences are ranked by their cosine to the question (`relate`).

Thread-safe: an ONNX Runtime session may run from many threads, the vectors are a read-only
memory map, and the key map is built once per index generation under a lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from whoosh.searching import Searcher

from bot.config import ConfigError, Settings
from bot.semantic.follow import EmbeddingProgress, Followed, follow
from bot.semantic.fusion import hybrid
from bot.semantic.model import Embedder, ModelUnavailable
from bot.semantic.passages import PassageKeys
from bot.semantic.store import VectorStore

__all__ = ["DEPTH", "VECTORS_DIR", "SemanticLayer"]

DEPTH = 100  # passages taken from each side before fusing (what was measured)
VECTORS_DIR = "vectors"  # under index_dir
QUESTION_CACHE = 256  # question vectors kept: the excerpt step asks again for the same one

Ranked = list[tuple[int, float]]  # (docnum, score), best first
Relate = Callable[[Sequence[str]], list[float]]


class SemanticLayer:
    """The model, the vectors beside one index, and the fusion settings."""

    depth = DEPTH

    def __init__(
        self, embedder: Embedder, index_dir: Path, weight: float, threshold: float
    ) -> None:
        self.embedder = embedder
        self.index_dir = index_dir
        self.weight = weight
        self.threshold = threshold
        self.store = VectorStore.open(index_dir / VECTORS_DIR, embedder.model_id, embedder.dim)
        self._keys = PassageKeys()
        self._questions: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings) -> SemanticLayer:
        """The layer for the configured model; a model that cannot be loaded is a
        configuration error (one line, exit 2 on the command line)."""
        semantic = settings.semantic
        assert semantic.model is not None
        try:
            # One thread per run: questions from many threads each get a core without waiting
            # for each other's thread pools (measured p95 3.9 ms against 6.5 ms with two on a
            # busy machine); a build embeds on every core by running slices side by side.
            embedder = Embedder.load(semantic.model, threads=1)
        except ModelUnavailable as exc:
            raise ConfigError(f"semantic.model: {exc}") from None
        return cls(embedder, settings.index_dir, semantic.weight, semantic.threshold)

    # --- the index side ---

    def follow(self, progress: EmbeddingProgress | None = None, wait: float = 0.0) -> Followed:
        """Embed the passages the index has and the vectors lack (after each index commit)."""
        return follow(self.index_dir, self.embedder, self.store, progress, wait)

    # --- the search side ---

    def fuse(self, searcher: Searcher, question: str, lexical: Ranked) -> Ranked:
        """BM25's best passages (docnum, score) fused with the nearest ones by meaning. With no
        vectors yet (a model never built for), BM25's ranking as it is."""
        vectors = self.store.load()
        if not len(vectors):
            return lexical
        keys = self._keys.get(searcher)
        semantic: Ranked = []
        for key, cosine in vectors.nearest(self.question_vector(question), DEPTH):
            # A vector whose passage is gone (committed before the store caught up) has no
            # docnums and is never shown; a text in several passages has one vector.
            semantic.extend((doc, cosine) for doc in keys.get(key, ()))
        return hybrid(lexical, semantic[:DEPTH], self.weight, self.threshold)

    def question_vector(self, question: str) -> np.ndarray:
        """The question's vector, remembered for the excerpt step that follows."""
        with self._lock:
            vector = self._questions.get(question)
            if vector is not None:
                self._questions.move_to_end(question)
                return vector
        vector = self.embedder.embed([question])[0]
        vector.setflags(write=False)
        with self._lock:
            self._questions[question] = vector
            if len(self._questions) > QUESTION_CACHE:
                self._questions.popitem(last=False)
        return vector

    def relate(self, question: str) -> Relate:
        """Sentences -> their cosine to the question, for excerpts of passages found by
        meaning alone (bot/answer.py)."""

        def scores(sentences: Sequence[str]) -> list[float]:
            if not sentences:
                return []
            return (self.embedder.embed(list(sentences)) @ self.question_vector(question)).tolist()

        return scores
