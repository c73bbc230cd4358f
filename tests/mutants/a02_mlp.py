"""a02_mlp: requirements, mutants and correct alternatives (see tests/mutants/__init__.py).

Part 3 trains build_mlp's model in every submission (about 20 s each on 2 cores), so the suite
is four rounds: two mutants and two alternatives per solution cell, and the requirements are
grouped to match (one row per requirement a mutant proves). A finer suite, 41 mutants for one
sentence of the notebook each (softmax of a 1-D array, each activation, each error message,
dropout only if rate > 0, Adam's learning rate, the metric, ...), was graded once on
2026-12-07 (18 submissions, 5.6 minutes): every submission lost exactly its mutants' tests
and every alternative got full marks.
"""

from mutants import Alternative, Mutant, Requirement

REQUIREMENTS = {
    # Part 1: NumPy only (all three functions)
    "numpy-only": Requirement(
        "Write all three functions of this part with NumPy only.",
        ("softmax_hidden", "dense_forward_hidden", "categorical_crossentropy_hidden"),
    ),
    # softmax
    "softmax-rows": Requirement(
        "returns the softmax of **each row**: an array of the same shape, every row positive and "
        "summing to 1",
        ("softmax_values", "softmax_hidden"),
    ),
    "softmax-stable": Requirement(
        "subtract the **largest score of each row** before exponentiating", ("softmax_hidden",)
    ),
    # dense_forward
    "dense-activations": Requirement(
        r"Write `dense_forward(X, W, b, activation)` that returns $\varphi(XW + b)$.",
        ("dense_forward_values", "dense_forward_hidden"),
    ),
    "dense-bad-input": Requirement(
        "Check the input like a library function and raise a `ValueError` whose message names "
        "what was received",
        ("dense_forward_values", "dense_forward_bad_input"),
    ),
    # categorical_crossentropy
    "cce-mean-of-sums": Requirement(
        "The categorical cross-entropy loss is the mean over the samples of "
        r"$-\log(\text{probability given to the true class})$",
        ("categorical_crossentropy_values", "categorical_crossentropy_hidden"),
    ),
    # build_mlp
    # build_mlp, and the model of part 3 that the given cell builds with it and trains
    "mlp-compiled": Requirement(
        "returns a **compiled** Keras model",
        (
            "build_mlp_structure",
            "build_mlp_hidden",
            "model_validation_accuracy",
            "model_test_accuracy",
        ),
    ),
    "mlp-arguments": Requirement(
        "Raise a `ValueError` naming the received value for bad arguments",
        ("build_mlp_bad_input",),
    ),
}

MUTANTS = {
    # softmax (dense_forward's "softmax" calls it: its tests see softmax's mistakes too, so
    # dense_forward's mutant in the same round fails a test that softmax's mutant leaves alone)
    "softmax-global-max": Mutant(
        "softmax",
        "softmax-stable",
        patch=[("Z - Z.max(axis=-1, keepdims=True)", "Z - Z.max()")],
        why="subtracts the largest score of the whole array: rows far below it underflow to 0/0",
    ),
    "softmax-columns": Mutant(
        "softmax",
        "softmax-rows",
        patch=[
            ("Z.max(axis=-1, keepdims=True)", "Z.max(axis=0, keepdims=True)"),
            ("exponentials.sum(axis=-1, keepdims=True)", "exponentials.sum(axis=0, keepdims=True)"),
        ],
        fails=("softmax_values", "softmax_hidden", "dense_forward_hidden"),
    ),
    # dense_forward
    "dense-relu-leaky": Mutant(
        "dense_forward",
        "dense-activations",
        patch=[("return np.maximum(0.0, Z)", "return np.maximum(0.01 * Z, Z)")],
    ),
    "dense-message-names-x-only": Mutant(
        "dense_forward",
        "dense-bad-input",
        patch=[
            (
                'f"Received: X.shape={X.shape}, W.shape={W.shape}."',
                'f"Received: X.shape={X.shape}."',
            )
        ],
    ),
    # categorical_crossentropy
    "cce-mean-over-entries": Mutant(
        "categorical_crossentropy",
        "cce-mean-of-sums",
        patch=[
            (
                "-np.mean(np.sum(y_true * log_probabilities, axis=1))",
                "-np.mean(y_true * log_probabilities)",
            )
        ],
    ),
    "cce-keras": Mutant(
        "categorical_crossentropy",
        "numpy-only",
        patch=[
            (
                "    eps = 1e-7  # keras.config.epsilon()\n"
                "    log_probabilities = np.log(np.clip(y_pred, eps, 1 - eps))  # (n, k)\n"
                "    return float(-np.mean(np.sum(y_true * log_probabilities, axis=1)))\n",
                "    per_sample = keras.losses.categorical_crossentropy(y_true, y_pred)\n"
                "    return float(np.mean(keras.ops.convert_to_numpy(per_sample)))\n",
            )
        ],
        fails=("categorical_crossentropy_hidden",),
    ),
    # build_mlp (every variant also trains the model of part 3)
    "mlp-not-compiled": Mutant(
        "build_mlp",
        "mlp-compiled",
        patch=[
            (
                "    model.compile(\n"
                "        optimizer=keras.optimizers.Adam(learning_rate=1e-3),\n"
                '        loss="sparse_categorical_crossentropy",\n'
                '        metrics=["accuracy"],\n'
                "    )\n",
                "",
            )
        ],
        why="model.fit refuses an uncompiled model: the trained model is left untrained",
    ),
    "mlp-hidden-units-zero": Mutant(
        "build_mlp",
        "mlp-arguments",
        patch=[("is_integer(units) and units >= 1", "is_integer(units) and units >= 0")],
        why="Keras then rejects Dense(0) itself, with a message that names neither argument",
    ),
}

