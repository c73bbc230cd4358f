"""Offline-first data sets of the course: Fashion-MNIST, digits, faces, photos and scenes.

Every data set the course uses is found on the machine first. Fashion-MNIST (chapter 3
onwards) is read from, in this order,

1. the folder named by the environment variable ``COURSEKIT_DATA`` (the four IDX ``.gz``
   files directly in it or in its ``fashion-mnist/`` subfolder);
2. the Debian/Ubuntu package ``dataset-fashion-mnist`` (:data:`SYSTEM_DATA_DIR`);
3. the Keras cache (``$KERAS_HOME/datasets/fashion-mnist``, by default under ``~/.keras``);
4. a Keras download, only when the machine is online and downloads are allowed
   (``COURSEKIT_OFFLINE=1`` forbids them).

Each file is checked (size and SHA-256) before it is used, and a missing data set is an
error that names every place searched and how to fill one. The small data sets (digits,
faces, photos) ship inside scikit-learn and scikit-image; the segmentation scenes of
chapter 9 are generated deterministically from Fashion-MNIST items.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import numbers
import os
import socket
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = [
    "FASHION_MNIST_CLASSES",
    "SCENE_CLASSES",
    "DataNotFoundError",
    "DataCorruptError",
    "load_fashion_mnist",
    "fashion_mnist_dir",
    "download_fashion_mnist",
    "data_sources",
    "load_digits",
    "load_digits_28x28",
    "load_faces",
    "load_photos",
    "make_fashion_scenes",
]

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""Names of the ten Fashion-MNIST classes; label ``k`` is ``FASHION_MNIST_CLASSES[k]``."""

SCENE_CLASSES = ("background",) + FASHION_MNIST_CLASSES
"""Names of the eleven mask values of :func:`make_fashion_scenes` (0 is the background)."""

SYSTEM_DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
"""Where the Debian/Ubuntu package ``dataset-fashion-mnist`` installs the four files."""

_DEBIAN_PACKAGE = "dataset-fashion-mnist"
_DOWNLOAD_HOST = ("storage.googleapis.com", 443)  # where keras.datasets.fashion_mnist fetches
_CONNECT_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class _Variant:
    size: int
    sha256: str
    origin: str


@dataclass(frozen=True)
class _Expected:
    variants: tuple[_Variant, ...]  # known compressed files
    raw_size: int  # the decompressed IDX file
    raw_sha256: str
    shape: tuple[int, ...]


# The four files, the compressed versions known to be good (Zalando's originals, which Keras
# mirrors, and the Debian package, which re-compressed them) and the decompressed content,
# which is the same for both; a copy compressed some other way is accepted by its content.
_FILES = {
    "train-images-idx3-ubyte.gz": _Expected(
        (
            _Variant(
                26421880,
                "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                "Zalando original",
            ),
            _Variant(
                26421856,
                "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
                "Debian package",
            ),
        ),
        47040016,
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        (60000, 28, 28),
    ),
    "train-labels-idx1-ubyte.gz": _Expected(
        (
            _Variant(
                29515,
                "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                "Zalando original",
            ),
            _Variant(
                29491,
                "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
                "Debian package",
            ),
        ),
        60008,
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        (60000,),
    ),
    "t10k-images-idx3-ubyte.gz": _Expected(
        (
            _Variant(
                4422102,
                "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                "Zalando original",
            ),
            _Variant(
                4422079,
                "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
                "Debian package",
            ),
        ),
        7840016,
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        (10000, 28, 28),
    ),
    "t10k-labels-idx1-ubyte.gz": _Expected(
        (
            _Variant(
                5148,
                "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                "Zalando original",
            ),
            _Variant(
                5125,
                "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
                "Debian package",
            ),
        ),
        10008,
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        (10000,),
    ),
}
_SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# Files already verified in this process, keyed by (path, size, modification time).
_VERIFIED: set[tuple[str, int, int]] = set()


class DataNotFoundError(FileNotFoundError):
    """A data set is on none of the places searched (and could not be downloaded)."""


class DataCorruptError(ValueError):
    """A data file exists but is truncated or differs from the published file."""


