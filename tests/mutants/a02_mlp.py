"""a02_mlp: requirements, mutants and correct alternatives (see tests/mutants/__init__.py).

Part 1 (softmax, dense_forward, categorical_crossentropy) is fine-grained: one requirement per
sentence of the notebook that states one (each activation, each input check and what its
message must name, 1-D input, stability, clipping, mean over the samples, a Python float,
NumPy only), each with at least one mutant. Their tests need no training, so these variants
are graded in the unit notebook (``UNIT``), each in a segment of its own with its own copies of
the tests it can change (a softmax segment also holds dense_forward and its tests, which call
softmax).

Part 3 trains build_mlp's model in every whole-notebook submission (about 20 s each on 2
cores), so build_mlp keeps two grouped requirements, two mutants and two alternatives: four
rounds of the whole notebook.

In all: 25 requirements, 36 mutants (34 of part 1), 8 alternatives; 4 whole-notebook and 2
unit submissions (36 segments), graded in 95 s on 2 cores on 2026-12-07 (the rounds took
12-22 s each, the unit submissions 12 s; with 20 unit submissions of one variant per cell
it took 3.9 minutes): every variant lost exactly its mutants' tests, every alternative got
full marks.
"""

from mutants import Alternative, Mutant, Requirement

SOFTMAX_TESTS = ("softmax_values", "softmax_hidden")
DENSE_TESTS = ("dense_forward_values", "dense_forward_hidden")
DENSE_BAD_INPUT = ("dense_forward_bad_input",)
CCE_TESTS = ("categorical_crossentropy_values", "categorical_crossentropy_hidden")

