"""Keras models the course gives to students, and the course's trained reference CNN.

:func:`build_reference_cnn` is the architecture of the course's reference Fashion-MNIST CNN
and :func:`load_reference_cnn` returns it with the trained weights that ship inside coursekit
(trained by ``benchmarks/reference_cnn.py``; chapters 6 and 7 and the assignments a04 and a05
use it, so nobody has to train it while a book builds). :func:`build_geron_cnn` is the larger
Fashion-MNIST CNN of the lecture slides (after Géron), shown in chapter 6.
:func:`load_vgg16` returns Keras's VGG16 with its ImageNet weights when they are on this
machine or can be downloaded, and otherwise stops with an error that says how to get them
(chapter 8).

Every builder imports Keras on first use, so importing this module does not import TensorFlow.
"""

from __future__ import annotations

import hashlib
import numbers
from pathlib import Path

from .data import _sha256

__all__ = [
    "REFERENCE_CNN_WEIGHTS",
    "WeightsCorruptError",
    "WeightsNotFoundError",
    "build_geron_cnn",
    "build_reference_cnn",
    "load_reference_cnn",
    "load_vgg16",
    "reference_cnn_info",
]

#: The shipped weights of :func:`load_reference_cnn`: file name inside ``coursekit/weights``
#: and its SHA-256, printed by ``benchmarks/reference_cnn.py`` when it trains the model.
REFERENCE_CNN_WEIGHTS = {
    "file": "reference_cnn.weights.h5",
    "sha256": "79be3adc15b3d25a60973f6c63c2bc5393e40153010d294f0499c9dfb316e929",
}
_REFERENCE_CNN_CARD = "reference_cnn.json"  # how the shipped weights were trained

_WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
_IMAGE_SHAPE = (28, 28, 1)


class WeightsCorruptError(RuntimeError):
    """A shipped weights file is missing or does not match its recorded checksum."""


class WeightsNotFoundError(FileNotFoundError):
    """Pre-trained weights (e.g. VGG16's ImageNet weights) are not here and cannot be fetched."""


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}.")
    return int(value)


def _check_rate(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1). Received: {name}={value!r}.")
    return float(value)


def build_reference_cnn(*, num_classes=10, dropout_rate=0.3):
    """Build the course's reference CNN for 28×28 grey images (untrained).

    Four convolution blocks (convolution without bias → batch normalisation → ReLU) with
    max pooling, then a dense block and a softmax layer, about 430 000 parameters::

        28×28×1 → conv1 5×5×32 → pool1 → 14×14×32 → conv2, conv3 3×3×64 → pool2
        → 7×7×64 → conv4 3×3×128 → pool3 → 3×3×128 → 1152 → dense 256 → 10

    The layers have fixed names (``conv1`` … ``conv4``, ``bn1`` …, ``relu1`` …, ``pool1`` …,
    ``dense``, ``predictions``) so that chapter 7 can pick them by name. Inputs are images of
    shape (28, 28, 1) scaled to [0, 1]; introduced in chapter 6.

    Parameters
    ----------
    num_classes : int, default=10
        Number of output classes.
    dropout_rate : float, default=0.3
        Dropout rate before the dense block and before the output layer, in [0, 1); it
        only acts during training.

    Returns
    -------
    keras.Sequential
        An uncompiled model with input shape (None, 28, 28, 1) and output shape
        (None, num_classes), named ``"reference_cnn"``.

    Examples
    --------
    >>> model = build_reference_cnn()
    >>> model.output_shape, model.count_params()
    ((None, 10), 429482)
    >>> [layer.name for layer in model.layers][:4]
    ['conv1', 'bn1', 'relu1', 'pool1']
    >>> build_reference_cnn(dropout_rate=1.5)
    Traceback (most recent call last):
    ...
    ValueError: dropout_rate must be a number in [0, 1). Received: dropout_rate=1.5.
    """
    num_classes = _check_positive_int("num_classes", num_classes)
    dropout_rate = _check_rate("dropout_rate", dropout_rate)
    from .device import quiet_tensorflow

    keras = quiet_tensorflow()
    layers = keras.layers

    def conv_block(index, filters, kernel_size):
        return [
            layers.Conv2D(
                filters, kernel_size, padding="same", use_bias=False, name=f"conv{index}"
            ),
            layers.BatchNormalization(name=f"bn{index}"),
            layers.ReLU(name=f"relu{index}"),
        ]

    return keras.Sequential(
        [
            keras.Input(shape=_IMAGE_SHAPE, name="image"),
            *conv_block(1, 32, 5),  # (28, 28, 32)
            layers.MaxPooling2D(name="pool1"),  # (14, 14, 32)
            *conv_block(2, 64, 3),
            *conv_block(3, 64, 3),  # (14, 14, 64)
            layers.MaxPooling2D(name="pool2"),  # (7, 7, 64)
            *conv_block(4, 128, 3),  # (7, 7, 128)
            layers.MaxPooling2D(name="pool3"),  # (3, 3, 128)
            layers.Flatten(name="flatten"),  # (1152,)
            layers.Dropout(dropout_rate, name="dropout1"),
            layers.Dense(256, use_bias=False, name="dense"),
            layers.BatchNormalization(name="bn5"),
            layers.ReLU(name="relu5"),
            layers.Dropout(dropout_rate, name="dropout2"),
            layers.Dense(num_classes, activation="softmax", name="predictions"),
        ],
        name="reference_cnn",
    )