# --------------------------------------------------------------------------------------
# Locating and verifying Fashion-MNIST
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    label: str  # what the place is, for messages
    path: Path | None  # None: the place is not configured (e.g. COURSEKIT_DATA unset)
    fix: str  # how to repair a corrupt file found here


def _keras_dirs():
    """The Keras cache folders for Fashion-MNIST, as ``keras.utils.get_file`` picks them."""
    home = os.environ.get("KERAS_HOME")
    base = Path(home).expanduser() if home else Path.home() / ".keras"
    dirs = [base / "datasets" / "fashion-mnist"]
    if not os.access(base, os.W_OK):  # Keras falls back to the temp folder then
        dirs.append(Path(tempfile.gettempdir()) / ".keras" / "datasets" / "fashion-mnist")
    return dirs


def _places():
    """Every local place to search, in order; read from the environment at each call."""
    places = []
    root = os.environ.get("COURSEKIT_DATA", "").strip()
    fix = "replace it with a good copy, or unset COURSEKIT_DATA to use another source"
    if root:
        root_path = Path(root).expanduser()
        places.append(_Place("$COURSEKIT_DATA", root_path, fix))
        places.append(_Place("$COURSEKIT_DATA/fashion-mnist", root_path / "fashion-mnist", fix))
    else:
        places.append(_Place("$COURSEKIT_DATA", None, fix))
    places.append(
        _Place(
            f"Debian package {_DEBIAN_PACKAGE}",
            SYSTEM_DATA_DIR,
            f"reinstall the package: sudo apt-get install --reinstall {_DEBIAN_PACKAGE}",
        )
    )
    for path in _keras_dirs():
        places.append(
            _Place("Keras cache", path, "delete the file; the next download fetches it again")
        )
    return places


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _content_sha256(path):
    """SHA-256 of the decompressed content, or None when the file does not decompress."""
    digest = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    except (OSError, EOFError, ValueError):  # truncated or not gzip at all
        return None
    return digest.hexdigest()


def _verify_file(path, place):
    """Check one file's size and hash; raise DataCorruptError naming what differs."""
    stat = path.stat()
    key = (str(path.absolute()), stat.st_size, stat.st_mtime_ns)
    if key in _VERIFIED:
        return
    expected = _FILES[path.name]
    received_sha = None
    for variant in expected.variants:
        if stat.st_size == variant.size:
            received_sha = _sha256(path)
            if received_sha == variant.sha256:
                _VERIFIED.add(key)
                return
    # Not a known compressed file: accept a re-compressed copy whose content is right.
    if _content_sha256(path) == expected.raw_sha256:
        _VERIFIED.add(key)
        return
    received_sha = received_sha or _sha256(path)
    known = [f"{v.size} bytes, sha256 {v.sha256} ({v.origin})" for v in expected.variants]
    known.append(
        f"any gzip file whose content is {expected.raw_size} bytes, sha256 {expected.raw_sha256}"
    )
    raise DataCorruptError(
        f"The Fashion-MNIST file {path} (from {place.label}) is corrupt or incomplete.\n"
        f"  expected: {known[0]}\n"
        + "".join(f"        or: {line}\n" for line in known[1:])
        + f"  received: {stat.st_size} bytes, sha256 {received_sha}\n"
        f"To fix it, {place.fix}."
    )


def _check_place(place):
    """Return (True, "") when ``place`` holds four good files, else (False, reason).

    A folder with all four files is verified and a bad file raises DataCorruptError; a
    folder with only some of them is skipped with the reason.
    """
    if place.path is None:
        return False, "not set"
    if not place.path.is_dir():
        return False, "no such folder" if not place.path.exists() else "not a folder"
    present = [name for name in _FILES if (place.path / name).is_file()]
    if not present:
        return False, "none of the four files is there"
    if len(present) < len(_FILES):
        missing = ", ".join(name for name in _FILES if name not in present)
        return False, f"incomplete, skipped: {len(present)} of 4 files, missing {missing}"
    for name in _FILES:
        _verify_file(place.path / name, place)
    return True, ""


def _search():
    """Return (place or None, attempts) where attempts lists "label (path): reason"."""
    attempts = []
    for place in _places():
        found, reason = _check_place(place)
        if found:
            return place, attempts
        where = f"{place.label} ({place.path})" if place.path is not None else place.label
        attempts.append(f"{where}: {reason}")
    return None, attempts


