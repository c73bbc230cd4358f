"""a08_autoencoders: requirements, mutants and correct alternatives (see tests/mutants/__init__.py).

Every submission trains four models (about a minute on 2 cores), so the suite is four
submissions: three rounds (one mutant and two alternatives per solution cell) and one mutant
alone. A mutant of build_autoencoder that changes training reaches the anomaly detector, which
is built with it: in a round it would hide what the detector's variant does, so it is ALONE.
"""

from mutants import Alternative, Mutant, Requirement

REQUIREMENTS = {
    # build_autoencoder
    "ae-decoder": Requirement(
        "so that the decoder **shares** the layer (and its weights) with the autoencoder",
        ("build_autoencoder_structure", "build_autoencoder_hidden"),
    ),
    "ae-compiled": Requirement(
        "Compile the autoencoder before returning it",
        ("build_autoencoder_structure", "build_autoencoder_trained"),
    ),
    # build_linear_autoencoder
    "linear-compiled": Requirement(
        'compiled with `loss="mse"`',
        ("build_linear_autoencoder_structure", "build_linear_autoencoder_pca"),
    ),
    # add_noise
    "noise-clip": Requirement(
        "clip to $[0, 1]$ with `np.clip`", ("add_noise_values", "add_noise_hidden")
    ),
    # build_denoising_autoencoder
    "denoiser-compiled": Requirement(
        "returning a compiled Keras model",
        ("build_denoising_autoencoder_structure", "build_denoising_autoencoder_psnr"),
    ),
    # reconstruction_errors
    "errors-mean": Requirement(
        "the **mean squared error of every sample**",
        ("reconstruction_errors_values", "reconstruction_errors_hidden"),
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
