"""a08_autoencoders: requirements, mutants and correct alternatives (see tests/mutants/__init__.py).

The functions whose tests need no training are fine-grained: one requirement per sentence of
the notebook that states one, each with a mutant, graded in the unit notebook (``UNIT``: the
setup cell, the five solution cells and their structure and value tests, no training cell).
build_autoencoder: the order of the three models it returns, its input size, the ReLU code (a
sigmoid code is >= 0 too, so the hidden test looks for ReLU's exact zeros), the sigmoid output,
the encoder on the autoencoder's own code layer, the decoder's own code input, the loss (binary
cross-entropy or MSE) and the Adam optimizer. build_linear_autoencoder: its sizes, no
activations (neither a sigmoid output nor Part 1's ReLU code), the MSE loss and Adam.
add_noise: the stated draw, noise for every pixel, noise_factor as the standard deviation,
float32, any shape, and the ValueError: its message, a negative noise_factor, a string.
build_denoising_autoencoder: its input size and the sigmoid output. reconstruction_errors: the
mean of the squares, one number per sample, images as well as rows, and the ValueError naming
both shapes. Each is graded in a segment of its own (two unit submissions hold them all).

Every whole-notebook submission trains four models (about a minute on 2 cores), so the whole
notebook keeps the suite's first, coarse variants: three rounds (one mutant and two
alternatives per solution cell, training with them) and one mutant alone. A mutant of
build_autoencoder that changes training reaches the anomaly detector, which is built with it:
in a round it would hide what the detector's variant does, so it is ALONE.

In all: 29 requirements, 35 mutants (28 of them unit), 15 alternatives (3 unit); 4
whole-notebook and 2 unit submissions (31 segments), graded in 147 s of submissions on 2 cores
on 2026-12-08 (the rounds took 17-39 s, the unit submissions 10-12 s): every variant lost
exactly its mutants' tests, every alternative got full marks.
"""

from mutants import Alternative, Mutant, Requirement

AE_STRUCTURE = ("build_autoencoder_structure", "build_autoencoder_hidden")
AE_HIDDEN = ("build_autoencoder_hidden",)
LINEAR_STRUCTURE = ("build_linear_autoencoder_structure",)
NOISE_TESTS = ("add_noise_values", "add_noise_hidden")
NOISE_HIDDEN = ("add_noise_hidden",)
DENOISER_STRUCTURE = ("build_denoising_autoencoder_structure",)
ERRORS_TESTS = ("reconstruction_errors_values", "reconstruction_errors_hidden")
ERRORS_HIDDEN = ("reconstruction_errors_hidden",)

