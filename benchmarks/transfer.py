"""Transfer learning on Fashion-MNIST and digits: from scratch vs frozen vs fine-tuned.

Usage (from the repository root)::

    python benchmarks/transfer.py                    # the full experiment of chapter 8
    python benchmarks/transfer.py --seeds 0 --quick  # a smoke test (a minute)

    # the same, one seed per process, side by side, then merged:
    python benchmarks/transfer.py --seeds 0 --output benchmarks/_work/transfer_0.json &
    python benchmarks/transfer.py --seeds 1 --output benchmarks/_work/transfer_1.json &
    python benchmarks/transfer.py --seeds 2 --output benchmarks/_work/transfer_2.json &
    wait
    python benchmarks/transfer.py --merge benchmarks/_work/transfer_?.json

For every seed the script

1. pre-trains a small CNN (:func:`build_source_cnn`) on the **source task**: the five
   Fashion-MNIST classes T-shirt/top, Trouser, Pullover, Dress and Coat (27 000 training
   images, 3 000 held out for validation);
2. transfers it to two **target tasks**, with ``n`` labelled training images per class:

   * ``fashion``: the other five Fashion-MNIST classes (Sandal, Shirt, Sneaker, Bag, Ankle
     boot), tested on their 5 000 images of the test split;
   * ``digits``: scikit-learn's 8×8 handwritten digits, scaled to 20×20 and centred on a
     28×28 canvas as in MNIST (a different domain), tested on a fixed 40 % of the 1 797
     digits that training never sees;

3. cuts the network after ``pool3`` (it keeps the convolutional base and drops the dense
   layers, as ``include_top=False`` does for the Keras applications), adds a new softmax
   head, and trains it three ways on each target set:

   * ``scratch``: the same architecture with random initial weights, every layer trained
     (Adam, learning rate 1e-3);
   * ``frozen``: the pre-trained layers frozen, only the new head trained (Adam, 1e-3);
   * ``finetuned``: the pre-trained weights as the start; half the steps the head alone
     (Adam, 1e-3), then half the steps every layer (Adam, 1e-4);

4. for 50 images per class, trains frozen heads on the outputs of shallower cuts too
   (``pool1``, ``pool2``, ``pool3``, ``dense``), to test the rule "the more the target
   differs from the source, the fewer pre-trained layers to keep".

Every target run takes the same number of gradient steps (``--steps``, batches of 32, so
small sets are repeated for many epochs); no target run looks at validation data, so there
is nothing to tune on the test images. The test split is used once per run. Seeds fix the
pre-training, the choice of the ``n`` images and the initial weights; on a CPU a run repeats
up to floating-point round-off. The result, with the machine, goes to
``benchmarks/results/transfer.json``, which chapter 8 reads.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

import numpy as np  # noqa: E402
from reference_cnn import machine_info  # noqa: E402

import coursekit  # noqa: E402

RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
SOURCE_CLASSES = (0, 1, 2, 3, 4)  # T-shirt/top, Trouser, Pullover, Dress, Coat
TARGET_CLASSES = (5, 6, 7, 8, 9)  # Sandal, Shirt, Sneaker, Bag, Ankle boot
METHODS = ("scratch", "frozen", "finetuned")
CUTS = ("pool1", "pool2", "pool3", "dense")
MAIN_CUT = "pool3"  # keep the convolutional base, drop the dense layers
BATCH_SIZE = 32


def build_source_cnn(keras, num_classes):
    """A small CNN (about 140 000 parameters) with named layers, uncompiled.

    28×28×1 → conv1 3×3×32 → pool1 → conv2 3×3×64 → pool2 → conv3 3×3×64 → pool3
    → flatten (576) → dense 128 → dropout 0.3 → predictions (softmax).
    """
    layers = keras.layers
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(name="pool1")(x)  # (14, 14, 32)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(name="pool2")(x)  # (7, 7, 64)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv3")(x)
    x = layers.MaxPooling2D(name="pool3")(x)  # (3, 3, 64)
    x = layers.Flatten(name="flatten")(x)  # (576,)
    x = layers.Dense(128, activation="relu", name="dense")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="source_cnn")


def scale(images):
    """uint8 images (n, 28, 28) -> float32 (n, 28, 28, 1) in [0, 1]."""
    return (images[..., None] / 255.0).astype("float32")


def load_tasks():
    """Source train/validation sets and the two target tasks' pools and test sets."""
    (x_train, y_train), (x_test, y_test), _ = coursekit.load_fashion_mnist()
    source_mask = np.isin(y_train, SOURCE_CLASSES)
    order = np.random.default_rng(1234).permutation(np.flatnonzero(source_mask))
    source_valid, source_train = order[:3000], order[3000:]
    remap = np.full(10, -1)
    remap[list(TARGET_CLASSES)] = np.arange(len(TARGET_CLASSES))
    target_train = np.flatnonzero(np.isin(y_train, TARGET_CLASSES))
    target_test = np.flatnonzero(np.isin(y_test, TARGET_CLASSES))

    x_digits, y_digits = coursekit.load_digits_28x28()
    rng = np.random.default_rng(4321)
    test_idx = np.concatenate(
        [
            rng.choice(np.flatnonzero(y_digits == c), round(0.4 * np.sum(y_digits == c)), False)
            for c in range(10)
        ]
    )
    pool_idx = np.setdiff1d(np.arange(len(y_digits)), test_idx)
    return {
        "source": {
            "train": (scale(x_train[source_train]), y_train[source_train]),
            "valid": (scale(x_train[source_valid]), y_train[source_valid]),
        },
        "fashion": {
            "pool": (scale(x_train[target_train]), remap[y_train[target_train]]),
            "test": (scale(x_test[target_test]), remap[y_test[target_test]]),
            "num_classes": len(TARGET_CLASSES),
        },
        "digits": {
            "pool": (x_digits[pool_idx], y_digits[pool_idx]),
            "test": (x_digits[test_idx], y_digits[test_idx]),
            "num_classes": 10,
        },
    }


def pretrain(keras, data, seed, epochs):
    """Train the source CNN on the five source classes; return it and its record."""
    keras.utils.set_random_seed(seed)
    model = build_source_cnn(keras, len(SOURCE_CLASSES))
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    history = model.fit(
        *data["train"],
        validation_data=data["valid"],
        epochs=epochs,
        batch_size=128,
        verbose=0,
    )
    seconds = time.perf_counter() - start
    return model, {
        "seed": seed,
        "epochs": epochs,
        "train_images": len(data["train"][0]),
        "train_seconds": round(seconds, 1),
        "validation_accuracy": round(float(history.history["val_accuracy"][-1]), 4),
    }


def sample_per_class(labels, per_class, rng):
    """Indices of ``per_class`` random examples of every class."""
    return np.concatenate(
        [
            rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
            for c in np.unique(labels)
        ]
    )


def transfer_model(keras, source, cut, num_classes, method, seed):
    """The network for one target run: ``source`` cut at ``cut``, plus a new softmax head.

    Returns the model and the list of pre-trained layers (the ones up to the cut).
    """
    keras.utils.set_random_seed(seed)
    if method == "scratch":  # same architecture, fresh random weights
        base = build_source_cnn(keras, len(SOURCE_CLASSES))
    else:  # a copy, so that fine-tuning never changes the source network of later runs
        base = keras.models.clone_model(source)
        base.set_weights(source.get_weights())
    features = base.get_layer(cut).output
    if len(features.shape) == 4:
        features = keras.layers.Flatten(name="head_flatten")(features)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="head")(features)
    model = keras.Model(base.inputs[0], outputs, name=f"{method}_{cut}")
    cut_index = [layer.name for layer in base.layers].index(cut)
    return model, base.layers[: cut_index + 1]


def compile_for(keras, model, learning_rate):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def fit_steps(model, x, y, steps):
    """Train for about ``steps`` gradient steps (whole epochs); return the epochs used."""
    epochs = max(1, math.ceil(steps / math.ceil(len(x) / BATCH_SIZE)))
    model.fit(x, y, epochs=epochs, batch_size=BATCH_SIZE, verbose=0)
    return epochs


