"""Training callbacks on a real (tiny) Keras model."""

import numpy as np
import pytest

from coursekit.callbacks import live_plot, time_budget
from coursekit.device import quiet_tensorflow


def _tiny_model():
    keras = quiet_tensorflow()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    return model, rng.normal(size=(32, 3)), rng.normal(size=(32, 1))


def test_time_budget_stops_after_the_epoch_that_spends_it():
    model, x, y = _tiny_model()
    budget = time_budget(1e-6, verbose=False)
    history = model.fit(x, y, epochs=50, verbose=0, callbacks=[budget])
    assert len(history.history["loss"]) == 1
    assert budget.stopped_epoch == 0


def test_time_budget_does_not_stop_when_it_suffices():
    model, x, y = _tiny_model()
    budget = time_budget(600, verbose=False)
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[budget])
    assert len(history.history["loss"]) == 3
    assert budget.stopped_epoch is None


@pytest.mark.parametrize("seconds", [0, -1, "10", None, True])
def test_time_budget_rejects_bad_budgets(seconds):
    with pytest.raises(ValueError, match="seconds must be a positive number. Received"):
        time_budget(seconds)


def test_live_plot_writes_png_outside_notebooks(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSEKIT_GRADING", raising=False)
    model, x, y = _tiny_model()
    path = tmp_path / "curves.png"
    callback = live_plot(path=path)
    model.fit(x, y, epochs=2, validation_data=(x, y), verbose=0, callbacks=[callback])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(callback.history["loss"]) == 2
    assert len(callback.history["val_loss"]) == 2


def test_live_plot_is_silent_under_autograding(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_GRADING", "1")
    model, x, y = _tiny_model()
    path = tmp_path / "curves.png"
    model.fit(x, y, epochs=1, verbose=0, callbacks=[live_plot(path=path)])
    assert not path.exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"every": 0}, "every must be a positive integer"),
        ({"metrics": "loss"}, "metrics must be a non-empty sequence"),
        ({"metrics": ()}, "metrics must be a non-empty sequence"),
    ],
)
def test_live_plot_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        live_plot(**kwargs)
