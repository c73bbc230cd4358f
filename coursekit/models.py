"""Keras models the course gives to students, and the course's trained reference CNN.

:func:`build_reference_cnn` is the architecture of the course's reference Fashion-MNIST CNN
and :func:`load_reference_cnn` returns it with the trained weights that ship inside coursekit
(trained by ``benchmarks/reference_cnn.py``; chapters 6 and 7 and the assignments a04 and a05
use it, so nobody has to train it while a book builds). :func:`build_geron_cnn` is the larger
Fashion-MNIST CNN of the lecture slides (after Géron), shown in chapter 6.

Every builder imports Keras on first use, so importing this module does not import TensorFlow.
"""

from __future__ import annotations

import hashlib
import numbers
from pathlib import Path

__all__ = [
    "REFERENCE_CNN_WEIGHTS",
    "WeightsCorruptError",
    "build_geron_cnn",
    "build_reference_cnn",
    "load_reference_cnn",
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


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
