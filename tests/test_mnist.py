"""Tests for nnlib.mnist without the network: tiny IDX files served from a file:// mirror."""
import gzip
import hashlib

import numpy as np
import pytest

from nnlib.mnist import (FILES, DatasetUnavailable, default_cache_dir, download, fetch,
                         load_mnist, read_idx, write_idx)

NAMES = list(FILES)  # train images, train labels, test images, test labels


def sha256_of(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def mirror(tmp_path):
    """A folder with 5 train and 5 test images (28×28 uint8) and labels, gzipped IDX files.

    Returns the folder, the ``files`` mapping name → SHA-256 and the arrays written.
    """
    folder = tmp_path / "mirror"
    folder.mkdir()
    rng = np.random.default_rng(0)
    arrays = {
        NAMES[0]: rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8),
        NAMES[1]: np.array([3, 1, 4, 1, 5], dtype=np.uint8),
        NAMES[2]: rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8),
        NAMES[3]: np.array([9, 2, 6, 5, 0], dtype=np.uint8),
    }
    arrays[NAMES[0]][0, 0, 0], arrays[NAMES[0]][0, 0, 1] = 0, 255  # the extremes appear
    for name, a in arrays.items():
        write_idx(folder / name, a)
    files = {name: sha256_of(folder / name) for name in NAMES}
    return folder, files, arrays


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


def load(cache, mirror, **kwargs):
    folder, files, _ = mirror
    kwargs.setdefault("mirrors", (folder.as_uri() + "/",))
    return load_mnist(cache, files=files, **kwargs)


def leftovers(folder):
    return sorted(p.name for p in folder.glob("*.part")) if folder.exists() else []


# ----------------------------------------------------------------------------- load_mnist
def test_load_returns_shapes_and_values_scaled_to_0_1(cache, mirror):
    _, _, arrays = mirror
    X_train, y_train, X_test, y_test = load(cache, mirror)
    assert X_train.shape == (5, 784) and X_test.shape == (5, 784)
    assert X_train.dtype == np.float64
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    np.testing.assert_array_equal(X_train, arrays[NAMES[0]].reshape(5, 784) / 255.0)
    np.testing.assert_array_equal(X_test, arrays[NAMES[2]].reshape(5, 784) / 255.0)
    np.testing.assert_array_equal(y_train, [3, 1, 4, 1, 5])
    np.testing.assert_array_equal(y_test, [9, 2, 6, 5, 0])
    assert np.issubdtype(y_train.dtype, np.integer)


def test_load_unflattened_float32(cache, mirror):
    X_train, _, X_test, _ = load(cache, mirror, flatten=False, dtype=np.float32)
    assert X_train.shape == (5, 28, 28) and X_test.shape == (5, 28, 28)
    assert X_train.dtype == np.float32


def test_files_are_cached_with_the_right_checksums(cache, mirror):
    _, files, _ = mirror
    load(cache, mirror)
    assert sorted(p.name for p in cache.iterdir()) == sorted(NAMES)
    for name, digest in files.items():
        assert sha256_of(cache / name) == digest


def test_second_call_uses_the_cache_and_does_not_download(cache, mirror):
    folder, _, _ = mirror
    first = load(cache, mirror)
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()  # the mirror is gone: only the cache can serve the second call
    second = load(cache, mirror)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_second_mirror_is_used_when_the_first_is_unreachable(cache, mirror, tmp_path):
    folder, _, _ = mirror
    mirrors = ((tmp_path / "missing").as_uri() + "/", folder.as_uri() + "/")
    X_train, *_ = load(cache, mirror, mirrors=mirrors)
    assert X_train.shape == (5, 784)


def test_nnlib_data_environment_variable_sets_the_cache(monkeypatch, tmp_path, mirror):
    monkeypatch.setenv("NNLIB_DATA", str(tmp_path / "data"))
    assert default_cache_dir() == tmp_path / "data" / "mnist"
    folder, files, _ = mirror
    load_mnist(mirrors=(folder.as_uri() + "/",), files=files)
    assert sorted(p.name for p in (tmp_path / "data" / "mnist").iterdir()) == sorted(NAMES)


