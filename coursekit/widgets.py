"""Interactive explorers (ipywidgets) for the chapters, each with a static counterpart.

An explorer is a small ipywidgets app: sliders and menus that redraw a matplotlib figure. In a
notebook that a person is running it is interactive; where no one can move a slider (the
built book, ``nbconvert``, autograding, a script) it degrades to the static figure for its
current settings, so the same chapter cell works everywhere. ipywidgets and pyplot are
imported only when a function is called.

Introduced in chapter 3: :func:`optimizer_explorer` runs gradient descent, momentum, AdaGrad,
RMSProp and Adam on a 2-D loss surface; :func:`optimizer_paths` and
:func:`plot_optimizer_paths` are the computation and the figure behind it. Chapter 10 adds
:func:`kmeans_explorer`, a step-through of k-means, with :func:`kmeans_steps` and
:func:`plot_kmeans_steps` behind it.
"""

from __future__ import annotations

import io
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .plots import _CLASS_COLORS

__all__ = [
    "LOSS_SURFACES",
    "OPTIMIZERS",
    "optimizer_paths",
    "plot_optimizer_paths",
    "optimizer_explorer",
    "kmeans_steps",
    "plot_kmeans_steps",
    "kmeans_explorer",
    "KERNELS",
    "plot_kernel_response",
    "kernel_explorer",
]

# --------------------------------------------------------------------------------------------
# Loss surfaces: f(w) for w = (w1, w2), its gradient, and what a good picture of it needs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Surface:
    title: str
    loss: object  # callable: (..., 2) -> (...)
    gradient: object  # callable: (2,) -> (2,)
    minimum: tuple  # where the (global) minimum is
    start: tuple  # default starting point
    learning_rate: float  # a default that shows the differences between the optimisers
    num_steps: int  # a default number of steps
    window: tuple  # (w1_low, w1_high, w2_low, w2_high) of the contour plot


def _ravine_loss(w):
    return (w[..., 0] ** 2 + 100.0 * w[..., 1] ** 2) / 20.0


def _ravine_gradient(w):
    return np.array([0.1 * w[0], 10.0 * w[1]])


def _rosenbrock_loss(w):
    return (1.0 - w[..., 0]) ** 2 + 10.0 * (w[..., 1] - w[..., 0] ** 2) ** 2


def _rosenbrock_gradient(w):
    x, y = w
    return np.array([-2.0 * (1.0 - x) - 40.0 * x * (y - x**2), 20.0 * (y - x**2)])


def _two_valleys_loss(w):
    x, y = w[..., 0], w[..., 1]
    return (x**2 - 1.0) ** 2 + 0.3 * x + 0.5 * y**2


def _two_valleys_gradient(w):
    x, y = w
    return np.array([4.0 * x * (x**2 - 1.0) + 0.3, y])


# The global minimum of the two valleys: the smaller root of 4x(x^2 - 1) + 0.3 = 0.
_TWO_VALLEYS_X = float(np.min(np.roots([4.0, 0.0, -4.0, 0.3]).real))

_SURFACES = {
    "ravine": _Surface(
        "Ravine: (w1² + 100 w2²) / 20",
        _ravine_loss,
        _ravine_gradient,
        (0.0, 0.0),
        (-4.0, 1.0),
        0.15,
        50,
        (-4.5, 1.5, -1.5, 1.5),
    ),
    "rosenbrock": _Surface(
        "Rosenbrock valley: (1 − w1)² + 10 (w2 − w1²)²",
        _rosenbrock_loss,
        _rosenbrock_gradient,
        (1.0, 1.0),
        (-1.5, 2.0),
        0.01,
        100,
        (-2.0, 2.0, -1.0, 3.0),
    ),
    "two_valleys": _Surface(
        "Two valleys: (w1² − 1)² + 0.3 w1 + w2² / 2",
        _two_valleys_loss,
        _two_valleys_gradient,
        (_TWO_VALLEYS_X, 0.0),
        (2.0, 1.5),
        0.05,
        50,
        (-2.0, 2.3, -2.0, 2.0),
    ),
}

LOSS_SURFACES = tuple(_SURFACES)
"""Names of the 2-D loss surfaces: ``"ravine"`` (a long, narrow quadratic valley),
``"rosenbrock"`` (a curved valley) and ``"two_valleys"`` (a local and a global minimum)."""

# --------------------------------------------------------------------------------------------
# Optimisers, with the hyper-parameters Keras uses by default
# --------------------------------------------------------------------------------------------

_MOMENTUM = 0.9  # beta of momentum
_RHO = 0.9  # decay of the squared-gradient average in RMSProp
_BETA_1, _BETA_2 = 0.9, 0.999  # Adam
_EPSILON = 1e-7  # keras.config.epsilon()
_DIVERGED = 1e6  # a weight this large means the run has diverged

OPTIMIZERS = {
    "gd": "gradient descent",
    "momentum": "momentum (β = 0.9)",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSProp (ρ = 0.9)",
    "adam": "Adam",
}
"""Optimiser keys and their display names, in the order the chapter introduces them."""


def _run(name, gradient, start, learning_rate, num_steps):
    """The points visited by one optimiser: shape (steps + 1, 2), shorter if it diverged."""
    w = np.array(start, dtype=float)
    velocity = np.zeros(2)  # momentum, or Adam's first moment
    squares = np.zeros(2)  # AdaGrad's sum, or RMSProp's and Adam's average of g**2
    path = [w.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, num_steps + 1):
            g = gradient(w)
            if name == "gd":
                step = -learning_rate * g
            elif name == "momentum":
                velocity = _MOMENTUM * velocity - learning_rate * g
                step = velocity
            elif name == "adagrad":
                squares = squares + g**2
                step = -learning_rate * g / (np.sqrt(squares) + _EPSILON)
            elif name == "rmsprop":
                squares = _RHO * squares + (1 - _RHO) * g**2
                step = -learning_rate * g / (np.sqrt(squares) + _EPSILON)
            else:  # adam
                velocity = _BETA_1 * velocity + (1 - _BETA_1) * g
                squares = _BETA_2 * squares + (1 - _BETA_2) * g**2
                corrected = velocity / (1 - _BETA_1**t)
                scale = np.sqrt(squares / (1 - _BETA_2**t))
                step = -learning_rate * corrected / (scale + _EPSILON)
            w = w + step
            if not np.all(np.isfinite(w)) or np.max(np.abs(w)) > _DIVERGED:
                break  # diverged: keep the path up to the last finite point
            path.append(w.copy())
    return np.array(path)


