"""Tests of coursekit.widgets: the optimisers against Keras, the figure, and the explorer
driven from code (no browser), with its static fallback; bad input raises a clear error."""

import types

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from coursekit import widgets
from coursekit.widgets import (
    LOSS_SURFACES,
    OPTIMIZERS,
    optimizer_explorer,
    optimizer_paths,
    plot_optimizer_paths,
)

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --- optimizer_paths ------------------------------------------------------------------------


def test_gradient_descent_on_the_ravine_has_a_closed_form():
    # On (w1² + 100 w2²) / 20 the gradient is (0.1 w1, 10 w2), so each step multiplies
    # w1 by (1 - 0.1 η) and w2 by (1 - 10 η).
    path = optimizer_paths("ravine", optimizers="gd", learning_rate=0.05, num_steps=30)["gd"]
    t = np.arange(31)
    start = np.array([-4.0, 1.0])
    expected = np.column_stack([start[0] * 0.995**t, start[1] * 0.5**t])
    np.testing.assert_allclose(path, expected, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("surface", LOSS_SURFACES)
def test_gradients_match_finite_differences(surface):
    spec = widgets._SURFACES[surface]
    rng = np.random.default_rng(0)
    h = 1e-6
    for w in rng.uniform(-1.5, 1.5, size=(5, 2)):
        numeric = [(spec.loss(w + h * e) - spec.loss(w - h * e)) / (2 * h) for e in np.eye(2)]
        np.testing.assert_allclose(spec.gradient(w), numeric, rtol=1e-5, atol=1e-6)
    # the minimum is a stationary point
    np.testing.assert_allclose(spec.gradient(np.array(spec.minimum)), 0, atol=1e-9)


def _keras_path(keras, optimizer, gradient, start, num_steps):
    """The points Keras's optimizer visits when fed the same gradients."""
    w = keras.Variable(np.array(start), dtype="float64")
    path = [np.array(start)]
    for _ in range(num_steps):
        g = gradient(np.array(w.numpy()))
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g, dtype="float64"), w)])
        path.append(np.array(w.numpy()))
    return np.array(path)


def test_optimizers_match_keras():
    from coursekit.device import quiet_tensorflow

    keras = quiet_tensorflow()
    spec = widgets._SURFACES["rosenbrock"]
    start, learning_rate, num_steps = (-1.0, 1.5), 0.01, 25
    reference = {
        "gd": keras.optimizers.SGD(learning_rate),
        "momentum": keras.optimizers.SGD(learning_rate, momentum=0.9),
        "adagrad": keras.optimizers.Adagrad(learning_rate, initial_accumulator_value=0.0),
        "rmsprop": keras.optimizers.RMSprop(learning_rate, rho=0.9),
        "adam": keras.optimizers.Adam(learning_rate),
    }
    paths = optimizer_paths(
        "rosenbrock", learning_rate=learning_rate, num_steps=num_steps, start=start
    )
    assert list(paths) == list(OPTIMIZERS)
    for name, optimizer in reference.items():
        expected = _keras_path(keras, optimizer, spec.gradient, start, num_steps)
        # Keras places epsilon slightly differently in AdaGrad, RMSProp and Adam.
        np.testing.assert_allclose(paths[name], expected, rtol=1e-4, atol=1e-5, err_msg=name)


def test_a_diverging_run_stops_at_its_last_finite_point():
    paths = optimizer_paths("ravine", optimizers=("gd", "adam"), learning_rate=0.5)
    assert len(paths["adam"]) == 51
    assert 2 < len(paths["gd"]) < 51  # w2 is multiplied by -4 in every step
    assert np.all(np.isfinite(paths["gd"]))
    assert np.max(np.abs(paths["gd"])) <= 1e6


def test_two_valleys_momentum_reaches_the_global_minimum_and_gd_does_not():
    # The picture the chapter describes: with the default settings plain gradient descent
    # settles in the nearer, higher valley; momentum carries on into the deeper one.
    paths = optimizer_paths("two_valleys", optimizers=("gd", "momentum"))
    spec = widgets._SURFACES["two_valleys"]
    assert paths["gd"][-1][0] > 0.5
    assert np.linalg.norm(paths["momentum"][-1] - spec.minimum) < 0.2


# --- plot_optimizer_paths -------------------------------------------------------------------


def test_plot_shows_contours_paths_and_loss_curves():
    fig = plot_optimizer_paths("ravine", optimizers=("gd", "adam"), num_steps=12)
    assert isinstance(fig, Figure)
    left, right = fig.axes[:2]
    curves = right.get_lines()
    assert len(curves) == 2
    np.testing.assert_array_equal(curves[0].get_xdata(), np.arange(13))
    assert right.get_yscale() == "log"
    assert [t.get_text() for t in right.get_legend().get_texts()] == [
        "gradient descent",
        "Adam",
    ]
    assert "Ravine" in left.get_title()
    assert "12 steps" in right.get_title()


def test_plot_labels_a_diverged_run():
    fig = plot_optimizer_paths("ravine", optimizers=("gd", "momentum"), learning_rate=0.5)
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert labels[0] == "gradient descent (diverged)"


# --- optimizer_explorer ---------------------------------------------------------------------