def test_default_cache_dir_without_environment_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("NNLIB_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "nnlib" / "mnist"


# ----------------------------------------------------------------------------- failures
def test_wrong_checksum_raises_and_leaves_no_partial_file(cache, mirror):
    folder, files, _ = mirror
    bad = dict(files)
    bad[NAMES[1]] = "0" * 64
    with pytest.raises(DatasetUnavailable, match=r"checksum mismatch for .*"
                                                 + NAMES[1].replace(".", r"\.")):
        load_mnist(cache, mirrors=(folder.as_uri() + "/",), files=bad)
    assert leftovers(cache) == []
    assert not (cache / NAMES[1]).exists()
    assert (cache / NAMES[0]).exists()  # the file before it was fine and stays


def test_unreachable_mirror_says_where_to_put_the_files(cache, mirror, tmp_path):
    with pytest.raises(DatasetUnavailable) as info:
        load(cache, mirror, mirrors=((tmp_path / "nowhere").as_uri() + "/",))
    message = str(info.value)
    assert "could not download train-images-idx3-ubyte.gz (no network?)" in message
    assert f"put these files into {cache}" in message
    assert all(name in message for name in NAMES)
    assert "NNLIB_DATA" in message
    assert leftovers(cache) == []


def test_download_false_with_an_empty_cache(cache, mirror):
    with pytest.raises(DatasetUnavailable, match=r"MNIST is not available: "
                                                 r"train-images-idx3-ubyte\.gz is missing or "
                                                 r"corrupt"):
        load(cache, mirror, download=False)
    assert not cache.exists() or not any(cache.iterdir())


def test_download_false_with_a_full_cache_works(cache, mirror):
    load(cache, mirror)
    X_train, *_ = load(cache, mirror, download=False, mirrors=())
    assert X_train.shape == (5, 784)


def test_corrupt_cached_file_is_downloaded_again(cache, mirror):
    _, files, _ = mirror
    first = load(cache, mirror)
    (cache / NAMES[2]).write_bytes(b"garbage")
    second = load(cache, mirror)
    assert sha256_of(cache / NAMES[2]) == files[NAMES[2]]
    np.testing.assert_array_equal(first[2], second[2])


def test_corrupt_cached_file_without_download_raises(cache, mirror):
    load(cache, mirror)
    (cache / NAMES[3]).write_bytes(b"garbage")
    with pytest.raises(DatasetUnavailable, match=r"t10k-labels-idx1-ubyte\.gz is missing or "
                                                 r"corrupt"):
        load(cache, mirror, download=False)


def test_dataset_unavailable_is_a_runtime_error():
    assert issubclass(DatasetUnavailable, RuntimeError)


def test_image_and_label_counts_must_agree(cache, tmp_path):
    folder = tmp_path / "m2"
    folder.mkdir()
    write_idx(folder / NAMES[0], np.zeros((5, 28, 28), np.uint8))
    write_idx(folder / NAMES[1], np.zeros(4, np.uint8))
    write_idx(folder / NAMES[2], np.zeros((2, 28, 28), np.uint8))
    write_idx(folder / NAMES[3], np.zeros(2, np.uint8))
    files = {n: sha256_of(folder / n) for n in NAMES}
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz has 5 images but "
                                         r"train-labels-idx1-ubyte\.gz has 4 labels"):
        load_mnist(cache, mirrors=(folder.as_uri() + "/",), files=files)


# ----------------------------------------------------------------------------- download / fetch
def test_download_is_atomic_and_checks_the_sha(tmp_path, mirror):
    folder, files, _ = mirror
    url = (folder / NAMES[1]).as_uri()
    dest = tmp_path / "out" / NAMES[1]
    assert download(url, dest, files[NAMES[1]]) == dest
    assert sha256_of(dest) == files[NAMES[1]]
    other = tmp_path / "out" / "copy.gz"
    with pytest.raises(ValueError, match=r"checksum mismatch for .*expected SHA-256 0{64}"):
        download(url, other, "0" * 64)
    assert not other.exists() and leftovers(tmp_path / "out") == []