REQUIREMENTS = {
    # build_autoencoder
    "ae-sizes": Requirement("Write `build_autoencoder(input_dim=784, encoding_dim=32)`", AE_HIDDEN),
    "ae-order": Requirement(
        "It returns three models, `(autoencoder, encoder, decoder)`", AE_STRUCTURE
    ),
    "ae-relu-code": Requirement('`Dense(encoding_dim, activation="relu")` (the code)', AE_HIDDEN),
    "ae-sigmoid-output": Requirement(
        '`Dense(input_dim, activation="sigmoid")` (the reconstruction, in $[0, 1]$ like the '
        "pixels)",
        AE_HIDDEN,
    ),
    "ae-encoder": Requirement(
        "`encoder`: a `keras.Model` from the same input to the code", AE_HIDDEN
    ),
    "ae-decoder-input": Requirement(
        "`decoder`: a `keras.Model` with its own input, `keras.Input(shape=(encoding_dim,))`",
        AE_STRUCTURE,
    ),
    "ae-decoder": Requirement(
        "so that the decoder **shares** the layer (and its weights) with the autoencoder",
        AE_STRUCTURE,
    ),
    "ae-compiled": Requirement(
        "Compile the autoencoder before returning it",
        ("build_autoencoder_structure", "build_autoencoder_trained"),
    ),
    "ae-loss": Requirement('with `loss="binary_crossentropy"` (or `"mse"`)', AE_HIDDEN),
    "ae-adam": Requirement(
        'with `loss="binary_crossentropy"` (or `"mse"`) and an Adam optimizer', AE_HIDDEN
    ),
    # build_linear_autoencoder
    "linear-layers": Requirement(
        "two `Dense` layers, `input_dim → encoding_dim → input_dim`", LINEAR_STRUCTURE
    ),
    "linear-no-activation": Requirement(
        "**without activation functions** (and no sigmoid at the output)", LINEAR_STRUCTURE
    ),
    "linear-compiled": Requirement(
        'compiled with `loss="mse"`',
        ("build_linear_autoencoder_structure", "build_linear_autoencoder_pca"),
    ),
    "linear-adam": Requirement("Give it an Adam optimizer", LINEAR_STRUCTURE),
    # add_noise
    "noise-rng": Requirement(
        "draw $\\varepsilon$ with `rng = np.random.default_rng(random_state)` and "
        "`rng.standard_normal(x.shape)` (the tests compare with exactly this)",
        NOISE_TESTS,
    ),
    "noise-every-pixel": Requirement("independently for every pixel", NOISE_HIDDEN),
    "noise-std": Requirement("Add Gaussian noise of standard deviation noise_factor", NOISE_HIDDEN),
    "noise-clip": Requirement("clip to $[0, 1]$ with `np.clip`", NOISE_TESTS),
    "noise-float32": Requirement("return a `float32` array", ("add_noise_values",)),
    "noise-any-shape": Requirement(
        "of the same shape as `x` (any shape: flat rows or images)", NOISE_HIDDEN
    ),
    "noise-value-error": Requirement(
        "raise a `ValueError` whose message contains `noise_factor=` and the received value if "
        "`noise_factor` is not a number $\\ge 0$",
        NOISE_HIDDEN,
    ),
    # build_denoising_autoencoder
    "denoiser-compiled": Requirement(
        "returning a compiled Keras model",
        ("build_denoising_autoencoder_structure", "build_denoising_autoencoder_psnr"),
    ),
    "denoiser-shape": Requirement("`(None, input_dim) → (None, input_dim)`", DENOISER_STRUCTURE),
    "denoiser-sigmoid": Requirement(
        "with outputs in $[0, 1]$ (a sigmoid output layer)", DENOISER_STRUCTURE
    ),
    # reconstruction_errors
    "errors-mean": Requirement("the **mean squared error of every sample**", ERRORS_TESTS),
    "errors-per-sample": Requirement("an array of shape `(n_samples,)`", ERRORS_TESTS),
    "errors-images": Requirement(
        "It must work for flat rows `(n, 784)` and for images `(n, 28, 28, 1)`.", ERRORS_HIDDEN
    ),
    "errors-value-error": Requirement(
        "If the model's output does not have the shape of `X`, raise a `ValueError` that names "
        "both shapes.",
        ERRORS_HIDDEN,
    ),
    # train_anomaly_detector
    "detector-normal-only": Requirement(
        "keep only the rows of `x` whose label in `y` is **not** `anomaly_class`",
        ("train_anomaly_detector_validation", "train_anomaly_detector_hidden"),
    ),
}