def _can_reach(address=_DOWNLOAD_HOST, timeout=_CONNECT_TIMEOUT_S):
    """Return (True, "") if a TCP connection to ``address`` opens within ``timeout`` s.

    The check runs in a daemon thread so that a slow name lookup cannot block either.
    """
    result = [False, f"no answer from {address[0]}:{address[1]} within {timeout:g} s"]

    def probe():
        try:
            with socket.create_connection(address, timeout=timeout):
                result[:] = [True, ""]
        except OSError as error:
            result[:] = [False, f"cannot connect to {address[0]}:{address[1]} ({error})"]

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 1.0)
    return result[0], result[1]


def _offline_env():
    return os.environ.get("COURSEKIT_OFFLINE", "").strip().lower() in {"1", "true", "yes"}


def _how_to_provide():
    files = ", ".join(_FILES)
    return (
        "To provide Fashion-MNIST, do one of:\n"
        f"  - set COURSEKIT_DATA to a folder holding the four files ({files});\n"
        f"  - install the system package: sudo apt-get install {_DEBIAN_PACKAGE};\n"
        "  - go online and run coursekit.data.download_fashion_mnist() "
        "(or `coursekit data --download fashion_mnist`) to fill the Keras cache."
    )


def _not_found_message(attempts):
    lines = ["Fashion-MNIST was not found. Places searched, in order:"]
    lines += [f"  {number}. {attempt}" for number, attempt in enumerate(attempts, start=1)]
    return "\n".join(lines) + "\n" + _how_to_provide()


def _keras_download():
    """Download with Keras into its cache and return the verified folder."""
    from .device import quiet_tensorflow

    target = _keras_dirs()[0]
    print(
        f"coursekit: downloading Fashion-MNIST (about 30 MB) with Keras into {target} ...",
        file=sys.stderr,
        flush=True,
    )
    keras = quiet_tensorflow()
    try:
        keras.datasets.fashion_mnist.load_data()
    except Exception as error:  # network errors come in many types
        raise DataNotFoundError(
            f"The Keras download of Fashion-MNIST failed: {error}\n" + _how_to_provide()
        ) from error
    for path in _keras_dirs():
        place = _Place("Keras cache", path, "delete the file and download again")
        if _check_place(place)[0]:
            return path
    raise DataNotFoundError(
        f"Keras reported a finished download, but the four files are not in "
        f"{', '.join(map(str, _keras_dirs()))}.\n" + _how_to_provide()
    )


def _read_idx(path, expected_shape):
    """Read a gzip-compressed IDX file of unsigned bytes into a writable uint8 array."""
    with gzip.open(path, "rb") as file:
        header = file.read(4)
        if len(header) != 4 or header[:3] != b"\x00\x00\x08":
            raise DataCorruptError(f"{path} is not an IDX file of unsigned bytes.")
        ndim = header[3]
        shape = tuple(int.from_bytes(file.read(4), "big") for _ in range(ndim))
        if shape != expected_shape:
            raise DataCorruptError(
                f"{path} holds an array of shape {shape}; expected {expected_shape}."
            )
        array = np.empty(shape, dtype=np.uint8)
        view = memoryview(array).cast("B")
        filled = 0
        while filled < view.nbytes:
            count = file.readinto(view[filled:])
            if not count:
                raise DataCorruptError(f"{path} ends early ({filled} of {view.nbytes} bytes).")
            filled += count
    return array


def _read_split(directory, split):
    images_name, labels_name = _SPLIT_FILES[split]
    images = _read_idx(directory / images_name, _FILES[images_name].shape)
    labels = _read_idx(directory / labels_name, _FILES[labels_name].shape)
    return images, labels


def fashion_mnist_dir():
    """Return the verified local folder that Fashion-MNIST is read from; never downloads.

    The places of the module docstring are searched in order and the four files of the
    first complete folder are checked (size and SHA-256; cached per process).

    Returns
    -------
    pathlib.Path
        The folder holding ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
        ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz``.

    Raises
    ------
    DataNotFoundError
        If no place holds all four files; the message lists every place searched.
    DataCorruptError
        If a file of the first complete folder is truncated or altered.

    Examples
    --------
    >>> folder = fashion_mnist_dir()
    >>> sorted(path.name for path in folder.glob("*-ubyte.gz"))[:2]
    ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']
    """
    place, attempts = _search()
    if place is None:
        raise DataNotFoundError(_not_found_message(attempts))
    return place.path


