"""Tests of coursekit.plots: normal use returns a Figure; bad input raises a clear error."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from coursekit.plots import (
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_training_curves,
    show_images,
)

matplotlib.use("Agg")  # no windows, also on a machine with a display

X_GATE = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y_AND = np.array([0, 0, 0, 1])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _and_labels(points):
    return (points.sum(axis=1) > 1.5).astype(int)


# --- plot_decision_boundary -----------------------------------------------------------------


@pytest.mark.parametrize(
    "predict",
    [
        _and_labels,  # integer labels (m,)
        lambda P: _and_labels(P).astype(float),  # float labels with integer values
        lambda P: 1 / (1 + np.exp(-(P.sum(axis=1) - 1.5) * 4)),  # probabilities (m,)
        lambda P: (P.sum(axis=1) - 1.5)[:, None],  # raw scores (m, 1)
        lambda P: np.column_stack([1.5 - P.sum(axis=1), P.sum(axis=1) - 1.5]),  # (m, k)
    ],
    ids=["labels", "float-labels", "probabilities", "scores-m-1", "class-scores"],
)
def test_decision_boundary_accepts_labels_and_scores(predict):
    fig = plot_decision_boundary(predict, X_GATE, Y_AND, resolution=30, title="AND")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_title() == "AND"
    # the padding is applied around the points
    assert ax.get_xlim() == pytest.approx((-0.5, 1.5))
    assert ax.get_ylim() == pytest.approx((-0.5, 1.5))
    # one scatter collection per class, labelled for the legend
    legend_texts = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend_texts == ["class 0", "class 1"]


def test_decision_boundary_calls_predict_once_on_the_whole_grid():
    calls = []

    def predict(points):
        calls.append(points.shape)
        return _and_labels(points)

    plot_decision_boundary(predict, X_GATE, Y_AND, resolution=17, padding=0.25)
    assert calls == [(17 * 17, 2)]


def test_decision_boundary_draws_into_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    returned = plot_decision_boundary(_and_labels, X_GATE, Y_AND, ax=right, resolution=10)
    assert returned is fig
    assert right.get_legend() is not None
    assert left.get_legend() is None


def test_decision_boundary_handles_multiclass_and_degenerate_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = np.arange(30) % 3
    fig = plot_decision_boundary(lambda P: (P[:, 0] > 0).astype(int) + (P[:, 1] > 0), X, y)
    assert len(fig.axes[0].get_legend().get_texts()) == 3
    # a single point still gives a window around it
    fig = plot_decision_boundary(_and_labels, [[1.0, 1.0]], [1], padding=0)
    low, high = fig.axes[0].get_xlim()
    assert low < 1.0 < high


@pytest.mark.parametrize(
    ("X", "y", "match"),
    [
        (
            np.zeros((4, 3)),
            Y_AND,
            r"X must have shape \(n_samples, 2\).*Received: X with shape \(4, 3\)",
        ),
        (np.zeros(4), Y_AND, r"Received: X with shape \(4,\)"),
        (np.zeros((0, 2)), np.zeros(0), r"at least one point"),
        (X_GATE, np.zeros(3), r"y must have shape.*\(4,\).*Received: y with shape \(3,\)"),
        (X_GATE, np.zeros((4, 1)), r"Received: y with shape \(4, 1\)"),
        (np.full((4, 2), np.nan), Y_AND, r"finite"),
    ],
)
def test_decision_boundary_rejects_bad_data(X, y, match):
    with pytest.raises(ValueError, match=match):
        plot_decision_boundary(_and_labels, X, y)


def test_decision_boundary_rejects_bad_options_and_predict():
    with pytest.raises(TypeError, match="predict must be a function"):
        plot_decision_boundary("model", X_GATE, Y_AND)
    with pytest.raises(ValueError, match=r"resolution must be a positive integer.*resolution=0"):
        plot_decision_boundary(_and_labels, X_GATE, Y_AND, resolution=0)
    with pytest.raises(ValueError, match=r"resolution must be at least 2"):
        plot_decision_boundary(_and_labels, X_GATE, Y_AND, resolution=1)
    with pytest.raises(ValueError, match=r"padding must be a non-negative number.*padding=-1"):
        plot_decision_boundary(_and_labels, X_GATE, Y_AND, padding=-1)
    with pytest.raises(TypeError, match=r"ax must be a matplotlib Axes.*Received: ax of type str"):
        plot_decision_boundary(_and_labels, X_GATE, Y_AND, ax="left")
    with pytest.raises(ValueError, match=r"m=100 points.*Received: an output of shape \(10,\)"):
        plot_decision_boundary(lambda P: np.zeros(10), X_GATE, Y_AND, resolution=10)
    with pytest.raises(ValueError, match=r"NaN or inf"):
        plot_decision_boundary(lambda P: np.full(len(P), np.nan), X_GATE, Y_AND, resolution=10)


# --- show_images ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape", [(5, 28, 28), (5, 28, 28, 1), (5, 16, 24, 3), (5, 8, 8, 4)], ids=str
)
def test_show_images_shapes(shape):
    images = np.random.default_rng(0).random(shape)
    fig = show_images(images, num_columns=3)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 5  # the sixth cell of the 2 x 3 grid is removed


def test_show_images_titles_from_labels_and_class_names():
    images = np.zeros((4, 6, 6), dtype=np.uint8)
    fig = show_images(images, [3, 1, 0, 2], class_names=["a", "b", "c", "d"])
    assert [ax.get_title() for ax in fig.axes] == ["d", "b", "a", "c"]
    fig = show_images(images, ["cat", "dog", "cat", "dog"])
    assert [ax.get_title() for ax in fig.axes] == ["cat", "dog", "cat", "dog"]
    fig = show_images(images)
    assert [ax.get_title() for ax in fig.axes] == ["", "", "", ""]


def test_show_images_accepts_a_list_of_images():
    fig = show_images([np.zeros((5, 5)), np.ones((5, 5))], num_columns=8)
    assert len(fig.axes) == 2


@pytest.mark.parametrize(
    ("images", "match"),
    [
        (np.zeros((28, 28)), r"Received: images with shape \(28, 28\)\. For a single image"),
        (np.zeros(10), r"Received: images with shape \(10,\)"),
        (np.zeros((2, 8, 8, 2)), r"1, 3 or 4 channels.*Received: images with shape \(2, 8, 8, 2\)"),
        (np.zeros((0, 8, 8)), r"at least one image"),
        (np.array([[["a"]]]), r"must be numeric"),
    ],
)
def test_show_images_rejects_bad_shapes(images, match):
    with pytest.raises(ValueError, match=match):
        show_images(images)


def test_show_images_rejects_bad_labels_and_options():
    images = np.zeros((3, 4, 4))
    with pytest.raises(ValueError, match=r"labels must have shape \(n_images,\) = \(3,\).*\(2,\)"):
        show_images(images, [0, 1])
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\).*from 0 to 2"):
        show_images(images, [0, 1, 2], class_names=["x", "y"])
    with pytest.raises(ValueError, match=r"labels must be integers"):
        show_images(images, ["a", "b", "c"], class_names=["x", "y"])
    with pytest.raises(TypeError, match=r"class_names must be a sequence"):
        show_images(images, [0, 1, 0], class_names="xy")
    with pytest.raises(ValueError, match=r"class_names needs labels"):
        show_images(images, class_names=["x"])
    with pytest.raises(ValueError, match=r"num_columns must be a positive integer.*num_columns=0"):
        show_images(images, num_columns=0)


# --- plot_training_curves -------------------------------------------------------------------

HISTORY = {
    "loss": [1.0, 0.6, 0.4, 0.3],
    "val_loss": [1.1, 0.8, 0.7, 0.75],
    "accuracy": [0.5, 0.7, 0.8, 0.9],
}


def test_training_curves_train_and_validation():
    fig = plot_training_curves(HISTORY)
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["training", "validation"]
    np.testing.assert_allclose(lines[0].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(lines[1].get_ydata(), HISTORY["val_loss"])
    assert ax.get_xlabel() == "epoch"
    assert ax.get_ylabel() == "loss"


def test_training_curves_several_metrics_without_validation():
    fig = plot_training_curves(HISTORY, metrics=["loss", "accuracy"])
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "accuracy"]
    assert len(fig.axes[1].get_lines()) == 1  # no val_accuracy recorded
    fig = plot_training_curves(HISTORY, metrics="accuracy")
    assert [ax.get_ylabel() for ax in fig.axes] == ["accuracy"]


def test_training_curves_accepts_a_history_object_and_axes():
    class History:  # what keras.callbacks.History looks like to the function
        history = HISTORY

    fig, axes = plt.subplots(1, 2)
    assert plot_training_curves(History(), metrics=("loss", "accuracy"), ax=axes) is fig
    fig, ax = plt.subplots()
    assert plot_training_curves(History(), ax=ax) is fig


def test_training_curves_with_a_real_keras_history():
    pytest.importorskip("keras")
    from coursekit.device import quiet_tensorflow

    keras = quiet_tensorflow()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(
        X_GATE, Y_AND.astype(float), validation_data=(X_GATE, Y_AND), epochs=3, verbose=0
    )
    fig = plot_training_curves(history)
    assert len(fig.axes[0].get_lines()) == 2


def test_training_curves_rejects_bad_input():
    with pytest.raises(
        TypeError, match=r"history must be a Keras History.*Received: history of type list"
    ):
        plot_training_curves([0.1, 0.2])
    with pytest.raises(ValueError, match=r"metric 'acc' is not in the history.*\['accuracy'"):
        plot_training_curves(HISTORY, metrics=("acc",))
    with pytest.raises(ValueError, match=r"non-empty sequence"):
        plot_training_curves(HISTORY, metrics=())
    with pytest.raises(ValueError, match=r"history\['loss'\] must be a non-empty list"):
        plot_training_curves({"loss": []})
    with pytest.raises(
        ValueError, match=r"history\['val_loss'\] must have one value per epoch.*3 values"
    ):
        plot_training_curves({"loss": [1.0, 0.5], "val_loss": [1.0, 0.5, 0.2]})
    _, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match=r"one Axes per metric \(1 .*Received: 2 Axes"):
        plot_training_curves(HISTORY, ax=axes)


def test_decision_boundary_names_float_labels_like_integers():
    fig = plot_decision_boundary(_and_labels, X_GATE, Y_AND.astype(float), resolution=10)
    legend_texts = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert legend_texts == ["class 0", "class 1"]


# --- plot_confusion_matrix ------------------------------------------------------------------

Y_TRUE = np.array([0, 0, 1, 1, 1, 2, 2, 2])
Y_PRED = np.array([0, 1, 1, 1, 2, 2, 2, 0])


def _matrix(fig):
    return np.asarray(fig.axes[0].images[0].get_array())


def test_confusion_matrix_counts_match_a_loop():
    fig = plot_confusion_matrix(Y_TRUE, Y_PRED)
    assert isinstance(fig, Figure)
    expected = np.zeros((3, 3), dtype=int)
    for true, predicted in zip(Y_TRUE, Y_PRED, strict=True):
        expected[true, predicted] += 1
    np.testing.assert_array_equal(_matrix(fig), expected)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted class", "true class")
    # every cell is annotated with its count, row by row
    texts = [text.get_text() for text in ax.texts]
    assert texts == [str(value) for value in expected.ravel()]


def test_confusion_matrix_matches_scikit_learn():
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 10, size=500)
    y_pred = np.where(rng.random(500) < 0.7, y_true, rng.integers(0, 10, size=500))
    fig = plot_confusion_matrix(y_true, y_pred, class_names=[f"c{k}" for k in range(10)])
    np.testing.assert_array_equal(_matrix(fig), confusion_matrix(y_true, y_pred))
    fig = plot_confusion_matrix(y_true, y_pred, normalize=True)
    np.testing.assert_allclose(
        _matrix(fig), confusion_matrix(y_true, y_pred, normalize="true"), rtol=1e-12
    )


def test_confusion_matrix_class_names_and_missing_classes():
    names = ["T-shirt", "Trouser", "Pullover", "Dress"]
    fig = plot_confusion_matrix([0, 1, 1], [0, 1, 0], class_names=names, normalize=True)
    ax = fig.axes[0]
    assert [label.get_text() for label in ax.get_xticklabels()] == names
    assert [label.get_text() for label in ax.get_yticklabels()] == names
    matrix = _matrix(fig)
    assert matrix.shape == (4, 4)  # classes 2 and 3 have no samples: their rows stay 0
    np.testing.assert_allclose(matrix[:2], [[1, 0, 0, 0], [0.5, 0.5, 0, 0]])
    np.testing.assert_array_equal(matrix[2:], 0)


def test_confusion_matrix_accepts_float_labels_and_draws_into_axes():
    fig, (left, right) = plt.subplots(1, 2)
    returned = plot_confusion_matrix(Y_TRUE.astype(float), Y_PRED.astype(float), ax=right)
    assert returned is fig
    assert right.images and not left.images


@pytest.mark.parametrize(
    ("y_true", "y_pred", "kwargs", "error", "match"),
    [
        ([0, 1, 1], [0, 1], {}, ValueError, r"same shape.*\(3,\).*\(2,\)"),
        (np.zeros((4, 3)), Y_PRED[:4], {}, ValueError, r"shape \(4, 3\)\. For class scores"),
        ([0.5, 1.0], [0, 1], {}, ValueError, r"y_true must hold integer class labels.*float64"),
        (["a", "b"], [0, 1], {}, ValueError, r"integer class labels.*dtype <U1"),
        ([0, -1], [0, 1], {}, ValueError, r"labels >= 0. Received: a label -1"),
        ([], [], {}, ValueError, r"at least one sample"),
        (Y_TRUE, Y_PRED, {"class_names": ["a", "b"]}, ValueError, r"0\.\.1 .*a label 2"),
        (Y_TRUE, Y_PRED, {"class_names": "abc"}, TypeError, r"class_names must be a sequence"),
        (Y_TRUE, Y_PRED, {"normalize": "true"}, TypeError, r"normalize=\'true\'"),
        (Y_TRUE, Y_PRED, {"ax": "left"}, TypeError, r"ax must be a matplotlib Axes"),
    ],
)
def test_confusion_matrix_rejects_bad_input(y_true, y_pred, kwargs, error, match):
    with pytest.raises(error, match=match):
        plot_confusion_matrix(y_true, y_pred, **kwargs)


def test_html_table_both_forms_give_the_same_table():
    from coursekit.plots import html_table

    by_columns = html_table({"k": [8, 3], "error": ["0.00", "0.41"]}).data
    by_rows = html_table(["k", "error"], [[8, "0.00"], [3, "0.41"]]).data
    assert by_columns == by_rows
    assert by_columns.count("<tr>") == 3  # header and two rows
    assert "<th>error</th>" in by_columns and "<td>0.41</td>" in by_columns


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (({"a": [1, 2], "b": [3]},), r"different lengths \{'a': 2, 'b': 1\}"),
        ((["a", "b"], [[1, 2], [3]]), r"row 1 has 1 cells but the header has 2"),
        (([[1, 2]],), r"got a list and no rows"),
    ],
)
def test_html_table_rejects_ragged_input_with_a_clear_message(args, match):
    from coursekit.plots import html_table

    with pytest.raises(ValueError, match=match):
        html_table(*args)


# --- conceptual diagrams ----------------------------------------------------------------------


def _diagram_calls():
    from coursekit import plots

    return [
        lambda: plots.draw_network([784, 64, 10]),
        lambda: plots.draw_network([784, 256, 256, 10], max_units=8, dropped={1: [0, 3]}),
        lambda: plots.draw_tlu([1.0, 1.0], -1.5),
        lambda: plots.draw_blocks([("input", (32, 32, 1)), ("conv1", (28, 28, 6)), ("out", (10,))]),
        lambda: plots.draw_sliding_window(5, 3, stride=2, padding=1, position=(1, 2)),
        lambda: plots.draw_channels(3, 4),
        lambda: plots.draw_flow(["a", "b", "c"], backward=["db", "dc"]),
        lambda: plots.draw_flow(["a", "b"], loop="again", notes=["step"]),
    ]


@pytest.mark.parametrize("index", range(8))
def test_diagrams_are_transparent_and_write_text_on_light_patches(index):
    """Diagrams read in the book's light and dark themes: transparent figure and axes, and
    every text in dark ink on a light patch (or inside a light shape)."""
    from matplotlib.colors import to_rgba

    fig = _diagram_calls()[index]()
    assert isinstance(fig, Figure)
    assert fig.patch.get_alpha() == 0.0
    for ax in fig.axes:
        assert ax.patch.get_alpha() == 0.0
        for text in ax.texts:
            if not text.get_text().strip():
                continue
            red, green, blue, _ = to_rgba(text.get_color())
            assert red + green + blue <= 1.0 + 1e-9, f"light text {text.get_text()!r}"


def test_sliding_window_checks_its_geometry():
    from coursekit.plots import draw_sliding_window

    with pytest.raises(ValueError, match=r"position must be an output cell, each index in 0..2"):
        draw_sliding_window(5, 3, stride=2, padding=1, position=(3, 0))
    with pytest.raises(ValueError, match=r"does not fit the padded input"):
        draw_sliding_window(2, 5)
    with pytest.raises(ValueError, match=r"padding must be an integer >= 0. Received: padding=-1"):
        draw_sliding_window(5, 3, padding=-1)


def test_sliding_window_output_size_is_the_formula():
    from coursekit.plots import draw_sliding_window

    fig = draw_sliding_window(7, 3, stride=2)
    texts = " ".join(text.get_text() for text in fig.axes[0].texts)
    assert "output 3 × 3" in texts  # (7 - 3) // 2 + 1


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda p: p.draw_network([10]), r"at least two layers"),
        (lambda p: p.draw_network([4, 0]), r"layer_sizes\[1\] must be a positive integer"),
        (lambda p: p.draw_network([4, 3], layer_labels=["a"]), r"one label per layer \(2\)"),
        (lambda p: p.draw_blocks([("x", (3, 3))]), r"\(height, width, channels\) or \(n,\)"),
        (lambda p: p.draw_blocks([("x", (3,), "weird")]), r"Unknown block kind 'weird'"),
        (lambda p: p.draw_blocks([("a", (3,)), ("b", (2,))], cut=1), r"cut must be the index"),
        (lambda p: p.draw_channels(9, 2), r"at most 8 of each"),
        (lambda p: p.draw_flow(["a", "b"], backward=["x", "y"]), r"one text per arrow \(1\)"),
        (lambda p: p.draw_tlu([1.0], 0.0, input_names=["a", "b"]), r"one name per weight"),
    ],
)
def test_diagrams_reject_bad_input_with_the_received_value(call, match):
    from coursekit import plots

    with pytest.raises(ValueError, match=match):
        call(plots)


def test_model_blocks_matches_keras_shapes():
    keras = pytest.importorskip("keras")
    from coursekit.plots import model_blocks

    model = keras.Sequential(
        [
            keras.Input(shape=(32, 32, 1)),
            keras.layers.Conv2D(6, 5, name="conv1"),
            keras.layers.BatchNormalization(name="bn1"),
            keras.layers.Activation("relu", name="relu1"),
            keras.layers.AveragePooling2D(2, name="pool1"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(10, name="output"),
        ]
    )
    assert model_blocks(model, highlight=["relu1"]) == [
        ("input", (32, 32, 1), "input"),
        ("conv1", (28, 28, 6), "conv"),
        ("relu1", (28, 28, 6), "code"),
        ("pool1", (14, 14, 6), "pool"),
        ("flatten", (1176,), "dense"),
        ("output", (10,), "output"),
    ]
    unbuilt = keras.Sequential([keras.Input(shape=(None, None, 1)), keras.layers.Conv2D(2, 3)])
    with pytest.raises(ValueError, match=r"fixed input size"):
        model_blocks(unbuilt)