def build_geron_cnn(*, num_classes=10, dropout_rate=0.5):
    """Build the lecture slides' Fashion-MNIST CNN (after Géron, 2019), untrained.

    One 7×7 convolution with 64 filters, then two pairs of 3×3 convolutions with 128 and 256
    filters, each stage followed by 2×2 max pooling, then dense layers of 128 and 64 units
    with dropout and a softmax output; about 1.4 million parameters. The slides report about
    92 % test accuracy for it. Introduced in chapter 6.

    Parameters
    ----------
    num_classes : int, default=10
        Number of output classes.
    dropout_rate : float, default=0.5
        Dropout rate after each hidden dense layer, in [0, 1).

    Returns
    -------
    keras.Sequential
        An uncompiled model with input shape (None, 28, 28, 1) and output shape
        (None, num_classes), named ``"geron_cnn"``.

    Examples
    --------
    >>> model = build_geron_cnn()
    >>> model.output_shape, model.count_params()
    ((None, 10), 1413834)
    """
    num_classes = _check_positive_int("num_classes", num_classes)
    dropout_rate = _check_rate("dropout_rate", dropout_rate)
    from .device import quiet_tensorflow

    keras = quiet_tensorflow()
    layers = keras.layers

    def conv(filters, kernel_size, name):
        return layers.Conv2D(filters, kernel_size, padding="same", activation="relu", name=name)

    return keras.Sequential(
        [
            keras.Input(shape=_IMAGE_SHAPE, name="image"),
            conv(64, 7, "conv1"),  # (28, 28, 64)
            layers.MaxPooling2D(name="pool1"),  # (14, 14, 64)
            conv(128, 3, "conv2"),
            conv(128, 3, "conv3"),  # (14, 14, 128)
            layers.MaxPooling2D(name="pool2"),  # (7, 7, 128)
            conv(256, 3, "conv4"),
            conv(256, 3, "conv5"),  # (7, 7, 256)
            layers.MaxPooling2D(name="pool3"),  # (3, 3, 256)
            layers.Flatten(name="flatten"),  # (2304,)
            layers.Dense(128, activation="relu", name="dense1"),
            layers.Dropout(dropout_rate, name="dropout1"),
            layers.Dense(64, activation="relu", name="dense2"),
            layers.Dropout(dropout_rate, name="dropout2"),
            layers.Dense(num_classes, activation="softmax", name="predictions"),
        ],
        name="geron_cnn",
    )


def _verified_weights_path(path, expected_sha256):
    path = Path(path)
    fix = (
        "Reinstall coursekit from the course repository (the file ships with it), or retrain "
        "it with `python benchmarks/reference_cnn.py`."
    )
    if not path.is_file():
        raise WeightsCorruptError(f"The reference CNN's weights are missing: {path}. {fix}")
    actual = _sha256(path)
    if actual != expected_sha256:
        raise WeightsCorruptError(
            f"The reference CNN's weights file {path} is corrupt or was changed: its SHA-256 "
            f"is {actual}, expected {expected_sha256}. {fix}"
        )
    return path