def download_fashion_mnist():
    """Download Fashion-MNIST with Keras into the Keras cache and return that folder.

    An explicit request: it ignores ``COURSEKIT_OFFLINE`` and any local copy. The
    connection is tested first (a few seconds at most), so an offline machine gets an
    error at once instead of a hanging download.

    Returns
    -------
    pathlib.Path
        The Keras cache folder, with the four files verified.

    Raises
    ------
    DataNotFoundError
        If the download server cannot be reached or the download fails.

    Examples
    --------
    >>> download_fashion_mnist()  # doctest: +SKIP
    PosixPath('/home/student/.keras/datasets/fashion-mnist')
    """
    reachable, reason = _can_reach()
    if not reachable:
        raise DataNotFoundError(
            f"Fashion-MNIST cannot be downloaded: {reason}.\n" + _how_to_provide()
        )
    return _keras_download()


def load_fashion_mnist(*, download=None):
    """Load Fashion-MNIST as ``keras.datasets.fashion_mnist.load_data()`` does, offline first.

    Introduced in chapter 3. The local places (``$COURSEKIT_DATA``, the Debian package,
    the Keras cache) are searched first and read with NumPy, without TensorFlow; only when
    none holds the data, and downloads are allowed and the machine is online, Keras
    downloads it.

    Parameters
    ----------
    download : bool or None, default=None
        Whether a Keras download may be tried when no local copy exists. ``None`` allows it
        unless the environment variable ``COURSEKIT_OFFLINE`` is ``1``.

    Returns
    -------
    (x_train, y_train) : tuple of ndarray
        ``x_train`` uint8 of shape (60000, 28, 28) with values 0..255, ``y_train`` uint8 of
        shape (60000,) with labels 0..9.
    (x_test, y_test) : tuple of ndarray
        uint8 of shapes (10000, 28, 28) and (10000,).
    class_names : tuple of str
        :data:`FASHION_MNIST_CLASSES`; ``class_names[y]`` names label ``y``.

    Raises
    ------
    DataNotFoundError
        If the data is nowhere and cannot be downloaded; the message lists every place
        searched, why each failed, and how to provide the data.
    DataCorruptError
        If a file is truncated or altered; the message says how to repair it.

    Examples
    --------
    >>> (x_train, y_train), (x_test, y_test), class_names = load_fashion_mnist()
    >>> x_train.shape, x_train.dtype, x_test.shape
    ((60000, 28, 28), dtype('uint8'), (10000, 28, 28))
    >>> class_names[y_train[0]]
    'Ankle boot'
    """
    if download is not None and not isinstance(download, bool):
        raise TypeError(f"download must be True, False or None. Received: download={download!r}.")
    place, attempts = _search()
    directory = place.path if place is not None else _download_or_raise(download, attempts)
    train = _read_split(directory, "train")
    test = _read_split(directory, "test")
    return train, test, FASHION_MNIST_CLASSES


def _download_or_raise(download, attempts):
    """Download when allowed and online; otherwise raise DataNotFoundError."""
    if download is False:
        reason = "not allowed (download=False)"
    elif download is None and _offline_env():
        reason = "not allowed (COURSEKIT_OFFLINE=1)"
    else:
        reachable, why = _can_reach()
        if reachable:
            return _keras_download()
        reason = f"not possible, {why}"
    raise DataNotFoundError(_not_found_message([*attempts, f"Keras download: {reason}"]))


# --------------------------------------------------------------------------------------
# Bundled data sets of scikit-learn and scikit-image
# --------------------------------------------------------------------------------------

_PHOTOS = ("camera", "astronaut", "coffee", "chelsea", "coins", "brick", "grass", "gravel")


