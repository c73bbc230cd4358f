"""Plots the chapters use: decision boundaries, image grids, training curves, confusion matrices.

Every function returns the :class:`matplotlib.figure.Figure` it drew on and never calls
``plt.show()``, so the same call works in a notebook (where the figure is displayed at the end
of the cell), in a script (save it with ``fig.savefig``) and in a test. Functions that draw on
one set of axes accept ``ax=`` to draw into a figure you made yourself. pyplot is imported
only when a function is called; on a machine with no display matplotlib picks its
non-interactive Agg backend by itself.

Introduced in chapter 2 (decision boundaries, error curves) and chapter 3 (images, training
curves, confusion matrices); chapters 10 and 11 add rows of images to compare (originals and
reconstructions) and 2-D embeddings.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "plot_decision_boundary",
    "show_images",
    "plot_training_curves",
    "plot_confusion_matrix",
    "show_image_rows",
    "plot_embedding",
    "plot_matrix",
    "plot_filters",
    "plot_feature_maps",
    "html_table",
    "draw_network",
    "draw_tlu",
    "draw_blocks",
    "draw_sliding_window",
    "draw_channels",
    "draw_flow",
    "model_blocks",
]

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


# --------------------------------------------------------------------------------------------
# Confusion matrices
# --------------------------------------------------------------------------------------------


def plot_confusion_matrix(y_true, y_pred, *, class_names=None, normalize=False, ax=None):
    """Draw the confusion matrix of a classifier: true classes in rows, predictions in columns.

    Introduced in chapter 3 (which Fashion-MNIST classes an MLP confuses).

    Entry ``(i, j)`` counts the samples of true class ``i`` that were predicted as class
    ``j``, so the diagonal holds the correct predictions. Every entry is written in its cell.

    Parameters
    ----------
    y_true : array_like of shape (n_samples,)
        True labels, integers 0, 1, ..., k - 1.
    y_pred : array_like of shape (n_samples,)
        Predicted labels, integers 0, 1, ..., k - 1. For class scores of shape
        (n_samples, k), such as a softmax output, pass ``scores.argmax(axis=1)``.
    class_names : sequence of str, optional
        Names of the classes 0, ..., k - 1, used as tick labels; ``k = len(class_names)``.
        By default the classes are numbered and k is the largest label plus one.
    normalize : bool, default=False
        Divide each row by its sum, so that entry ``(i, j)`` is the fraction of class ``i``
        predicted as ``j`` and the diagonal holds each class's recall. Rows of classes with
        no samples stay 0.
    ax : matplotlib.axes.Axes, optional
        Draw here instead of in a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on. The matrix itself, of shape (k, k), is drawn as an image:
        ``fig.axes[0].images[0].get_array()``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> y_true = [0, 0, 1, 1, 1, 2]
    >>> y_pred = [0, 1, 1, 1, 2, 2]
    >>> fig = plot_confusion_matrix(y_true, y_pred, class_names=["cat", "dog", "owl"])
    >>> fig.axes[0].images[0].get_array().tolist()
    [[1, 1, 0], [0, 2, 1], [0, 0, 1]]
    >>> fig = plot_confusion_matrix(y_true, y_pred, normalize=True)
    >>> fig.axes[0].images[0].get_array().round(2).tolist()
    [[0.5, 0.5, 0.0], [0.0, 0.67, 0.33], [0.0, 0.0, 1.0]]
    >>> plot_confusion_matrix([0, 1, 1], [0, 1])
    Traceback (most recent call last):
    ...
    ValueError: y_true and y_pred must have the same shape (n_samples,). Received: y_true with shape (3,) and y_pred with shape (2,).
    >>> import matplotlib.pyplot as plt
    >>> plt.close("all")
    """
    y_true = _check_labels("y_true", y_true)
    y_pred = _check_labels("y_pred", y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "y_true and y_pred must have the same shape (n_samples,). "
            f"Received: y_true with shape {y_true.shape} and y_pred with shape {y_pred.shape}."
        )
    if len(y_true) == 0:
        raise ValueError("y_true and y_pred must hold at least one sample. Received: 0 samples.")
    largest = int(max(y_true.max(), y_pred.max()))
    if class_names is None:
        num_classes = largest + 1
        names = [str(k) for k in range(num_classes)]
    else:
        if isinstance(class_names, str) or not isinstance(class_names, Sequence | np.ndarray):
            raise TypeError(
                "class_names must be a sequence of names, e.g. a list of str. "
                f"Received: class_names of type {type(class_names).__name__}."
            )
        names = [str(name) for name in class_names]
        num_classes = len(names)
        if largest >= num_classes:
            raise ValueError(
                f"every label must index class_names (labels 0..{num_classes - 1} for "
                f"{num_classes} names). Received: a label {largest}."
            )
    if not isinstance(normalize, bool | np.bool_):
        raise TypeError(f"normalize must be True or False. Received: normalize={normalize!r}.")
    _check_ax(ax)

    matrix = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(matrix, (y_true, y_pred), 1)  # (k, k): rows true, columns predicted
    if normalize:
        totals = matrix.sum(axis=1, keepdims=True)
        values = np.divide(matrix, totals, out=np.zeros(matrix.shape), where=totals > 0)
    else:
        values = matrix

    size = min(2.2 + 0.55 * num_classes, 9.0)
    fig, ax = _new_axes(ax, (size + 1.0, size))
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    fig.colorbar(image, ax=ax, label="fraction of the true class" if normalize else "samples")
    high = values.max() / 2 if values.max() > 0 else 1
    font_size = 9 if num_classes <= 10 else 7
    for i in range(num_classes):
        for j in range(num_classes):
            text = f"{values[i, j]:.2f}" if normalize else str(values[i, j])
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=font_size,
                color="white" if values[i, j] > high else "black",
            )
    ticks = np.arange(num_classes)
    long_names = max(map(len, names)) > 2
    ax.set_xticks(
        ticks, names, rotation=45 if long_names else 0, ha="right" if long_names else "center"
    )
    ax.set_yticks(ticks, names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    return fig


def _check_labels(name, labels):
    """Integer labels >= 0 of shape (n,) (integer-valued floats are accepted)."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        hint = " For class scores pass scores.argmax(axis=1)." if labels.ndim == 2 else ""
        raise ValueError(
            f"{name} must have shape (n_samples,): one integer label per sample. "
            f"Received: {name} with shape {labels.shape}.{hint}"
        )
    if labels.dtype.kind == "f" and np.all(np.isfinite(labels)) and np.all(labels % 1 == 0):
        labels = labels.astype(int)
    if labels.dtype.kind not in "iu" and not (labels.dtype.kind == "b" or len(labels) == 0):
        raise ValueError(
            f"{name} must hold integer class labels 0, 1, 2, ... "
            f"Received: {name} of dtype {labels.dtype}."
        )
    labels = labels.astype(int)
    if len(labels) and labels.min() < 0:
        raise ValueError(
            f"{name} must hold class labels >= 0. Received: a label {int(labels.min())}."
        )
    return labels


# --------------------------------------------------------------------------------------------
# Rows of images and 2-D embeddings (chapters 10 and 11)
# --------------------------------------------------------------------------------------------