def load_reference_cnn():
    """Return the course's trained reference CNN for Fashion-MNIST, compiled.

    The architecture is :func:`build_reference_cnn`; the weights ship inside coursekit and
    are checked against their SHA-256 before they are loaded. The model takes images of
    shape (28, 28, 1) scaled to [0, 1] (``x_test[..., None] / 255``) and returns class
    probabilities. It is compiled with Adam, sparse categorical cross-entropy and accuracy,
    so ``model.evaluate`` works directly. Its measured test accuracy, training time and
    the machine it was trained on are in ``benchmarks/results/reference_cnn.json``.
    Introduced in chapter 6; chapter 7 looks inside it.

    Returns
    -------
    keras.Sequential
        The trained model, named ``"reference_cnn"``.

    Raises
    ------
    WeightsCorruptError
        If the weights file is missing or its checksum does not match.

    Examples
    --------
    >>> model = load_reference_cnn()
    >>> model.name, model.input_shape
    ('reference_cnn', (None, 28, 28, 1))
    """
    path = _verified_weights_path(
        _WEIGHTS_DIR / REFERENCE_CNN_WEIGHTS["file"], REFERENCE_CNN_WEIGHTS["sha256"]
    )
    model = build_reference_cnn()
    model.load_weights(path)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def reference_cnn_info():
    """How the shipped reference CNN was trained, and how well it does: a dict.

    The benchmark script ``benchmarks/reference_cnn.py`` writes this "model card" next to
    the weights. Chapter 6 quotes it; ``benchmarks/results/reference_cnn.json`` holds the
    full record, with the training curves.

    Returns
    -------
    dict
        With the keys ``"test_accuracy"`` (on the 10 000 Fashion-MNIST test images),
        ``"parameters"``, ``"epochs"``, ``"train_seconds"``, ``"train_images"``,
        ``"validation_images"``, ``"date"``, ``"machine"`` (a dict: CPU, cores, GPUs,
        TensorFlow and Keras versions) and ``"command"`` (how to train it again).

    Examples
    --------
    >>> info = reference_cnn_info()
    >>> info["parameters"], info["test_accuracy"] > 0.9
    (429482, True)
    """
    import json

    path = _WEIGHTS_DIR / _REFERENCE_CNN_CARD
    if not path.is_file():
        raise WeightsCorruptError(
            f"The reference CNN's model card is missing: {path}. Reinstall coursekit from "
            "the course repository, or retrain it with `python benchmarks/reference_cnn.py`."
        )
    return json.loads(path.read_text())


#: Keras's files of the ImageNet weights of VGG16 (``keras.applications.VGG16``): for
#: ``include_top`` False and True, the file name in the Keras cache, its MD5 (as Keras
#: checks it) and its size.
VGG16_WEIGHTS = {
    False: {
        "file": "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
        "md5": "6d6bbae143d832006294945121d1f1fc",
        "size": "58 MB",
    },
    True: {
        "file": "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
        "md5": "64373286793e3c8b2b4e3219cbf3544b",
        "size": "528 MB",
    },
}
_VGG16_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"


def _keras_model_dirs():
    """Where ``keras.utils.get_file(..., cache_subdir="models")`` keeps its files."""
    import os
    import tempfile

    home = os.environ.get("KERAS_HOME")
    base = Path(home).expanduser() if home else Path.home() / ".keras"
    dirs = [base / "models"]
    fallback = Path(tempfile.gettempdir()) / ".keras" / "models"
    if fallback not in dirs:  # Keras writes here when the first folder is read-only
        dirs.append(fallback)
    return dirs


def _md5(path):
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_vgg16_arguments(weights, input_shape, include_top):
    if weights not in ("imagenet", None):
        raise ValueError(
            "weights must be 'imagenet' (pre-trained on ImageNet) or None (random "
            f"weights). Received: weights={weights!r}."
        )
    if not isinstance(include_top, bool):
        raise ValueError(f"include_top must be True or False. Received: {include_top=!r}.")
    if (
        not isinstance(input_shape, tuple | list)
        or len(input_shape) != 3
        or not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in input_shape)
        or input_shape[2] != 3
        or min(input_shape[:2]) < 32
    ):
        raise ValueError(
            "input_shape must be (height, width, 3) with height and width at least 32, "
            f"e.g. (128, 128, 3). Received: input_shape={input_shape!r}."
        )
    if include_top and tuple(input_shape) != (224, 224, 3):
        raise ValueError(
            "With include_top=True, VGG16 takes 224×224 colour images only: "
            f"input_shape must be (224, 224, 3). Received: input_shape={input_shape!r}."
        )
    return tuple(int(n) for n in input_shape)