def _check_surface(surface):
    if surface not in _SURFACES:
        raise ValueError(
            f"surface must be one of {', '.join(map(repr, LOSS_SURFACES))}. "
            f"Received: surface={surface!r}."
        )
    return _SURFACES[surface]


def _check_optimizers(optimizers):
    if isinstance(optimizers, str):
        optimizers = (optimizers,)
    if not isinstance(optimizers, Sequence) or len(optimizers) == 0:
        raise ValueError(
            "optimizers must be a non-empty sequence of names such as ('gd', 'adam'). "
            f"Received: optimizers={optimizers!r}."
        )
    unknown = [name for name in optimizers if name not in OPTIMIZERS]
    if unknown:
        raise ValueError(
            f"optimizers must be chosen from {', '.join(map(repr, OPTIMIZERS))}. "
            f"Received: unknown name(s) {', '.join(map(repr, unknown))}."
        )
    return tuple(dict.fromkeys(optimizers))  # drop repeats, keep the order


def _check_options(surface, optimizers, learning_rate, num_steps, start):
    spec = _check_surface(surface)
    optimizers = _check_optimizers(optimizers)
    if learning_rate is None:
        learning_rate = spec.learning_rate
    if num_steps is None:
        num_steps = spec.num_steps
    if (
        isinstance(learning_rate, bool)
        or not isinstance(learning_rate, numbers.Real)
        or not 0 < learning_rate < np.inf
    ):
        raise ValueError(
            f"learning_rate must be a positive number. Received: learning_rate={learning_rate!r}."
        )
    if isinstance(num_steps, bool) or not isinstance(num_steps, numbers.Integral) or num_steps < 1:
        raise ValueError(
            f"num_steps must be a positive integer. Received: num_steps={num_steps!r}."
        )
    if start is None:
        start = spec.start
    start_array = np.asarray(start, dtype=float) if _is_numeric(start) else None
    if start_array is None or start_array.shape != (2,) or not np.all(np.isfinite(start_array)):
        raise ValueError(
            f"start must be a point (w1, w2) of two finite numbers. Received: start={start!r}."
        )
    return spec, optimizers, float(learning_rate), int(num_steps), start_array


def _is_numeric(value):
    try:
        return np.asarray(value).dtype.kind in "biuf"
    except (TypeError, ValueError):
        return False


def optimizer_paths(
    surface="ravine",
    *,
    optimizers=tuple(OPTIMIZERS),
    learning_rate=None,
    num_steps=None,
    start=None,
):
    """Run optimisers on a 2-D loss surface and return the points each one visits.

    Introduced in chapter 3. With gradient ``g`` of the loss at the current weights ``w``,
    learning rate ``η`` and step number ``t = 1, 2, ...``, one step of each optimiser is

    * ``"gd"``, gradient descent: ``w ← w − η g``;
    * ``"momentum"``: ``v ← 0.9 v − η g``, ``w ← w + v``;
    * ``"adagrad"``: ``s ← s + g²``, ``w ← w − η g / (√s + ε)``;
    * ``"rmsprop"``: ``s ← 0.9 s + 0.1 g²``, ``w ← w − η g / (√s + ε)``;
    * ``"adam"``: ``m ← 0.9 m + 0.1 g``, ``s ← 0.999 s + 0.001 g²``,
      ``w ← w − η m̂ / (√ŝ + ε)`` with ``m̂ = m / (1 − 0.9^t)``, ``ŝ = s / (1 − 0.999^t)``,

    where squares and roots are taken per coordinate, ``v``, ``s`` and ``m`` start at 0 and
    ``ε = 1e-7``. A run that diverges (a weight becomes infinite or larger than 1e6) stops
    at its last finite point.

    Parameters
    ----------
    surface : {"ravine", "rosenbrock", "two_valleys"}, default="ravine"
        The loss surface, see :data:`LOSS_SURFACES`.
    optimizers : sequence of str, default=all of :data:`OPTIMIZERS`
        Which optimisers to run.
    learning_rate : float, optional
        The learning rate ``η`` shared by all optimisers; by default one that suits the
        surface.
    num_steps : int, optional
        Number of steps; by default 50 (100 on the Rosenbrock valley).
    start : (float, float), optional
        The starting weights; by default a point chosen for the surface.

    Returns
    -------
    dict of str to ndarray of shape (num_steps + 1, 2)
        The weights after 0, 1, ..., num_steps steps for each optimiser (fewer rows if it
        diverged).

    Examples
    --------
    >>> paths = optimizer_paths("ravine", optimizers=("gd", "adam"), learning_rate=0.05,
    ...                         num_steps=10, start=(1.0, 1.0))
    >>> paths["gd"].shape
    (11, 2)
    >>> paths["gd"][1]  # w - 0.05 * gradient, the gradient at (1, 1) being (0.1, 10)
    array([0.995, 0.5  ])
    >>> optimizer_paths("ravine", optimizers=("sgd",))
    Traceback (most recent call last):
    ...
    ValueError: optimizers must be chosen from 'gd', 'momentum', 'adagrad', 'rmsprop', 'adam'. Received: unknown name(s) 'sgd'.
    """
    spec, optimizers, learning_rate, num_steps, start = _check_options(
        surface, optimizers, learning_rate, num_steps, start
    )
    return {name: _run(name, spec.gradient, start, learning_rate, num_steps) for name in optimizers}


# --------------------------------------------------------------------------------------------
# The static figure
# --------------------------------------------------------------------------------------------

_COLORS = {
    "gd": "#1f77b4",
    "momentum": "#ff7f0e",
    "adagrad": "#2ca02c",
    "rmsprop": "#9467bd",
    "adam": "#d62728",
}


