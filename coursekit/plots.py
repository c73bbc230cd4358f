"""Plots the chapters use: decision boundaries, image grids and training curves.

Every function returns the :class:`matplotlib.figure.Figure` it drew on and never calls
``plt.show()``, so the same call works in a notebook (where the figure is displayed at the end
of the cell), in a script (save it with ``fig.savefig``) and in a test. Functions that draw on
one set of axes accept ``ax=`` to draw into a figure you made yourself. pyplot is imported
only when a function is called; on a machine with no display matplotlib picks its
non-interactive Agg backend by itself.

Introduced in chapter 2 (decision boundaries, error curves) and chapter 3 (images, training
curves).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["plot_decision_boundary", "show_images", "plot_training_curves"]

# Colours for classes 0, 1, 2, ... (matplotlib's tab10, which is colour-blind friendly enough
# for two or three classes) and a marker per class so that plots read in black and white.
_CLASS_COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
_CLASS_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")


def _pyplot():
    """Import pyplot on first use (importing coursekit must not pick a backend)."""
    import matplotlib.pyplot as plt

    return plt


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}.")
    return int(value)


def _check_ax(ax):
    from matplotlib.axes import Axes

    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(
            "ax must be a matplotlib Axes (e.g. from `fig, ax = plt.subplots()`) or None. "
            f"Received: ax of type {type(ax).__name__}."
        )
    return ax


def _new_axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    fig, ax = _pyplot().subplots(figsize=figsize, layout="constrained")
    return fig, ax


# --------------------------------------------------------------------------------------------
# Decision boundaries
# --------------------------------------------------------------------------------------------


def plot_decision_boundary(predict, X, y, *, ax=None, resolution=200, padding=0.5, title=None):
    """Colour the plane by a classifier's prediction and draw the labelled points on top.

    Introduced in chapter 2 (the decision boundaries of perceptrons and of a small MLP).

    Parameters
    ----------
    predict : callable
        Maps an array of shape (m, 2) to one of

        * class labels of shape (m,) (integers, or floats with integer values) -- the regions
          are filled with one colour per class;
        * scores of shape (m,) or (m, 1) -- the plane is shaded by the score and the decision
          boundary is drawn at 0.5 when every score lies in [0, 1] (probabilities, e.g. a
          sigmoid output) and at 0 otherwise (a raw score such as ``X @ w + b``);
        * class scores of shape (m, k), k >= 2 -- the class with the largest score is used.

        A Keras model's ``predict`` (with ``verbose=0``) or a scikit-learn estimator's
        ``predict`` / ``predict_proba`` work as they are.
    X : array_like of shape (n_samples, 2)
        The points to draw.
    y : array_like of shape (n_samples,)
        Their labels (integers); each class gets its own colour and marker.
    ax : matplotlib.axes.Axes, optional
        Draw here instead of in a new figure.
    resolution : int, default=200
        Number of grid points along each axis (the classifier is called on
        ``resolution**2`` points at once).
    padding : float, default=0.5
        Margin added around the points' bounding box, in data units.
    title : str, optional
        Title of the axes.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> y = np.array([0, 0, 0, 1])  # logical AND
    >>> fig = plot_decision_boundary(lambda P: (P.sum(axis=1) > 1.5).astype(int), X, y,
    ...                              title="AND")
    >>> fig.axes[0].get_title()
    'AND'
    >>> plot_decision_boundary(lambda P: P[:, 0], X[:, 0], y)
    Traceback (most recent call last):
    ...
    ValueError: X must have shape (n_samples, 2): one row per point, two features. Received: X with shape (4,).
    >>> import matplotlib.pyplot as plt
    >>> plt.close(fig)
    """
    if not callable(predict):
        raise TypeError(
            "predict must be a function that maps an array of shape (m, 2) to labels or "
            f"scores, such as `model.predict`. Received: predict of type {type(predict).__name__}."
        )
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            "X must have shape (n_samples, 2): one row per point, two features. "
            f"Received: X with shape {X.shape}."
        )
    if len(X) == 0:
        raise ValueError("X must contain at least one point. Received: X with shape (0, 2).")
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(
            f"y must have shape (n_samples,) = ({len(X)},) to match X. "
            f"Received: y with shape {y.shape} and X with shape {X.shape}."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError("X must contain only finite numbers. Received: X with NaN or inf.")
    resolution = _check_positive_int("resolution", resolution)
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2. Received: resolution={resolution}.")
    if not isinstance(padding, numbers.Real) or isinstance(padding, bool) or padding < 0:
        raise ValueError(f"padding must be a non-negative number. Received: padding={padding!r}.")
    _check_ax(ax)

    grid, xx, yy = _grid(X, resolution, float(padding))
    values, kind = _predictions_on_grid(predict, grid)
    values = values.reshape(xx.shape)

    fig, ax = _new_axes(ax, (5, 4.2))
    classes = np.unique(y)
    if kind == "labels":
        grid_classes = np.unique(values)
        all_classes = np.union1d(classes, grid_classes)
        index = np.searchsorted(all_classes, values)
        from matplotlib.colors import ListedColormap

        cmap = ListedColormap([_color(k) for k in range(len(all_classes))])
        levels = np.arange(len(all_classes) + 1) - 0.5
        ax.contourf(xx, yy, index, levels=levels, cmap=cmap, alpha=0.25)
        if len(grid_classes) > 1:
            ax.contour(xx, yy, index, levels=levels[1:-1], colors="k", linewidths=1)
        color_of = {label: _color(i) for i, label in enumerate(all_classes)}
    else:
        threshold = 0.5 if values.min() >= 0 and values.max() <= 1 else 0.0
        shading = ax.contourf(xx, yy, values, levels=20, cmap="RdBu_r", alpha=0.35)
        fig.colorbar(shading, ax=ax, label="score")
        if values.min() < threshold < values.max():
            ax.contour(xx, yy, values, levels=[threshold], colors="k", linewidths=1.5)
        color_of = {label: _color(i) for i, label in enumerate(classes)}

    for i, label in enumerate(classes):
        chosen = y == label
        ax.scatter(
            X[chosen, 0],
            X[chosen, 1],
            color=color_of[label],
            marker=_CLASS_MARKERS[i % len(_CLASS_MARKERS)],
            edgecolors="k",
            s=60,
            label=f"class {_label_text(label)}",
            zorder=3,
        )
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
    from matplotlib.ticker import MaxNLocator

    for axis in (ax.xaxis, ax.yaxis):  # few, round ticks: the panels are often small
        axis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.legend(loc="best", framealpha=0.9)
    if title is not None:
        ax.set_title(title)
    return fig


def _label_text(label):
    """Integer-valued float labels (1.0) print as integers (1)."""
    if isinstance(label, np.floating) and float(label).is_integer():
        return str(int(label))
    return str(label)


def _color(index):
    return _CLASS_COLORS[index % len(_CLASS_COLORS)]


def _grid(X, resolution, padding):
    """A (resolution**2, 2) grid covering X plus padding, and its two coordinate arrays."""
    low = X.min(axis=0) - padding
    high = X.max(axis=0) + padding
    span = np.where(high > low, 0.0, 0.5)  # a single point or a line: open a small window
    low, high = low - span, high + span
    xx, yy = np.meshgrid(
        np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    )
    return np.column_stack([xx.ravel(), yy.ravel()]), xx, yy


def _predictions_on_grid(predict, grid):
    """Call predict on the grid; return (values of shape (m,), "labels" or "scores")."""
    values = np.asarray(predict(grid))
    m = len(grid)
    if values.ndim == 2 and values.shape[0] == m and values.shape[1] >= 2:
        return np.argmax(values, axis=1), "labels"
    if values.ndim == 2 and values.shape == (m, 1):
        values = values[:, 0]
    if values.shape != (m,):
        raise ValueError(
            f"predict must return labels or scores of shape (m,), (m, 1) or (m, k) for an "
            f"input of shape (m, 2); it was called with m={m} points. "
            f"Received: an output of shape {values.shape}."
        )
    if values.dtype.kind in "biu":
        return values, "labels"
    if values.dtype.kind != "f":
        raise ValueError(
            "predict must return numbers (integer labels or float scores). "
            f"Received: an output of dtype {values.dtype}."
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(
            "predict returned NaN or inf; check the model. Received: non-finite scores."
        )
    if np.array_equal(values, np.round(values)) and len(np.unique(values)) <= len(_CLASS_COLORS):
        return values.astype(int), "labels"
    return values, "scores"


# --------------------------------------------------------------------------------------------
# Image grids
# --------------------------------------------------------------------------------------------


def show_images(images, labels=None, *, class_names=None, num_columns=8, cmap="gray"):
    """Show images in a grid, each with its label as a title.

    Introduced in chapter 3 (Fashion-MNIST); used wherever the book shows images.

    This is a figure-level plot: it makes a new figure with one small axes per image (so it
    takes no ``ax``).

    Parameters
    ----------
    images : array_like of shape (n_images, height, width) or (n_images, height, width, channels)
        Grey-scale images, or images with 1, 3 (RGB) or 4 (RGBA) channels. Values are shown as
        they are: floats in [0, 1] or integers in [0, 255] for colour images; grey-scale
        images are scaled per image by matplotlib.
    labels : array_like of shape (n_images,), optional
        A label per image (integers or strings), shown above it.
    class_names : sequence of str, optional
        Names for integer labels: image i is titled ``class_names[labels[i]]``.
    num_columns : int, default=8
        Images per row; fewer when there are fewer images.
    cmap : str, default="gray"
        Colour map for grey-scale images.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, with one axes per image.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> images = np.zeros((10, 28, 28))
    >>> fig = show_images(images, labels=np.arange(10) % 2, class_names=["even", "odd"],
    ...                   num_columns=5)
    >>> len(fig.axes), fig.axes[1].get_title()
    (10, 'odd')
    >>> show_images(images[0])
    Traceback (most recent call last):
    ...
    ValueError: images must have shape (n_images, height, width) or (n_images, height, width, channels). Received: images with shape (28, 28). For a single image pass images[None] or [image].
    >>> import matplotlib.pyplot as plt
    >>> plt.close(fig)
    """
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        hint = " For a single image pass images[None] or [image]." if images.ndim == 2 else ""
        raise ValueError(
            "images must have shape (n_images, height, width) or "
            f"(n_images, height, width, channels). Received: images with shape {images.shape}."
            + hint
        )
    if images.ndim == 4 and images.shape[-1] not in (1, 3, 4):
        raise ValueError(
            "images with 4 dimensions must have 1, 3 or 4 channels in the last axis "
            f"(channels last, as Keras uses). Received: images with shape {images.shape}."
        )
    if images.shape[0] == 0:
        raise ValueError(f"images must contain at least one image. Received: shape {images.shape}.")
    if images.dtype.kind not in "biuf":
        raise ValueError(f"images must be numeric. Received: images of dtype {images.dtype}.")
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    num_columns = _check_positive_int("num_columns", num_columns)
    titles = _image_titles(labels, class_names, len(images))

    num_images = len(images)
    num_columns = min(num_columns, num_images)
    num_rows = -(-num_images // num_columns)
    height, width = images.shape[1:3]
    cell = 1.4
    figsize = (num_columns * cell * max(width / height, 0.5), num_rows * (cell + 0.25))
    fig, axes = _pyplot().subplots(num_rows, num_columns, figsize=figsize, squeeze=False)
    for index, ax in enumerate(axes.ravel()):
        if index >= num_images:
            fig.delaxes(ax)
            continue
        if images.ndim == 3:
            ax.imshow(images[index], cmap=cmap)
        else:
            ax.imshow(images[index])
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[index], fontsize=9)
    fig.tight_layout(pad=0.3)
    return fig


def _image_titles(labels, class_names, num_images):
    if labels is None:
        if class_names is not None:
            raise ValueError("class_names needs labels: pass labels=... as well.")
        return None
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != num_images:
        raise ValueError(
            f"labels must have shape (n_images,) = ({num_images},), one label per image. "
            f"Received: labels with shape {labels.shape}."
        )
    if class_names is None:
        return [str(label) for label in labels.tolist()]
    if isinstance(class_names, str) or not isinstance(class_names, Sequence | np.ndarray):
        raise TypeError(
            "class_names must be a sequence of names, e.g. a list of str. "
            f"Received: class_names of type {type(class_names).__name__}."
        )
    if labels.dtype.kind not in "iu":
        raise ValueError(
            "labels must be integers in [0, len(class_names)) when class_names is given. "
            f"Received: labels of dtype {labels.dtype}."
        )
    if labels.min() < 0 or labels.max() >= len(class_names):
        raise ValueError(
            f"labels must lie in [0, {len(class_names)}) to index class_names. "
            f"Received: labels from {labels.min()} to {labels.max()}."
        )
    return [str(class_names[label]) for label in labels.tolist()]


# --------------------------------------------------------------------------------------------
# Training curves
# --------------------------------------------------------------------------------------------


def plot_training_curves(history, *, metrics=("loss",), ax=None):
    """Plot metrics per epoch, the training curve and (if recorded) the validation curve.

    Introduced in chapter 2 (the perceptron's mistakes per epoch); every Keras model from
    chapter 3 on is shown with it.

    Parameters
    ----------
    history : keras.callbacks.History or mapping of str to sequence of float
        What ``model.fit`` returns, or its ``.history`` dict, or any dict of per-epoch lists
        such as ``{"loss": [...], "val_loss": [...]}``. For each metric ``m``, ``history[m]``
        is drawn as the training curve and ``history["val_" + m]``, when present, as the
        validation curve.
    metrics : str or sequence of str, default=("loss",)
        The metrics to plot, one axes each (side by side).
    ax : matplotlib.axes.Axes or sequence of Axes, optional
        Where to draw: one Axes per metric. By default a new figure is made.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> history = {"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.7, 0.6],
    ...            "accuracy": [0.6, 0.8, 0.85], "val_accuracy": [0.55, 0.7, 0.75]}
    >>> fig = plot_training_curves(history, metrics=("loss", "accuracy"))
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['loss', 'accuracy']
    >>> plot_training_curves(history, metrics=("acc",))
    Traceback (most recent call last):
    ...
    ValueError: metric 'acc' is not in the history. Received: a history with keys ['accuracy', 'loss', 'val_accuracy', 'val_loss'].
    >>> import matplotlib.pyplot as plt
    >>> plt.close(fig)
    """
    records = getattr(history, "history", history)
    if not isinstance(records, Mapping):
        raise TypeError(
            "history must be a Keras History (what model.fit returns) or a dict of per-epoch "
            f"lists. Received: history of type {type(history).__name__}."
        )
    if isinstance(metrics, str):
        metrics = (metrics,)
    if not isinstance(metrics, Sequence) or len(metrics) == 0:
        raise ValueError(
            f"metrics must be a non-empty sequence of metric names. Received: metrics={metrics!r}."
        )
    curves = []
    for metric in metrics:
        if metric not in records:
            raise ValueError(
                f"metric {metric!r} is not in the history. "
                f"Received: a history with keys {sorted(records)}."
            )
        train = _curve(records, metric)
        validation = _curve(records, "val_" + metric) if "val_" + metric in records else None
        if validation is not None and len(validation) != len(train):
            raise ValueError(
                f"history[{'val_' + metric!r}] must have one value per epoch like "
                f"history[{metric!r}] ({len(train)} values). "
                f"Received: {len(validation)} values."
            )
        curves.append((metric, train, validation))

    if ax is None:
        fig, axes = _pyplot().subplots(
            1, len(metrics), figsize=(4.5 * len(metrics), 3.4), squeeze=False, layout="constrained"
        )
        axes = list(axes.ravel())
    else:
        axes = [ax] if not isinstance(ax, Sequence | np.ndarray) else list(np.ravel(ax))
        for one in axes:
            _check_ax(one)
        if len(axes) != len(metrics):
            raise ValueError(
                f"ax must hold one Axes per metric ({len(metrics)} for metrics={tuple(metrics)}). "
                f"Received: {len(axes)} Axes."
            )
        fig = axes[0].figure

    for one, (metric, train, validation) in zip(axes, curves, strict=True):
        epochs = np.arange(1, len(train) + 1)
        marker = "o" if len(train) <= 30 else None
        one.plot(epochs, train, marker=marker, markersize=4, label="training")
        if validation is not None:
            one.plot(epochs, validation, marker=marker, markersize=4, label="validation")
            one.legend()
        one.set_xlabel("epoch")
        one.set_ylabel(metric)
        one.grid(alpha=0.3)
        if len(train) <= 20:
            one.set_xticks(epochs)
    return fig


def _curve(records, key):
    values = np.asarray(records[key], dtype=float)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(
            f"history[{key!r}] must be a non-empty list with one number per epoch. "
            f"Received: values with shape {values.shape}."
        )
    return values
