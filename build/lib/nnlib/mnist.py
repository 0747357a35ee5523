"""MNIST: download the four IDX files once, verify them, cache them, read them with numpy.

::

    X_train, y_train, X_test, y_test = load_mnist()   # (60000, 784) floats in [0, 1], labels

Files go to ``$NNLIB_DATA/mnist`` (default ``~/.cache/nnlib/mnist``). Each download is checked
against its published SHA-256 and written atomically (to a temporary file, then renamed), so an
interrupted download never leaves a broken file in the cache. Without network the loader stops
with a message that says where to put the files by hand.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

MIRRORS = ("https://storage.googleapis.com/cvdf-datasets/mnist/",
           "https://ossci-datasets.s3.amazonaws.com/mnist/")

#: file name → SHA-256 of the published gzip file
FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

# IDX type codes (third byte of the magic number) → numpy dtype (big-endian)
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class DatasetUnavailable(RuntimeError):
    """The data set is not in the cache and could not be downloaded."""


def default_cache_dir() -> Path:
    """``$NNLIB_DATA/mnist``, or ``~/.cache/nnlib/mnist``."""
    root = os.environ.get("NNLIB_DATA") or Path.home() / ".cache" / "nnlib"
    return Path(root) / "mnist"


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_idx(path) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into an array of the shape its header gives.

    Header: two zero bytes, a type code, the number of dimensions ``d``, then ``d`` big-endian
    32-bit sizes; then the data.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise ValueError(f"{path} could not be read as an IDX file: {e}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {data[:4].hex()})")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: the IDX header is cut short")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(f"{path}: header says shape {shape} ({expected} bytes of data) but the "
                         f"file holds {len(data) - header} bytes")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def download(url: str, dest, expected_sha256: str | None = None, timeout: float = 30.0) -> Path:
    """Download ``url`` to ``dest`` atomically, checking its SHA-256 if given.

    The bytes go to a temporary file in the same folder and are renamed into place only after
    the checksum matches, so ``dest`` is either absent or complete.
    """
    import urllib.request  # imported here: it pulls in http and ssl, slow for `import nnlib`

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            for chunk in iter(lambda: resp.read(1 << 16), b""):
                out.write(chunk)
                h.update(chunk)
        if expected_sha256 is not None and h.hexdigest() != expected_sha256:
            raise ValueError(f"checksum mismatch for {url}: expected SHA-256 {expected_sha256}, "
                             f"got {h.hexdigest()}. The download is corrupt or the file changed.")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return dest


def fetch(cache_dir=None, mirrors=MIRRORS, files=FILES, download_missing: bool = True) -> Path:
    """Make sure every file of ``files`` is in ``cache_dir`` with the right checksum; return it.

    Cached files are checked too: a corrupt file is downloaded again.
    """
    import urllib.error

    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    for name, digest in files.items():
        path = cache / name
        if path.exists() and sha256(path) == digest:
            continue
        if not download_missing:
            raise DatasetUnavailable(_manual_help(cache, files, f"{name} is missing or corrupt"))
        errors = []
        for mirror in mirrors:
            try:
                download(mirror + name, path, digest)
                break
            except (urllib.error.URLError, OSError, ValueError) as e:
                errors.append(f"{mirror}: {getattr(e, 'reason', e)}")
        else:
            raise DatasetUnavailable(_manual_help(
                cache, files, f"could not download {name} (no network?)\n  " + "\n  ".join(errors)))
    return cache


def _manual_help(cache: Path, files, reason: str) -> str:
    names = "\n".join(f"  {n}  (sha256 {d[:12]}…)" for n, d in files.items())
    return (f"MNIST is not available: {reason}.\nTo use it offline, put these files into "
            f"{cache}:\n{names}\nor set NNLIB_DATA to a folder that has an 'mnist' folder with them.")


def load_mnist(cache_dir=None, *, download: bool = True, mirrors=MIRRORS, files=FILES,
               flatten: bool = True, dtype=np.float64):
    """Load MNIST as ``X_train, y_train, X_test, y_test``.

    Images are scaled to [0, 1] and, with ``flatten=True``, turned into rows of 784 numbers;
    labels are integers 0..9. Raises ``DatasetUnavailable`` (with instructions) when the files
    are not cached and cannot be downloaded.
    """
    cache = fetch(cache_dir, mirrors, files, download_missing=download)
    names = list(files)
    out = []
    for img_name, lbl_name in ((names[0], names[1]), (names[2], names[3])):
        images = read_idx(cache / img_name)
        labels = read_idx(cache / lbl_name)
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"{img_name} has {images.shape[0]} images but {lbl_name} has "
                             f"{labels.shape[0]} labels")
        X = images.astype(dtype) / 255.0
        out += [X.reshape(len(X), -1) if flatten else X, labels.astype(np.intp)]
    return out[0], out[1], out[2], out[3]


def write_idx(path, array) -> None:
    """Write ``array`` (uint8, int8, int16, int32, float32 or float64) as an IDX file; ``.gz``
    paths are gzipped. The inverse of ``read_idx``; used to make small test files."""
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in _IDX_TYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"IDX cannot store dtype {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(s).to_bytes(4, "big") for s in array.shape)
    payload = header + array.astype(np.dtype(_IDX_TYPES[code])).tobytes()
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(payload)