def _draw(fig, spec, paths, learning_rate, num_steps):
    """Draw the contour plot with the paths (left) and the loss per step (right) on fig."""
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
    low1, high1, low2, high2 = spec.window
    w1, w2 = np.meshgrid(np.linspace(low1, high1, 200), np.linspace(low2, high2, 200))
    grid_loss = spec.loss(np.stack([w1, w2], axis=-1))
    best = float(spec.loss(np.array(spec.minimum)))
    gap = grid_loss - best  # >= 0 up to rounding: the loss above its minimum
    levels = np.geomspace(max(np.percentile(gap, 1), 1e-3), gap.max(), 14)
    left.contourf(w1, w2, gap, levels=levels, cmap="Greys", alpha=0.45, extend="min")
    left.contour(w1, w2, gap, levels=levels, colors="0.55", linewidths=0.6)
    left.plot(*spec.minimum, marker="*", color="k", markersize=14, linestyle="none", zorder=5)
    start = next(iter(paths.values()))[0]
    left.plot(*start, marker="o", color="k", markersize=6, linestyle="none", zorder=5)
    for name, path in paths.items():
        color = _COLORS[name]
        left.plot(path[:, 0], path[:, 1], "-o", color=color, markersize=2.5, linewidth=1.3)
        losses = spec.loss(path) - best
        label = OPTIMIZERS[name] + (" (diverged)" if _diverged(path, num_steps) else "")
        right.plot(np.arange(len(path)), np.maximum(losses, 1e-12), color=color, label=label)
    left.set_xlim(low1, high1)
    left.set_ylim(low2, high2)
    left.set_xlabel("$w_1$")
    left.set_ylabel("$w_2$")
    left.set_title(spec.title, fontsize=10)
    right.set_yscale("log")
    right.set_xlabel("step")
    right.set_ylabel("loss − minimum")
    right.set_title(f"learning rate {learning_rate:.3g}, {num_steps} steps", fontsize=10)
    right.grid(alpha=0.3)
    right.legend(fontsize=8, loc="lower left")


def _diverged(path, num_steps):
    """True for a path that stopped early because the run diverged."""
    return len(path) < num_steps + 1


def plot_optimizer_paths(
    surface="ravine",
    *,
    optimizers=tuple(OPTIMIZERS),
    learning_rate=None,
    num_steps=None,
    start=None,
):
    """Draw the paths of optimisers on a 2-D loss surface and their loss per step.

    Introduced in chapter 3; :func:`optimizer_explorer` shows the same figure with sliders.
    The left panel shows the contour lines of the loss, the minimum (star), the start (black
    dot) and each optimiser's path; the right panel shows the loss above its minimum after
    each step, on a log scale. The arguments are those of :func:`optimizer_paths`.

    This is a figure-level plot: it makes a new figure with two axes (so it takes no ``ax``).

    Parameters
    ----------
    surface : {"ravine", "rosenbrock", "two_valleys"}, default="ravine"
        The loss surface, see :data:`LOSS_SURFACES`.
    optimizers : sequence of str, default=all of :data:`OPTIMIZERS`
        Which optimisers to run and draw.
    learning_rate : float, optional
        The learning rate shared by all optimisers; by default one that suits the surface.
    num_steps : int, optional
        Number of steps; by default 50 (100 on the Rosenbrock valley).
    start : (float, float), optional
        The starting weights; by default a point chosen for the surface.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, with the contour plot and the loss curves as its first two axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = plot_optimizer_paths("ravine", optimizers=("gd", "momentum"), num_steps=20)
    >>> [text.get_text() for text in fig.axes[1].get_legend().get_texts()]
    ['gradient descent', 'momentum (β = 0.9)']
    >>> plot_optimizer_paths("bowl")
    Traceback (most recent call last):
    ...
    ValueError: surface must be one of 'ravine', 'rosenbrock', 'two_valleys'. Received: surface='bowl'.
    >>> import matplotlib.pyplot as plt
    >>> plt.close(fig)
    """
    spec, optimizers, learning_rate, num_steps, start = _check_options(
        surface, optimizers, learning_rate, num_steps, start
    )
    paths = {
        name: _run(name, spec.gradient, start, learning_rate, num_steps) for name in optimizers
    }
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(9.0, 3.8), layout="constrained")
    _draw(fig, spec, paths, learning_rate, num_steps)
    return fig


# --------------------------------------------------------------------------------------------
# The explorer
# --------------------------------------------------------------------------------------------


def _live_frontend():
    """True when a person is running this notebook in a front end that shows widgets.

    Headless runners (the book build, ``nbconvert --execute``, nbgrader, papermill) execute
    cells through nbclient, which sends every request with ``allow_stdin=False`` because no
    one can answer ``input()``; JupyterLab, Notebook, VS Code and other front ends with a
    person at the keyboard send ``allow_stdin=True``.
    """
    from .callbacks import in_notebook

    if not in_notebook():
        return False
    from IPython import get_ipython

    kernel = getattr(get_ipython(), "kernel", None)
    try:
        request = kernel.get_parent()
    except (AttributeError, TypeError):
        return False
    return bool((request or {}).get("content", {}).get("allow_stdin", False))


def _png(fig):
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


def optimizer_explorer(
    surface="ravine",
    *,
    optimizers=("gd", "momentum", "adam"),
    learning_rate=None,
    num_steps=None,
    interactive=None,
):
    """Explore how optimisers move on a 2-D loss surface, with sliders for their settings.

    Introduced in chapter 3. The explorer shows the figure of :func:`plot_optimizer_paths`
    with a menu for the loss surface, a (logarithmic) slider for the learning rate, a slider
    for the number of steps and a list of optimisers to compare (hold Ctrl or Shift to pick
    several). Every change reruns the optimisers and redraws the figure.

    Parameters
    ----------
    surface : {"ravine", "rosenbrock", "two_valleys"}, default="ravine"
        The loss surface to start with, see :data:`LOSS_SURFACES`.
    optimizers : sequence of str, default=("gd", "momentum", "adam")
        The optimisers selected at the start, from :data:`OPTIMIZERS`.
    learning_rate : float, optional
        The starting learning rate; by default one that suits the surface (changing the
        surface resets it to that surface's default).
    num_steps : int, optional
        The starting number of steps, from 1 to 300; by default one that suits the surface
        (changing the surface resets it too).
    interactive : bool, optional
        True returns the widget, False the static figure. By default the widget is returned
        when a person runs the notebook in a Jupyter front end, and the figure otherwise: in
        the built book, under ``nbconvert`` or nbgrader, and outside notebooks.

    Returns
    -------
    ipywidgets.VBox or matplotlib.figure.Figure
        The widget, or the figure :func:`plot_optimizer_paths` draws for the starting
        settings (not managed by pyplot, so a notebook shows it once, as the cell's result). The widget has the attributes ``controls`` (a dict of the ``"surface"``,
        ``"learning_rate"``, ``"num_steps"`` and ``"optimizers"`` widgets; set their
        ``value`` to change a setting from code), ``paths`` (the current result of
        :func:`optimizer_paths`), ``figure`` (the current matplotlib figure, not managed by
        pyplot), ``image`` (the ipywidgets ``Image`` that shows it) and ``summary`` (an
        ipywidgets ``HTML`` with the final losses).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> explorer = optimizer_explorer(interactive=True)
    >>> explorer.controls["learning_rate"].value = 0.02
    >>> explorer.paths["gd"].shape
    (51, 2)
    >>> explorer.controls["optimizers"].value = ("adam",)
    >>> sorted(explorer.paths)
    ['adam']
    >>> fig = optimizer_explorer(interactive=False)  # what the built book shows
    >>> type(fig).__name__
    'Figure'
    >>> optimizer_explorer(num_steps=0)
    Traceback (most recent call last):
    ...
    ValueError: num_steps must be a positive integer. Received: num_steps=0.
    """
    spec, optimizers, learning_rate, num_steps, _ = _check_options(
        surface, optimizers, learning_rate, num_steps, None
    )
    if num_steps > 300:
        raise ValueError(
            f"num_steps must be at most 300 in the explorer. Received: num_steps={num_steps}."
        )
    if interactive is None:
        interactive = _live_frontend()
    elif not isinstance(interactive, bool):
        raise TypeError(
            f"interactive must be True, False or None. Received: interactive={interactive!r}."
        )
    if not interactive:
        # A figure outside pyplot: shown once, as the cell's result, not again by the
        # inline backend at the end of the cell.
        from matplotlib.figure import Figure

        paths = optimizer_paths(
            surface, optimizers=optimizers, learning_rate=learning_rate, num_steps=num_steps
        )
        figure = Figure(figsize=(9.0, 3.8), layout="constrained")
        _draw(figure, spec, paths, learning_rate, num_steps)
        return figure
    return _build_explorer(surface, optimizers, learning_rate, num_steps)