def _package_file(package, *parts):
    """Path of a file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def load_digits():
    """Load scikit-learn's bundled handwritten digits (8×8 images, 1797 samples).

    Introduced in chapter 10 (k-means and PCA).

    Returns
    -------
    X : ndarray of shape (1797, 64), dtype float64
        One flattened 8×8 image per row, grey levels 0..16.
    y : ndarray of shape (1797,), dtype int
        The digit, 0..9.

    Examples
    --------
    >>> X, y = load_digits()
    >>> X.shape, X.dtype, float(X.min()), float(X.max()), y.shape
    ((1797, 64), dtype('float64'), 0.0, 16.0, (1797,))
    """
    path = digits_file()
    if path is not None:  # read it with NumPy: a NumPy-only grading sandbox has no sklearn
        table = np.loadtxt(path, delimiter=",")
        return table[:, :-1], table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits as sklearn_load_digits

    X, y = sklearn_load_digits(return_X_y=True)
    return X, y


def digits_file():
    """The digits CSV that scikit-learn bundles, found without importing scikit-learn.

    ``$COURSEKIT_DIGITS`` names it where scikit-learn is not installed (the grading sandbox of
    a NumPy-only assignment mounts the file there). None when it cannot be found.

    Examples
    --------
    >>> digits_file().name
    'digits.csv.gz'
    """
    named = os.environ.get("COURSEKIT_DIGITS")
    if named:
        return Path(named) if Path(named).is_file() else None
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            return path
    return None


def load_digits_28x28():
    """The digits of :func:`load_digits` as 28×28 images in [0, 1], like Fashion-MNIST's.

    Each 8×8 image (grey levels 0..16) is divided by 16, scaled up to 20×20 by bilinear
    interpolation and centred on a black 28×28 canvas, the way MNIST centres its digits in a
    20×20 box. Networks made for Fashion-MNIST then take the digits as they are: chapter 8
    and assignment 5 transfer a Fashion-MNIST network to them.

    Returns
    -------
    X : ndarray of shape (1797, 28, 28, 1), dtype float32
        Bright digits on a black background, values in [0, 1].
    y : ndarray of shape (1797,), dtype int
        The digit, 0..9.

    Examples
    --------
    >>> X, y = load_digits_28x28()
    >>> X.shape, X.dtype, float(X.min()), float(X.max())
    ((1797, 28, 28, 1), dtype('float32'), 0.0, 1.0)
    >>> float(X[:, :4].max())  # the 4-pixel border stays black
    0.0
    """
    from skimage.transform import resize

    X, y = load_digits()
    small = X.reshape(-1, 8, 8) / 16.0  # (1797, 8, 8) in [0, 1]
    big = np.stack([resize(image, (20, 20), order=1, anti_aliasing=False) for image in small])
    canvas = np.zeros((len(big), 28, 28, 1), dtype="float32")
    canvas[:, 4:24, 4:24, 0] = np.clip(big, 0.0, 1.0)
    return canvas, y


def load_faces(*, include_non_faces=False):
    """Load the 25×25 grey-level faces of scikit-image's LFW subset.

    Introduced in chapter 10 (eigenfaces) and used again in chapter 11. The bundled
    subset holds 100 faces followed by 100 image patches that are not faces.

    Parameters
    ----------
    include_non_faces : bool, default=False
        Also return the 100 non-face patches and a flag per image.

    Returns
    -------
    images : ndarray of shape (100, 25, 25), dtype float64
        Faces with values in [0, 1]; shape (200, 25, 25) with ``include_non_faces=True``.
    is_face : ndarray of shape (200,), dtype bool
        Only with ``include_non_faces=True``: True for the first 100 images.

    Examples
    --------
    >>> faces = load_faces()
    >>> faces.shape, faces.dtype
    ((100, 25, 25), dtype('float64'))
    >>> images, is_face = load_faces(include_non_faces=True)
    >>> images.shape, int(is_face.sum())
    ((200, 25, 25), 100)
    """
    from skimage import data as skimage_data

    images = skimage_data.lfw_subset()  # (200, 25, 25): 100 faces, then 100 non-faces
    if include_non_faces:
        is_face = np.arange(len(images)) < 100
        return images, is_face
    return images[:100].copy()


def load_photos(*, grayscale=False):
    """Load a handful of photos bundled with scikit-image (no download needed).

    Introduced in chapter 5, where filters are applied to real pictures. The photos are
    ``camera``, ``astronaut``, ``coffee``, ``chelsea`` (a cat), ``coins``, ``brick``,
    ``grass`` and ``gravel``.

    Parameters
    ----------
    grayscale : bool, default=False
        Convert every photo to a 2-D float64 array with values in [0, 1].

    Returns
    -------
    dict of str to ndarray
        Photo name to image: uint8 of shape (H, W) or (H, W, 3) as scikit-image gives it,
        or float64 of shape (H, W) with ``grayscale=True``.

    Examples
    --------
    >>> photos = load_photos()
    >>> photos["camera"].shape, photos["astronaut"].shape
    ((512, 512), (512, 512, 3))
    >>> gray = load_photos(grayscale=True)
    >>> gray["coffee"].shape, gray["coffee"].dtype
    ((400, 600), dtype('float64'))
    """
    from skimage import color
    from skimage import data as skimage_data
    from skimage.util import img_as_float

    photos = {}
    for name in _PHOTOS:
        image = getattr(skimage_data, name)()
        if grayscale:
            image = color.rgb2gray(image) if image.ndim == 3 else img_as_float(image)
        photos[name] = image
    return photos


# --------------------------------------------------------------------------------------
# Segmentation scenes
# --------------------------------------------------------------------------------------

_ITEM_SIZE = 28
_ITEM_THRESHOLD = 0.1  # pixels of an item brighter than this belong to it (on a 0..1 scale)


def _check_integer(name, value, minimum, requirement):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be {requirement}. Received: {name}={value!r}.")
    return int(value)


def make_fashion_scenes(
    num_images, *, image_size=64, max_items=3, random_state=None, split="train"
):
    """Generate segmentation scenes: Fashion-MNIST items on a black canvas, with masks.

    Introduced in chapter 9 (fully-convolutional networks) and used by assignment
    ``a06_segmentation``. Each scene gets 1 to ``max_items`` items drawn at random from
    the chosen Fashion-MNIST split and placed at random positions, fully inside the
    canvas. An item's pixels are those brighter than 0.1; a later item is drawn over the
    earlier ones, and the mask records which item is visible at each pixel. Hence
    ``masks > 0`` exactly where ``images > 0``. Items from ``split="test"`` were never
    seen in training, which makes held-out scenes.

    Parameters
    ----------
    num_images : int
        Number of scenes, at least 1.
    image_size : int, default=64
        Side of the square canvas in pixels, at least 28.
    max_items : int, default=3
        Largest number of items in one scene, at least 1.
    random_state : int, numpy.random.Generator or None, default=None
        Seed for ``np.random.default_rng``; the same seed gives bit-identical scenes.
    split : {"train", "test"}, default="train"
        The Fashion-MNIST split the items come from.

    Returns
    -------
    images : ndarray of shape (num_images, image_size, image_size, 1), dtype float32
        Grey levels in [0, 1].
    masks : ndarray of shape (num_images, image_size, image_size), dtype int32
        0 for background and ``k + 1`` for a pixel of an item of Fashion-MNIST class ``k``;
        :data:`SCENE_CLASSES` names the 11 values.

    Raises
    ------
    ValueError
        If an argument is out of range; the message gives the received value.
    DataNotFoundError
        If Fashion-MNIST is not available locally (scenes never trigger a download).

    Examples
    --------
    >>> images, masks = make_fashion_scenes(4, random_state=0)
    >>> images.shape, images.dtype, masks.shape, masks.dtype
    ((4, 64, 64, 1), dtype('float32'), (4, 64, 64), dtype('int32'))
    >>> bool(np.array_equal(masks > 0, images[..., 0] > 0))
    True
    >>> [SCENE_CLASSES[value] for value in np.unique(masks[0])]
    ['background', 'T-shirt/top', 'Coat', 'Sandal']
    """
    num_images = _check_integer("num_images", num_images, 1, "a positive integer")
    image_size = _check_integer(
        "image_size", image_size, _ITEM_SIZE, "an integer >= 28 (the side of one item)"
    )
    max_items = _check_integer("max_items", max_items, 1, "a positive integer")
    if not isinstance(split, str) or split not in _SPLIT_FILES:
        raise ValueError(f"split must be 'train' or 'test'. Received: split={split!r}.")
    items, labels = _read_split(fashion_mnist_dir(), split)

    rng = np.random.default_rng(random_state)
    counts = rng.integers(1, max_items + 1, size=num_images)
    total = int(counts.sum())
    picks = rng.integers(0, len(labels), size=total)
    offsets = rng.integers(0, image_size - _ITEM_SIZE + 1, size=(total, 2))
    owners = np.repeat(np.arange(num_images), counts)

    chosen = items[picks]  # (total, 28, 28)
    visible = chosen > _ITEM_THRESHOLD * 255
    values = labels[picks].astype(np.int32) + 1
    canvas = np.zeros((num_images, image_size, image_size), dtype=np.uint8)
    masks = np.zeros((num_images, image_size, image_size), dtype=np.int32)
    for index in range(total):  # in drawing order, so later items cover earlier ones
        owner, (row, col) = owners[index], offsets[index]
        window = (owner, slice(row, row + _ITEM_SIZE), slice(col, col + _ITEM_SIZE))
        keep = visible[index]
        canvas[window][keep] = chosen[index][keep]
        masks[window][keep] = values[index]
    images = (canvas.astype(np.float32) / np.float32(255))[..., np.newaxis]
    return images, masks


# --------------------------------------------------------------------------------------
# Overview
# --------------------------------------------------------------------------------------


def _fashion_summary():
    """(available, source, detail) for Fashion-MNIST, without parsing the arrays."""
    try:
        place, attempts = _search()
    except DataCorruptError as error:
        lines = str(error).splitlines()
        return False, "", f"{lines[0]} {lines[-1]}"
    if place is None:
        return (
            False,
            "",
            "not found in: " + "; ".join(attempts) + " (`coursekit data --check fashion_mnist` "
            "says how to provide it)",
        )
    return True, str(place.path), f"{place.label}, 4 files verified"


def _bundled_summary(package, files, source):
    """(available, source, detail) for files shipped inside an installed package."""
    if importlib.util.find_spec(package) is None:
        return False, "", f"the package {package} is not installed"
    missing = ["/".join(parts) for parts in files if not _package_file(package, *parts).is_file()]
    if missing:
        return False, "", f"missing from the installed {package}: {', '.join(missing)}"
    return True, source, ""


def data_sources():
    """Report where each data set of the course comes from, and whether it is available.

    Cheap: files are located and verified (cached per process), not parsed; nothing is
    downloaded. ``coursekit data`` prints this table.

    Returns
    -------
    list of dict
        One dict per data set (``fashion_mnist``, ``digits``, ``faces``, ``photos``,
        ``fashion_scenes``) with keys ``name`` (str), ``available`` (bool), ``source``
        (str: folder or package it resolves from, "" when unavailable) and ``detail``
        (str: why not, when unavailable; a short note otherwise).

    Examples
    --------
    >>> [entry["name"] for entry in data_sources()]
    ['fashion_mnist', 'digits', 'faces', 'photos', 'fashion_scenes']
    >>> data_sources()[1]["source"]
    'scikit-learn (bundled)'
    """
    fashion = _fashion_summary()
    entries = [
        ("fashion_mnist", *fashion),
        (
            "digits",
            *_bundled_summary(
                "sklearn", [("datasets", "data", "digits.csv.gz")], "scikit-learn (bundled)"
            ),
        ),
        (
            "faces",
            *_bundled_summary(
                "skimage", [("data", "lfw_subset.npy")], "scikit-image (bundled, LFW subset)"
            ),
        ),
        (
            "photos",
            *_bundled_summary(
                "skimage", [("data", f"{name}.png") for name in _PHOTOS], "scikit-image (bundled)"
            ),
        ),
        (
            "fashion_scenes",
            fashion[0],
            f"generated from Fashion-MNIST in {fashion[1]}" if fashion[0] else "",
            "" if fashion[0] else "needs Fashion-MNIST: " + fashion[2],
        ),
    ]
    return [
        {"name": name, "available": bool(available), "source": source, "detail": detail}
        for name, available, source, detail in entries
    ]