ALTERNATIVES = {
    "softmax-loop": Alternative(
        "softmax",
        source=(
            "def softmax(Z):\n"
            "    Z = np.array(Z, dtype=float)\n"
            "    rows = Z.reshape(-1, Z.shape[-1])  # a 1-D Z is one row\n"
            "    result = np.empty_like(rows)\n"
            "    for i, row in enumerate(rows):\n"
            "        e = np.exp(row - np.max(row))\n"
            "        result[i] = e / np.sum(e)\n"
            "    return result.reshape(Z.shape)\n"
        ),
        why="a loop over the rows",
    ),
    "softmax-logsumexp": Alternative(
        "softmax",
        source=(
            "def softmax(Z):\n"
            "    Z = np.asarray(Z, dtype=float)\n"
            "    m = np.max(Z, axis=-1, keepdims=True)\n"
            "    log_sum = m + np.log(np.sum(np.exp(Z - m), axis=-1, keepdims=True))\n"
            "    return np.exp(Z - log_sum)\n"
        ),
        why="exp(z - logsumexp(z)), the log-sum-exp computed stably",
    ),
    "dense-dict": Alternative(
        "dense_forward",
        source=(
            "def dense_forward(X, W, b, activation):\n"
            "    X, W, b = (np.asarray(a, dtype=float) for a in (X, W, b))\n"
            "    if X.ndim != 2:\n"
            '        raise ValueError(f"X must be 2-D, of shape (n, d_in). Received: X.shape={X.shape}.")\n'
            "    if W.ndim != 2 or W.shape[0] != X.shape[1]:\n"
            "        raise ValueError(\n"
            '            "X @ W needs W.shape[0] == X.shape[1]. "\n'
            '            f"Received: X.shape={X.shape}, W.shape={W.shape}."\n'
            "        )\n"
            "    if b.shape != (W.shape[1],):\n"
            "        raise ValueError(\n"
            '            f"b must have shape ({W.shape[1]},). Received: b.shape={b.shape}, W.shape={W.shape}."\n'
            "        )\n"
            "    functions = {\n"
            '        "linear": lambda z: z,\n'
            '        "relu": lambda z: np.maximum(z, 0),\n'
            '        "sigmoid": lambda z: 0.5 * (1 + np.tanh(0.5 * z)),\n'
            '        "tanh": np.tanh,\n'
            '        "softmax": softmax,\n'
            "    }\n"
            "    if callable(activation):\n"
            "        function = activation\n"
            "    elif isinstance(activation, str) and activation in functions:\n"
            "        function = functions[activation]\n"
            "    else:\n"
            "        raise ValueError(\n"
            '            f"Unknown activation {activation!r}. "\n'
            "            f\"Valid names: {', '.join(map(repr, functions))}, or a function.\"\n"
            "        )\n"
            '    return function(np.einsum("ij,jk->ik", X, W) + b)\n'
        ),
        why="a dict of functions, einsum, the sigmoid as (1 + tanh(z / 2)) / 2",
    ),
    "dense-loop": Alternative(
        "dense_forward",
        source=(
            "def dense_forward(X, W, b, activation):\n"
            "    X = np.asarray(X, dtype=float)\n"
            "    W = np.asarray(W, dtype=float)\n"
            "    b = np.asarray(b, dtype=float)\n"
            "    if X.ndim != 2 or W.ndim != 2:\n"
            '        raise ValueError(f"X and W must be 2-D. Received: X.shape={X.shape}, W.shape={W.shape}.")\n'
            "    if X.shape[1] != W.shape[0]:\n"
            "        raise ValueError(\n"
            '            f"X has {X.shape[1]} features but W expects {W.shape[0]}. "\n'
            '            f"Received: X.shape={X.shape}, W.shape={W.shape}."\n'
            "        )\n"
            "    if b.ndim != 1 or len(b) != W.shape[1]:\n"
            "        raise ValueError(\n"
            '            f"b needs one entry per unit. Received: b.shape={b.shape}, W.shape={W.shape}."\n'
            "        )\n"
            '    valid = ["linear", "relu", "sigmoid", "tanh", "softmax"]\n'
            "    if not (callable(activation) or (isinstance(activation, str) and activation in valid)):\n"
            '        raise ValueError(f"Unknown activation {activation!r}. Valid names: {valid} or a function.")\n'
            "    Z = np.array([x @ W + b for x in X]).reshape(len(X), W.shape[1])  # one sample at a time\n"
            "    if callable(activation):\n"
            "        return activation(Z)\n"
            "    match activation:\n"
            '        case "relu":\n'
            "            return np.where(Z > 0, Z, 0.0)\n"
            '        case "sigmoid":\n'
            "            return np.exp(-np.logaddexp(0.0, -Z))\n"
            '        case "tanh":\n'
            "            return np.tanh(Z)\n"
            '        case "softmax":\n'
            "            return softmax(Z)\n"
            "    return Z\n"
        ),
        why="a loop over the samples, match, the sigmoid as exp(-log(1 + exp(-z)))",
    ),
    "cce-true-class": Alternative(
        "categorical_crossentropy",
        source=(
            "def categorical_crossentropy(y_true, y_pred):\n"
            "    y_true = np.asarray(y_true, dtype=float)\n"
            "    y_pred = np.asarray(y_pred, dtype=float)\n"
            "    if y_true.shape != y_pred.shape or y_pred.ndim != 2:\n"
            "        raise ValueError(\n"
            '            "y_true and y_pred must have the same shape (n, k). "\n'
            '            f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}."\n'
            "        )\n"
            "    true_class = np.argmax(y_true, axis=1)  # one-hot: the column of the 1\n"
            "    p = np.clip(y_pred[np.arange(len(y_pred)), true_class], 1e-7, 1 - 1e-7)\n"
            "    return float(-np.log(p).mean())\n"
        ),
        why="picks the probability of the true class instead of multiplying by the one-hot rows",
    ),
    "cce-loop": Alternative(
        "categorical_crossentropy",
        source=(
            "def categorical_crossentropy(y_true, y_pred):\n"
            "    if np.ndim(y_true) != 2 or np.shape(y_true) != np.shape(y_pred):\n"
            "        raise ValueError(\n"
            '            f"y_true.shape={np.shape(y_true)} and y_pred.shape={np.shape(y_pred)} "\n'
            '            "must be the same (n, k)."\n'
            "        )\n"
            "    eps = 1e-7\n"
            "    total = 0.0\n"
            "    for t, p in zip(np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)):\n"
            "        total -= np.dot(t, np.log(np.clip(p, eps, 1 - eps)))\n"
            "    return (total / len(y_true)).item()\n"
        ),
        why="a loop over the samples, a dot product per sample, .item()",
    ),
    "mlp-functional": Alternative(
        "build_mlp",
        source=(
            "import numbers\n\n\n"
            "def build_mlp(input_dim, hidden_units, num_classes, *, dropout_rate=0.0):\n"
            "    def is_int(value):\n"
            "        return isinstance(value, numbers.Integral) and not isinstance(value, bool)\n\n"
            "    if not is_int(input_dim) or input_dim <= 0:\n"
            '        raise ValueError(f"input_dim must be a positive integer. Received: input_dim={input_dim!r}.")\n'
            "    if isinstance(hidden_units, str) or any(not is_int(u) or u <= 0 for u in hidden_units):\n"
            "        raise ValueError(\n"
            '            f"Every entry of hidden_units must be a positive integer. Received: hidden_units={hidden_units!r}."\n'
            "        )\n"
            "    if not is_int(num_classes) or num_classes < 2:\n"
            '        raise ValueError(f"num_classes must be at least 2. Received: num_classes={num_classes!r}.")\n'
            "    if isinstance(dropout_rate, bool) or not (0.0 <= dropout_rate < 1.0):\n"
            '        raise ValueError(f"dropout_rate must be in [0, 1). Received: dropout_rate={dropout_rate!r}.")\n'
            "    inputs = keras.Input(shape=(int(input_dim),))\n"
            "    x = inputs\n"
            "    for units in hidden_units:\n"
            '        x = keras.layers.Dense(int(units), activation="relu", kernel_initializer="he_normal")(x)\n'
            "        if dropout_rate > 0:\n"
            "            x = keras.layers.Dropout(dropout_rate)(x)\n"
            '    outputs = keras.layers.Dense(int(num_classes), activation="softmax")(x)\n'
            "    model = keras.Model(inputs=inputs, outputs=outputs)\n"
            "    model.compile(\n"
            '        optimizer="adam",\n'
            "        loss=keras.losses.SparseCategoricalCrossentropy(),\n"
            '        metrics=["accuracy"],\n'
            "    )\n"
            "    return model\n"
        ),
        why="Functional API, numbers.Integral, He initialisation, the optimizer and loss by other names",
    ),
    "mlp-sequential-add": Alternative(
        "build_mlp",
        source=(
            "import operator\n\n\n"
            "def build_mlp(input_dim, hidden_units, num_classes, *, dropout_rate=0.0):\n"
            "    def integer(value, minimum):\n"
            '        """value as an int if it is an integer >= minimum, else None."""\n'
            "        if isinstance(value, bool):\n"
            "            return None\n"
            "        try:\n"
            "            value = operator.index(value)\n"
            "        except TypeError:\n"
            "            return None\n"
            "        return value if value >= minimum else None\n\n"
            "    if integer(input_dim, 1) is None:\n"
            '        raise ValueError(f"input_dim must be a positive integer. Received: input_dim={input_dim}.")\n'
            "    if integer(num_classes, 2) is None:\n"
            '        raise ValueError(f"num_classes must be an integer >= 2. Received: num_classes={num_classes}.")\n'
            "    if isinstance(dropout_rate, bool) or not (0.0 <= dropout_rate < 1.0):\n"
            '        raise ValueError(f"dropout_rate must be in [0, 1). Received: dropout_rate={dropout_rate}.")\n'
            "    model = keras.Sequential()\n"
            "    model.add(keras.Input(shape=(integer(input_dim, 1),)))\n"
            "    for units in hidden_units:\n"
            "        if integer(units, 1) is None:  # checked while the layers are added\n"
            "            raise ValueError(\n"
            '                f"Every entry of hidden_units must be a positive integer. Received: hidden_units={hidden_units}."\n'
            "            )\n"
            '        model.add(keras.layers.Dense(integer(units, 1), activation="relu"))\n'
            "        if dropout_rate:\n"
            "            model.add(keras.layers.Dropout(rate=dropout_rate))\n"
            '    model.add(keras.layers.Dense(integer(num_classes, 2), activation="softmax"))\n'
            "    model.compile(\n"
            "        optimizer=keras.optimizers.Adam(1e-3),\n"
            "        loss=keras.losses.sparse_categorical_crossentropy,\n"
            '        metrics=["accuracy"],\n'
            "    )\n"
            "    return model\n"
        ),
        why="Sequential with add, operator.index, hidden_units checked as the layers are added",
    ),
}