def _build_explorer(surface, optimizers, learning_rate, num_steps):
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    class OptimizerExplorer(widgets.VBox):
        """Sliders and menus above the figure of plot_optimizer_paths."""

        def __init__(self):
            style = {"description_width": "110px"}
            wide = widgets.Layout(width="420px")
            self.controls = {
                "surface": widgets.Dropdown(
                    options=[(name.replace("_", " "), name) for name in LOSS_SURFACES],
                    value=surface,
                    description="loss surface",
                    style=style,
                    layout=wide,
                ),
                "learning_rate": widgets.FloatLogSlider(
                    value=learning_rate,
                    base=10,
                    min=-4,
                    max=0.5,
                    step=0.01,
                    description="learning rate",
                    readout_format=".3g",
                    continuous_update=False,
                    style=style,
                    layout=wide,
                ),
                "num_steps": widgets.IntSlider(
                    value=num_steps,
                    min=1,
                    max=300,
                    description="steps",
                    continuous_update=False,
                    style=style,
                    layout=wide,
                ),
                "optimizers": widgets.SelectMultiple(
                    options=[(label, name) for name, label in OPTIMIZERS.items()],
                    value=optimizers,
                    rows=len(OPTIMIZERS),
                    description="optimisers",
                    style=style,
                    layout=wide,
                ),
            }
            self.image = widgets.Image(format="png")
            self.summary = widgets.HTML()
            self.paths = {}
            self.figure = None
            self._resetting = False
            super().__init__(
                [*self.controls.values(), self.summary, self.image],
                layout=widgets.Layout(width="auto"),
            )
            self.controls["surface"].observe(self._surface_changed, names="value")
            for key in ("learning_rate", "num_steps", "optimizers"):
                self.controls[key].observe(self._setting_changed, names="value")
            self.update()

        def _surface_changed(self, change):
            # A new surface gets its own default settings, then one redraw.
            self._resetting = True
            try:
                self.controls["learning_rate"].value = _SURFACES[change["new"]].learning_rate
                self.controls["num_steps"].value = _SURFACES[change["new"]].num_steps
            finally:
                self._resetting = False
            self.update()

        def _setting_changed(self, change):
            if not self._resetting:
                self.update()

        def update(self):
            """Rerun the selected optimisers with the current settings and redraw."""
            chosen = tuple(self.controls["optimizers"].value)
            spec = _SURFACES[self.controls["surface"].value]
            learning_rate = float(self.controls["learning_rate"].value)
            if not chosen:
                self.paths = {}
                self.summary.value = "<i>Select at least one optimiser.</i>"
                return
            num_steps = int(self.controls["num_steps"].value)
            self.paths = optimizer_paths(
                self.controls["surface"].value,
                optimizers=chosen,
                learning_rate=learning_rate,
                num_steps=num_steps,
            )
            figure = Figure(figsize=(9.0, 3.8), layout="constrained")
            _draw(figure, spec, self.paths, learning_rate, num_steps)
            self.figure = figure
            self.image.value = _png(figure)
            best = float(spec.loss(np.array(spec.minimum)))
            finals = []
            for name, path in self.paths.items():
                if _diverged(path, num_steps):
                    finals.append(f"{OPTIMIZERS[name]}: diverged")
                else:
                    finals.append(f"{OPTIMIZERS[name]}: {float(spec.loss(path[-1])) - best:.3g}")
            self.summary.value = "Loss above the minimum after the last step: " + "; ".join(finals)

    return OptimizerExplorer()


# ============================================================================================
# k-means, step by step (chapter 10)
# ============================================================================================
#
# The steps are computed with scikit-learn (its k-means++ seeding, its nearest-centre search
# and one Lloyd iteration of its KMeans at a time), so that this module holds no k-means of
# its own: writing one is assignment a07.

_KMEANS_INITS = ("k-means++", "random")