MUTANTS = {
    # build_autoencoder (train_anomaly_detector builds on it: what changes training is ALONE)
    "ae-decoder-new-layer": Mutant(
        "build_autoencoder",
        "ae-decoder",
        patch=[
            (
                "decoder_layer = autoencoder.layers[-1]  # shared, not a copy",
                'decoder_layer = keras.layers.Dense(input_dim, activation="sigmoid")',
            )
        ],
    ),
    "ae-not-compiled": Mutant(
        "build_autoencoder",
        "ae-compiled",
        patch=[("    autoencoder.compile(\n", "    dict(\n")],
        fails=(
            "build_autoencoder_structure",
            "build_autoencoder_hidden",  # its compile settings cannot be read
            "build_autoencoder_trained",
            "train_anomaly_detector_validation",
            "train_anomaly_detector_hidden",
        ),
    ),
    # build_linear_autoencoder
    "linear-not-compiled": Mutant(
        "build_linear_autoencoder",
        "linear-compiled",
        patch=[("    model.compile(", "    dict(")],
        why="fit refuses an uncompiled model: the trained-model test has nothing to measure",
    ),
    # add_noise
    "noise-no-clip": Mutant(
        "add_noise",
        "noise-clip",
        patch=[
            (
                "return np.clip(noisy, 0.0, 1.0).astype(np.float32)",
                "return noisy.astype(np.float32)",
            )
        ],
    ),
    # build_denoising_autoencoder
    "denoiser-not-compiled": Mutant(
        "build_denoising_autoencoder",
        "denoiser-compiled",
        patch=[("    model.compile(", "    dict(")],
    ),
    # reconstruction_errors
    "errors-sum": Mutant(
        "reconstruction_errors",
        "errors-mean",
        patch=[
            (
                "return np.mean((reconstructions - X) ** 2, axis=tuple(range(1, X.ndim)))",
                "return np.sum((reconstructions - X) ** 2, axis=tuple(range(1, X.ndim)))",
            )
        ],
    ),
    # train_anomaly_detector
    "detector-fit-all-rows": Mutant(
        "train_anomaly_detector",
        "detector-normal-only",
        patch=[("autoencoder.fit(normal, normal,", "autoencoder.fit(x, x,")],
    ),
}

