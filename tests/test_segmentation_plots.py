"""Tests of coursekit.plots.plot_segmentation: masks drawn over images, and bad input."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from coursekit.plots import plot_segmentation

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _scenes(num_images=4, size=16):
    images = np.zeros((num_images, size, size, 1))
    masks = np.zeros((num_images, size, size), dtype=np.int32)
    images[:, 2:8, 2:8] = 0.8
    masks[:, 2:8, 2:8] = 3
    masks[1, 10:14, 10:14] = 10
    return images, masks


def test_one_row_per_mask_set_under_the_images():
    images, masks = _scenes()
    fig = plot_segmentation(images, {"true": masks, "predicted": masks})
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3 * 4
    assert [fig.axes[4 * row].get_ylabel() for row in range(3)] == ["image", "true", "predicted"]


def test_background_is_untinted_and_classes_are_tinted():
    images, masks = _scenes()
    fig = plot_segmentation(images, {"true": masks}, alpha=1.0)
    plain = fig.axes[0].get_images()[0].get_array()
    tinted = fig.axes[4].get_images()[0].get_array()
    assert np.allclose(plain[0, 0], tinted[0, 0])  # background pixel: unchanged
    assert not np.allclose(tinted[3, 3], plain[3, 3])  # class-3 pixel: coloured
    assert not np.allclose(tinted[3, 3], tinted[3, 3].mean())  # a colour, not a grey


def test_legend_names_the_classes_present():
    images, masks = _scenes()
    names = [f"class {k}" for k in range(11)]
    fig = plot_segmentation(images, {"true": masks}, class_names=names)
    labels = [text.get_text() for text in fig.legends[0].get_texts()]
    assert labels == ["class 3", "class 10"]


def test_num_images_limits_the_columns():
    images, masks = _scenes(num_images=6)
    fig = plot_segmentation(images, {"true": masks}, num_images=2)
    assert len(fig.axes) == 2 * 2


def test_same_colour_for_a_class_in_every_row():
    images, masks = _scenes()
    fig = plot_segmentation(images, {"a": masks, "b": masks})
    first = fig.axes[4].get_images()[0].get_array()
    second = fig.axes[8].get_images()[0].get_array()
    assert np.allclose(first, second)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"masks": {"true": np.zeros((4, 16, 8), int)}}, ValueError, "(4, 16, 8)"),
        ({"masks": {"true": np.full((4, 16, 16), 0.5)}}, ValueError, "float64"),
        ({"masks": {"true": -np.ones((4, 16, 16), int)}}, ValueError, "-1"),
        ({"masks": np.zeros((4, 16, 16), int)}, TypeError, "ndarray"),
        ({"masks": {}}, TypeError, "dict"),
        ({"alpha": 1.5}, ValueError, "alpha=1.5"),
        ({"num_images": 0}, ValueError, "num_images=0"),
    ],
)
def test_bad_input_raises_with_the_received_value(kwargs, error, message):
    images, masks = _scenes()
    arguments = {"masks": {"true": masks}, **kwargs}
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        plot_segmentation(images, **arguments)


def test_bad_images_raise():
    with pytest.raises(ValueError, match="images"):
        plot_segmentation(np.zeros((2, 8, 8, 3)), {"true": np.zeros((2, 8, 8), int)})