def _check_points(X):
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) < 2 or X.dtype.kind not in "biuf":
        raise ValueError(
            "X must be a numeric array of shape (n_samples, 2) with at least 2 points: the "
            f"explorer draws points in the plane. Received: X with shape {X.shape}. For "
            "higher-dimensional data pass a 2-D projection, e.g. the first two principal "
            "components."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError("X must contain only finite numbers. Received: X with NaN or inf.")
    return X.astype(float)


def _check_kmeans_options(X, num_clusters, num_steps, init):
    if (
        isinstance(num_clusters, bool)
        or not isinstance(num_clusters, numbers.Integral)
        or not 1 <= num_clusters <= len(X)
    ):
        raise ValueError(
            f"num_clusters must be an integer between 1 and n_samples={len(X)}. "
            f"Received: num_clusters={num_clusters!r}."
        )
    if isinstance(num_steps, bool) or not isinstance(num_steps, numbers.Integral) or num_steps < 1:
        raise ValueError(
            f"num_steps must be a positive integer. Received: num_steps={num_steps!r}."
        )
    if init not in _KMEANS_INITS:
        raise ValueError(f"init must be 'k-means++' or 'random'. Received: init={init!r}.")
    return int(num_clusters), int(num_steps)


def kmeans_steps(X, num_clusters, *, num_steps=10, init="k-means++", random_state=None):
    """Run k-means one iteration at a time and return the centres and labels of every step.

    Introduced in chapter 10, where :func:`plot_kmeans_steps` and :func:`kmeans_explorer`
    show the result. Step 0 is the initialisation; step ``t`` is the state after ``t``
    iterations of Lloyd's algorithm (assign every point to its nearest centre, then move
    every centre to the mean of its points). The computation is scikit-learn's:
    :func:`sklearn.cluster.kmeans_plusplus` or ``num_clusters`` distinct random points for
    the start, and :class:`sklearn.cluster.KMeans` with ``max_iter=1`` for each iteration
    (scikit-learn moves the centre of an empty cluster to a far-away point). The run stops
    early once the centres stop moving.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        The data.
    num_clusters : int
        The number of clusters k, 1 <= k <= n_samples.
    num_steps : int, default=10
        The most iterations to run.
    init : {"k-means++", "random"}, default="k-means++"
        How to choose the starting centres: k-means++ seeding, or k distinct data points
        drawn uniformly at random.
    random_state : int or None, default=None
        Seed of the initialisation.

    Returns
    -------
    centers : ndarray of shape (num_frames, num_clusters, n_features)
        The centres at steps 0, 1, ..., ``num_frames - 1``; ``num_frames <= num_steps + 1``.
    labels : ndarray of shape (num_frames, n_samples), int
        ``labels[t, i]`` is the index of the centre of ``centers[t]`` nearest to ``X[i]``.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [4.0, 0.0], [4.0, 1.0]])
    >>> centers, labels = kmeans_steps(X, 2, random_state=0)
    >>> centers.shape[1:], labels.shape[1:]
    ((2, 2), (4,))
    >>> np.sort(centers[-1], axis=0).tolist()  # the two pairs of points
    [[0.0, 0.5], [4.0, 0.5]]
    >>> labels[-1].tolist() in ([0, 0, 1, 1], [1, 1, 0, 0])
    True
    >>> kmeans_steps(X, 5)
    Traceback (most recent call last):
    ...
    ValueError: num_clusters must be an integer between 1 and n_samples=4. Received: num_clusters=5.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or len(X) < 1:
        raise ValueError(
            f"X must be an array of shape (n_samples, n_features). Received: X with shape "
            f"{X.shape}."
        )
    num_clusters, num_steps = _check_kmeans_options(X, num_clusters, num_steps, init)
    import warnings

    from sklearn.cluster import KMeans, kmeans_plusplus
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import pairwise_distances_argmin

    if init == "k-means++":
        current, _ = kmeans_plusplus(X, num_clusters, random_state=random_state)
    else:
        rng = np.random.default_rng(random_state)
        current = X[rng.choice(len(X), size=num_clusters, replace=False)]
    centers = [current]
    for _ in range(num_steps):
        with warnings.catch_warnings():  # fewer distinct points than clusters: not our concern
            warnings.simplefilter("ignore", ConvergenceWarning)
            step = KMeans(num_clusters, init=current, n_init=1, max_iter=1).fit(X)
        moved = step.cluster_centers_
        if np.allclose(moved, current, rtol=0.0, atol=1e-12):
            break
        current = moved
        centers.append(current)
    centers = np.stack(centers)  # (num_frames, k, n_features)
    labels = np.stack([pairwise_distances_argmin(X, frame) for frame in centers])
    return centers, labels


def _inertia(X, centers, labels):
    return float(np.sum((X - centers[labels]) ** 2))


def _draw_kmeans_step(ax, X, centers, labels, step, *, show_trail=True):
    """Points coloured by cluster, the centres of `step` and (optionally) their paths so far."""
    from matplotlib.colors import ListedColormap

    num_clusters = centers.shape[1]
    palette = [_KMEANS_COLORS[j % len(_KMEANS_COLORS)] for j in range(num_clusters)]
    ax.scatter(
        X[:, 0],
        X[:, 1],
        c=labels[step],
        cmap=ListedColormap(palette),
        vmin=-0.5,
        vmax=num_clusters - 0.5,
        s=10,
        alpha=0.6,
        linewidths=0,
    )
    if show_trail and step > 0:
        for j in range(num_clusters):
            ax.plot(
                centers[: step + 1, j, 0],
                centers[: step + 1, j, 1],
                "-",
                color="k",
                linewidth=0.8,
                alpha=0.7,
            )
    ax.scatter(
        centers[step, :, 0],
        centers[step, :, 1],
        c=palette,
        marker="X",
        s=140,
        edgecolors="k",
        linewidths=1.2,
        zorder=3,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"step {step}: inertia {_inertia(X, centers[step], labels[step]):.4g}", fontsize=9)


# One colour per cluster: the class palette of coursekit.plots.
_KMEANS_COLORS = _CLASS_COLORS


def _check_frames(X, centers, labels):
    X = _check_points(X)
    centers = np.asarray(centers, dtype=float)
    labels = np.asarray(labels)
    if centers.ndim != 3 or centers.shape[2] != 2 or len(centers) < 1:
        raise ValueError(
            "centers must have shape (num_frames, num_clusters, 2), as kmeans_steps returns. "
            f"Received: centers with shape {centers.shape}."
        )
    if labels.shape != (len(centers), len(X)) or labels.dtype.kind not in "iu":
        raise ValueError(
            f"labels must be integers of shape (num_frames, n_samples) = ({len(centers)}, "
            f"{len(X)}) to match centers and X. Received: labels with shape {labels.shape} "
            f"and dtype {labels.dtype}."
        )
    if labels.min() < 0 or labels.max() >= centers.shape[1]:
        raise ValueError(
            f"labels must index the {centers.shape[1]} centres. Received: labels from "
            f"{labels.min()} to {labels.max()}."
        )
    return X, centers, labels


def plot_kmeans_steps(X, centers, labels, *, steps=None, num_columns=2):
    """Draw k-means step by step: the points coloured by cluster and the centres' paths.

    Introduced in chapter 10; the static counterpart of :func:`kmeans_explorer`. Each panel
    shows one step of :func:`kmeans_steps`: the points coloured by their nearest centre,
    the centres (crosses), the path each centre has travelled so far, and the inertia.

    This is a figure-level plot: it makes a new figure with one axes per step shown.

    Parameters
    ----------
    X : array_like of shape (n_samples, 2)
        The points.
    centers : array_like of shape (num_frames, num_clusters, 2)
        The centres at each step, as :func:`kmeans_steps` returns them.
    labels : array_like of shape (num_frames, n_samples)
        The cluster of each point at each step.
    steps : sequence of int, optional
        Which steps to draw (negative numbers count from the end). By default the first
        three and the last one, or all steps when there are at most four.
    num_columns : int, default=2
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, with one axes per step drawn.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(size=(20, 2)), rng.normal(size=(20, 2)) + 6])
    >>> centers, labels = kmeans_steps(X, 2, init="random", random_state=1)
    >>> fig = plot_kmeans_steps(X, centers, labels, steps=[0, -1])
    >>> fig.axes[0].get_title().startswith("step 0: inertia")
    True
    >>> plot_kmeans_steps(X, centers, labels, steps=[99])
    Traceback (most recent call last):
    ...
    ValueError: steps must be step numbers between ... Received: steps=[99].
    >>> import matplotlib.pyplot as plt
    >>> plt.close(fig)
    """
    X, centers, labels = _check_frames(X, centers, labels)
    num_frames = len(centers)
    if steps is None:
        steps = list(range(num_frames)) if num_frames <= 4 else [0, 1, 2, num_frames - 1]
    if isinstance(steps, numbers.Integral):
        steps = [steps]
    steps = list(steps)
    if not steps or not all(
        isinstance(s, numbers.Integral)
        and not isinstance(s, bool)
        and -num_frames <= s < num_frames
        for s in steps
    ):
        raise ValueError(
            f"steps must be step numbers between {-num_frames} and {num_frames - 1} (there are "
            f"{num_frames} steps). Received: steps={steps!r}."
        )
    if (
        isinstance(num_columns, bool)
        or not isinstance(num_columns, numbers.Integral)
        or num_columns < 1
    ):
        raise ValueError(
            f"num_columns must be a positive integer. Received: num_columns={num_columns!r}."
        )
    steps = [int(s) % num_frames for s in steps]
    import matplotlib.pyplot as plt

    num_columns = min(int(num_columns), len(steps))
    num_rows = -(-len(steps) // num_columns)
    fig, axes = plt.subplots(
        num_rows,
        num_columns,
        figsize=(2.4 * num_columns, 2.4 * num_rows + 0.2),
        squeeze=False,
        layout="constrained",
        sharex=True,
        sharey=True,
    )
    for ax in axes.ravel()[len(steps) :]:
        fig.delaxes(ax)
    for ax, step in zip(axes.ravel(), steps, strict=False):
        _draw_kmeans_step(ax, X, centers, labels, step)
    return fig


def kmeans_explorer(
    X, num_clusters, *, num_steps=20, init="k-means++", random_state=0, interactive=None
):
    """Step through k-means with a slider; change k, the initialisation and the seed.

    Introduced in chapter 10. The explorer runs :func:`kmeans_steps` and shows one step at
    a time: a slider (with a play button) moves through the iterations, and changing the
    number of clusters, the initialisation or the seed starts a new run.

    Parameters
    ----------
    X : array_like of shape (n_samples, 2)
        Points in the plane (project higher-dimensional data first, e.g. with PCA).
    num_clusters : int
        The starting number of clusters, 1 <= k <= min(n_samples, 10) in the widget.
    num_steps : int, default=20
        The most iterations per run.
    init : {"k-means++", "random"}, default="k-means++"
        The starting initialisation.
    random_state : int, default=0
        The starting seed.
    interactive : bool, optional
        True returns the widget, False the static figure of :func:`plot_kmeans_steps` for
        the starting settings. By default the widget when a person runs the notebook in a
        Jupyter front end, the figure otherwise (the built book, nbconvert, nbgrader).

    Returns
    -------
    ipywidgets.VBox or matplotlib.figure.Figure
        The widget has the attributes ``controls`` (a dict of the ``"num_clusters"``,
        ``"init"``, ``"random_state"`` and ``"step"`` widgets), ``centers`` and ``labels``
        (the current run of :func:`kmeans_steps`), ``figure`` and ``image``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> rng = np.random.default_rng(0)
    >>> X = np.concatenate([rng.normal(size=(30, 2)) + shift for shift in (0, 5, 10)])
    >>> explorer = kmeans_explorer(X, 3, interactive=True)
    >>> explorer.controls["step"].value = explorer.controls["step"].max
    >>> explorer.controls["num_clusters"].value = 2
    >>> explorer.centers.shape[1:]
    (2, 2)
    >>> fig = kmeans_explorer(X, 3, interactive=False)
    >>> type(fig).__name__
    'Figure'
    >>> import matplotlib.pyplot as plt
    >>> plt.close("all")
    """
    X = _check_points(X)
    num_clusters, num_steps = _check_kmeans_options(X, num_clusters, num_steps, init)
    if num_clusters > len(_KMEANS_COLORS):
        raise ValueError(
            f"num_clusters must be at most {len(_KMEANS_COLORS)} in the explorer (one colour "
            f"per cluster). Received: num_clusters={num_clusters}."
        )
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise ValueError(
            f"random_state must be an integer. Received: random_state={random_state!r}."
        )
    if interactive is None:
        interactive = _live_frontend()
    elif not isinstance(interactive, bool):
        raise TypeError(
            f"interactive must be True, False or None. Received: interactive={interactive!r}."
        )
    centers, labels = kmeans_steps(
        X, num_clusters, num_steps=num_steps, init=init, random_state=random_state
    )
    if not interactive:
        return plot_kmeans_steps(X, centers, labels)
    return _build_kmeans_explorer(X, num_clusters, num_steps, init, int(random_state))


def _build_kmeans_explorer(X, num_clusters, num_steps, init, random_state):
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    class KMeansExplorer(widgets.VBox):
        """A step slider and the run's settings above one panel of plot_kmeans_steps."""

        def __init__(self):
            style = {"description_width": "110px"}
            self.controls = {
                "num_clusters": widgets.IntSlider(
                    value=num_clusters,
                    min=1,
                    max=min(len(X), len(_KMEANS_COLORS)),
                    description="clusters k",
                    style=style,
                    continuous_update=False,
                ),
                "init": widgets.Dropdown(
                    options=list(_KMEANS_INITS),
                    value=init,
                    description="initialisation",
                    style=style,
                ),
                "random_state": widgets.IntText(
                    value=random_state, description="seed", style=style
                ),
                "step": widgets.IntSlider(value=0, min=0, max=0, description="step", style=style),
            }
            self.play = widgets.Play(value=0, min=0, max=0, interval=700)
            widgets.jslink((self.play, "value"), (self.controls["step"], "value"))
            self.image = widgets.Image(format="png")
            self.centers = self.labels = self.figure = None
            super().__init__(
                [
                    self.controls["num_clusters"],
                    self.controls["init"],
                    self.controls["random_state"],
                    widgets.HBox([self.play, self.controls["step"]]),
                    self.image,
                ]
            )
            for key in ("num_clusters", "init", "random_state"):
                self.controls[key].observe(self._rerun, names="value")
            self.controls["step"].observe(self._redraw, names="value")
            self._rerun()

        def _rerun(self, change=None):
            """Run k-means again with the current settings and show step 0."""
            self.centers, self.labels = kmeans_steps(
                X,
                int(self.controls["num_clusters"].value),
                num_steps=num_steps,
                init=self.controls["init"].value,
                random_state=int(self.controls["random_state"].value),
            )
            last = len(self.centers) - 1
            step = self.controls["step"]
            step.max = self.play.max = last
            if step.value != 0:
                step.value = 0  # redraws through _redraw
            else:
                self._redraw()

        def _redraw(self, change=None):
            step = min(int(self.controls["step"].value), len(self.centers) - 1)
            figure = Figure(figsize=(4.6, 4.2), layout="constrained")
            ax = figure.subplots()
            _draw_kmeans_step(ax, X, self.centers, self.labels, step)
            self.figure = figure
            self.image.value = _png(figure)

    return KMeansExplorer()