# Graded in the unit notebook (UNIT): the structure and value tests, no training.
MUTANTS.update(
    {
        "ae-order-swapped": Mutant(
            "build_autoencoder",
            "ae-order",
            patch=[
                (
                    "    return autoencoder, encoder, decoder\n",
                    "    return autoencoder, decoder, encoder\n",
                )
            ],
        ),
        "ae-decoder-on-the-code": Mutant(
            "build_autoencoder",
            "ae-decoder-input",
            patch=[
                (
                    'decoder = keras.Model(code_input, decoder_layer(code_input), name="decoder")',
                    'decoder = keras.Model(inputs, decoder_layer(code), name="decoder")',
                )
            ],
            why="the decoder reads the autoencoder's input: its input shape is (None, 784)",
        ),
        "noise-negative-accepted": Mutant(
            "add_noise",
            "noise-value-error",
            patch=[("        or not noise_factor >= 0\n", "")],
            why="a negative standard deviation is taken as it is: no error",
        ),
        "noise-no-type-check": Mutant(
            "add_noise",
            "noise-value-error",
            patch=[
                (
                    "    if (\n"
                    "        isinstance(noise_factor, bool)\n"
                    "        or not isinstance(noise_factor, numbers.Real)\n"
                    "        or not noise_factor >= 0\n"
                    "    ):\n",
                    "    if noise_factor < 0:\n",
                )
            ],
            why="'0.3' < 0 raises a TypeError, not the ValueError",
        ),
        # build_autoencoder
        "ae-input-784": Mutant(
            "build_autoencoder",
            "ae-sizes",
            patch=[
                ("inputs = keras.Input(shape=(input_dim,))", "inputs = keras.Input(shape=(784,))")
            ],
        ),
        "ae-sigmoid-code": Mutant(
            "build_autoencoder",
            "ae-relu-code",
            patch=[('(encoding_dim, activation="relu")', '(encoding_dim, activation="sigmoid")')],
            why="a sigmoid code is >= 0 too: only ReLU's exact zeros tell them apart",
        ),
        "ae-relu-output": Mutant(
            "build_autoencoder",
            "ae-sigmoid-output",
            patch=[('(input_dim, activation="sigmoid")', '(input_dim, activation="relu")')],
        ),
        "ae-encoder-own-layer": Mutant(
            "build_autoencoder",
            "ae-encoder",
            patch=[
                (
                    'encoder = keras.Model(inputs, code, name="encoder")',
                    "encoder = keras.Model(\n"
                    '        inputs, keras.layers.Dense(encoding_dim, activation="relu")(inputs)\n'
                    "    )",
                )
            ],
            why="an encoder with a code layer of its own, not the autoencoder's",
        ),
        "ae-loss-mae": Mutant(
            "build_autoencoder",
            "ae-loss",
            patch=[('loss="binary_crossentropy"', 'loss="mae"')],
        ),
        "ae-rmsprop": Mutant(
            "build_autoencoder",
            "ae-adam",
            patch=[("keras.optimizers.Adam(", "keras.optimizers.RMSprop(")],
        ),
        # build_linear_autoencoder
        "linear-code-32": Mutant(
            "build_linear_autoencoder",
            "linear-layers",
            patch=[("keras.layers.Dense(encoding_dim)", "keras.layers.Dense(32)")],
        ),
        "linear-sigmoid-output": Mutant(
            "build_linear_autoencoder",
            "linear-no-activation",
            patch=[
                (
                    "keras.layers.Dense(input_dim)(code)",
                    'keras.layers.Dense(input_dim, activation="sigmoid")(code)',
                )
            ],
        ),
        "linear-relu-code": Mutant(
            "build_linear_autoencoder",
            "linear-no-activation",
            patch=[
                (
                    "keras.layers.Dense(encoding_dim)(inputs)",
                    'keras.layers.Dense(encoding_dim, activation="relu")(inputs)',
                )
            ],
            why="Part 1's ReLU code copied",
        ),
        "linear-bce": Mutant(
            "build_linear_autoencoder",
            "linear-compiled",
            patch=[('3e-3), loss="mse")', '3e-3), loss="binary_crossentropy")')],
            fails=LINEAR_STRUCTURE,
            why="the unit notebook does not train: the structure test reads the loss",
        ),
        "linear-sgd": Mutant(
            "build_linear_autoencoder",
            "linear-adam",
            patch=[("keras.optimizers.Adam(", "keras.optimizers.SGD(")],
        ),
        # add_noise
        "noise-legacy-random": Mutant(
            "add_noise",
            "noise-rng",
            patch=[
                (
                    "rng = np.random.default_rng(random_state)\n"
                    "    noisy = x + noise_factor * rng.standard_normal(x.shape)",
                    "np.random.seed(random_state)\n"
                    "    noisy = x + noise_factor * np.random.randn(*x.shape)",
                )
            ],
            fails=NOISE_HIDDEN,
            why="np.random.seed and randn: reproducible, but not the stated draw",
        ),
        "noise-one-draw-per-image": Mutant(
            "add_noise",
            "noise-every-pixel",
            patch=[("rng.standard_normal(x.shape)", "rng.standard_normal(x.shape[1:])")],
            why="one noise image broadcast to every image",
        ),
        "noise-variance": Mutant(
            "add_noise",
            "noise-std",
            patch=[("noise_factor * rng", "noise_factor**2 * rng")],
            why="noise_factor read as the variance",
        ),
        "noise-float64": Mutant(
            "add_noise",
            "noise-float32",
            patch=[
                (
                    "return np.clip(noisy, 0.0, 1.0).astype(np.float32)",
                    "return np.clip(noisy, 0.0, 1.0)",
                )
            ],
        ),
        "noise-flat-rows": Mutant(
            "add_noise",
            "noise-any-shape",
            patch=[
                (
                    "x = np.asarray(x, dtype=np.float32)",
                    "x = np.asarray(x, dtype=np.float32).reshape(len(x), -1)",
                )
            ],
        ),
        "noise-message-no-value": Mutant(
            "add_noise",
            "noise-value-error",
            patch=[
                (
                    'f"noise_factor must be a number >= 0. Received: noise_factor={noise_factor!r}."',
                    '"noise_factor must be a number >= 0"',
                )
            ],
        ),
        # build_denoising_autoencoder
        "denoiser-input-784": Mutant(
            "build_denoising_autoencoder",
            "denoiser-shape",
            patch=[
                ("inputs = keras.Input(shape=(input_dim,))", "inputs = keras.Input(shape=(784,))")
            ],
        ),
        "denoiser-relu-output": Mutant(
            "build_denoising_autoencoder",
            "denoiser-sigmoid",
            patch=[('(input_dim, activation="sigmoid")', '(input_dim, activation="relu")')],
        ),
        # reconstruction_errors
        "errors-axis-1": Mutant(
            "reconstruction_errors",
            "errors-images",
            patch=[("axis=tuple(range(1, X.ndim))", "axis=1")],
        ),
        "errors-one-number": Mutant(
            "reconstruction_errors",
            "errors-per-sample",
            patch=[(", axis=tuple(range(1, X.ndim))", "")],
            why="the mean over the whole batch",
        ),
        "errors-absolute": Mutant(
            "reconstruction_errors",
            "errors-mean",
            patch=[("np.mean((reconstructions - X) ** 2,", "np.mean(np.abs(reconstructions - X),")],
        ),
        "errors-shape-unchecked": Mutant(
            "reconstruction_errors",
            "errors-value-error",
            patch=[
                (
                    "    if reconstructions.shape != X.shape:\n"
                    "        raise ValueError(\n"
                    '            "The model\'s output must have the shape of X. "\n'
                    '            f"Received: X.shape={X.shape}, output shape={reconstructions.shape}."\n'
                    "        )\n",
                    "",
                )
            ],
            why="NumPy's broadcasting error names the shapes as (3,2) (3,6), not as the tuples",
        ),
        "errors-message-one-shape": Mutant(
            "reconstruction_errors",
            "errors-value-error",
            patch=[
                (
                    'f"Received: X.shape={X.shape}, output shape={reconstructions.shape}."',
                    'f"Received: output shape={reconstructions.shape}."',
                )
            ],
        ),
    }
)