def test_fetch_returns_the_cache_folder(cache, mirror):
    folder, files, _ = mirror
    assert fetch(cache, (folder.as_uri() + "/",), files) == cache


# ----------------------------------------------------------------------------- IDX files
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_write_read_idx_round_trip(tmp_path, dtype, suffix):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    path = tmp_path / f"a.idx{suffix}"
    write_idx(path, a)
    b = read_idx(path)
    assert b.shape == a.shape and b.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(a, b)


def test_idx_header_is_big_endian(tmp_path):
    write_idx(tmp_path / "x.idx", np.array([1, 258], dtype=np.int16))
    raw = (tmp_path / "x.idx").read_bytes()
    assert raw == bytes([0, 0, 0x0B, 1, 0, 0, 0, 2, 0, 1, 1, 2])


def test_gz_file_is_really_gzipped(tmp_path):
    write_idx(tmp_path / "x.gz", np.zeros(3, np.uint8))
    assert gzip.decompress((tmp_path / "x.gz").read_bytes())[:4] == bytes([0, 0, 8, 1])


def test_write_idx_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match=r"IDX cannot store dtype int64"):
        write_idx(tmp_path / "x.idx", np.zeros(3, np.int64))


def test_read_idx_rejects_bad_magic(tmp_path):
    (tmp_path / "bad.idx").write_bytes(bytes([1, 2, 8, 1, 0, 0, 0, 1, 7]))
    with pytest.raises(ValueError, match=r"bad\.idx is not an IDX file \(bad magic number "
                                         r"01020801\)"):
        read_idx(tmp_path / "bad.idx")


def test_read_idx_rejects_unknown_type_code_and_empty_file(tmp_path):
    (tmp_path / "t.idx").write_bytes(bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 7]))
    (tmp_path / "e.idx").write_bytes(b"")
    for name in ("t.idx", "e.idx"):
        with pytest.raises(ValueError, match="is not an IDX file"):
            read_idx(tmp_path / name)


def test_read_idx_rejects_truncated_data(tmp_path):
    write_idx(tmp_path / "full.idx", np.zeros((3, 4), np.uint8))
    (tmp_path / "cut.idx").write_bytes((tmp_path / "full.idx").read_bytes()[:-2])
    with pytest.raises(ValueError, match=r"cut\.idx: header says shape \(3, 4\) \(12 bytes of data\) "
                                         r"but the file holds 10 bytes"):
        read_idx(tmp_path / "cut.idx")


def test_read_idx_rejects_trailing_bytes(tmp_path):
    write_idx(tmp_path / "full.idx", np.zeros(3, np.uint8))
    (tmp_path / "long.idx").write_bytes((tmp_path / "full.idx").read_bytes() + b"\x00")
    with pytest.raises(ValueError, match=r"header says shape \(3,\).*holds 4 bytes"):
        read_idx(tmp_path / "long.idx")


def test_read_idx_rejects_truncated_header(tmp_path):
    (tmp_path / "h.idx").write_bytes(bytes([0, 0, 8, 3, 0, 0, 0, 5]))
    with pytest.raises(ValueError, match=r"h\.idx: the IDX header is cut short"):
        read_idx(tmp_path / "h.idx")


def test_read_idx_rejects_truncated_gzip(tmp_path):
    write_idx(tmp_path / "full.gz", np.arange(200, dtype=np.uint8))
    raw = (tmp_path / "full.gz").read_bytes()
    (tmp_path / "cut.gz").write_bytes(raw[:len(raw) // 2])
    with pytest.raises(ValueError, match=r"cut\.gz could not be read as an IDX file"):
        read_idx(tmp_path / "cut.gz")


def test_read_idx_rejects_a_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r"missing\.idx could not be read as an IDX file"):
        read_idx(tmp_path / "missing.idx")
