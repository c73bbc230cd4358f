"""Chapter 8 helpers: VGG16 with or without its ImageNet weights, and the 28×28 digits."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from coursekit import data, models
from coursekit.models import WeightsCorruptError, WeightsNotFoundError, load_vgg16

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTOP = models.VGG16_WEIGHTS[False]["file"]


@pytest.fixture
def empty_keras_home(tmp_path, monkeypatch):
    """A Keras cache with no files, so that load_vgg16 finds nothing on this machine."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(models, "_keras_model_dirs", lambda: [tmp_path / "keras" / "models"])
    return tmp_path / "keras" / "models"


class _FakeApplications:
    """Stands in for keras.applications: records the calls, fails 'imagenet' downloads."""

    def __init__(self, keras):
        self.calls = []
        self._keras = keras

    def VGG16(self, **kwargs):  # noqa: N802  (the Keras name)
        self.calls.append(kwargs)
        if kwargs["weights"] == "imagenet":
            raise Exception("URL fetch failure: simulated network error")  # noqa: TRY002
        return "model built from " + str(kwargs["weights"])


def test_vgg16_without_weights_has_the_slides_layers():
    model = load_vgg16(weights=None)
    assert model.name == "vgg16"
    assert model.input_shape == (None, 128, 128, 3)
    assert model.output_shape == (None, 4, 4, 512)
    assert model.count_params() == 14_714_688
    names = [layer.name for layer in model.layers]
    assert names[9] == "block3_conv3"  # the slides cut at model_pre.layers[9]
    assert sum(name.endswith("_pool") for name in names) == 5
    assert sum("_conv" in name for name in names) == 13


def test_vgg16_other_input_size():
    assert load_vgg16(weights=None, input_shape=(32, 48, 3)).output_shape == (None, 1, 1, 512)


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"weights": "imagenet21k"}, "imagenet21k"),
        ({"weights": None, "input_shape": (16, 16, 3)}, "(16, 16, 3)"),
        ({"weights": None, "input_shape": (64, 64, 1)}, "(64, 64, 1)"),
        ({"weights": None, "input_shape": (64, 64)}, "(64, 64)"),
        ({"weights": None, "include_top": True}, "224"),
        ({"weights": None, "include_top": "yes"}, "'yes'"),
    ],
)
def test_vgg16_rejects_bad_arguments(kwargs, needle):
    with pytest.raises(ValueError, match="Received") as error:
        load_vgg16(**kwargs)
    assert needle in str(error.value)


def test_vgg16_offline_gives_a_clear_error(empty_keras_home, monkeypatch):
    monkeypatch.setenv("COURSEKIT_OFFLINE", "1")
    with pytest.raises(WeightsNotFoundError) as error:
        load_vgg16()
    message = str(error.value)
    assert NOTOP in message  # what was looked for
    assert str(empty_keras_home) in message  # where
    assert "COURSEKIT_OFFLINE" in message  # why no download was tried
    assert "https://storage.googleapis.com/" in message  # how to fix it
    assert "load_reference_cnn" in message  # and the offline alternative
    assert isinstance(error.value, FileNotFoundError)


def test_vgg16_no_network_is_not_a_hang(empty_keras_home, monkeypatch):
    monkeypatch.delenv("COURSEKIT_OFFLINE", raising=False)
    monkeypatch.setattr(data, "_can_reach", lambda: (False, "cannot connect (simulated)"))
    with pytest.raises(WeightsNotFoundError, match="offline"):
        load_vgg16()


def test_vgg16_failed_download_gives_a_clear_error(empty_keras_home, monkeypatch):
    keras = __import__("coursekit").quiet_tensorflow()
    fake = _FakeApplications(keras)
    monkeypatch.delenv("COURSEKIT_OFFLINE", raising=False)
    monkeypatch.setattr(data, "_can_reach", lambda: (True, ""))
    monkeypatch.setattr(keras, "applications", fake)
    with pytest.raises(WeightsNotFoundError, match="simulated network error") as error:
        load_vgg16()
    assert fake.calls and fake.calls[0]["weights"] == "imagenet"
    assert "load_vgg16(weights=None)" in str(error.value)


def test_vgg16_uses_cached_weights_without_the_network(empty_keras_home, monkeypatch):
    keras = __import__("coursekit").quiet_tensorflow()
    fake = _FakeApplications(keras)
    monkeypatch.setattr(keras, "applications", fake)
    monkeypatch.setattr(data, "_can_reach", lambda: pytest.fail("must not probe the network"))
    empty_keras_home.mkdir(parents=True)
    cached = empty_keras_home / NOTOP
    cached.write_bytes(b"stand-in weights")
    record = dict(models.VGG16_WEIGHTS[False], md5=hashlib.md5(b"stand-in weights").hexdigest())
    monkeypatch.setitem(models.VGG16_WEIGHTS, False, record)
    assert load_vgg16() == f"model built from {cached}"


def test_vgg16_corrupt_cache_is_named(empty_keras_home):
    empty_keras_home.mkdir(parents=True)
    (empty_keras_home / NOTOP).write_bytes(b"half a download")
    with pytest.raises(WeightsCorruptError, match="MD5") as error:
        load_vgg16()
    assert NOTOP in str(error.value)


def test_digits_28x28_match_the_8x8_digits():
    X, y = data.load_digits_28x28()
    small, labels = data.load_digits()
    assert X.shape == (1797, 28, 28, 1) and X.dtype == np.float32
    np.testing.assert_array_equal(y, labels)
    assert X[:, :4].max() == 0 and X[:, 24:].max() == 0  # black border, as in MNIST
    assert X.min() == 0.0 and X.max() == 1.0
    # Shrinking the 20x20 digits back to 8x8 gives about the original grey levels.
    from skimage.transform import resize

    back = np.stack([resize(image, (8, 8), anti_aliasing=False) for image in X[:50, 4:24, 4:24, 0]])
    error = np.abs(back - small[:50].reshape(-1, 8, 8) / 16)
    assert error.mean() < 0.06


def test_transfer_results_file_is_complete():
    path = REPO_ROOT / "benchmarks" / "results" / "transfer.json"
    result = json.loads(path.read_text())
    assert len(result["seeds"]) >= 3
    for task, sizes in result["sizes"].items():
        for method in result["methods"]:
            for size in sizes:
                cell = result["accuracy"][task][method][str(size)]
                assert len(cell["runs"]) == len(result["seeds"])
                assert cell["mean"] == pytest.approx(np.mean(cell["runs"]), abs=1e-3)
    assert result["machine"]["cpu_count"] >= 1