ALONE = ("ae-not-compiled",)

ALTERNATIVES = {
    "ae-layer-objects": Alternative(
        "build_autoencoder",
        source=(
            "def build_autoencoder(input_dim=784, encoding_dim=32):\n"
            '    code_layer = keras.layers.Dense(encoding_dim, activation="relu", name="code")\n'
            '    output_layer = keras.layers.Dense(input_dim, activation="sigmoid", name="pixels")\n'
            "    inputs = keras.Input(shape=(input_dim,))\n"
            "    code = code_layer(inputs)\n"
            "    autoencoder = keras.Model(inputs, output_layer(code))\n"
            "    encoder = keras.Model(inputs, code)\n"
            "    code_input = keras.Input(shape=(encoding_dim,))\n"
            "    decoder = keras.Model(code_input, output_layer(code_input))\n"
            '    autoencoder.compile(optimizer=keras.optimizers.Adam(0.003), loss="mse")\n'
            "    return autoencoder, encoder, decoder\n"
        ),
        why="layer objects built first and called twice; MSE loss",
    ),
    "ae-sequential": Alternative(
        "build_autoencoder",
        source=(
            "def build_autoencoder(input_dim=784, encoding_dim=32):\n"
            "    autoencoder = keras.Sequential(\n"
            "        [\n"
            "            keras.Input(shape=(input_dim,)),\n"
            '            keras.layers.Dense(encoding_dim, activation="relu"),\n'
            '            keras.layers.Dense(input_dim, activation="sigmoid"),\n'
            "        ]\n"
            "    )\n"
            "    encoder = keras.Model(autoencoder.inputs, autoencoder.layers[0].output)\n"
            "    code_input = keras.Input(shape=(encoding_dim,))\n"
            "    decoder = keras.Model(code_input, autoencoder.layers[-1](code_input))\n"
            "    autoencoder.compile(\n"
            "        optimizer=keras.optimizers.Adam(learning_rate=0.003),\n"
            "        loss=keras.losses.BinaryCrossentropy(),\n"
            "    )\n"
            "    return autoencoder, encoder, decoder\n"
        ),
        why="a Sequential autoencoder, the encoder cut from its first layer's output",
    ),
    "linear-sequential": Alternative(
        "build_linear_autoencoder",
        source=(
            "def build_linear_autoencoder(input_dim=784, encoding_dim=32):\n"
            "    model = keras.Sequential(\n"
            "        [\n"
            "            keras.Input(shape=(input_dim,)),\n"
            "            keras.layers.Dense(encoding_dim),\n"
            "            keras.layers.Dense(input_dim),\n"
            "        ]\n"
            "    )\n"
            '    model.compile(optimizer=keras.optimizers.Adam(0.004), loss="mean_squared_error")\n'
            "    return model\n"
        ),
        why="Sequential, the loss spelled out, another learning rate",
    ),
    "linear-explicit": Alternative(
        "build_linear_autoencoder",
        source=(
            "def build_linear_autoencoder(input_dim=784, encoding_dim=32):\n"
            "    inputs = keras.Input(shape=(input_dim,))\n"
            '    code = keras.layers.Dense(encoding_dim, activation="linear", name="code")(inputs)\n'
            "    outputs = keras.layers.Dense(input_dim, activation=None)(code)\n"
            "    model = keras.Model(inputs=inputs, outputs=outputs)\n"
            "    model.compile(\n"
            "        optimizer=keras.optimizers.Adam(learning_rate=0.003),\n"
            "        loss=keras.losses.MeanSquaredError(),\n"
            '        metrics=["mae"],\n'
            "    )\n"
            "    return model\n"
        ),
        why="explicit linear activations, a loss object and an extra metric",
    ),
    "noise-normal": Alternative(
        "add_noise",
        source=(
            "def add_noise(x, noise_factor, *, random_state):\n"
            "    number = isinstance(noise_factor, (int, float, np.integer, np.floating))\n"
            "    if not number or isinstance(noise_factor, bool) or noise_factor < 0:\n"
            "        raise ValueError(\n"
            '            f"noise_factor must be a non-negative number, got noise_factor={noise_factor}"\n'
            "        )\n"
            "    x = np.asarray(x)\n"
            "    rng = np.random.default_rng(random_state)\n"
            "    noisy = x + rng.normal(0.0, noise_factor, size=x.shape)\n"
            '    return np.clip(noisy, 0, 1).astype("float32")\n'
        ),
        why="rng.normal(0, noise_factor) draws the same numbers as noise_factor * standard_normal",
    ),
    "noise-flat-draw": Alternative(
        "add_noise",
        source=(
            "def add_noise(x, noise_factor, *, random_state):\n"
            "    if not isinstance(noise_factor, numbers.Real) or isinstance(noise_factor, bool):\n"
            '        raise ValueError(f"noise_factor={noise_factor!r} is not a number")\n'
            "    if noise_factor < 0:\n"
            '        raise ValueError(f"noise_factor={noise_factor!r} is negative")\n'
            "    x = np.array(x, dtype=np.float64)\n"
            "    rng = np.random.default_rng(random_state)\n"
            "    epsilon = rng.standard_normal(x.size).reshape(x.shape)\n"
            "    noisy = x + noise_factor * epsilon\n"
            "    np.clip(noisy, 0.0, 1.0, out=noisy)\n"
            "    return noisy.astype(np.float32)\n"
        ),
        why="a flat draw reshaped (the same numbers in C order), float64 arithmetic, clip in place",
    ),
    "denoiser-sequential": Alternative(
        "build_denoising_autoencoder",
        source=(
            "def build_denoising_autoencoder(input_dim=784):\n"
            "    model = keras.Sequential(\n"
            "        [\n"
            "            keras.Input(shape=(input_dim,)),\n"
            '            keras.layers.Dense(512, activation="relu"),\n'
            '            keras.layers.Dense(input_dim, activation="sigmoid"),\n'
            "        ]\n"
            "    )\n"
            '    model.compile(optimizer="adam", loss="binary_crossentropy")\n'
            "    return model\n"
        ),
        why="Sequential, the optimizer by name",
    ),
    "denoiser-deeper-mse": Alternative(
        "build_denoising_autoencoder",
        source=(
            "def build_denoising_autoencoder(input_dim=784):\n"
            "    inputs = keras.Input(shape=(input_dim,))\n"
            '    hidden = keras.layers.Dense(384, activation="relu")(inputs)\n'
            '    hidden = keras.layers.Dense(256, activation="relu")(hidden)\n'
            '    outputs = keras.layers.Dense(input_dim, activation="sigmoid")(hidden)\n'
            "    model = keras.Model(inputs, outputs)\n"
            '    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")\n'
            "    return model\n"
        ),
        why="two hidden layers (a deeper network the notebook allows), MSE loss",
    ),
    "errors-reshape": Alternative(
        "reconstruction_errors",
        source=(
            "def reconstruction_errors(model, X):\n"
            '    X = np.asarray(X, dtype="float32")\n'
            "    reconstructed = model.predict(X, verbose=0)\n"
            "    if reconstructed.shape != X.shape:\n"
            "        raise ValueError(\n"
            '            f"the model returns shape {reconstructed.shape}, X has shape {X.shape}"\n'
            "        )\n"
            "    differences = (reconstructed - X).reshape(len(X), -1)\n"
            "    return (differences**2).mean(axis=1)\n"
        ),
        why="flatten every sample, then one mean per row",
    ),
    "errors-loop": Alternative(
        "reconstruction_errors",
        source=(
            "def reconstruction_errors(model, X):\n"
            "    X = np.asarray(X, dtype=np.float32)\n"
            "    output = keras.ops.convert_to_numpy(model(X, training=False))\n"
            "    if output.shape != X.shape:\n"
            '        raise ValueError(f"X.shape is {X.shape} but the output shape is {output.shape}")\n'
            "    errors = np.empty(len(X))\n"
            "    for i in range(len(X)):\n"
            "        errors[i] = np.mean(np.square(output[i] - X[i]))\n"
            "    return errors\n"
        ),
        why="calls the model directly and loops over the samples",
    ),
    "detector-no-validation": Alternative(
        "train_anomaly_detector",
        source=(
            "def train_anomaly_detector(x, y, *, anomaly_class, epochs=5, random_state=0):\n"
            "    x, y = np.asarray(x, dtype=np.float32), np.asarray(y)\n"
            "    normal = x[np.flatnonzero(y != anomaly_class)]\n"
            "    keras.utils.set_random_seed(random_state)\n"
            "    autoencoder = build_autoencoder(x.shape[1], 32)[0]\n"
            "    autoencoder.fit(normal, normal, epochs=epochs, batch_size=128, verbose=0)\n"
            "    return autoencoder\n"
        ),
        why="no validation data (the notebook leaves it to the student), Keras' own seeding",
    ),
    "detector-random-holdout": Alternative(
        "train_anomaly_detector",
        source=(
            "def train_anomaly_detector(x, y, *, anomaly_class, epochs=5, random_state=0):\n"
            "    normal = np.asarray(x, dtype=np.float32)[np.asarray(y) != anomaly_class]\n"
            "    coursekit.set_seed(random_state)\n"
            "    autoencoder, encoder, decoder = build_autoencoder(normal.shape[1], 32)\n"
            "    order = np.random.default_rng(random_state).permutation(len(normal))\n"
            "    n_val = len(normal) // 4\n"
            "    x_val, x_train = normal[order[:n_val]], normal[order[n_val:]]\n"
            "    autoencoder.fit(\n"
            "        x_train,\n"
            "        x_train,\n"
            "        epochs=epochs,\n"
            "        batch_size=128,\n"
            "        validation_data=(x_val, x_val),\n"
            "        verbose=0,\n"
            "    )\n"
            "    return autoencoder\n"
        ),
        why="a random quarter of the normal rows held out as validation data",
    ),
}