# ============================================================================================
# Convolution kernels on a photo (chapter 5)
# ============================================================================================
#
# The feature map is computed with SciPy (scipy.signal.correlate2d, the cross-correlation
# that deep-learning libraries call convolution), so that this module holds no convolution of
# its own: writing one is assignment a03.

KERNELS = {
    "identity": ((0, 0, 0), (0, 1, 0), (0, 0, 0)),
    "box blur": ((1 / 9, 1 / 9, 1 / 9), (1 / 9, 1 / 9, 1 / 9), (1 / 9, 1 / 9, 1 / 9)),
    "vertical edges": ((1, 0, -1), (1, 0, -1), (1, 0, -1)),
    "horizontal edges": ((1, 1, 1), (0, 0, 0), (-1, -1, -1)),
    "Sobel x": ((1, 0, -1), (2, 0, -2), (1, 0, -1)),
    "sharpen": ((0, -1, 0), (-1, 5, -1), (0, -1, 0)),
    "outline": ((-1, -1, -1), (-1, 8, -1), (-1, -1, -1)),
    "emboss": ((-2, -1, 0), (-1, 1, 1), (0, 1, 2)),
}
"""Classic 3×3 kernels by name: a filter bank to try on photos in chapter 5. "vertical
edges" is the lecture's kernel; it responds to dark-to-bright changes from left to right."""