def test_explorer_is_a_widget_that_updates_when_a_slider_moves():
    ipywidgets = pytest.importorskip("ipywidgets")
    explorer = optimizer_explorer(interactive=True)
    assert isinstance(explorer, ipywidgets.VBox)
    assert set(explorer.controls) == {"surface", "learning_rate", "num_steps", "optimizers"}
    assert explorer.controls["learning_rate"].value == pytest.approx(0.15)
    assert sorted(explorer.paths) == ["adam", "gd", "momentum"]
    first_image = explorer.image.value
    assert first_image[:8] == b"\x89PNG\r\n\x1a\n"
    first_figure = explorer.figure

    explorer.controls["learning_rate"].value = 0.01  # as if the slider were moved
    assert explorer.figure is not first_figure
    assert explorer.image.value != first_image
    expected = optimizer_paths("ravine", optimizers=("gd", "momentum", "adam"), learning_rate=0.01)
    for name, path in expected.items():
        np.testing.assert_allclose(explorer.paths[name], path)
    assert "learning rate 0.01," in explorer.figure.axes[1].get_title()

    explorer.controls["num_steps"].value = 20
    assert len(explorer.paths["gd"]) == 21
    explorer.controls["optimizers"].value = ("rmsprop",)
    assert list(explorer.paths) == ["rmsprop"]
    assert "RMSProp" in explorer.summary.value


def test_explorer_surface_change_resets_the_defaults():
    pytest.importorskip("ipywidgets")
    explorer = optimizer_explorer(learning_rate=0.001, num_steps=7, interactive=True)
    assert len(explorer.paths["gd"]) == 8
    explorer.controls["surface"].value = "rosenbrock"
    assert explorer.controls["learning_rate"].value == pytest.approx(0.01)
    assert explorer.controls["num_steps"].value == 100
    assert len(explorer.paths["gd"]) == 101
    assert "Rosenbrock" in explorer.figure.axes[0].get_title()


def test_explorer_with_no_optimiser_selected_says_so():
    pytest.importorskip("ipywidgets")
    explorer = optimizer_explorer(interactive=True)
    explorer.controls["optimizers"].value = ()
    assert explorer.paths == {}
    assert "Select at least one" in explorer.summary.value


def test_explorer_reports_divergence():
    pytest.importorskip("ipywidgets")
    explorer = optimizer_explorer(optimizers=("gd",), learning_rate=0.5, interactive=True)
    assert "gradient descent: diverged" in explorer.summary.value


def test_explorer_falls_back_to_the_static_figure():
    fig = optimizer_explorer(interactive=False)
    assert isinstance(fig, Figure)
    assert len(fig.axes[1].get_lines()) == 3
    # outside a notebook (this test) the default is the static figure, too
    assert isinstance(optimizer_explorer(), Figure)


def _fake_kernel(monkeypatch, allow_stdin):
    """Pretend to run in a Jupyter kernel whose current request has allow_stdin."""
    import IPython

    from coursekit import callbacks

    request = {"content": {"allow_stdin": allow_stdin}}
    shell = types.SimpleNamespace(kernel=types.SimpleNamespace(get_parent=lambda: request))
    monkeypatch.setattr(callbacks, "in_notebook", lambda: True)
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)


def test_explorer_is_interactive_for_a_person_and_static_for_headless_runs(monkeypatch):
    ipywidgets = pytest.importorskip("ipywidgets")
    _fake_kernel(monkeypatch, allow_stdin=True)  # JupyterLab, Notebook, VS Code
    assert isinstance(optimizer_explorer(), ipywidgets.VBox)
    _fake_kernel(monkeypatch, allow_stdin=False)  # nbclient: book build, nbconvert, nbgrader
    assert isinstance(optimizer_explorer(), Figure)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"surface": "bowl"}, ValueError, r"surface must be one of 'ravine'.*surface='bowl'"),
        ({"optimizers": ()}, ValueError, r"non-empty sequence.*optimizers=\(\)"),
        ({"optimizers": ("gd", "sgd")}, ValueError, r"unknown name\(s\) 'sgd'"),
        ({"optimizers": 3}, ValueError, r"optimizers=3"),
        ({"learning_rate": 0}, ValueError, r"positive number.*learning_rate=0"),
        ({"learning_rate": -0.1}, ValueError, r"learning_rate=-0.1"),
        ({"learning_rate": float("nan")}, ValueError, r"learning_rate=nan"),
        ({"learning_rate": True}, ValueError, r"learning_rate=True"),
        ({"learning_rate": "0.1"}, ValueError, r"learning_rate='0.1'"),
        ({"num_steps": 0}, ValueError, r"positive integer.*num_steps=0"),
        ({"num_steps": 2.5}, ValueError, r"num_steps=2.5"),
        ({"start": (1.0,)}, ValueError, r"start must be a point.*start=\(1.0,\)"),
        ({"start": (np.inf, 0.0)}, ValueError, r"start=\(inf, 0.0\)"),
        ({"start": "ab"}, ValueError, r"start='ab'"),
    ],
)
def test_bad_input_is_rejected_with_the_received_value(kwargs, error, match):
    with pytest.raises(error, match=match):
        optimizer_paths(**kwargs)
    with pytest.raises(error, match=match):
        plot_optimizer_paths(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"num_steps": 301}, ValueError, r"at most 300.*num_steps=301"),
        ({"interactive": "yes"}, TypeError, r"interactive must be True, False or None"),
        ({"learning_rate": 0}, ValueError, r"learning_rate=0"),
        ({"surface": "saddle"}, ValueError, r"surface='saddle'"),
    ],
)
def test_explorer_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        optimizer_explorer(**kwargs)


def test_importing_widgets_imports_neither_ipywidgets_nor_pyplot():
    import subprocess
    import sys

    code = (
        "import sys, coursekit.widgets; "
        "print(any(m in sys.modules for m in ('ipywidgets', 'matplotlib.pyplot', 'tensorflow')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr
