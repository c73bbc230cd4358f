"""Compare the two FCN decoders of chapter 9 on longer runs, and record the result.

Usage (from the repository root)::

    python benchmarks/segmentation.py                        # the recorded settings
    python benchmarks/segmentation.py --epochs 2 --seeds 0   # a quick check

Trains the fully-convolutional network of chapter 9 (encoder of three conv-pool blocks,
class scores at 1/8 of the input size, skip connections) with a transposed-convolution
decoder and with an up-sampling decoder, for every seed, on ``--train-scenes`` scenes of
``coursekit.make_fashion_scenes`` (Fashion-MNIST training images). Every run is evaluated
once, at the end, on 1 000 scenes made of Fashion-MNIST *test* images: pixel accuracy, mean
IoU and the IoU of every class. Writes ``benchmarks/results/segmentation.json`` with the
settings, the runs, a summary per decoder and the machine; chapter 9 reads it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

import numpy as np  # noqa: E402
from reference_cnn import machine_info  # noqa: E402

import coursekit  # noqa: E402
from coursekit import SCENE_CLASSES, make_fashion_scenes  # noqa: E402

RESULTS = REPO_ROOT / "benchmarks" / "results" / "segmentation.json"
NUM_CLASSES = len(SCENE_CLASSES)


def build_fcn(keras, decoder, *, num_filters=16, learning_rate=4e-3):
    """The FCN of chapter 9 (and of assignment a06) with the chosen decoder."""
    layers = keras.layers
    inputs = keras.Input(shape=(None, None, 1))
    x, skips = inputs, []
    for level in range(3):
        x = layers.Conv2D(num_filters * 2**level, 3, padding="same", activation="relu")(x)
        skips.append(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(8 * num_filters, 3, padding="same", activation="relu")(x)
    scores = layers.Conv2D(NUM_CLASSES, 1)(x)
    for skip in reversed(skips):
        if decoder == "transposed":
            scores = layers.Conv2DTranspose(NUM_CLASSES, 4, strides=2, padding="same")(scores)
        else:
            scores = layers.UpSampling2D(2)(scores)
            scores = layers.Conv2D(NUM_CLASSES, 3, padding="same")(scores)
        scores = layers.Add()([scores, layers.Conv2D(NUM_CLASSES, 1)(skip)])
    model = keras.Model(inputs, layers.Activation("softmax")(scores), name=f"fcn_{decoder}")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def scores(y_true, y_pred):
    """Pixel accuracy, mean IoU (classes in neither mask left out) and IoU per class."""
    matrix = np.bincount(
        y_true.ravel() * NUM_CLASSES + y_pred.ravel(), minlength=NUM_CLASSES**2
    ).reshape(NUM_CLASSES, NUM_CLASSES)
    hits = np.diag(matrix)
    union = matrix.sum(axis=0) + matrix.sum(axis=1) - hits
    per_class = np.where(union > 0, hits / np.maximum(union, 1), np.nan)
    return float(hits.sum() / matrix.sum()), float(np.nanmean(per_class)), per_class


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-scenes", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    keras = coursekit.quiet_tensorflow()
    x_train, y_train = make_fashion_scenes(args.train_scenes, random_state=100)
    x_test, y_test = make_fashion_scenes(1000, random_state=200, split="test")
    runs = []
    for seed in args.seeds:
        for decoder in ("transposed", "upsampling"):
            keras.utils.set_random_seed(seed)
            model = build_fcn(keras, decoder)
            start = time.perf_counter()
            model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size, verbose=0)
            fit_seconds = time.perf_counter() - start
            y_pred = model.predict(x_test, batch_size=100, verbose=0).argmax(axis=-1)
            accuracy, mean_iou, per_class = scores(y_test, y_pred)
            runs.append(
                {
                    "decoder": decoder,
                    "seed": seed,
                    "parameters": model.count_params(),
                    "fit_seconds": round(fit_seconds, 1),
                    "test_pixel_accuracy": round(accuracy, 4),
                    "test_mean_iou": round(mean_iou, 4),
                    "test_iou_per_class": {
                        name: round(float(value), 4)
                        for name, value in zip(SCENE_CLASSES, per_class, strict=True)
                    },
                }
            )
            print(json.dumps({k: v for k, v in runs[-1].items() if k != "test_iou_per_class"}))
    summary = {}
    for decoder in ("transposed", "upsampling"):
        values = np.array([run["test_mean_iou"] for run in runs if run["decoder"] == decoder])
        summary[decoder] = {
            "mean_iou_mean": round(float(values.mean()), 4),
            "mean_iou_std": round(float(values.std()), 4),
        }
    record = {
        "description": "Chapter 9: FCN decoders compared (transposed convolution vs "
        "up-sampling), test scenes of Fashion-MNIST test images.",
        "date": datetime.date.today().isoformat(),
        "command": "python benchmarks/segmentation.py " + " ".join(sys.argv[1:]),
        "settings": {
            "train_scenes": args.train_scenes,
            "test_scenes": 1000,
            "image_size": 64,
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "learning_rate": 4e-3,
            "seeds": args.seeds,
        },
        "runs": runs,
        "summary": summary,
        "machine": machine_info(),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
