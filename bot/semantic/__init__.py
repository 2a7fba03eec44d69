"""The optional semantic layer: sentence embeddings (ONNX Runtime), their store beside the
Whoosh index, and the fusion of cosine similarity with BM25.

Everything here needs the `semantic` extra (`pip install -e ".[semantic]"`): onnxruntime,
tokenizers, numpy, huggingface_hub. Nothing outside this package imports it unless semantic
search is configured, so the default install neither needs nor loads any of them.
`available()` tells whether the extra is installed without importing it.
"""

from __future__ import annotations

import importlib.util

EXTRA_MODULES = ("numpy", "onnxruntime", "tokenizers", "huggingface_hub")


def missing_modules() -> list[str]:
    """The extra's modules that cannot be imported here (empty when the extra is installed)."""
    return [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]


def available() -> bool:
    return not missing_modules()