def train_method(keras, model, pretrained_layers, method, x, y, steps):
    """``scratch``: all layers, Adam 1e-3. ``frozen``: the head only, Adam 1e-3.

    ``finetuned``: half the steps head only (Adam 1e-3), so that a random head does not
    send large gradients into the pre-trained layers, then half the steps every layer with
    Adam 1e-4.
    """
    if method == "scratch":
        compile_for(keras, model, 1e-3)
        return fit_steps(model, x, y, steps)
    for layer in pretrained_layers:
        layer.trainable = False
    compile_for(keras, model, 1e-3)  # compile after changing trainable
    if method == "frozen":
        return fit_steps(model, x, y, steps)
    epochs = fit_steps(model, x, y, steps // 2)
    for layer in pretrained_layers:
        layer.trainable = True
    compile_for(keras, model, 1e-4)
    return epochs + fit_steps(model, x, y, steps - steps // 2)


def run_target(keras, source, task, per_class, method, cut, seed, steps):
    """Train one target model on ``per_class`` examples per class; return test accuracy."""
    rng = np.random.default_rng(seed * 1000 + per_class)
    x_pool, y_pool = task["pool"]
    chosen = sample_per_class(y_pool, per_class, rng)
    x, y = x_pool[chosen], y_pool[chosen]
    model, pretrained_layers = transfer_model(keras, source, cut, task["num_classes"], method, seed)
    start = time.perf_counter()
    epochs = train_method(keras, model, pretrained_layers, method, x, y, steps)
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(*task["test"], batch_size=1000, verbose=0)
    return float(accuracy), seconds, epochs


def summarise(values):
    return {
        "mean": round(float(np.mean(values)), 4),
        "std": round(float(np.std(values)), 4),
        "runs": [round(v, 4) for v in values],
    }


def summary(runs, settings):
    """Mean, standard deviation and the single runs, per task, method and size (or cut)."""
    main_runs = [r for r in runs if r["cut"] == settings["cut"] and "cut_depth" not in r]
    cut_runs = [r for r in runs if r.get("cut_depth")]
    accuracy, seconds, epochs = {}, {}, {}
    for r in sorted(main_runs, key=lambda r: r["seed"]):
        by_size = accuracy.setdefault(r["task"], {}).setdefault(r["method"], {})
        by_size.setdefault(str(r["per_class"]), []).append(r["accuracy"])
        seconds.setdefault(r["task"], {}).setdefault(r["method"], []).append(r["seconds"])
        epochs.setdefault(r["task"], {})[str(r["per_class"])] = r["epochs"]
    cuts = {}
    for r in sorted(cut_runs, key=lambda r: r["seed"]):
        cuts.setdefault(r["task"], {}).setdefault(r["cut"], []).append(r["accuracy"])
    return {
        "accuracy": {
            t: {m: {n: summarise(v) for n, v in per.items()} for m, per in by.items()}
            for t, by in accuracy.items()
        },
        "epochs": epochs,
        "mean_train_seconds": {
            t: {m: round(float(np.mean(v)), 2) for m, v in by.items()} for t, by in seconds.items()
        },
        "cut_depth": {
            "per_class": settings["cut_size"],
            "method": "frozen",
            "accuracy": {t: {c: summarise(v) for c, v in by.items()} for t, by in cuts.items()},
        },
    }


def experiment(args):
    """Run the experiment for ``args.seeds``; return the record (without the summary)."""
    keras = coursekit.quiet_tensorflow()
    info = machine_info()
    started = datetime.datetime.now(datetime.UTC)
    load_before = os.getloadavg()
    total_start = time.perf_counter()
    tasks = load_tasks()
    sizes = {"fashion": args.fashion_sizes, "digits": args.digits_sizes}
    runs, pretraining = [], []
    for seed in args.seeds:
        source, record = pretrain(keras, tasks["source"], seed, args.pretrain_epochs)
        pretraining.append(record)
        print(json.dumps({"pretrained": record}), flush=True)
        for task_name in sizes:
            task = tasks[task_name]
            plan = [(n, m, MAIN_CUT, False) for n in sizes[task_name] for m in METHODS]
            plan += [(args.cut_size, "frozen", cut, True) for cut in CUTS]
            for per_class, method, cut, cut_depth in plan:
                acc, secs, epochs = run_target(
                    keras, source, task, per_class, method, cut, seed, args.steps
                )
                run = {"seed": seed, "task": task_name, "per_class": per_class}
                run |= {"method": method, "cut": cut, "accuracy": round(acc, 4)}
                run |= {"seconds": round(secs, 1), "epochs": epochs}
                if cut_depth:
                    run["cut_depth"] = True
                runs.append(run)
                print(json.dumps(run), flush=True)
    return {
        "experiment": "transfer",
        "source_classes": [coursekit.FASHION_MNIST_CLASSES[c] for c in SOURCE_CLASSES],
        "target_classes": {
            "fashion": [coursekit.FASHION_MNIST_CLASSES[c] for c in TARGET_CLASSES],
            "digits": [str(d) for d in range(10)],
        },
        "test_images": {t: len(tasks[t]["test"][1]) for t in sizes},
        "sizes": sizes,
        "seeds": list(args.seeds),
        "methods": list(METHODS),
        "settings": {
            "cut": MAIN_CUT,
            "cut_size": args.cut_size,
            "steps_per_run": args.steps,
            "batch_size": BATCH_SIZE,
            "pretrain_epochs": args.pretrain_epochs,
            "learning_rates": {"scratch": 1e-3, "frozen": 1e-3, "finetuned": [1e-3, 1e-4]},
        },
        "parameters": int(build_source_cnn(keras, len(SOURCE_CLASSES)).count_params()),
        "pretraining": pretraining,
        "total_seconds": round(time.perf_counter() - total_start, 1),
        "date": started.isoformat(timespec="seconds"),
        "machine": info,
        "load_average_at_start": [round(value, 2) for value in load_before],
        "command": shlex.join(["python", "benchmarks/transfer.py", *sys.argv[1:]]),
        "note": args.note,
        "runs": runs,
    }


def merge(paths):
    """One record from several partial ones (e.g. one seed each, run side by side)."""
    parts = [json.loads(Path(p).read_text()) for p in paths]
    record = dict(parts[0])
    for key in ("sizes", "settings", "methods"):
        if any(part[key] != record[key] for part in parts):
            raise SystemExit(f"cannot merge runs with different {key}: {paths}")
    record["seeds"] = sorted(seed for part in parts for seed in part["seeds"])
    record["pretraining"] = sorted(
        (p for part in parts for p in part["pretraining"]), key=lambda p: p["seed"]
    )
    record["runs"] = [run for part in parts for run in part["runs"]]
    record["total_seconds"] = max(part["total_seconds"] for part in parts)
    record["command"] = " && ".join(part["command"] for part in parts)
    record["parts"] = [
        {key: part[key] for key in ("seeds", "date", "total_seconds", "load_average_at_start")}
        for part in parts
    ]
    return record


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--fashion-sizes", type=int, nargs="+", default=[10, 50, 500])
    parser.add_argument("--digits-sizes", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--pretrain-epochs", type=int, default=2)
    parser.add_argument("--steps", type=int, default=300, help="gradient steps per target run")
    parser.add_argument("--cut-size", type=int, default=50, help="per class, cut-depth runs")
    parser.add_argument("--quick", action="store_true", help="smoke test: tiny settings")
    parser.add_argument("--merge", nargs="+", metavar="JSON", help="merge partial results")
    parser.add_argument("--output", default=str(RESULTS_DIR / "transfer.json"))
    parser.add_argument("--note", default="")
    args = parser.parse_args(argv)
    if args.quick:
        args.fashion_sizes, args.digits_sizes = [10], [10]
        args.pretrain_epochs, args.steps = 1, 50
        args.output = str(REPO_ROOT / "benchmarks" / "_work" / "transfer_quick.json")
    record = merge(args.merge) if args.merge else experiment(args)
    if args.note:
        record["note"] = args.note
    record |= summary(record["runs"], record["settings"])
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"results: {out} ({record['total_seconds']:.0f} s)")


if __name__ == "__main__":
    main()