def show_image_rows(rows, *, num_images=None, cmap="gray", vmin=0.0, vmax=1.0):
    """Show several sets of images as labelled rows, e.g. originals above reconstructions.

    Introduced in chapter 10 (eigenfaces) and used throughout chapter 11 (autoencoder
    reconstructions, noisy and denoised images). Column ``j`` of every row shows image ``j``
    of that row, so the rows can be compared image by image. All rows share one grey scale,
    ``vmin`` to ``vmax``, so that brightness means the same everywhere.

    This is a figure-level plot: it makes a new figure (so it takes no ``ax``).

    Parameters
    ----------
    rows : mapping of str to array_like
        Row label to images of shape (n, height, width) or (n, height, width, 1). Flat
        images of shape (n, height * width) are accepted when height * width is a square
        number (e.g. 784 = 28 × 28). Rows may hold different numbers of images.
    num_images : int, optional
        Show only the first ``num_images`` images of each row.
    cmap : str, default="gray"
        The colour map.
    vmin, vmax : float or None, default=0.0, 1.0
        The grey levels of black and white; None scales every image by itself.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, with one axes per image shown; the first axes of each row carries the
        row label as its y label.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> originals = np.zeros((5, 28, 28))
    >>> fig = show_image_rows({"original": originals, "reconstruction": originals.reshape(5, -1)})
    >>> len(fig.axes), fig.axes[5].get_ylabel()
    (10, 'reconstruction')
    >>> show_image_rows({"original": np.zeros((5, 28, 29, 3))})
    Traceback (most recent call last):
    ...
    ValueError: rows['original'] must hold grey-scale images of shape (n, height, width), (n, height, width, 1) or flat (n, height * width) with a square number of pixels. Received: shape (5, 28, 29, 3).
    >>> import matplotlib.pyplot as plt
    >>> plt.close("all")
    """
    if not isinstance(rows, Mapping) or len(rows) == 0:
        raise TypeError(
            "rows must be a non-empty dict of row label to images, e.g. "
            "{'original': x_test[:8], 'reconstruction': x_rec[:8]}. "
            f"Received: rows of type {type(rows).__name__}."
        )
    grids = {str(label): _grey_images(f"rows[{label!r}]", images) for label, images in rows.items()}
    if num_images is not None:
        num_images = _check_positive_int("num_images", num_images)
        grids = {label: images[:num_images] for label, images in grids.items()}
    num_columns = max(len(images) for images in grids.values())
    cell = 1.15
    label_width = 0.25 + 0.075 * max(len(label) for label in grids)
    fig, axes = _pyplot().subplots(
        len(grids),
        num_columns,
        figsize=(label_width + num_columns * cell, len(grids) * cell),
        squeeze=False,
    )
    for axes_row, (label, images) in zip(axes, grids.items(), strict=True):
        for column, ax in enumerate(axes_row):
            ax.set_xticks([])
            ax.set_yticks([])
            if column < len(images):
                ax.imshow(images[column], cmap=cmap, vmin=vmin, vmax=vmax)
            else:
                ax.axis("off")
        axes_row[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.subplots_adjust(
        left=label_width / (label_width + num_columns * cell),
        right=0.995,
        top=0.99,
        bottom=0.01,
        wspace=0.05,
        hspace=0.05,
    )
    return fig


def _grey_images(name, images):
    """Images as an array of shape (n, height, width)."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim == 2 and images.shape[1] > 0:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side == images.shape[1]:
            images = images.reshape(len(images), side, side)
    if images.ndim != 3 or images.dtype.kind not in "biuf" or len(images) == 0:
        raise ValueError(
            f"{name} must hold grey-scale images of shape (n, height, width), "
            "(n, height, width, 1) or flat (n, height * width) with a square number of pixels. "
            f"Received: shape {images.shape}."
        )
    return images


def plot_embedding(points, labels=None, *, class_names=None, ax=None, title=None, size=8):
    """Scatter 2-D points (a PCA projection, an autoencoder's code), coloured by label.

    Introduced in chapter 10 (digits on their first two principal components, coloured by
    k-means cluster and by digit) and used in chapter 11 for the codes of an autoencoder.

    Parameters
    ----------
    points : array_like of shape (n_samples, 2)
        The coordinates.
    labels : array_like of shape (n_samples,), optional
        Integer labels (classes or cluster ids) that pick each point's colour; a legend
        names them. Without labels all points get one colour.
    class_names : sequence of str, optional
        Legend names for the labels 0, 1, ...: label ``k`` is ``class_names[k]``.
    ax : matplotlib.axes.Axes, optional
        Draw here instead of in a new figure.
    title : str, optional
        The axes title.
    size : float, default=8
        Marker area in points².

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> points = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    >>> fig = plot_embedding(points, [0, 1, 1], class_names=["zero", "one"])
    >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    ['zero', 'one']
    >>> plot_embedding(points[:, :1])
    Traceback (most recent call last):
    ...
    ValueError: points must have shape (n_samples, 2). Received: points with shape (3, 1).
    >>> import matplotlib.pyplot as plt
    >>> plt.close(fig)
    """
    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] != 2 or points.dtype.kind not in "biuf":
        raise ValueError(
            f"points must have shape (n_samples, 2). Received: points with shape {points.shape}."
        )
    _check_ax(ax)
    fig, ax = _new_axes(ax, (5.2, 4.4))
    if labels is None:
        if class_names is not None:
            raise ValueError("class_names needs labels: pass labels=... as well.")
        ax.scatter(points[:, 0], points[:, 1], s=size, color=_color(0), alpha=0.7, linewidths=0)
    else:
        labels = np.asarray(labels)
        if labels.shape != (len(points),) or labels.dtype.kind not in "biu":
            raise ValueError(
                f"labels must be integers of shape (n_samples,) = ({len(points)},). "
                f"Received: labels with shape {labels.shape} and dtype {labels.dtype}."
            )
        names = _image_titles(labels, class_names, len(points))
        for index, label in enumerate(np.unique(labels)):
            chosen = labels == label
            ax.scatter(
                points[chosen, 0],
                points[chosen, 1],
                s=size,
                color=_color(index),
                alpha=0.7,
                linewidths=0,
                label=names[int(np.argmax(chosen))],
            )
        legend = ax.legend(
            loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, markerscale=2.5
        )
        legend.set_frame_on(False)
    if title is not None:
        ax.set_title(title)
    return fig


# ============================================================================================
# Convolutional networks: matrices, filters and feature maps (chapters 5–7)
# ============================================================================================


def plot_matrix(values, *, ax=None, highlight=None, title=None, cmap="RdBu_r", decimals=2):
    """Draw a small matrix as a grid of coloured cells with its numbers written in them.

    Introduced in chapter 5 for the worked examples of convolution and pooling. The colour
    scale is symmetric around 0 (red positive, blue negative with the default ``cmap``).

    Parameters
    ----------
    values : array_like of shape (rows, columns)
        The matrix; at most 20 × 20 so the numbers stay readable.
    ax : matplotlib.axes.Axes, optional
        Where to draw; by default a new figure.
    highlight : (row, column, height, width), optional
        A block of cells to outline, e.g. the window under the kernel.
    title : str, optional
        Title of the axes.
    cmap : str, default="RdBu_r"
        A diverging colour map.
    decimals : int, default=2
        Numbers are rounded to this many decimals (trailing zeros are dropped).

    Returns
    -------
    matplotlib.figure.Figure
        The figure that holds the axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = plot_matrix([[1, -2], [3, 0.5]], highlight=(0, 0, 1, 2), title="x")
    >>> [text.get_text() for text in fig.axes[0].texts]
    ['1', '-2', '3', '0.5']
    >>> plot_matrix(np.zeros(3))
    Traceback (most recent call last):
    ...
    ValueError: values must be a numeric 2-D array of at most 20 × 20. Received: values with shape (3,).
    >>> import matplotlib.pyplot as plt
    >>> plt.close(fig)
    """
    values = np.asarray(values)
    if values.ndim != 2 or values.dtype.kind not in "biuf" or max(values.shape) > 20:
        raise ValueError(
            "values must be a numeric 2-D array of at most 20 × 20. "
            f"Received: values with shape {values.shape}."
        )
    if isinstance(decimals, bool) or not isinstance(decimals, numbers.Integral) or decimals < 0:
        raise ValueError(
            f"decimals must be a non-negative integer. Received: decimals={decimals!r}."
        )
    _check_ax(ax)
    rows, columns = values.shape
    fig, ax = _new_axes(ax, (0.45 * columns + 0.4, 0.45 * rows + 0.4))
    values = values.astype(float)
    limit = max(float(np.max(np.abs(values))), 1e-12)
    ax.imshow(values, cmap=cmap, vmin=-limit, vmax=limit)
    for (row, column), value in np.ndenumerate(values):
        text = f"{round(value, decimals):.{decimals}f}".rstrip("0").rstrip(".")
        text = "0" if text in ("-0", "") else text
        dark = abs(value) > 0.6 * limit
        ax.text(
            column,
            row,
            text,
            ha="center",
            va="center",
            fontsize=9,
            color="white" if dark else "black",
        )
    ax.set_xticks(np.arange(columns + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(rows + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="0.3", linewidth=0.6)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if highlight is not None:
        from matplotlib.patches import Rectangle

        row, column, height, width = highlight
        ax.add_patch(
            Rectangle(
                (column - 0.5, row - 0.5),
                width,
                height,
                fill=False,
                edgecolor="#2ca02c",
                linewidth=3,
            )
        )
    if title is not None:
        ax.set_title(title, fontsize=10)
    return fig


def plot_filters(kernel, *, num_columns=8, channel=None, max_filters=64):
    """Show the filters of a convolutional layer as small images.

    Introduced in chapter 7 for the first layer of a trained CNN. ``kernel`` is the weight
    tensor of a ``keras.layers.Conv2D`` (``layer.get_weights()[0]``), of shape
    (U, V, P, Q): Q filters of U × V with P input channels. One-channel filters (or one
    chosen channel) are drawn with one diverging colour scale shared by all filters, so
    that their strengths can be compared (red positive, blue negative weights); filters
    with three input channels are drawn as colour images, each scaled to [0, 1].

    This is a figure-level plot: it makes a new figure (so it takes no ``ax``).

    Parameters
    ----------
    kernel : array_like of shape (U, V, P, Q)
        The filters.
    num_columns : int, default=8
        Filters per row.
    channel : int, optional
        Show this input channel of every filter; by default the only channel when P is 1,
        the colour image when P is 3 (required for other P).
    max_filters : int, default=64
        Show at most this many filters (the first ones).

    Returns
    -------
    matplotlib.figure.Figure
        The figure, with one axes per filter titled with its index.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> kernel = np.random.default_rng(0).normal(size=(5, 5, 1, 12))
    >>> fig = plot_filters(kernel, num_columns=6)
    >>> len(fig.axes), fig.axes[7].get_title()
    (12, '7')
    >>> plot_filters(kernel[..., 0])
    Traceback (most recent call last):
    ...
    ValueError: kernel must have shape (U, V, P, Q) like the weights of a Conv2D layer. Received: kernel with shape (5, 5, 1).
    >>> import matplotlib.pyplot as plt
    >>> plt.close(fig)
    """
    kernel = np.asarray(kernel)
    if kernel.ndim != 4 or kernel.dtype.kind not in "biuf":
        raise ValueError(
            "kernel must have shape (U, V, P, Q) like the weights of a Conv2D layer. "
            f"Received: kernel with shape {kernel.shape}."
        )
    num_columns = _check_positive_int("num_columns", num_columns)
    max_filters = _check_positive_int("max_filters", max_filters)
    num_channels = kernel.shape[2]
    if channel is None and num_channels not in (1, 3):
        raise ValueError(
            f"kernel has {num_channels} input channels: pass channel=... (0 to "
            f"{num_channels - 1}) to choose the one to show."
        )
    if channel is not None and (
        isinstance(channel, bool)
        or not isinstance(channel, numbers.Integral)
        or not 0 <= channel < num_channels
    ):
        raise ValueError(
            f"channel must be an integer from 0 to {num_channels - 1}. "
            f"Received: channel={channel!r}."
        )
    kernel = kernel[..., :max_filters].astype(float)
    num_filters = kernel.shape[3]
    colour = channel is None and num_channels == 3
    if not colour:
        kernel = kernel[:, :, 0 if channel is None else channel, :]  # (U, V, Q)
        limit = max(float(np.max(np.abs(kernel))), 1e-12)
    num_columns = min(num_columns, num_filters)
    num_rows = -(-num_filters // num_columns)
    fig, axes = _pyplot().subplots(
        num_rows, num_columns, figsize=(0.9 * num_columns, 1.0 * num_rows), squeeze=False
    )
    for index, ax in enumerate(axes.ravel()):
        if index >= num_filters:
            fig.delaxes(ax)
            continue
        if colour:
            image = kernel[..., index]
            low, high = image.min(), image.max()
            ax.imshow((image - low) / max(high - low, 1e-12))
        else:
            ax.imshow(kernel[..., index], cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(str(index), fontsize=8)
    fig.tight_layout(pad=0.2)
    return fig


def plot_feature_maps(feature_maps, *, image=None, num_maps=8, cmap="viridis"):
    """Show the first feature maps of several layers, one row per layer.

    Introduced in chapter 7. ``feature_maps`` holds the outputs of convolutional (or
    pooling) layers for **one** input image, e.g. the list a multi-output Functional model
    returns. Each map is scaled by itself (bright: strong activation), and its size shows
    how the layers shrink the image.

    This is a figure-level plot: it makes a new figure (so it takes no ``ax``).

    Parameters
    ----------
    feature_maps : mapping of str to array_like
        Layer name to its output for one image, of shape (H, W, C) or (1, H, W, C).
    image : array_like of shape (H, W) or (H, W, 1), optional
        The input image, shown at the start of every row.
    num_maps : int, default=8
        Show the first ``num_maps`` channels of each layer.
    cmap : str, default="viridis"
        The colour map of the feature maps.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; the first axes of each row carries the layer name as its y label.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> maps = {"conv1": np.ones((1, 28, 28, 32)), "conv2": np.ones((14, 14, 64))}
    >>> fig = plot_feature_maps(maps, num_maps=4)
    >>> len(fig.axes), fig.axes[4].get_ylabel()
    (8, 'conv2')
    >>> plot_feature_maps({"dense": np.ones((1, 10))})
    Traceback (most recent call last):
    ...
    ValueError: feature_maps['dense'] must have shape (H, W, C) or (1, H, W, C): the output of a convolutional or pooling layer for one image. Received: shape (1, 10).
    >>> import matplotlib.pyplot as plt
    >>> plt.close(fig)
    """
    if not isinstance(feature_maps, Mapping) or len(feature_maps) == 0:
        raise TypeError(
            "feature_maps must be a non-empty mapping of layer name to feature maps, e.g. "
            f"{{'conv1': maps}}. Received: {type(feature_maps).__name__}."
        )
    num_maps = _check_positive_int("num_maps", num_maps)
    rows = {}
    for name, maps in feature_maps.items():
        maps = np.asarray(maps)
        if maps.ndim == 4 and maps.shape[0] == 1:
            maps = maps[0]
        if maps.ndim != 3 or maps.dtype.kind not in "biuf":
            raise ValueError(
                f"feature_maps[{name!r}] must have shape (H, W, C) or (1, H, W, C): the output "
                "of a convolutional or pooling layer for one image. "
                f"Received: shape {np.shape(feature_maps[name])}."
            )
        rows[name] = maps[..., :num_maps]
    if image is not None:
        image = np.asarray(image)
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        if image.ndim != 2:
            raise ValueError(
                f"image must have shape (H, W) or (H, W, 1). Received: shape {image.shape}."
            )
    offset = 0 if image is None else 1
    num_columns = offset + max(maps.shape[-1] for maps in rows.values())
    fig, axes = _pyplot().subplots(
        len(rows), num_columns, figsize=(1.1 * num_columns, 1.2 * len(rows)), squeeze=False
    )
    for row_axes, (name, maps) in zip(axes, rows.items(), strict=True):
        for column, ax in enumerate(row_axes):
            channel = column - offset
            if column < offset:
                ax.imshow(image, cmap="gray")
            elif channel < maps.shape[-1]:
                ax.imshow(maps[..., channel], cmap=cmap)
            else:
                fig.delaxes(ax)
                continue
            ax.set_xticks([])
            ax.set_yticks([])
            if column == 0:
                ax.set_ylabel(name, fontsize=9)
            if column == offset:
                height, width, depth = np.shape(feature_maps[name])[-3:]
                ax.set_title(f"{height}×{width}×{depth}", fontsize=7)
    fig.tight_layout(pad=0.3)
    return fig


def html_table(columns, rows=None):
    """A table for a notebook or the book, as an :class:`IPython.display.HTML` object.

    Two forms: ``html_table({name: values, ...})`` with a mapping of equally long columns, or
    ``html_table(header, rows)`` with the column names and a sequence of rows (each a
    sequence of cells, one per column).

    Cells are inserted as ``str`` writes them, so they may contain HTML such as ``<b>``;
    format numbers before passing them (``f"{x:.3f}"``).

    >>> print(html_table({"k": [1, 2], "error": ["0.10", "0.05"]}).data)
    <table class='table'><thead><tr><th>k</th><th>error</th></tr></thead><tbody><tr><td>1</td><td>0.10</td></tr><tr><td>2</td><td>0.05</td></tr></tbody></table>
    >>> html_table(["a"], [[1, 2]])
    Traceback (most recent call last):
    ...
    ValueError: html_table: row 0 has 2 cells but the header has 1 (['a']); give every row one cell per column.
    """
    from IPython.display import HTML

    if rows is None:
        if not isinstance(columns, Mapping):
            raise ValueError(
                f"html_table: got a {type(columns).__name__} and no rows; pass a mapping "
                "{column name: values} or html_table(header, rows)."
            )
        header = list(columns)
        values = [list(column) for column in columns.values()]
        lengths = {name: len(column) for name, column in zip(header, values, strict=True)}
        if len(set(lengths.values())) > 1:
            raise ValueError(
                f"html_table: columns have different lengths {lengths}; give every column "
                "one value per row."
            )
        rows = list(zip(*values, strict=True))
    else:
        header = list(columns)
        rows = [list(row) for row in rows]
        for index, row in enumerate(rows):
            if len(row) != len(header):
                raise ValueError(
                    f"html_table: row {index} has {len(row)} cells but the header has "
                    f"{len(header)} ({header}); give every row one cell per column."
                )
    head = "".join(f"<th>{name}</th>" for name in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return HTML(f"<table class='table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


# --------------------------------------------------------------------------------------------
# Segmentation masks
# --------------------------------------------------------------------------------------------


def plot_segmentation(images, masks, *, class_names=None, num_images=None, alpha=0.55):
    """Show grey images with segmentation masks drawn over them, one row per set of masks.

    Introduced in chapter 9 (fully-convolutional networks) and used by assignment
    ``a06_segmentation``. Column ``j`` shows image ``j``: first alone, then once under each
    set of masks (e.g. the true masks and a network's predictions), where every pixel of
    class ``k > 0`` is tinted with the colour of class ``k`` and class 0 (background) is
    left untinted. All rows use the same colours, and a legend names the classes that occur.

    This is a figure-level plot: it makes a new figure (so it takes no ``ax``).

    Parameters
    ----------
    images : array_like of shape (n, height, width) or (n, height, width, 1)
        Grey images with values in [0, 1].
    masks : mapping of str to array_like of shape (n, height, width)
        Row label to integer class masks, e.g. ``{"true": y_test, "predicted": y_pred}``.
    class_names : sequence of str, optional
        Names of classes 0, 1, 2, ... for the legend; without them the legend shows numbers.
    num_images : int, optional
        Show only the first ``num_images`` images.
    alpha : float, default=0.55
        Opacity of the tint, between 0 and 1.

    Returns
    -------
    matplotlib.figure.Figure
        The figure; the first axes of each row carries the row label as its y label.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> images = np.zeros((3, 8, 8))
    >>> masks = np.zeros((3, 8, 8), dtype=int)
    >>> masks[:, 2:5, 2:5] = 2
    >>> fig = plot_segmentation(images, {"true": masks, "predicted": masks})
    >>> len(fig.axes), fig.axes[3].get_ylabel()
    (9, 'true')
    >>> plot_segmentation(images, {"true": masks[:, :4]})
    Traceback (most recent call last):
    ...
    ValueError: masks['true'] must have the shape of the images, (3, 8, 8). Received: shape (3, 4, 8).
    >>> import matplotlib.pyplot as plt
    >>> plt.close(fig)
    """
    images = _grey_images("images", images)
    if not isinstance(masks, Mapping) or len(masks) == 0:
        raise TypeError(
            "masks must be a non-empty dict of row label to masks, e.g. "
            f"{{'true': y_test[:6]}}. Received: masks of type {type(masks).__name__}."
        )
    rows = {}
    for label, values in masks.items():
        values = np.asarray(values)
        if values.shape != images.shape:
            raise ValueError(
                f"masks[{label!r}] must have the shape of the images, {images.shape}. "
                f"Received: shape {values.shape}."
            )
        if values.dtype.kind not in "biu" or (values.size and values.min() < 0):
            raise ValueError(
                f"masks[{label!r}] must hold non-negative integer class labels. "
                f"Received: dtype {values.dtype}"
                + (f", smallest value {values.min()}." if values.size else ".")
            )
        rows[str(label)] = values.astype(int)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be between 0 and 1. Received: alpha={alpha!r}.")
    if num_images is not None:
        num_images = _check_positive_int("num_images", num_images)
        images = images[:num_images]
        rows = {label: values[:num_images] for label, values in rows.items()}
    from matplotlib.colors import to_rgb
    from matplotlib.patches import Patch

    palette = np.array([to_rgb(color) for color in _SEGMENT_COLORS])
    present = sorted(set(np.unique(np.concatenate([v.ravel() for v in rows.values()]))) - {0})
    num_columns, cell = len(images), 1.3
    fig, axes = _pyplot().subplots(
        1 + len(rows),
        num_columns,
        figsize=(0.9 + num_columns * cell, (1 + len(rows)) * cell + 0.45),
        squeeze=False,
    )
    grey = np.clip(images, 0.0, 1.0)[..., None] * np.ones(3)  # (n, height, width, 3)
    for row, (label, values) in enumerate([("image", None), *rows.items()]):
        for column, ax in enumerate(axes[row]):
            picture = grey[column]
            if values is not None:
                tint = palette[(values[column] - 1) % len(palette)]
                covered = (values[column] > 0)[..., None]
                picture = np.where(covered, (1 - alpha) * picture + alpha * tint, picture)
            ax.imshow(picture, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row][0].set_ylabel(label, fontsize=9)
    names = [
        _label_text(class_names[k]) if class_names is not None and k < len(class_names) else str(k)
        for k in present
    ]
    handles = [
        Patch(color=palette[(k - 1) % len(palette)], label=name)
        for k, name in zip(present, names, strict=True)
    ]
    if handles:
        fig.legend(
            handles=handles,
            loc="lower center",
            ncol=min(len(handles), 6),
            fontsize=8,
            frameon=False,
        )
    fig.subplots_adjust(
        left=0.9 / (0.9 + num_columns * cell),
        right=0.995,
        top=0.99,
        bottom=0.45 / ((1 + len(rows)) * cell + 0.45) + 0.02,
        wspace=0.05,
        hspace=0.05,
    )
    return fig


# Colours of classes 1, 2, ... in a segmentation overlay (class 0, background, is untinted):
# the ten colours of _CLASS_COLORS with its grey replaced (grey tint is invisible on grey
# images), then four more, so that the ten Fashion-MNIST classes never share a colour.
_SEGMENT_COLORS = (
    *(color for color in _CLASS_COLORS if color != "#7f7f7f"),
    "#ffe119",
    "#aec7e8",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
)


# ---------------------------------------------------------------------------------------------
# Conceptual diagrams (chapters 1-12): networks, blocks, sliding windows, flows.
#
# They must read in the book's light and dark themes alike: the figure background is
# transparent, every text sits on a light filled patch in dark ink, and lines are a mid grey
# that shows on white and on black.
# ---------------------------------------------------------------------------------------------

_INK = "#1b1b1b"  # text, always on a light patch
_LINE = "#8c8c8c"  # edges and arrows: visible on white and on black
_BACK = "#d6604d"  # the backward direction (gradients), a red that reads on both
_FILLS = {
    "input": "#c6dbef",
    "conv": "#9ecae1",
    "pool": "#fdd0a2",
    "dense": "#a1d99b",
    "code": "#fc9272",
    "up": "#dadaeb",
    "output": "#fee391",
    "frozen": "#d9d9d9",
    "new": "#a1d99b",
    "step": "#e5e5e5",
}


def _diagram_axes(ax, figsize):
    fig, ax = _new_axes(_check_ax(ax), figsize)
    fig.patch.set_alpha(0.0)
    ax.patch.set_alpha(0.0)
    ax.set_axis_off()
    ax.set_aspect("equal")
    return fig, ax


def _label(ax, x, y, text, *, size=9, fill="#f7f7f7", **kwargs):
    """Dark text on a light rounded patch, readable on any background."""
    ax.text(
        x,
        y,
        text,
        ha=kwargs.pop("ha", "center"),
        va=kwargs.pop("va", "center"),
        fontsize=size,
        color=_INK,
        bbox={"boxstyle": "round,pad=0.25", "facecolor": fill, "edgecolor": "none"},
        zorder=kwargs.pop("zorder", 5),
        **kwargs,
    )


def _arrow(ax, start, end, *, color=_LINE, text=None, style="-|>", rad=0.0, width=1.4):
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=12,
            color=color,
            linewidth=width,
            connectionstyle=f"arc3,rad={rad}",
            zorder=2,
        )
    )
    if text:
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
        _label(ax, *middle, text, size=8)


def _check_sizes(name, sizes):
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"{name} needs at least two layers. Received: {name}={sizes!r}.")
    return [_check_positive_int(f"{name}[{i}]", size) for i, size in enumerate(sizes)]


def draw_network(layer_sizes, *, ax=None, layer_labels=None, max_units=7, dropped=None):
    """Draw a dense network as a graph: a column of units per layer, every unit connected
    to every unit of the next layer.

    Layers with more than ``max_units`` units show their first and last units with a
    vertical ellipsis between them, and their true size in the label below.

    Parameters
    ----------
    layer_sizes : sequence of int
        The number of units of every layer, input first, e.g. ``[784, 64, 10]``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new figure.
    layer_labels : sequence of str, optional
        A label per layer (default: "input", "hidden 1", ..., "output" with the sizes).
    max_units : int
        The most units drawn in one column.
    dropped : mapping of int to sequence of int, optional
        For dropout: for a layer index, the positions (among the drawn units) of the units
        switched off; they are drawn crossed out and without connections.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = draw_network([784, 64, 10])
    >>> len(fig.axes)
    1
    >>> fig = draw_network([4, 5, 3], dropped={1: [0, 3]})
    """
    sizes = _check_sizes("layer_sizes", layer_sizes)
    max_units = _check_positive_int("max_units", max_units)
    if max_units < 3:
        raise ValueError(f"max_units must be at least 3. Received: max_units={max_units}.")
    if layer_labels is None:
        names = ["input"] + [f"hidden {i}" for i in range(1, len(sizes) - 1)] + ["output"]
        layer_labels = [f"{name}\n{size:,} units" for name, size in zip(names, sizes, strict=True)]
    if len(layer_labels) != len(sizes):
        raise ValueError(
            f"layer_labels needs one label per layer ({len(sizes)}). "
            f"Received: {len(layer_labels)} labels."
        )
    dropped = {int(k): set(v) for k, v in (dropped or {}).items()}
    fig, ax = _diagram_axes(ax, (1.9 * len(sizes) + 0.5, 3.6))
    from matplotlib.patches import Circle

    columns = []
    for x, size in enumerate(sizes):
        shown = min(size, max_units)
        ys = np.linspace(shown - 1, 0, shown) - (shown - 1) / 2
        ys = ys * min(0.55, 3.4 / max(shown - 1, 1))
        gap = shown - 2 if size > max_units else None  # where the ellipsis goes
        columns.append([(x * 1.8, float(y)) for y in ys])
        for i, (cx, cy) in enumerate(columns[-1]):
            if i == gap:
                _label(ax, cx, cy, "⋮", size=10)
                continue
            kind = "input" if x == 0 else ("output" if x == len(sizes) - 1 else "dense")
            off = i in dropped.get(x, ())
            ax.add_patch(
                Circle(
                    (cx, cy),
                    0.17,
                    facecolor="none" if off else _FILLS[kind],
                    edgecolor=_LINE,
                    linewidth=1.2,
                    zorder=3,
                )
            )
            if off:
                ax.plot([cx - 0.12, cx + 0.12], [cy - 0.12, cy + 0.12], color=_BACK, lw=1.5)
                ax.plot([cx - 0.12, cx + 0.12], [cy + 0.12, cy - 0.12], color=_BACK, lw=1.5)
        _label(ax, x * 1.8, -2.35, layer_labels[x], size=8)
    for x in range(len(sizes) - 1):
        gap_a = min(sizes[x], max_units) - 2 if sizes[x] > max_units else None
        gap_b = min(sizes[x + 1], max_units) - 2 if sizes[x + 1] > max_units else None
        for i, a in enumerate(columns[x]):
            for j, b in enumerate(columns[x + 1]):
                if i == gap_a or j == gap_b:
                    continue
                if i in dropped.get(x, ()) or j in dropped.get(x + 1, ()):
                    continue
                ax.plot([a[0], b[0]], [a[1], b[1]], color=_LINE, lw=0.6, alpha=0.7, zorder=1)
    ax.set_xlim(-0.7, 1.8 * (len(sizes) - 1) + 0.7)
    ax.set_ylim(-2.8, 2.0)
    return fig


def draw_tlu(weights, bias, *, ax=None, input_names=None, activation="step"):
    """Draw a threshold logic unit: inputs, weighted edges, the sum and the activation.

    Parameters
    ----------
    weights : sequence of float
        One weight per input.
    bias : float
        The bias $b$ added to the weighted sum.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new figure.
    input_names : sequence of str, optional
        The inputs' names (default ``x1``, ``x2``, ...).
    activation : str
        The activation's name, written in its box ("step" draws the step function).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = draw_tlu([1.0, 1.0], -1.5)
    """
    weights = [float(w) for w in np.ravel(weights)]
    if not weights:
        raise ValueError("weights needs at least one weight. Received: weights=[].")
    names = list(input_names or [f"$x_{i + 1}$" for i in range(len(weights))])
    if len(names) != len(weights):
        raise ValueError(
            f"input_names needs one name per weight ({len(weights)}). Received: {names!r}."
        )
    from matplotlib.patches import Circle, FancyBboxPatch

    fig, ax = _diagram_axes(ax, (6.4, 2.6))
    ys = np.linspace(0.9, -0.9, len(weights)) if len(weights) > 1 else np.zeros(1)
    for name, w, y in zip(names, weights, ys, strict=True):
        ax.add_patch(Circle((0, y), 0.22, facecolor=_FILLS["input"], edgecolor=_LINE, zorder=3))
        ax.text(0, y, name, ha="center", va="center", color=_INK, fontsize=10, zorder=4)
        _arrow(ax, (0.25, y), (2.05, 0.0))
        _label(ax, 1.0, y * 0.55 + 0.08, f"$w = {w:g}$", size=8)
    ax.add_patch(Circle((2.3, 0), 0.28, facecolor=_FILLS["dense"], edgecolor=_LINE, zorder=3))
    ax.text(2.3, 0, r"$\Sigma$", ha="center", va="center", color=_INK, fontsize=13, zorder=4)
    _label(ax, 2.3, -0.62, f"$z = w^\\top x + b$\n$b = {float(bias):g}$", size=8)
    _arrow(ax, (2.6, 0), (3.25, 0))
    ax.add_patch(
        FancyBboxPatch(
            (3.3, -0.35),
            0.9,
            0.7,
            boxstyle="round,pad=0.02",
            facecolor=_FILLS["step"],
            edgecolor=_LINE,
            zorder=3,
        )
    )
    if activation == "step":
        ax.plot([3.4, 3.75, 3.75, 4.1], [-0.2, -0.2, 0.2, 0.2], color=_INK, lw=1.6, zorder=4)
    else:
        ax.text(3.75, 0, activation, ha="center", va="center", color=_INK, fontsize=9, zorder=4)
    _label(ax, 3.75, -0.62, "step(z)" if activation == "step" else activation, size=8)
    _arrow(ax, (4.25, 0), (4.95, 0))
    _label(ax, 5.2, 0, r"$\hat y$", size=11)
    ax.set_xlim(-0.4, 5.6)
    ax.set_ylim(-1.25, 1.25)
    return fig


def _shape_text(shape):
    return " × ".join(str(int(s)) for s in shape)


def draw_blocks(blocks, *, ax=None, groups=(), cut=None, title=None):
    """Draw a network as a row of blocks, one per layer, each with its output shape.

    A block's height grows with the spatial size of its output and its width with the
    number of channels, so a CNN is seen getting smaller and deeper; a vector (a dense
    layer's output) is a thin bar whose height grows with its length.

    Parameters
    ----------
    blocks : sequence of tuple
        ``(name, shape)`` or ``(name, shape, kind)`` per layer, input first. ``shape`` is
        the output shape without the batch axis, ``(height, width, channels)`` or ``(n,)``;
        ``kind`` picks the colour: "input", "conv", "pool", "dense", "code", "up", "output",
        "frozen" or "new" (default: guessed from the name).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new figure.
    groups : sequence of tuple
        ``(first, last, text)``: a bracket below blocks ``first`` to ``last`` (inclusive).
    cut : int, optional
        Draw a dashed "cut" line after block ``cut``.
    title : str, optional
        A title above the diagram.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = draw_blocks([("input", (32, 32, 1)), ("conv", (28, 28, 6)), ("dense", (10,))])
    >>> fig = draw_blocks([("a", (8,)), ("b", (4,))], groups=[(0, 1, "both")], cut=0)
    """
    blocks = list(blocks)
    if not blocks:
        raise ValueError("blocks needs at least one block. Received: blocks=[].")
    parsed = []
    for i, block in enumerate(blocks):
        if not isinstance(block, Sequence) or len(block) not in (2, 3):
            raise ValueError(
                "Every block is (name, shape) or (name, shape, kind). "
                f"Received: blocks[{i}]={block!r}."
            )
        name, shape = str(block[0]), tuple(int(s) for s in block[1])
        if len(shape) not in (1, 3) or min(shape) < 1:
            raise ValueError(
                f"A block's shape is (height, width, channels) or (n,). "
                f"Received: blocks[{i}] shape={block[1]!r}."
            )
        kind = block[2] if len(block) == 3 else _guess_kind(name, i, len(blocks))
        if kind not in _FILLS:
            raise ValueError(
                f"Unknown block kind {kind!r}; use one of {sorted(_FILLS)}. "
                f"Received: blocks[{i}]={block!r}."
            )
        parsed.append((name, shape, kind))
    from matplotlib.patches import Rectangle

    largest = (
        max(s[0] for _, s, _ in parsed if len(s) == 3)
        if any(len(s) == 3 for _, s, _ in parsed)
        else 1
    )
    longest = max((s[0] for _, s, _ in parsed if len(s) == 1), default=1)
    fig, ax = _diagram_axes(ax, (min(11.5, max(6.0, 0.8 * len(parsed) + 0.8)), 3.4))
    x = 0.0
    centres = []
    for name, shape, kind in parsed:
        if len(shape) == 3:
            height = 0.5 + 2.0 * np.sqrt(shape[0] / largest)
            width = 0.12 + 0.16 * np.log2(shape[2] + 1)
        else:
            height = 0.4 + 2.1 * np.sqrt(shape[0] / longest)
            width = 0.14
        ax.add_patch(
            Rectangle(
                (x, -height / 2),
                width,
                height,
                facecolor=_FILLS[kind],
                edgecolor=_LINE,
                linewidth=1.0,
                zorder=3,
            )
        )
        centre = x + width / 2
        centres.append((centre, x, x + width))
        ax.text(
            centre,
            1.42,
            name,
            ha="center",
            va="bottom",
            rotation=35,
            fontsize=7.5,
            color=_INK,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "#f7f7f7", "edgecolor": "none"},
            zorder=5,
        )
        ax.text(
            centre,
            -1.42,
            _shape_text(shape),
            ha="center",
            va="top",
            rotation=90,
            fontsize=7,
            color=_INK,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "#f7f7f7", "edgecolor": "none"},
            zorder=5,
        )
        x += width + 0.55
    for (_, _, right), (_, left, _) in zip(centres, centres[1:], strict=False):
        _arrow(ax, (right + 0.03, 0), (left - 0.03, 0), width=1.0)
    for first, last, text in groups:
        if not 0 <= first <= last < len(parsed):
            raise ValueError(
                f"A group spans blocks first..last of 0..{len(parsed) - 1}. "
                f"Received: ({first}, {last}, {text!r})."
            )
        a, b = centres[first][1], centres[last][2]
        ax.plot([a, a, b, b], [-2.55, -2.65, -2.65, -2.55], color=_LINE, lw=1.2)
        _label(ax, (a + b) / 2, -2.95, text, size=8)
    if cut is not None:
        if not 0 <= cut < len(parsed) - 1:
            raise ValueError(
                f"cut must be the index of a block before the last ({len(parsed) - 1}). "
                f"Received: cut={cut}."
            )
        at = (centres[cut][2] + centres[cut + 1][1]) / 2
        ax.plot([at, at], [-1.35, 1.35], color=_BACK, lw=1.6, ls="--", zorder=4)
        _label(ax, at, 1.25, "cut", size=8, fill="#fddbc7")
    if title:
        _label(ax, x / 2, 2.75, title, size=9.5)
    ax.set_xlim(-0.3, x - 0.25)
    ax.set_ylim(-3.25, 3.05 if title else 2.6)
    ax.set_aspect("auto")
    return fig


def _guess_kind(name, index, count):
    lowered = name.lower()
    if index == 0 or "input" in lowered:
        return "input"
    for key, kind in (
        ("transpose", "up"),
        ("up", "up"),
        ("pool", "pool"),
        ("conv", "conv"),
        ("code", "code"),
        ("flatten", "dense"),
        ("dense", "dense"),
    ):
        if key in lowered:
            return kind
    return "output" if index == count - 1 else "dense"


def draw_sliding_window(input_size, kernel_size, *, stride=1, padding=0, position=(0, 0), ax=None):
    """Draw a kernel sliding over a padded input, and the output cell it computes.

    Parameters
    ----------
    input_size : int
        The height (= width) of the input, without padding.
    kernel_size : int
        The height (= width) of the kernel.
    stride : int
        The step of the kernel, in pixels.
    padding : int
        Rows and columns of zeros added on every side.
    position : tuple of int
        The output cell (row, column) whose window is highlighted.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = draw_sliding_window(5, 3, stride=2, padding=1, position=(1, 2))
    """
    n = _check_positive_int("input_size", input_size)
    k = _check_positive_int("kernel_size", kernel_size)
    s = _check_positive_int("stride", stride)
    if isinstance(padding, bool) or not isinstance(padding, numbers.Integral) or padding < 0:
        raise ValueError(f"padding must be an integer >= 0. Received: padding={padding!r}.")
    p = int(padding)
    if k > n + 2 * p:
        raise ValueError(
            f"The kernel (kernel_size={k}) does not fit the padded input "
            f"(input_size + 2 * padding = {n + 2 * p})."
        )
    out = (n + 2 * p - k) // s + 1
    row, col = (int(v) for v in position)
    if not (0 <= row < out and 0 <= col < out):
        raise ValueError(
            f"position must be an output cell, each index in 0..{out - 1}. "
            f"Received: position={position!r}."
        )
    from matplotlib.patches import Rectangle

    fig, ax = _diagram_axes(ax, (7.0, 3.6))
    size = n + 2 * p
    for i in range(size):
        for j in range(size):
            pad = not (p <= i < p + n and p <= j < p + n)
            ax.add_patch(
                Rectangle(
                    (j, size - 1 - i),
                    1,
                    1,
                    facecolor="#ececec" if pad else _FILLS["input"],
                    edgecolor=_LINE,
                    linewidth=0.8,
                    hatch="//" if pad else None,
                    zorder=1,
                )
            )
            if pad:
                ax.text(
                    j + 0.5,
                    size - 0.5 - i,
                    "0",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="#555555",
                    zorder=2,
                )
    top, left = row * s, col * s
    ax.add_patch(
        Rectangle(
            (left, size - top - k),
            k,
            k,
            facecolor=_FILLS["code"],
            alpha=0.55,
            edgecolor=_BACK,
            linewidth=2.2,
            zorder=3,
        )
    )
    x0 = size + 2.0
    offset = (size - out) / 2
    for i in range(out):
        for j in range(out):
            hit = (i, j) == (row, col)
            ax.add_patch(
                Rectangle(
                    (x0 + j, offset + out - 1 - i),
                    1,
                    1,
                    facecolor=_FILLS["code"] if hit else _FILLS["conv"],
                    edgecolor=_BACK if hit else _LINE,
                    linewidth=2.0 if hit else 0.8,
                )
            )
    _arrow(
        ax,
        (left + k + 0.1, size - top - k / 2),
        (x0 + col + 0.1, offset + out - 0.5 - row),
        color=_BACK,
        rad=-0.2,
    )
    _label(
        ax,
        size / 2,
        -0.8,
        f"input {n} × {n}, padding {p}" + ("  (hatched: zeros)" if p else ""),
        size=8,
    )
    _label(
        ax,
        x0 + out / 2,
        offset - 0.8,
        f"output {out} × {out}\n⌊({n} + 2·{p} − {k}) / {s}⌋ + 1 = {out}",
        size=8,
    )
    _label(ax, size / 2, size + 0.6, f"kernel {k} × {k}, stride {s}", size=8)
    ax.set_xlim(-0.5, x0 + out + 0.8)
    ax.set_ylim(-1.8, size + 1.2)
    return fig


def draw_channels(in_channels, out_channels, *, kernel_size=3, ax=None):
    """Draw a convolutional layer with P input channels and Q filters: every filter spans
    all P channels and makes one of the Q output feature maps.

    Parameters
    ----------
    in_channels : int
        P, the channels of the input.
    out_channels : int
        Q, the number of filters (the channels of the output).
    kernel_size : int
        The height (= width) of every filter.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = draw_channels(3, 4)
    """
    P = _check_positive_int("in_channels", in_channels)
    Q = _check_positive_int("out_channels", out_channels)
    k = _check_positive_int("kernel_size", kernel_size)
    if P > 8 or Q > 8:
        raise ValueError(
            f"draw_channels draws every map, so at most 8 of each. Received: "
            f"in_channels={P}, out_channels={Q}."
        )
    from matplotlib.patches import Rectangle

    fig, ax = _diagram_axes(ax, (7.6, 3.4))
    depth = 0.22

    def stack(x, y, count, side, kind):
        for c in range(count):
            ax.add_patch(
                Rectangle(
                    (x + c * depth, y + c * depth),
                    side,
                    side,
                    facecolor=_FILLS[kind],
                    edgecolor=_LINE,
                    linewidth=0.9,
                    zorder=2 + c,
                )
            )

    stack(0, 0.2, P, 2.2, "input")
    _label(ax, 1.1 + P * depth / 2, -0.45, f"input: P = {P} channels", size=8)
    ys = np.linspace(2.6, 0.0, Q) if Q > 1 else [1.3]
    for q, y in enumerate(ys):
        stack(4.0, y, P, 0.45, "code")
        _arrow(ax, (2.3 + P * depth, 1.3), (3.95, y + 0.25), width=0.8)
        _arrow(ax, (4.5 + P * depth, y + 0.25), (6.6, 0.6 + 0.22 * q + 0.4), width=0.8)
    _label(ax, 4.4, -0.45, f"Q = {Q} filters,\neach {k} × {k} × {P}", size=8)
    stack(6.7, 0.2, Q, 2.0, "conv")
    _label(ax, 7.7 + Q * depth / 2, -0.45, f"output: Q = {Q} feature maps", size=8)
    _label(ax, 4.4, 3.55, f"parameters: ({k}·{k}·{P} + 1)·{Q} = {(k * k * P + 1) * Q}", size=8)
    ax.set_xlim(-0.3, 9.4 + Q * depth)
    ax.set_ylim(-1.0, 3.9)
    return fig


def _visible_length(text):
    """Roughly how many characters a (mathtext) label shows."""
    import re

    shown = re.sub(r"\\[a-zA-Z]+", "x", text.replace("$", ""))
    return len(re.sub(r"[{}_^]", "", shown))


def draw_flow(steps, *, ax=None, backward=None, loop=None, notes=None):
    """Draw a computation or an algorithm as a row of boxes joined by arrows.

    Parameters
    ----------
    steps : sequence of str
        The boxes' texts, left to right (Matplotlib mathtext such as ``"$h_\\theta(x)$"``
        works).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new figure.
    backward : sequence of str, optional
        One text per arrow (``len(steps) - 1``): the same steps are then also joined by
        arrows from right to left below, in red, labelled with these texts (the backward
        pass of backpropagation, with the gradients it sends back).
    loop : str, optional
        A text for an arrow from the last box back to the first (an iterative algorithm).
    notes : sequence of str, optional
        One text per arrow (``len(steps) - 1``), written below it (what happens between two
        steps).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = draw_flow(["data", "model", "loss"], backward=["dJ/dmodel", "dJ/dloss"])
    >>> fig = draw_flow(["assign", "update"], loop="until nothing changes")
    >>> fig = draw_flow(["world", "data"], notes=["who is photographed"])
    """
    steps = [str(step) for step in steps]
    if len(steps) < 2:
        raise ValueError(f"steps needs at least two boxes. Received: steps={steps!r}.")
    for name, texts in (("backward", backward), ("notes", notes)):
        if texts is not None and len(texts) != len(steps) - 1:
            raise ValueError(
                f"{name} needs one text per arrow ({len(steps) - 1}). Received: {len(texts)} texts."
            )
    length = sum(_visible_length(step) for step in steps)
    fig, ax = _diagram_axes(
        ax,
        (
            min(11.0, max(5.0, 0.11 * length + 1.0 * len(steps))),
            2.4 if backward or loop else (1.7 if notes else 1.2),
        ),
    )
    # Box centres from the texts' lengths, so that long boxes keep their arrows visible.
    widths = [0.3 + 0.1 * _visible_length(step) for step in steps]
    centres = [0.0]
    for left, right in zip(widths, widths[1:], strict=False):
        centres.append(centres[-1] + left / 2 + 0.8 + right / 2)
    for i, step in enumerate(steps):
        _label(ax, centres[i], 0, step, size=11, fill=_FILLS["dense" if i else "input"])
    for i in range(len(steps) - 1):
        start, end = centres[i] + widths[i] / 2 + 0.05, centres[i + 1] - widths[i + 1] / 2 - 0.05
        _arrow(ax, (start, 0.12), (end, 0.12))
        if backward is not None:
            _arrow(ax, (end, -0.18), (start, -0.18), color=_BACK, rad=-0.35)
            _label(ax, (start + end) / 2, -0.72, backward[i], size=9, fill="#fddbc7")
        if notes is not None:
            _label(ax, (start + end) / 2, -0.45, notes[i], size=8, fill="#fddbc7")
    middle, last = centres[-1] / 2, centres[-1]
    if backward is not None:
        _label(ax, middle, 0.6, "forward pass →", size=9)
        _label(ax, middle, -1.3, "← backward pass", size=9, fill="#fddbc7")
    if loop:
        _arrow(ax, (last, -0.3), (0, -0.3), color=_BACK, rad=-0.18)
        _label(ax, middle, -1.05, loop, size=9, fill="#fddbc7")
    ax.set_xlim(-widths[0] / 2 - 0.3, last + widths[-1] / 2 + 0.3)
    low = -1.55 if backward or loop else (-0.9 if notes else -0.5)
    ax.set_ylim(low, 0.85 if backward else 0.5)
    ax.set_aspect("auto")
    return fig


_BLOCK_KINDS = {
    "Conv2D": "conv",
    "Conv2DTranspose": "up",
    "UpSampling2D": "up",
    "MaxPooling2D": "pool",
    "AveragePooling2D": "pool",
    "GlobalAveragePooling2D": "pool",
    "Flatten": "dense",
    "Dense": "dense",
}


def model_blocks(model, *, highlight=()):
    """The blocks of :func:`draw_blocks` for a Keras model: its input and every convolution,
    pooling, up-sampling, flatten and dense layer, with its output shape.

    Other layers (activations, batch normalisation, dropout, ...) are left out unless they are
    named in ``highlight``; highlighted layers get the "code" colour. The model's shapes must
    be known (build it on a fixed input size). Keras is not imported: any object with
    ``input_shape`` and ``layers`` whose items have ``name`` and ``output.shape`` works.

    Parameters
    ----------
    model : keras.Model
        A built model.
    highlight : sequence of str
        Names of layers to show in the highlight colour.

    Returns
    -------
    list of tuple
        ``(name, shape, kind)`` per block.

    Examples
    --------
    >>> from types import SimpleNamespace as Layer
    >>> conv = Layer(name="conv1", output=Layer(shape=(None, 28, 28, 6)))
    >>> model = Layer(input_shape=(None, 32, 32, 1), layers=[conv])
    >>> model_blocks(model, highlight=["conv1"])
    [('input', (32, 32, 1), 'input'), ('conv1', (28, 28, 6), 'code')]
    """
    shape = tuple(model.input_shape[1:])
    if any(size is None for size in shape):
        raise ValueError(
            f"model_blocks needs a model built on a fixed input size. Received: input shape "
            f"{shape}; rebuild the model with, e.g., keras.Input(shape=(64, 64, 1))."
        )
    blocks = [("input", shape, "input")]
    highlight = set(highlight)
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    for layer in model.layers:
        kind = _BLOCK_KINDS.get(type(layer).__name__)
        if layer.name in highlight:
            kind = "code"
        if kind is None:
            continue
        if dense and layer is dense[-1] and kind == "dense":
            kind = "output"
        blocks.append((layer.name, tuple(int(s) for s in layer.output.shape[1:]), kind))
    return blocks
