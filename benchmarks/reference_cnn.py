"""Train the course's reference Fashion-MNIST CNN (and the slides' CNN) and record the result.

Usage (from the repository root)::

    python benchmarks/reference_cnn.py reference            # the shipped reference CNN
    python benchmarks/reference_cnn.py geron --epochs 2     # the slides' CNN, a short run

``slim`` re-saves the shipped weights without the optimizer's state (a third of the size)
and updates the record; ``reference`` already saves them slim. ``card`` rewrites
``coursekit/weights/reference_cnn.json``, the model card that ships with
the weights, from ``benchmarks/results/reference_cnn.json`` (``reference`` writes both).

``reference`` trains :func:`coursekit.models.build_reference_cnn` on 55 000 training images
(5 000 held out for validation) with random flips and shifts of up to 2 pixels, label
smoothing, AdamW and a one-epoch warm-up followed by cosine decay. With ``--epochs auto``
(the default) it times the first epoch and picks the number of epochs that fits
``--time-budget`` seconds. It saves the final weights to
``coursekit/weights/reference_cnn.weights.h5`` and prints the SHA-256 to record in
``coursekit/models.py``.

``geron`` trains :func:`coursekit.models.build_geron_cnn` as the slides do (Nadam, no
augmentation), optionally on a subset of the training images (``--train-size``).

Both evaluate on the Fashion-MNIST test split once, at the end (every choice is made on the
validation split), and write accuracy, time, epochs, parameters and the machine to
``benchmarks/results/<model>_cnn.json``. Seeds are fixed; on a CPU the run repeats up to
floating-point round-off (oneDNN kernels are switched on for speed).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import os
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # 2-3× faster convolutions on a CPU

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402

import coursekit  # noqa: E402
from coursekit import models  # noqa: E402

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
WORK_DIR = REPO_ROOT / "benchmarks" / "_work"
VALIDATION_SIZE = 5000


def machine_info():
    """CPU model, cores, memory, GPUs and library versions of this machine."""
    machine = coursekit.machine_info()
    report = coursekit.device_report()
    keras = coursekit.quiet_tensorflow()
    return {
        "cpu": machine["cpu"],
        "cpu_count": machine["cores"],
        "memory_gib": machine["memory_gib"],
        "gpus": report["gpus"],
        "device": "GPU" if report["gpus"] else "CPU",
        "tensorflow": report["tensorflow"],
        "keras": keras.__version__,
        "python": machine["python"],
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
    }


def load_data(seed, train_size=None):
    """Train/validation split of the training set (seeded) and the test set, scaled to [0, 1]."""
    (x_train, y_train), (x_test, y_test), _ = coursekit.load_fashion_mnist()
    order = np.random.default_rng(seed).permutation(len(x_train))
    valid_idx, train_idx = order[:VALIDATION_SIZE], order[VALIDATION_SIZE:]
    if train_size is not None:
        train_idx = train_idx[:train_size]

    def scale(x):
        return (x[..., None] / 255.0).astype("float32")  # (N, 28, 28, 1)

    return (
        (scale(x_train[train_idx]), y_train[train_idx]),
        (scale(x_train[valid_idx]), y_train[valid_idx]),
        (scale(x_test), y_test),
    )


def augment(x, rng, *, max_shift=2):
    """Random horizontal flips and shifts of up to ``max_shift`` pixels (zero fill)."""
    n = len(x)
    flip = rng.random(n) < 0.5
    x = np.where(flip[:, None, None, None], x[:, :, ::-1], x)
    padded = np.pad(x[..., 0], ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, x.shape[1:3], axis=(1, 2))
    dy = rng.integers(0, 2 * max_shift + 1, n)
    dx = rng.integers(0, 2 * max_shift + 1, n)
    return np.ascontiguousarray(windows[np.arange(n), dy, dx])[..., None]


def make_lr_callback(keras, peak, warmup_steps):
    """One-epoch linear warm-up, then cosine decay to 0 over ``callback.total_steps``."""

    class WarmupCosine(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.step = 0
            self.total_steps = None  # set once the number of epochs is known

        def on_train_batch_begin(self, batch, logs=None):
            if self.step < warmup_steps or self.total_steps is None:
                lr = peak * (self.step + 1) / warmup_steps
            else:
                progress = (self.step - warmup_steps) / max(1, self.total_steps - warmup_steps)
                lr = 0.5 * peak * (1 + math.cos(math.pi * min(1.0, progress)))
            self.model.optimizer.learning_rate.assign(lr)
            self.step += 1

    return WarmupCosine()


def train_reference(args, keras, data):
    (x_train, y_train), valid, _ = data
    rng = np.random.default_rng(args.seed)
    model = models.build_reference_cnn(dropout_rate=args.dropout)
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=args.learning_rate, weight_decay=0.02),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
        metrics=["accuracy"],
    )
    steps_per_epoch = math.ceil(len(x_train) / args.batch_size)
    schedule = make_lr_callback(keras, args.learning_rate, steps_per_epoch)
    y_valid = keras.utils.to_categorical(valid[1], 10)
    epochs = None if args.epochs == "auto" else int(args.epochs)
    if epochs is not None:
        schedule.total_steps = epochs * steps_per_epoch
    history, epoch_times = [], []
    epoch = 0
    while epochs is None or epoch < epochs:
        start = time.perf_counter()
        result = model.fit(
            augment(x_train, rng),
            keras.utils.to_categorical(y_train, 10),
            batch_size=args.batch_size,
            epochs=epoch + 1,
            initial_epoch=epoch,
            validation_data=(valid[0], y_valid),
            callbacks=[schedule],
            verbose=0,
        )
        epoch_times.append(time.perf_counter() - start)
        logs = {key: float(values[-1]) for key, values in result.history.items()}
        history.append({"epoch": epoch + 1, "seconds": round(epoch_times[-1], 1), **logs})
        if epochs is None:  # the first epoch was the warm-up: now fit the rest in the budget
            epochs = int(np.clip(args.time_budget // epoch_times[0], args.min_epochs, 60))
            schedule.total_steps = epochs * steps_per_epoch
            print(f"epoch 1 took {epoch_times[0]:.0f} s: training {epochs} epochs", flush=True)
        print(json.dumps(history[-1]), flush=True)
        model.save_weights(WORK_DIR / "reference_cnn_last.weights.h5")
        epoch += 1
    return model, history, epochs


def train_geron(args, keras, data):
    (x_train, y_train), valid, _ = data
    model = models.build_geron_cnn()
    model.compile(
        optimizer=keras.optimizers.Nadam(learning_rate=args.learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = []
    for epoch in range(int(args.epochs)):
        start = time.perf_counter()
        result = model.fit(
            x_train,
            y_train,
            batch_size=args.batch_size,
            epochs=epoch + 1,
            initial_epoch=epoch,
            validation_data=valid,
            verbose=0,
        )
        logs = {key: float(values[-1]) for key, values in result.history.items()}
        history.append(
            {"epoch": epoch + 1, "seconds": round(time.perf_counter() - start, 1), **logs}
        )
        print(json.dumps(history[-1]), flush=True)
    return model, history, int(args.epochs)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


CARD_KEYS = (
    "model",
    "test_accuracy",
    "test_loss",
    "parameters",
    "epochs",
    "train_seconds",
    "seconds_per_epoch",
    "train_images",
    "validation_images",
    "test_images",
    "full_run",
    "date",
    "machine",
    "command",
    "note",
)


def save_slim_weights(model, path):
    """Save only the model's weights (a compiled model's file also holds the optimizer)."""
    fresh = models.build_reference_cnn()
    fresh.set_weights(model.get_weights())
    fresh.save_weights(path)


def slim():
    """Drop the optimizer state from the shipped weights file and update the record."""
    weights = REPO_ROOT / "coursekit" / "weights" / models.REFERENCE_CNN_WEIGHTS["file"]
    model = models.build_reference_cnn()
    model.load_weights(weights, skip_mismatch=False)
    save_slim_weights(model, weights)
    out = RESULTS_DIR / "reference_cnn.json"
    result = json.loads(out.read_text())
    result["weights"] = {
        "file": str(weights.relative_to(REPO_ROOT)),
        "bytes": weights.stat().st_size,
        "sha256": sha256(weights),
    }
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"weights: {weights} ({weights.stat().st_size} bytes) sha256={sha256(weights)}")
    write_card()


def write_card():
    """Copy the key facts of the reference run next to the shipped weights."""
    result = json.loads((RESULTS_DIR / "reference_cnn.json").read_text())
    card = {key: result[key] for key in CARD_KEYS}
    card["weights_sha256"] = result["weights"]["sha256"]
    card["results_file"] = "benchmarks/results/reference_cnn.json"
    path = REPO_ROOT / "coursekit" / "weights" / "reference_cnn.json"
    path.write_text(json.dumps(card, indent=2) + "\n")
    print(f"model card: {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", choices=["reference", "geron", "slim", "card"])
    parser.add_argument("--epochs", default=None, help="a number, or 'auto' (reference only)")
    parser.add_argument("--time-budget", type=float, default=3600.0, help="seconds, for auto")
    parser.add_argument("--min-epochs", type=int, default=8)
    parser.add_argument("--train-size", type=int, default=None, help="subset of the 55 000")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--dropout", type=float, default=0.3, help="reference only")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--note", default="", help="free text stored in the results file")
    args = parser.parse_args(argv)
    if args.model == "slim":
        slim()
        return
    if args.model == "card":
        write_card()
        return
    reference = args.model == "reference"
    args.epochs = args.epochs or ("auto" if reference else "10")
    args.batch_size = args.batch_size or 128
    args.learning_rate = args.learning_rate or (3e-3 if reference else 1e-3)

    WORK_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    keras = coursekit.quiet_tensorflow()
    keras.utils.set_random_seed(args.seed)
    info = machine_info()
    started = datetime.datetime.now(datetime.UTC)
    load_before = os.getloadavg()
    data = load_data(args.seed, args.train_size)

    start = time.perf_counter()
    trainer = train_reference if reference else train_geron
    model, history, epochs = trainer(args, keras, data)
    train_seconds = time.perf_counter() - start

    x_test, y_test = data[2]
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    result = {
        "model": model.name,
        "test_accuracy": round(float(test_accuracy), 4),
        "test_loss": round(float(test_loss), 4),
        "parameters": int(model.count_params()),
        "epochs": epochs,
        "train_seconds": round(train_seconds, 1),
        "seconds_per_epoch": round(train_seconds / epochs, 1),
        "train_images": len(data[0][0]),
        "validation_images": len(data[1][0]),
        "test_images": len(x_test),
        "batch_size": args.batch_size,
        "peak_learning_rate" if reference else "learning_rate": args.learning_rate,
        "dropout_rate": args.dropout if reference else 0.5,
        "seed": args.seed,
        "full_run": args.train_size is None,
        "date": started.isoformat(timespec="seconds"),
        "machine": info,
        "load_average_at_start": [round(value, 2) for value in load_before],
        "command": shlex.join(["python", "benchmarks/reference_cnn.py", *sys.argv[1:]]),
        "note": args.note,
        "history": history,
    }
    if reference:
        weights = REPO_ROOT / "coursekit" / "weights" / models.REFERENCE_CNN_WEIGHTS["file"]
        weights.parent.mkdir(exist_ok=True)
        save_slim_weights(model, weights)
        result["weights"] = {
            "file": str(weights.relative_to(REPO_ROOT)),
            "bytes": weights.stat().st_size,
            "sha256": sha256(weights),
        }
        print(f"weights: {weights} sha256={result['weights']['sha256']}")
    out = RESULTS_DIR / f"{args.model}_cnn.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    if reference:
        write_card()
    print(f"test accuracy {test_accuracy:.4f} after {epochs} epochs, {train_seconds:.0f} s")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