def _check_image(image):
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] in (3, 4):
        from skimage.color import rgb2gray

        image = rgb2gray(image[..., :3])
    if image.ndim != 2 or min(image.shape) < 3 or image.dtype.kind not in "biuf":
        raise ValueError(
            "image must be a grey-scale image of shape (height, width) (or RGB, converted to "
            f"grey), at least 3×3. Received: image with shape {image.shape}."
        )
    image = image.astype(float)
    if image.max() > 1.0:  # 0..255 integers: show them on the same 0..1 scale as floats
        image = image / 255.0
    return image


def _check_kernel(kernel):
    if isinstance(kernel, str):
        if kernel not in KERNELS:
            raise ValueError(
                f"kernel must be a 2-D array or one of {', '.join(map(repr, KERNELS))}. "
                f"Received: kernel={kernel!r}."
            )
        kernel = KERNELS[kernel]
    array = np.asarray(kernel, dtype=float) if _is_numeric(kernel) else None
    if array is None or array.ndim != 2 or array.size == 0 or not np.all(np.isfinite(array)):
        raise ValueError(
            "kernel must be a 2-D array of finite numbers or a name from KERNELS. "
            f"Received: kernel={kernel!r}."
        )
    return array


def _feature_map(image, kernel):
    from scipy.signal import correlate2d

    return correlate2d(image, kernel, mode="same", boundary="fill")


def _draw_kernel_response(fig, image, kernel, feature_map, kernel_name):
    """Photo, kernel (with its numbers) and feature map side by side on fig."""
    ax_image, ax_kernel, ax_map = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 0.55, 1]})
    ax_image.imshow(image, cmap="gray", vmin=0, vmax=1)
    ax_image.set_title("input", fontsize=10)
    limit = max(float(np.max(np.abs(kernel))), 1e-12)
    ax_kernel.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    if kernel.size <= 49:
        for (row, column), value in np.ndenumerate(kernel):
            ax_kernel.text(column, row, f"{value:.3g}", ha="center", va="center", fontsize=9)
    ax_kernel.set_title(f"kernel: {kernel_name}" if kernel_name else "kernel", fontsize=10)
    spread = max(float(np.percentile(np.abs(feature_map), 99.5)), 1e-12)
    shown = ax_map.imshow(feature_map, cmap="RdBu_r", vmin=-spread, vmax=spread)
    ax_map.set_title("feature map", fontsize=10)
    fig.colorbar(shown, ax=ax_map, shrink=0.8)
    for ax in (ax_image, ax_kernel, ax_map):
        ax.set_xticks([])
        ax.set_yticks([])


def plot_kernel_response(image, kernel="vertical edges"):
    """Show a photo, a convolution kernel and the feature map the kernel produces.

    Introduced in chapter 5; :func:`kernel_explorer` shows the same figure with an editable
    kernel. The feature map is the "same"-padded 2-D cross-correlation of the grey image
    with the kernel (what ``keras.layers.Conv2D`` computes), drawn with a diverging colour
    map: red where the kernel matches the image, blue where it matches the negative.

    This is a figure-level plot: it makes a new figure with three axes (so it takes no
    ``ax``).

    Parameters
    ----------
    image : array_like of shape (height, width) or (height, width, 3)
        The photo; colour photos are converted to grey, integer images are divided by 255.
    kernel : array_like of shape (U, V) or str, default="vertical edges"
        The kernel, or the name of one of :data:`KERNELS`.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, with the photo, the kernel and the feature map as its first three axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> image = np.zeros((8, 8))
    >>> image[:, 4:] = 1.0  # dark left half, bright right half
    >>> fig = plot_kernel_response(image, "vertical edges")
    >>> fig.axes[2].images[0].get_array()[4, 2:6]  # the edge shows up in columns 3 and 4
    masked_array(data=[ 0., -3., -3.,  0.], mask=False, fill_value=1e+20)
    >>> plot_kernel_response(image, "blur")
    Traceback (most recent call last):
    ...
    ValueError: kernel must be a 2-D array or one of 'identity', 'box blur', 'vertical edges', 'horizontal edges', 'Sobel x', 'sharpen', 'outline', 'emboss'. Received: kernel='blur'.
    >>> import matplotlib.pyplot as plt
    >>> plt.close(fig)
    """
    name = kernel if isinstance(kernel, str) else None
    kernel = _check_kernel(kernel)
    image = _check_image(image)
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(9.0, 3.4), layout="constrained")
    _draw_kernel_response(fig, image, kernel, _feature_map(image, kernel), name)
    return fig