REQUIREMENTS = {
    # Part 1: NumPy only (all three functions)
    "numpy-only": Requirement(
        "Write all three functions of this part with NumPy only.",
        ("softmax_hidden", "dense_forward_hidden", "categorical_crossentropy_hidden"),
    ),
    # softmax
    "softmax-stable": Requirement(
        "subtract the **largest score of each row** before exponentiating", ("softmax_hidden",)
    ),
    "softmax-rows": Requirement(
        "returns the softmax of **each row**: an array of the same shape, every row positive and "
        "summing to 1",
        SOFTMAX_TESTS,
    ),
    "softmax-1d": Requirement(
        "It must also work for a 1-D array of shape `(k,)` (one row), which is what you get if "
        "you compute along the last axis, `axis=-1`, with `keepdims=True`.",
        ("softmax_hidden",),
    ),
    "softmax-array-like": Requirement(
        "Z : array_like of shape (n, k) or (k,)", ("softmax_hidden",)
    ),
    # dense_forward
    "dense-formula": Requirement(
        r"Write `dense_forward(X, W, b, activation)` that returns $\varphi(XW + b)$.",
        DENSE_TESTS,
    ),
    "dense-linear": Requirement('`"linear"` | $z$ (no activation)', DENSE_TESTS),
    "dense-relu": Requirement(r'`"relu"` | $\max(0, z)$', DENSE_TESTS),
    "dense-sigmoid": Requirement(
        r'`"sigmoid"` | $1 / (1 + e^{-z})$, computed **without overflow** as in assignment 1',
        ("dense_forward_hidden",),
    ),
    "dense-tanh": Requirement(
        r'`"tanh"` | $\tanh(z)$ (`np.tanh` is fine)', ("dense_forward_hidden",)
    ),
    "dense-softmax": Requirement(
        '`"softmax"` | your `softmax`, applied to each row of $XW + b$', ("dense_forward_hidden",)
    ),
    "dense-callable": Requirement(
        "or a **function** (any callable), which is applied to the array $Z = XW + b$ as a whole",
        ("dense_forward_hidden",),
    ),
    "dense-array-like": Requirement("X : array_like of shape (n, d_in)", ("dense_forward_hidden",)),
    "dense-value-error": Requirement(
        "Check the input like a library function and raise a `ValueError` whose message names "
        "what was received",
        ("dense_forward_values", "dense_forward_bad_input"),
    ),
    "dense-x-w-shapes": Requirement(
        "`X` or `W` that is not 2-D, or `W.shape[0] != X.shape[1]`: the message must contain "
        "both shapes",
        ("dense_forward_values", "dense_forward_bad_input"),
    ),
    "dense-b-shape": Requirement(
        "`b` whose shape is not `(W.shape[1],)`: the message must contain `b.shape` and `W.shape`",
        DENSE_BAD_INPUT,
    ),
    "dense-unknown-name": Requirement(
        "an unknown name: the message must contain the received name and the valid names",
        DENSE_BAD_INPUT,
    ),
    "dense-anything-else-unknown": Requirement(
        "(anything that is neither one of these strings nor callable counts as unknown)",
        DENSE_BAD_INPUT,
    ),
    # categorical_crossentropy
    "cce-mean-of-sums": Requirement(
        "The categorical cross-entropy loss is the mean over the samples of "
        r"$-\log(\text{probability given to the true class})$",
        CCE_TESTS,
    ),
    "cce-formula": Requirement(
        r"$$J = -\frac{1}{n} \sum_{i=1}^{n} \sum_{j=1}^{k} y_{ij} \log \hat y_{ij}.$$",
        CCE_TESTS,
    ),
    "cce-clip": Requirement(
        r"Like Keras, clip the predictions to $[\varepsilon, 1 - \varepsilon]$ with "
        r"$\varepsilon = 10^{-7}$ (the value of `keras.config.epsilon()`) before taking the "
        "logarithm",
        ("categorical_crossentropy_hidden",),
    ),
    "cce-float": Requirement(
        "Write `categorical_crossentropy(y_true, y_pred)` that returns $J$ as a Python `float`.",
        ("categorical_crossentropy_hidden",),
    ),
    "cce-shapes": Requirement(
        "If the two arrays do not both have the same 2-D shape `(n, k)`, raise a `ValueError` "
        "whose message contains both shapes",
        ("categorical_crossentropy_hidden",),
    ),
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

_SHAPE_CHECK = "    if X.ndim != 2 or W.ndim != 2 or W.shape[0] != X.shape[1]:\n"
_ACTIVATION_CHECK = "    if not callable(activation) and activation not in names:\n"

MUTANTS = {
    # softmax. dense_forward's "softmax" calls it, so some of its mistakes also fail
    # dense_forward_hidden: those come first, to share a unit submission with the
    # dense_forward mutants that fail dense_forward_values or dense_forward_bad_input.
    "softmax-no-shift": Mutant(
        "softmax",
        "softmax-stable",
        patch=[("shifted = Z - Z.max(axis=-1, keepdims=True)", "shifted = Z")],
        fails=("softmax_hidden", "dense_forward_hidden"),
        why="the formula as written: np.exp(1000.0) overflows",
    ),
    "softmax-columns": Mutant(
        "softmax",
        "softmax-rows",
        patch=[
            ("Z.max(axis=-1, keepdims=True)", "Z.max(axis=0, keepdims=True)"),
            ("exponentials.sum(axis=-1, keepdims=True)", "exponentials.sum(axis=0, keepdims=True)"),
        ],
        fails=("softmax_values", "softmax_hidden", "dense_forward_hidden"),
        why="axis=0: the softmax of each column",
    ),
    "softmax-whole-sum": Mutant(
        "softmax",
        "softmax-rows",
        patch=[("exponentials.sum(axis=-1, keepdims=True)", "exponentials.sum()")],
        fails=("softmax_values", "softmax_hidden", "dense_forward_hidden"),
        why="divides by the sum of the whole array: the rows do not sum to 1",
    ),
    "softmax-scipy": Mutant(
        "softmax",
        "numpy-only",
        source=(
            "import scipy.special\n\n\n"
            "def softmax(Z):\n"
            "    return scipy.special.softmax(np.asarray(Z, dtype=float), axis=-1)\n"
        ),
        fails=("softmax_hidden", "dense_forward_hidden"),
        why="scipy.special.softmax (dense_forward's NumPy-only check calls it too)",
    ),
    "softmax-global-max": Mutant(
        "softmax",
        "softmax-stable",
        patch=[("Z - Z.max(axis=-1, keepdims=True)", "Z - Z.max()")],
        why="subtracts the largest score of the whole array: rows far below it underflow to 0/0",
    ),
    "softmax-axis-1": Mutant(
        "softmax",
        "softmax-1d",
        patch=[
            ("Z.max(axis=-1, keepdims=True)", "Z.max(axis=1, keepdims=True)"),
            ("exponentials.sum(axis=-1, keepdims=True)", "exponentials.sum(axis=1, keepdims=True)"),
        ],
        why="axis=1 instead of the last axis: a 1-D array has no axis 1",
    ),
    "softmax-no-asarray": Mutant(
        "softmax",
        "softmax-array-like",
        patch=[("    Z = np.asarray(Z, dtype=float)\n", "")],
        why="uses Z as it comes: a list of lists has no .max",
    ),
    # dense_forward: first the mutants that fail dense_forward_values or _bad_input (see above)
    "dense-no-bias": Mutant(
        "dense_forward",
        "dense-formula",
        patch=[("Z = X @ W + b  # (n, d_out)", "Z = X @ W  # (n, d_out)")],
        why="forgets the bias",
    ),
    "dense-linear-without-bias": Mutant(
        "dense_forward",
        "dense-linear",
        patch=[("    return Z\n", "    return X @ W\n")],
        why='reads "no activation" as the plain product X @ W',
    ),
    "dense-relu-leaky": Mutant(
        "dense_forward",
        "dense-relu",
        patch=[("return np.maximum(0.0, Z)", "return np.maximum(0.01 * Z, Z)")],
        why="a leaky ReLU",
    ),
    "dense-shape-type-error": Mutant(
        "dense_forward",
        "dense-value-error",
        patch=[
            (_SHAPE_CHECK + "        raise ValueError(", _SHAPE_CHECK + "        raise TypeError(")
        ],
        why="a TypeError for shapes that do not fit",
    ),
    "dense-message-names-x-only": Mutant(
        "dense_forward",
        "dense-x-w-shapes",
        patch=[
            (
                'f"Received: X.shape={X.shape}, W.shape={W.shape}."',
                'f"Received: X.shape={X.shape}."',
            )
        ],
    ),
    "dense-no-ndim-check": Mutant(
        "dense_forward",
        "dense-x-w-shapes",
        patch=[(_SHAPE_CHECK, "    if W.shape[0] != X.shape[1]:\n")],
        fails=DENSE_BAD_INPUT,
        why="checks only W.shape[0] != X.shape[1]: a 1-D X raises an IndexError",
    ),
    "dense-bias-size": Mutant(
        "dense_forward",
        "dense-b-shape",
        patch=[("if b.shape != (W.shape[1],):", "if b.size != W.shape[1]:")],
        why="checks the number of biases only: b of shape (1, 2) broadcasts without an error",
    ),
    "dense-b-message-without-w-shape": Mutant(
        "dense_forward",
        "dense-b-shape",
        patch=[
            (
                'f"Received: b.shape={b.shape}, W.shape={W.shape}."',
                'f"Received: b.shape={b.shape}."',
            )
        ],
    ),
    "dense-unknown-without-valid-names": Mutant(
        "dense_forward",
        "dense-unknown-name",
        patch=[
            (
                'f"Unknown activation {activation!r}. Valid names: "\n'
                '            + ", ".join(repr(name) for name in names)\n'
                '            + ", or a function."\n',
                'f"Unknown activation {activation!r}."\n',
            )
        ],
    ),
    "dense-none-is-linear": Mutant(
        "dense_forward",
        "dense-anything-else-unknown",
        patch=[
            (
                _ACTIVATION_CHECK,
                "    if activation is not None and not callable(activation) and activation not in names:\n",
            )
        ],
        why="activation=None means no activation, as in Keras",
    ),
    "dense-case-insensitive": Mutant(
        "dense_forward",
        "dense-anything-else-unknown",
        patch=[
            (
                '    names = ("linear",',
                "    if isinstance(activation, str):\n"
                "        activation = activation.lower()\n"
                '    names = ("linear",',
            )
        ],
        why='accepts "ReLU" for "relu"',
    ),
    # dense_forward: the mutants that fail dense_forward_hidden only
    "dense-sigmoid-naive": Mutant(
        "dense_forward",
        "dense-sigmoid",
        patch=[
            (
                "        e = np.exp(-np.abs(Z))  # in (0, 1]: never overflows\n"
                "        return np.where(Z >= 0, 1 / (1 + e), e / (1 + e))\n",
                "        return 1 / (1 + np.exp(-Z))\n",
            )
        ],
        why="the formula as written: np.exp(1000.0) overflows",
    ),
    "dense-sigmoid-swapped": Mutant(
        "dense_forward",
        "dense-sigmoid",
        patch=[
            (
                "np.where(Z >= 0, 1 / (1 + e), e / (1 + e))",
                "np.where(Z >= 0, e / (1 + e), 1 / (1 + e))",
            )
        ],
        why="the two branches of the stable sigmoid swapped: sigmoid(-|z|) for z >= 0",
    ),
    "dense-tanh-half": Mutant(
        "dense_forward",
        "dense-tanh",
        patch=[("return np.tanh(Z)", "return (1 - np.exp(-Z)) / (1 + np.exp(-Z))")],
        why="(1 - e^-z) / (1 + e^-z), which is tanh(z / 2)",
    ),
    "dense-softmax-naive": Mutant(
        "dense_forward",
        "dense-softmax",
        patch=[("return softmax(Z)", "return np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)")],
        why="writes the softmax again instead of calling softmax: it overflows",
    ),
    "dense-callable-rejected": Mutant(
        "dense_forward",
        "dense-callable",
        patch=[(_ACTIVATION_CHECK, "    if activation not in names:\n")],
        why="forgets callables: np.square is an unknown activation",
    ),
    "dense-no-asarray": Mutant(
        "dense_forward",
        "dense-array-like",
        patch=[
            (
                "    X = np.asarray(X, dtype=float)\n"
                "    W = np.asarray(W, dtype=float)\n"
                "    b = np.asarray(b, dtype=float)\n",
                "",
            )
        ],
        why="uses X, W and b as they come: a list has no .ndim",
    ),
    "dense-scipy-expit": Mutant(
        "dense_forward",
        "numpy-only",
        patch=[
            (
                "    ### BEGIN SOLUTION\n",
                "    ### BEGIN SOLUTION\n    import scipy.special\n\n",
            ),
            (
                "        e = np.exp(-np.abs(Z))  # in (0, 1]: never overflows\n"
                "        return np.where(Z >= 0, 1 / (1 + e), e / (1 + e))\n",
                "        return scipy.special.expit(Z)\n",
            ),
        ],
        fails=("dense_forward_hidden",),
        why="scipy.special.expit for the sigmoid",
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
        why="the mean over all n * k entries",
    ),
    "cce-sum-over-samples": Mutant(
        "categorical_crossentropy",
        "cce-mean-of-sums",
        patch=[
            (
                "-np.mean(np.sum(y_true * log_probabilities, axis=1))",
                "-np.sum(y_true * log_probabilities)",
            )
        ],
        why="the sum over the samples instead of the mean",
    ),
    "cce-no-minus": Mutant(
        "categorical_crossentropy",
        "cce-formula",
        patch=[
            (
                "float(-np.mean(np.sum(y_true * log_probabilities, axis=1)))",
                "float(np.mean(np.sum(y_true * log_probabilities, axis=1)))",
            )
        ],
        why="forgets the minus sign",
    ),
    "cce-no-clip": Mutant(
        "categorical_crossentropy",
        "cce-clip",
        patch=[("np.log(np.clip(y_pred, eps, 1 - eps))", "np.log(y_pred)")],
        why="log(0) = -inf",
    ),
    "cce-tiny-epsilon": Mutant(
        "categorical_crossentropy",
        "cce-clip",
        patch=[("eps = 1e-7  # keras.config.epsilon()", "eps = 1e-12")],
        why="clips to another epsilon than Keras's 1e-7",
    ),
    "cce-array-result": Mutant(
        "categorical_crossentropy",
        "cce-float",
        patch=[
            (
                "return float(-np.mean(np.sum(y_true * log_probabilities, axis=1)))",
                "return -np.mean(np.sum(y_true * log_probabilities, axis=1, keepdims=True), axis=0)",
            )
        ],
        fails=CCE_TESTS,  # the worked example checks the shape too
        why="keepdims=True: returns an array of shape (1,)",
    ),
    "cce-no-ndim-check": Mutant(
        "categorical_crossentropy",
        "cce-shapes",
        patch=[
            (
                "if y_true.ndim != 2 or y_true.shape != y_pred.shape:",
                "if y_true.shape != y_pred.shape:",
            )
        ],
        why="checks only that the shapes are equal: 1-D arrays fail later, without their shape",
    ),
    "cce-message-names-y-pred-only": Mutant(
        "categorical_crossentropy",
        "cce-shapes",
        patch=[
            (
                'f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}."',
                'f"Received: y_pred.shape={y_pred.shape}."',
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

# graded in the unit notebook (tests/mutants/__init__.py): these cells' tests need no training.
# dense_forward's last two mutants and its alternatives ride along in the four whole-notebook
# rounds, which are graded anyway (and prove them in the whole notebook too).
UNIT_CELLS = ("softmax", "dense_forward", "categorical_crossentropy")
IN_WHOLE_ROUNDS = ("dense-no-asarray", "dense-scipy-expit", "dense-dict", "dense-loop")
UNIT = tuple(
    key
    for key, variant in {**MUTANTS, **ALTERNATIVES}.items()
    if variant.cell in UNIT_CELLS and key not in IN_WHOLE_ROUNDS
)