# Graded in the unit notebook (UNIT): they prove the structure and value tests fair.
ALTERNATIVES.update(
    {
        "linear-activation-none": Alternative(
            "build_linear_autoencoder",
            source=(
                "def build_linear_autoencoder(input_dim=784, encoding_dim=32):\n"
                "    model = keras.Sequential()\n"
                "    model.add(keras.Input(shape=(input_dim,)))\n"
                "    model.add(keras.layers.Dense(encoding_dim, activation=None))\n"
                "    model.add(keras.layers.Dense(input_dim, activation=None))\n"
                '    model.compile(optimizer=keras.optimizers.Adam(5e-3), loss="mean_squared_error")\n'
                "    return model\n"
            ),
            why="a Sequential built with add, activation=None spelled out",
        ),
        "denoiser-activation-layer": Alternative(
            "build_denoising_autoencoder",
            source=(
                "def build_denoising_autoencoder(input_dim=784):\n"
                "    inputs = keras.Input(shape=(input_dim,))\n"
                '    hidden = keras.layers.Dense(256, activation="relu")(inputs)\n'
                '    outputs = keras.layers.Activation("sigmoid")(keras.layers.Dense(input_dim)(hidden))\n'
                "    model = keras.Model(inputs, outputs)\n"
                '    model.compile(optimizer="adam", loss="mse")\n'
                "    return model\n"
            ),
            why="the sigmoid as an Activation layer of its own",
        ),
        "errors-sklearn": Alternative(
            "reconstruction_errors",
            source=(
                "def reconstruction_errors(model, X):\n"
                "    from sklearn.metrics import mean_squared_error\n"
                "\n"
                '    X = np.asarray(X, dtype="float32")\n'
                "    output = model.predict(X, verbose=0)\n"
                "    if np.shape(output) != X.shape:\n"
                '        raise ValueError(f"output shape {np.shape(output)} is not X.shape {X.shape}")\n'
                "    n = len(X)\n"
                "    return mean_squared_error(\n"
                '        X.reshape(n, -1).T, np.reshape(output, (n, -1)).T, multioutput="raw_values"\n'
                "    )\n"
            ),
            why="scikit-learn's mean_squared_error, one output per sample",
        ),
    }
)

UNIT_CELLS = (
    "build_autoencoder",
    "build_linear_autoencoder",
    "add_noise",
    "build_denoising_autoencoder",
    "reconstruction_errors",
)
WHOLE = {
    # the suite's first, coarse variants stay in the whole notebook, where they train
    "ae-decoder-new-layer",
    "ae-not-compiled",
    "linear-not-compiled",
    "noise-no-clip",
    "denoiser-not-compiled",
    "errors-sum",
    "detector-fit-all-rows",
    "ae-layer-objects",
    "ae-sequential",
    "linear-sequential",
    "linear-explicit",
    "noise-normal",
    "noise-flat-draw",
    "denoiser-sequential",
    "denoiser-deeper-mse",
    "errors-reshape",
    "errors-loop",
    "detector-no-validation",
    "detector-random-holdout",
}
UNIT = tuple(
    key
    for key, variant in {**MUTANTS, **ALTERNATIVES}.items()
    if variant.cell in UNIT_CELLS and key not in WHOLE
)