def kernel_explorer(image=None, *, kernel="vertical edges", interactive=None):
    """Edit a 3×3 convolution kernel and watch its feature map on a photo change.

    Introduced in chapter 5. The explorer shows the figure of :func:`plot_kernel_response`
    with a menu of preset kernels (:data:`KERNELS`), a menu of photos (those of
    :func:`coursekit.load_photos`, in grey) and a 3×3 grid of number boxes holding the
    kernel's entries: type a number and the feature map is recomputed.

    Parameters
    ----------
    image : array_like of shape (height, width) or (height, width, 3), optional
        The photo to start with; by default scikit-image's ``camera`` photo. An image given
        here is added to the photo menu as "your image".
    kernel : array_like of shape (3, 3) or str, default="vertical edges"
        The starting kernel, or the name of one of :data:`KERNELS`.
    interactive : bool, optional
        True returns the widget, False the static figure. By default the widget is returned
        when a person runs the notebook in a Jupyter front end, and the figure otherwise: in
        the built book, under ``nbconvert`` or nbgrader, and outside notebooks.

    Returns
    -------
    ipywidgets.VBox or matplotlib.figure.Figure
        The widget, or the figure :func:`plot_kernel_response` draws for the starting
        settings (not registered with pyplot, so that a notebook cell ending in
        ``kernel_explorer(...)`` shows it exactly once). The widget has the attributes ``controls`` (a dict with the ``"preset"``
        and ``"photo"`` menus and ``"entries"``, a 3×3 list of lists of number boxes),
        ``kernel`` (the current kernel, an ndarray of shape (3, 3)), ``feature_map`` (the
        current feature map), ``figure`` and ``image`` (the ipywidgets ``Image`` showing it).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> explorer = kernel_explorer(interactive=True)
    >>> explorer.controls["preset"].value = "box blur"
    >>> round(float(explorer.kernel.sum()), 6)
    1.0
    >>> explorer.controls["entries"][1][1].value = 2.0  # edit the centre entry
    >>> float(explorer.kernel[1, 1])
    2.0
    >>> fig = kernel_explorer(interactive=False)  # what the built book shows
    >>> type(fig).__name__
    'Figure'
    >>> kernel_explorer(kernel=np.ones((5, 5)))
    Traceback (most recent call last):
    ...
    ValueError: kernel must have shape (3, 3) in the explorer. Received: kernel with shape (5, 5).
    >>> import matplotlib.pyplot as plt
    >>> plt.close(fig)
    """
    name = kernel if isinstance(kernel, str) else None
    kernel = _check_kernel(kernel)
    if kernel.shape != (3, 3):
        raise ValueError(
            "kernel must have shape (3, 3) in the explorer. "
            f"Received: kernel with shape {kernel.shape}."
        )
    if image is not None:
        image = _check_image(image)
    if interactive is None:
        interactive = _live_frontend()
    elif not isinstance(interactive, bool):
        raise TypeError(
            f"interactive must be True, False or None. Received: interactive={interactive!r}."
        )
    if image is None:
        from .data import load_photos

        photos = load_photos(grayscale=True)
    else:
        photos = {"your image": image}
    if not interactive:
        # A figure outside pyplot: as a cell's last value it is shown once, by its own repr.
        from matplotlib.figure import Figure

        photo = next(iter(photos.values()))
        fig = Figure(figsize=(9.0, 3.4), layout="constrained")
        _draw_kernel_response(fig, photo, kernel, _feature_map(photo, kernel), name)
        return fig
    if image is not None:
        from .data import load_photos

        photos.update(load_photos(grayscale=True))
    return _build_kernel_explorer(photos, kernel, name)


def _build_kernel_explorer(photos, kernel, name):
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    class KernelExplorer(widgets.VBox):
        """Preset and photo menus, a 3×3 grid of kernel entries, and the figure."""

        def __init__(self):
            style = {"description_width": "70px"}
            self.controls = {
                "preset": widgets.Dropdown(
                    options=["(edited)", *KERNELS],
                    value=name or "(edited)",
                    description="preset",
                    style=style,
                ),
                "photo": widgets.Dropdown(options=list(photos), description="photo", style=style),
                "entries": [
                    [
                        widgets.FloatText(
                            value=float(kernel[row, column]),
                            step=0.1,
                            layout=widgets.Layout(width="80px"),
                        )
                        for column in range(3)
                    ]
                    for row in range(3)
                ],
            }
            self.image = widgets.Image(format="png")
            self.kernel = kernel.copy()
            self.feature_map = None
            self.figure = None
            self._loading = False
            grid = widgets.VBox([widgets.HBox(row) for row in self.controls["entries"]])
            menus = widgets.VBox([self.controls["preset"], self.controls["photo"]])
            super().__init__([widgets.HBox([menus, grid]), self.image])
            self.controls["preset"].observe(self._preset_changed, names="value")
            self.controls["photo"].observe(lambda change: self.update(), names="value")
            for row in self.controls["entries"]:
                for entry in row:
                    entry.observe(self._entry_changed, names="value")
            self.update()

        def _preset_changed(self, change):
            if change["new"] not in KERNELS:
                return
            self._loading = True  # one redraw for nine new entries
            try:
                values = np.asarray(KERNELS[change["new"]], dtype=float)
                for (row, column), value in np.ndenumerate(values):
                    self.controls["entries"][row][column].value = float(value)
            finally:
                self._loading = False
            self.update()

        def _entry_changed(self, change):
            if self._loading:
                return
            self.controls["preset"].unobserve(self._preset_changed, names="value")
            self.controls["preset"].value = "(edited)"
            self.controls["preset"].observe(self._preset_changed, names="value")
            self.update()

        def update(self):
            """Recompute the feature map for the current kernel and photo, and redraw."""
            entries = self.controls["entries"]
            self.kernel = np.array([[float(entry.value) for entry in row] for row in entries])
            photo = photos[self.controls["photo"].value]
            self.feature_map = _feature_map(photo, self.kernel)
            preset = self.controls["preset"].value
            figure = Figure(figsize=(9.0, 3.4), layout="constrained")
            _draw_kernel_response(
                figure,
                photo,
                self.kernel,
                self.feature_map,
                None if preset == "(edited)" else preset,
            )
            self.figure = figure
            self.image.value = _png(figure)

    return KernelExplorer()
