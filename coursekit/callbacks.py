"""Keras training callbacks used across the course.

:func:`time_budget` stops training when a wall-clock budget is spent (chapter 3 and every
assignment that trains); :func:`live_plot` draws the training curves while a model trains.
Both are built on first use, so importing this module does not import TensorFlow.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

__all__ = ["live_plot", "time_budget", "in_notebook", "under_autograding"]


def in_notebook():
    """True when running inside a Jupyter kernel (where figures can be updated in place).

    Examples
    --------
    >>> in_notebook()
    False
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def under_autograding():
    """True while ``coursekit autograde`` (nbgrader) runs the notebook.

    Examples
    --------
    >>> under_autograding() in (True, False)
    True
    """
    return os.environ.get("COURSEKIT_GRADING") == "1"


def time_budget(seconds, *, verbose=True):
    """A callback that stops ``model.fit`` once ``seconds`` of wall-clock time are spent.

    The epoch that is running when the budget runs out is finished, so the model is always
    left after a complete epoch. ``callback.stopped_epoch`` tells where it stopped (``None``
    when the budget sufficed).

    Parameters
    ----------
    seconds : float
        The budget, > 0.
    verbose : bool
        Print one line when the budget stops training.

    Returns
    -------
    keras.callbacks.Callback

    Examples
    --------
    >>> callback = time_budget(60)
    >>> callback.seconds
    60.0
    >>> time_budget(0)
    Traceback (most recent call last):
    ...
    ValueError: seconds must be a positive number. Received: seconds=0.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise ValueError(f"seconds must be a positive number. Received: seconds={seconds!r}.")
    from .device import quiet_tensorflow

    keras = quiet_tensorflow()

    class TimeBudget(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = float(seconds)
            self.stopped_epoch = None
            self._start = None

        def on_train_begin(self, logs=None):
            self._start = time.perf_counter()
            self.stopped_epoch = None

        def on_epoch_end(self, epoch, logs=None):
            elapsed = time.perf_counter() - self._start
            if elapsed >= self.seconds:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                if verbose:
                    print(
                        f"Time budget of {self.seconds:g} s spent after epoch {epoch + 1} "
                        f"({elapsed:.1f} s): training stopped."
                    )

    return TimeBudget()


def live_plot(*, metrics=("loss",), every=1, path=None):
    """A callback that draws the training curves while a model trains.

    In a notebook the figure updates in place after every ``every`` epochs. Outside a
    notebook it writes a PNG (``path``, default ``training_curves.png``) at the end of
    training. Under autograding it does nothing, so grading output stays clean.

    Parameters
    ----------
    metrics : sequence of str
        Logged metrics to plot, each with its ``val_`` counterpart when present.
    every : int
        Redraw after this many epochs.
    path : path-like, optional
        Where to save the PNG when not in a notebook.

    Returns
    -------
    keras.callbacks.Callback
        ``callback.history`` holds the logged values (dict of lists).

    Examples
    --------
    >>> callback = live_plot(metrics=("loss", "accuracy"))
    >>> callback.metrics
    ('loss', 'accuracy')
    >>> live_plot(every=0)
    Traceback (most recent call last):
    ...
    ValueError: every must be a positive integer. Received: every=0.
    """
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"every must be a positive integer. Received: every={every!r}.")
    if isinstance(metrics, str) or not metrics:
        raise ValueError(
            f"metrics must be a non-empty sequence of metric names. Received: metrics={metrics!r}."
        )
    from .device import quiet_tensorflow

    keras = quiet_tensorflow()
    target = Path(path) if path is not None else Path("training_curves.png")

    class LivePlot(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.metrics = tuple(metrics)
            self.history = {}
            self._handle = None
            self._silent = under_autograding()

        def on_train_begin(self, logs=None):
            self.history = {}

        def on_epoch_end(self, epoch, logs=None):
            for key, value in (logs or {}).items():
                self.history.setdefault(key, []).append(float(value))
            if self._silent or not in_notebook() or (epoch + 1) % every:
                return
            self._draw(live=True)

        def on_train_end(self, logs=None):
            if self._silent or not self.history:
                return
            if in_notebook():
                self._draw(live=True)
            else:
                figure = self._figure()
                figure.savefig(target, dpi=100, bbox_inches="tight")
                import matplotlib.pyplot as plt

                plt.close(figure)

        def _figure(self):
            from .plots import plot_training_curves

            shown = [m for m in self.metrics if m in self.history]
            return plot_training_curves(self.history, metrics=tuple(shown) or ("loss",))

        def _draw(self, live):
            import matplotlib.pyplot as plt
            from IPython.display import display

            figure = self._figure()
            if self._handle is None:
                self._handle = display(figure, display_id=True)
            else:
                self._handle.update(figure)
            plt.close(figure)

    return LivePlot()
