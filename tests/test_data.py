"""Tests of coursekit.data: offline-first Fashion-MNIST, bundled data sets and scenes."""

import gzip
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from coursekit import data

REAL_DIR = data.SYSTEM_DATA_DIR
FILE_NAMES = tuple(data._FILES)
needs_real_data = pytest.mark.skipif(
    not all((REAL_DIR / name).is_file() for name in FILE_NAMES),
    reason=f"the Debian package dataset-fashion-mnist is not installed in {REAL_DIR}",
)


def _fill(folder, names=FILE_NAMES):
    """Put symbolic links to the real files into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).symlink_to(REAL_DIR / name)
    return folder


def _no_network(*args, **kwargs):
    raise AssertionError("the network must not be touched in this test")


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Point every search place at empty temporary folders, offline, network forbidden."""
    system = tmp_path / "system"
    keras_home = tmp_path / "keras_home"
    keras_home.mkdir()  # writable, so Keras' /tmp fallback is not a search place
    monkeypatch.setattr(data, "SYSTEM_DATA_DIR", system)
    monkeypatch.delenv("COURSEKIT_DATA", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.setenv("COURSEKIT_OFFLINE", "1")
    monkeypatch.setattr(data, "_can_reach", _no_network)
    monkeypatch.setattr(data, "_keras_download", _no_network)
    return {
        "root": tmp_path,
        "system": system,
        "keras": keras_home / "datasets" / "fashion-mnist",
        "user": tmp_path / "user",
    }


@pytest.fixture(scope="module")
def real_data():
    if not REAL_DIR.is_dir():
        pytest.skip("the Debian package dataset-fashion-mnist is not installed")
    saved = os.environ.pop("COURSEKIT_DATA", None)
    try:
        return data.load_fashion_mnist(download=False)
    finally:
        if saved is not None:
            os.environ["COURSEKIT_DATA"] = saved


# --------------------------------------------------------------------------------------
# Real data from the Debian package
# --------------------------------------------------------------------------------------


@needs_real_data
def test_real_fashion_mnist_matches_keras_layout(real_data):
    (x_train, y_train), (x_test, y_test), class_names = real_data
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_train.dtype == np.uint8
    assert x_test.shape == (10000, 28, 28) and x_test.dtype == np.uint8
    assert y_test.shape == (10000,) and y_test.dtype == np.uint8
    assert class_names == data.FASHION_MNIST_CLASSES and len(class_names) == 10
    np.testing.assert_array_equal(y_train[:10], [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
    np.testing.assert_array_equal(y_test[:10], [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
    np.testing.assert_array_equal(np.bincount(y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [1000] * 10)
    assert int(x_test.sum(dtype=np.int64)) == 573469082
    assert int(x_test[0].sum()) == 33456
    assert x_train.flags.writeable  # students may normalise in place


@needs_real_data
def test_system_package_is_found_without_coursekit_data(places, monkeypatch):
    monkeypatch.setattr(data, "SYSTEM_DATA_DIR", REAL_DIR)
    assert data.fashion_mnist_dir() == REAL_DIR


def test_import_does_not_load_tensorflow():
    code = "import sys, coursekit.data; assert 'tensorflow' not in sys.modules, 'TF imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------------------
# Resolution order
# --------------------------------------------------------------------------------------


@needs_real_data
def test_coursekit_data_wins_over_system_package(places, monkeypatch):
    _fill(places["system"])
    _fill(places["user"])
    monkeypatch.setenv("COURSEKIT_DATA", str(places["user"]))
    assert data.fashion_mnist_dir() == places["user"]
    monkeypatch.delenv("COURSEKIT_DATA")  # the environment is read at every call
    assert data.fashion_mnist_dir() == places["system"]


@needs_real_data
def test_coursekit_data_subfolder(places, monkeypatch):
    _fill(places["user"] / "fashion-mnist")
    _fill(places["system"])
    monkeypatch.setenv("COURSEKIT_DATA", str(places["user"]))
    assert data.fashion_mnist_dir() == places["user"] / "fashion-mnist"


@needs_real_data
def test_keras_cache_used_when_others_missing(places):
    _fill(places["keras"])
    assert data.fashion_mnist_dir() == places["keras"]
    (x_train, y_train), (x_test, y_test), _ = data.load_fashion_mnist()
    assert x_train.shape == (60000, 28, 28) and y_test.shape == (10000,)


@needs_real_data
def test_keras_cache_under_home_without_keras_home(places, monkeypatch):
    home = places["root"] / "home"
    cache = _fill(home / ".keras" / "datasets" / "fashion-mnist")
    monkeypatch.delenv("KERAS_HOME")
    monkeypatch.setenv("HOME", str(home))
    assert data.fashion_mnist_dir() == cache


@needs_real_data
def test_partial_folder_is_skipped_with_reason(places, monkeypatch):
    _fill(places["user"], FILE_NAMES[:2])
    monkeypatch.setenv("COURSEKIT_DATA", str(places["user"]))
    with pytest.raises(data.DataNotFoundError) as excinfo:
        data.fashion_mnist_dir()
    message = str(excinfo.value)
    assert "incomplete" in message and "2 of 4" in message
    assert all(name in message for name in FILE_NAMES[2:])
    _fill(places["system"])
    assert data.fashion_mnist_dir() == places["system"]


# --------------------------------------------------------------------------------------
# Verification
# --------------------------------------------------------------------------------------


def _with_bad_test_labels(folder, content):
    """Folder with real files but ``t10k-labels-idx1-ubyte.gz`` replaced by ``content``."""
    name = "t10k-labels-idx1-ubyte.gz"
    _fill(folder, [n for n in FILE_NAMES if n != name])
    (folder / name).write_bytes(content)
    return folder / name


@needs_real_data
def test_truncated_file_raises_corrupt_error(places, monkeypatch):
    good = (REAL_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes()
    bad = _with_bad_test_labels(places["user"], good[:1000])
    monkeypatch.setenv("COURSEKIT_DATA", str(places["user"]))
    _fill(places["system"])  # a good copy later in the order must not hide the bad one
    with pytest.raises(data.DataCorruptError) as excinfo:
        data.load_fashion_mnist()
    message = str(excinfo.value)
    assert str(bad) in message
    assert "5148 bytes" in message and "5125 bytes" in message  # the expected sizes
    assert "received: 1000 bytes" in message
    assert "unset COURSEKIT_DATA" in message


@needs_real_data
def test_altered_file_in_system_dir_says_reinstall(places):
    good = bytearray((REAL_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes())
    good[len(good) // 2] ^= 0xFF  # same size, one byte flipped
    _with_bad_test_labels(places["system"], bytes(good))
    with pytest.raises(data.DataCorruptError, match="apt-get install --reinstall"):
        data.fashion_mnist_dir()
    entry = data.data_sources()[0]
    assert not entry["available"] and "corrupt" in entry["detail"]


@needs_real_data
def test_recompressed_copy_is_accepted_by_content(places):
    content = gzip.decompress((REAL_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes())
    _with_bad_test_labels(places["keras"], gzip.compress(content, compresslevel=1, mtime=0))
    assert data.fashion_mnist_dir() == places["keras"]


@needs_real_data
def test_verification_is_cached_per_file_state(places, monkeypatch):
    folder = places["system"]
    folder.mkdir()
    for name in FILE_NAMES:  # copies, so that touching one changes only our file
        shutil.copy(REAL_DIR / name, folder / name)
    data.fashion_mnist_dir()

    def fail(path):
        raise AssertionError(f"{path} hashed again")

    monkeypatch.setattr(data, "_sha256", fail)
    monkeypatch.setattr(data, "_content_sha256", fail)
    assert data.fashion_mnist_dir() == folder
    stat = (folder / FILE_NAMES[1]).stat()
    os.utime(folder / FILE_NAMES[1], ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    with pytest.raises(AssertionError, match="hashed again"):
        data.fashion_mnist_dir()


# --------------------------------------------------------------------------------------
# Nothing found and downloads
# --------------------------------------------------------------------------------------


def test_nothing_found_lists_every_place(places, monkeypatch):
    monkeypatch.setenv("COURSEKIT_DATA", str(places["user"]))
    places["user"].mkdir()
    with pytest.raises(data.DataNotFoundError) as excinfo:
        data.load_fashion_mnist()
    message = str(excinfo.value)
    assert isinstance(excinfo.value, FileNotFoundError)
    for where in (places["user"], places["user"] / "fashion-mnist", places["system"]):
        assert str(where) in message
    assert str(places["keras"]) in message
    assert "Keras download: not allowed (COURSEKIT_OFFLINE=1)" in message
    assert "sudo apt-get install dataset-fashion-mnist" in message
    assert "set COURSEKIT_DATA" in message and "download_fashion_mnist()" in message


def test_download_false_never_touches_network(places, monkeypatch):
    monkeypatch.delenv("COURSEKIT_OFFLINE")
    with pytest.raises(data.DataNotFoundError, match=r"not allowed \(download=False\)"):
        data.load_fashion_mnist(download=False)
    with pytest.raises(data.DataNotFoundError, match=r"\$COURSEKIT_DATA: not set"):
        data.fashion_mnist_dir()


def test_offline_machine_gets_error_not_download(places, monkeypatch):
    monkeypatch.delenv("COURSEKIT_OFFLINE")
    monkeypatch.setattr(data, "_can_reach", lambda: (False, "fake: no route to host"))
    with pytest.raises(data.DataNotFoundError, match="fake: no route to host"):
        data.load_fashion_mnist()
    with pytest.raises(data.DataNotFoundError, match="cannot be downloaded"):
        data.download_fashion_mnist()


@needs_real_data
def test_download_true_uses_keras_path_when_online(places, monkeypatch):
    def fake_download():
        return _fill(places["keras"])

    monkeypatch.setattr(data, "_can_reach", lambda: (True, ""))
    monkeypatch.setattr(data, "_keras_download", fake_download)
    (x_train, _), (x_test, _), _ = data.load_fashion_mnist(download=True)  # overrides offline
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)


def test_can_reach_reports_a_closed_port():
    reachable, reason = data._can_reach(("127.0.0.1", 9), timeout=1.0)
    assert not reachable and "127.0.0.1:9" in reason


def test_download_argument_is_checked():
    with pytest.raises(TypeError, match="Received: download='yes'"):
        data.load_fashion_mnist(download="yes")


# --------------------------------------------------------------------------------------
# data_sources
# --------------------------------------------------------------------------------------

NAMES = ["fashion_mnist", "digits", "faces", "photos", "fashion_scenes"]


@needs_real_data
def test_data_sources_reports_every_data_set(places, monkeypatch):
    monkeypatch.setattr(data, "SYSTEM_DATA_DIR", REAL_DIR)
    entries = data.data_sources()
    assert [entry["name"] for entry in entries] == NAMES
    for entry in entries:
        assert set(entry) == {"name", "available", "source", "detail"}
        assert entry["available"] is True, entry
    assert entries[0]["source"] == str(REAL_DIR)
    assert entries[1]["source"] == "scikit-learn (bundled)"


def test_data_sources_without_fashion_mnist(places):
    entries = {entry["name"]: entry for entry in data.data_sources()}
    assert list(entries) == NAMES
    for name in ("fashion_mnist", "fashion_scenes"):
        assert entries[name]["available"] is False
        assert str(places["system"]) in entries[name]["detail"]
    assert all(entries[name]["available"] for name in ("digits", "faces", "photos"))


# --------------------------------------------------------------------------------------
# Bundled data sets
# --------------------------------------------------------------------------------------


def test_load_digits():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert X.min() == 0 and X.max() == 16
    assert y.shape == (1797,) and np.issubdtype(y.dtype, np.integer)
    assert set(np.unique(y)) == set(range(10))


def test_load_faces():
    faces = data.load_faces()
    assert faces.shape == (100, 25, 25) and faces.dtype == np.float64
    assert 0 <= faces.min() and faces.max() <= 1
    images, is_face = data.load_faces(include_non_faces=True)
    assert images.shape == (200, 25, 25) and is_face.dtype == bool
    assert is_face[:100].all() and not is_face[100:].any()
    np.testing.assert_array_equal(images[:100], faces)


def test_load_photos():
    photos = data.load_photos()
    assert {"camera", "astronaut", "coffee", "chelsea", "coins"} <= set(photos)
    assert photos["camera"].shape == (512, 512) and photos["camera"].dtype == np.uint8
    assert photos["astronaut"].shape == (512, 512, 3)
    gray = data.load_photos(grayscale=True)
    assert set(gray) == set(photos)
    for name, image in gray.items():
        assert image.ndim == 2 and image.shape == photos[name].shape[:2], name
        assert image.dtype == np.float64 and 0 <= image.min() and image.max() <= 1, name


# --------------------------------------------------------------------------------------
# Segmentation scenes
# --------------------------------------------------------------------------------------


@needs_real_data
def test_scenes_shapes_dtypes_and_consistency():
    images, masks = data.make_fashion_scenes(50, image_size=40, max_items=4, random_state=1)
    assert images.shape == (50, 40, 40, 1) and images.dtype == np.float32
    assert masks.shape == (50, 40, 40) and masks.dtype == np.int32
    assert 0 <= images.min() and images.max() <= 1
    assert masks.min() == 0 and masks.max() <= 10
    assert len(data.SCENE_CLASSES) == 11 and data.SCENE_CLASSES[0] == "background"
    np.testing.assert_array_equal(masks > 0, images[..., 0] > 0)  # background is black
    assert images[..., 0][masks > 0].min() > 0.1  # item pixels are above the threshold
    for mask in masks:
        assert 1 <= len(np.unique(mask[mask > 0])) <= 4


@needs_real_data
def test_scenes_are_deterministic():
    first = data.make_fashion_scenes(20, random_state=7)
    second = data.make_fashion_scenes(20, random_state=np.random.default_rng(7))
    other = data.make_fashion_scenes(20, random_state=8)
    for a, b in zip(first, second, strict=True):
        assert a.tobytes() == b.tobytes()
    assert not np.array_equal(first[1], other[1])


@needs_real_data
@pytest.mark.parametrize("split", ["train", "test"])
def test_scenes_use_items_of_the_split(real_data, split):
    """With a 28x28 canvas and one item, each scene is exactly one thresholded item."""
    (x_train, y_train), (x_test, y_test), _ = real_data
    x, y = (x_train, y_train) if split == "train" else (x_test, y_test)
    images, masks = data.make_fashion_scenes(
        30, image_size=28, max_items=1, random_state=3, split=split
    )
    known = {}
    for item, label in zip(np.where(x > 25.5, x, 0), y, strict=True):
        known.setdefault(item.tobytes(), set()).add(int(label))
    other = x_test if split == "train" else x_train
    other_items = {item.tobytes() for item in np.where(other > 25.5, other, 0)}
    for image, mask in zip(images, masks, strict=True):
        pixels = np.rint(image[..., 0] * 255).astype(np.uint8)
        assert pixels.tobytes() in known
        assert pixels.tobytes() not in other_items
        labels = set(np.unique(mask[mask > 0]) - 1)
        assert labels <= known[pixels.tobytes()]


@pytest.mark.parametrize(
    ("kwargs", "received"),
    [
        ({"num_images": 0}, "num_images=0"),
        ({"num_images": -3}, "num_images=-3"),
        ({"num_images": 2.5}, "num_images=2.5"),
        ({"num_images": True}, "num_images=True"),
        ({"num_images": 2, "image_size": 27}, "image_size=27"),
        ({"num_images": 2, "image_size": 64.0}, "image_size=64.0"),
        ({"num_images": 2, "max_items": 0}, "max_items=0"),
        ({"num_images": 2, "split": "val"}, "split='val'"),
        ({"num_images": 2, "split": None}, "split=None"),
    ],
)
def test_scenes_reject_bad_arguments(kwargs, received):
    with pytest.raises(ValueError, match=f"Received: {received}"):
        data.make_fashion_scenes(**kwargs)
