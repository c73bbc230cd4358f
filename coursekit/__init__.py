"""coursekit: the helper library of the *Deep Learning in Practice* course.

Data loaders (:mod:`coursekit.data`), TensorFlow/device helpers (:mod:`coursekit.device`),
plots (:mod:`coursekit.plots`), grading helpers for assignment tests
(:mod:`coursekit.grading`) and the nbgrader workflow (:mod:`coursekit.course`). Importing
coursekit does not import TensorFlow; the functions that need Keras load it on first use.
"""

from .data import (
    FASHION_MNIST_CLASSES,
    SCENE_CLASSES,
    DataCorruptError,
    DataNotFoundError,
    data_sources,
    load_digits,
    load_digits_28x28,
    load_faces,
    load_fashion_mnist,
    load_photos,
    make_fashion_scenes,
)
from .device import device_report, machine_info, quiet_tensorflow, set_seed
from .plots import plot_decision_boundary, plot_training_curves, show_images

__version__ = "0.1.0"

__all__ = [
    "FASHION_MNIST_CLASSES",
    "SCENE_CLASSES",
    "DataCorruptError",
    "DataNotFoundError",
    "data_sources",
    "device_report",
    "machine_info",
    "load_digits",
    "load_digits_28x28",
    "load_faces",
    "load_fashion_mnist",
    "load_photos",
    "make_fashion_scenes",
    "plot_decision_boundary",
    "plot_training_curves",
    "quiet_tensorflow",
    "set_seed",
    "show_images",
]