def _vgg16_missing_message(record, attempts):
    folder = _keras_model_dirs()[0]
    lines = [f"The ImageNet weights of VGG16 ({record['file']}, {record['size']}) are not here."]
    lines += ["Tried, in order:"]
    lines += [f"  {number}. {attempt}" for number, attempt in enumerate(attempts, start=1)]
    lines += [
        "To use them, do one of:",
        "  - go online and call load_vgg16() again: Keras downloads the file once and "
        f"keeps it in {folder};",
        f"  - on a machine that is online, download {_VGG16_URL}{record['file']} and copy "
        f"it into {folder} (or into $KERAS_HOME/models).",
        "Without them: load_vgg16(weights=None) builds the same network with random "
        "weights, and coursekit.models.load_reference_cnn() is the course's own pre-trained "
        "network (Fashion-MNIST), which works offline.",
    ]
    return "\n".join(lines)


def load_vgg16(*, weights="imagenet", input_shape=(128, 128, 3), include_top=False):
    """Return Keras's VGG16, with its ImageNet weights when they can be had.

    The ImageNet weights are looked for in the Keras cache first (``$KERAS_HOME/models``,
    by default ``~/.keras/models``), checked against Keras's MD5 and loaded from there
    without touching the network. When they are not there and the machine is online (and
    ``COURSEKIT_OFFLINE`` is not set), Keras downloads them once into the cache. Otherwise
    :class:`WeightsNotFoundError` says what was tried and how to get the file. Introduced
    in chapter 8.

    Parameters
    ----------
    weights : {"imagenet", None}, default="imagenet"
        ``"imagenet"`` for the pre-trained weights, ``None`` for random weights (works
        offline; the tests and the book use it when the weights are missing).
    input_shape : tuple of int, default=(128, 128, 3)
        Height, width and 3 colour channels; height and width at least 32.
    include_top : bool, default=False
        Keep the three dense layers and the 1000-class ImageNet output (then input_shape
        must be (224, 224, 3) and the weights file is 528 MB instead of 58 MB).

    Returns
    -------
    keras.Model
        A Functional model named ``"vgg16"``; without the top its layers are the input,
        thirteen 3×3 convolutions (``block1_conv1`` … ``block5_conv3``) and five max
        pooling layers (``block1_pool`` … ``block5_pool``). It expects inputs prepared by
        ``keras.applications.vgg16.preprocess_input`` (RGB 0–255 → BGR, mean-centred).

    Raises
    ------
    WeightsNotFoundError
        If ``weights="imagenet"`` and the weights are neither cached nor downloadable.
    WeightsCorruptError
        If the cached weights file does not match Keras's checksum.

    Examples
    --------
    >>> model = load_vgg16(weights=None)
    >>> model.output_shape, model.count_params()
    ((None, 4, 4, 512), 14714688)
    >>> model.layers[9].name
    'block3_conv3'
    """
    from . import data
    from .device import quiet_tensorflow

    input_shape = _check_vgg16_arguments(weights, input_shape, include_top)
    keras = quiet_tensorflow()
    if weights is None:
        return keras.applications.VGG16(
            include_top=include_top, weights=None, input_shape=input_shape
        )

    record = VGG16_WEIGHTS[include_top]
    attempts = []
    for folder in _keras_model_dirs():
        path = folder / record["file"]
        if not path.is_file():
            attempts.append(f"the Keras cache ({path}): no such file")
            continue
        actual = _md5(path)
        if actual != record["md5"]:
            raise WeightsCorruptError(
                f"The cached VGG16 weights {path} are damaged or incomplete: their MD5 is "
                f"{actual}, expected {record['md5']}. Delete the file; the next call of "
                "load_vgg16() on an online machine downloads it again."
            )
        return keras.applications.VGG16(
            include_top=include_top, weights=str(path), input_shape=input_shape
        )

    if data._offline_env():
        attempts.append("a Keras download: not tried, because COURSEKIT_OFFLINE is set")
        raise WeightsNotFoundError(_vgg16_missing_message(record, attempts))
    online, reason = data._can_reach()
    if not online:
        attempts.append(f"a Keras download: not tried, the machine is offline ({reason})")
        raise WeightsNotFoundError(_vgg16_missing_message(record, attempts))
    try:
        return keras.applications.VGG16(
            include_top=include_top, weights="imagenet", input_shape=input_shape
        )
    except Exception as error:  # network errors come in many types
        attempts.append(f"a Keras download from {_VGG16_URL}: failed ({error})")
        raise WeightsNotFoundError(_vgg16_missing_message(record, attempts)) from error
