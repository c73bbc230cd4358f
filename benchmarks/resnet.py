"""Plain against residual CNNs of two depths on Fashion-MNIST (chapter 6), and record it.

Usage (from the repository root)::

    python benchmarks/resnet.py                               # the recorded settings
    python benchmarks/resnet.py --epochs 1 --train-images 2000 --output /tmp/r.json
    python benchmarks/resnet.py --blocks 1 6 --no-batchnorm   # deeper, without BN

Builds the CIFAR-style networks of He et al. (2016), scaled to 28 x 28 images: a 3 x 3
stem convolution, three stages of ``blocks`` blocks (``width``, 2 ``width`` and 4 ``width``
filters; the first block of stages 2 and 3 halves the resolution with stride 2), each block
two 3 x 3 convolutions (with batch normalisation unless ``--no-batchnorm``), then global
average pooling and a softmax layer: ``6 * blocks + 2`` weight layers. The residual variant
adds the block's input to its output before the last ReLU (a strided 1 x 1 convolution when
the shape changes); the plain variant is the same network without these additions. Every
variant starts from the same seed and trains with Adam on the first ``--train-images``
Fashion-MNIST training images, validated on the last 5 000 after every epoch, and is tested
once on the 10 000 test images. Writes ``benchmarks/results/resnet.json`` (``resnet_no_bn.json``
with ``--no-batchnorm``) with the settings, every run's per-epoch history, its test accuracy
and the machine; chapter 6 reads both.
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

from reference_cnn import machine_info  # noqa: E402

import coursekit  # noqa: E402

RESULTS = REPO_ROOT / "benchmarks" / "results" / "resnet.json"
RESULTS_NO_BN = REPO_ROOT / "benchmarks" / "results" / "resnet_no_bn.json"


def build_network(keras, *, blocks, residual, batchnorm=True, width=16):
    """Plain or residual CNN with ``6 * blocks + 2`` weight layers for 28 x 28 x 1 inputs."""
    layers = keras.layers

    def conv(x, filters, stride=1):
        x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=not batchnorm)(x)
        # momentum 0.9: the moving statistics settle within the few hundred steps of a short
        # run (with Keras's 0.99 the validation accuracy stays at chance for a while)
        return layers.BatchNormalization(momentum=0.9)(x) if batchnorm else x

    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.ReLU()(conv(inputs, width))  # (28, 28, width)
    for stage in range(3):
        filters = width * 2**stage  # 28x28: width, 14x14: 2 width, 7x7: 4 width
        for block in range(blocks):
            stride = 2 if stage > 0 and block == 0 else 1
            y = layers.ReLU()(conv(x, filters, stride))
            y = conv(y, filters)
            if residual:
                shortcut = x
                if stride != 1 or x.shape[-1] != filters:
                    shortcut = layers.Conv2D(filters, 1, strides=stride)(x)
                y = layers.Add()([y, shortcut])
            x = layers.ReLU()(y)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    kind = "residual" if residual else "plain"
    model = keras.Model(inputs, outputs, name=f"{kind}_{6 * blocks + 2}")
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--blocks",
        type=int,
        nargs="+",
        default=[1, 4],
        help="blocks per stage for each depth (weight layers: 6 * blocks + 2)",
    )
    parser.add_argument("--width", type=int, default=8, help="filters of the first stage")
    parser.add_argument("--train-images", type=int, default=8000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--no-batchnorm", action="store_true")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="default: results/resnet.json, or resnet_no_bn.json without BN",
    )
    args = parser.parse_args(argv)
    if args.output is None:
        args.output = RESULTS_NO_BN if args.no_batchnorm else RESULTS

    keras = coursekit.quiet_tensorflow()
    (x_all, y_all), (x_test, y_test), _ = coursekit.load_fashion_mnist()
    x_all = (x_all / 255.0).astype("float32")[..., None]
    x_test = (x_test / 255.0).astype("float32")[..., None]
    x_train, y_train = x_all[: args.train_images], y_all[: args.train_images]
    x_valid, y_valid = x_all[-5000:], y_all[-5000:]
    runs = []
    for seed in args.seeds:
        for blocks in args.blocks:
            for residual in (False, True):
                keras.utils.set_random_seed(seed)
                model = build_network(
                    keras,
                    blocks=blocks,
                    residual=residual,
                    batchnorm=not args.no_batchnorm,
                    width=args.width,
                )
                start = time.perf_counter()
                history = model.fit(
                    x_train,
                    y_train,
                    validation_data=(x_valid, y_valid),
                    epochs=args.epochs,
                    batch_size=args.batch_size,
                    verbose=0,
                )
                fit_seconds = time.perf_counter() - start
                _, test_accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
                runs.append(
                    {
                        "network": "residual" if residual else "plain",
                        "blocks": blocks,
                        "weight_layers": 6 * blocks + 2,
                        "seed": seed,
                        "parameters": model.count_params(),
                        "fit_seconds": round(fit_seconds, 1),
                        "history": {
                            key: [round(float(v), 4) for v in values]
                            for key, values in history.history.items()
                        },
                        "test_accuracy": round(float(test_accuracy), 4),
                    }
                )
                print(json.dumps({k: v for k, v in runs[-1].items() if k != "history"}), flush=True)
    record = {
        "description": "Chapter 6: plain vs residual CNNs of two depths on Fashion-MNIST.",
        "date": datetime.date.today().isoformat(),
        "command": "python benchmarks/resnet.py " + " ".join(sys.argv[1:]),
        "settings": {
            "blocks": args.blocks,
            "width": args.width,
            "batchnorm": not args.no_batchnorm,
            "train_images": args.train_images,
            "valid_images": 5000,
            "test_images": len(y_test),
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "optimizer": "Adam, learning rate 1e-3",
            "seeds": args.seeds,
        },
        "runs": runs,
        "machine": machine_info(),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
