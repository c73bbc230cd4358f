"""a01_perceptron: requirements, mutants and correct alternatives (see tests/mutants/__init__.py)."""

from mutants import Alternative, Mutant, Requirement

REQUIREMENTS = {
    "step-threshold": Requirement(
        "1 where ``z >= 0``, 0 elsewhere", ("step_values", "step_hidden")
    ),
    "step-int": Requirement("ndarray of int, same shape as z", ("step_values", "step_hidden")),
    "sigmoid-values": Requirement(
        "Logistic sigmoid ``1 / (1 + exp(-z))``", ("sigmoid_values", "sigmoid_hidden")
    ),
    "sigmoid-overflow": Requirement("computed without overflow", ("sigmoid_hidden",)),
    "tanh-values": Requirement(
        "Hyperbolic tangent ``2 * sigmoid(2 z) - 1``", ("tanh_values", "tanh_hidden")
    ),
    "tanh-overflow": Requirement(
        "``2 * sigmoid(2 z) - 1``, computed without overflow", ("tanh_hidden",)
    ),
    "relu-values": Requirement(
        "Rectified linear unit ``max(0, z)``", ("relu_values", "relu_hidden")
    ),
    "leaky-alpha": Requirement(
        "def leaky_relu(z, alpha=0.1):", ("leaky_relu_values", "leaky_relu_hidden")
    ),
    "leaky-negative": Requirement(
        "``alpha * z`` elsewhere", ("leaky_relu_values", "leaky_relu_hidden")
    ),
    "elu-values": Requirement("``alpha * (exp(z) - 1)`` elsewhere", ("elu_values", "elu_hidden")),
    "elu-overflow": Requirement("never overflow", ("elu_hidden",)),
    "elu-alpha": Requirement("def elu(z, alpha=1.0):", ("elu_hidden",)),
    "numpy-only": Requirement("**NumPy only**", ("relu_hidden",)),
    "tlu-rule": Requirement(
        "Labels of a threshold logic unit: ``step(X @ w + b)``",
        ("tlu_predict_values", "tlu_predict_hidden"),
    ),
    "tlu-shapes": Requirement(
        "If X is not 2-D or w does not have shape (n_features,); the message names the\n        received shapes.",
        ("tlu_predict_values", "tlu_predict_hidden"),
    ),
    "gate-and": Requirement('name : {"and", "or", "not"}', ("logic_gate_values",)),
    "gate-or-not": Requirement(
        'w : ndarray of shape (2,) for "and" and "or", (1,) for "not"', ("logic_gate_hidden",)
    ),
    "gate-unknown": Requirement(
        "For any other name; the message names the received and the valid names.",
        ("logic_gate_hidden",),
    ),
    "perceptron-shuffle": Requirement(
        "Seed of ``np.random.default_rng``, which shuffles the samples in every epoch.",
        ("perceptron_fit_and", "perceptron_fit_exact"),
    ),
    "perceptron-stop": Requirement(
        "training stops after the first\n        epoch with 0 errors.",
        ("perceptron_fit_and", "perceptron_fit_converges", "perceptron_fit_exact"),
    ),
    "perceptron-rule": Requirement(
        "Train a TLU with the perceptron learning rule.",
        ("perceptron_fit_and", "perceptron_fit_exact"),
    ),
    "perceptron-count": Requirement(
        "Number of misclassified samples in each epoch run",
        ("perceptron_fit_and", "perceptron_fit_converges", "perceptron_fit_exact"),
    ),
    "perceptron-learning-rate": Requirement(
        "``learning_rate <= 0``", ("perceptron_fit_and", "perceptron_fit_bad_input")
    ),
    "perceptron-epochs": Requirement("``num_epochs < 1``", ("perceptron_fit_bad_input",)),
    "perceptron-labels": Requirement("labels other than 0 and 1", ("perceptron_fit_bad_input",)),
    "xor-output": Requirement("1 sigmoid output", ("xor_mlp_architecture",)),
    "xor-hidden": Requirement(
        "one hidden layer", ("xor_mlp_architecture", "xor_mlp_solves_xor", "xor_mlp_hidden")
    ),
    "xor-compiled": Requirement("A compiled, untrained MLP for XOR", ("xor_mlp_architecture",)),
}

MUTANTS = {
    # step
    # step (tlu_predict and perceptron_fit call it in the reference: their tests see its
    # mistakes too, so its mutants are graded alone)
    "step-strict": Mutant(
        "step",
        "step-threshold",
        patch=[("np.asarray(z) >= 0", "np.asarray(z) > 0")],
        fails=(
            "step_values",
            "step_hidden",
            "tlu_predict_hidden",
            "perceptron_fit_and",
            "perceptron_fit_converges",
            "perceptron_fit_exact",
        ),
    ),
    "step-bool": Mutant(
        "step",
        "step-int",
        patch=[("(np.asarray(z) >= 0).astype(int)", "np.asarray(z) >= 0")],
        fails=("step_values", "step_hidden", "tlu_predict_values", "tlu_predict_hidden"),
    ),
    # sigmoid (tanh is built on it in the reference: its tests see sigmoid's mistakes too)
    "sigmoid-naive": Mutant(
        "sigmoid",
        "sigmoid-overflow",
        source="def sigmoid(z):\n    return 1 / (1 + np.exp(-np.asarray(z, dtype=float)))\n",
        fails=("sigmoid_hidden", "tanh_hidden"),
    ),
    "sigmoid-sign": Mutant(
        "sigmoid",
        "sigmoid-values",
        patch=[
            (
                "return np.where(z >= 0, 1 / (1 + e), e / (1 + e))",
                "return np.where(z >= 0, e / (1 + e), 1 / (1 + e))",
            )
        ],
        fails=("sigmoid_values", "sigmoid_hidden", "tanh_values", "tanh_hidden"),
    ),
    # tanh
    "tanh-naive": Mutant(
        "tanh",
        "tanh-overflow",
        source="def tanh(z):\n    z = np.asarray(z, dtype=float)\n    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))\n",
    ),
    "tanh-scale": Mutant(
        "tanh",
        "tanh-values",
        patch=[
            (
                "2 * sigmoid(2 * np.asarray(z, dtype=float)) - 1",
                "2 * sigmoid(np.asarray(z, dtype=float)) - 1",
            )
        ],
    ),
    # relu
    "relu-abs": Mutant(
        "relu",
        "relu-values",
        patch=[
            ("np.maximum(0.0, np.asarray(z, dtype=float))", "np.abs(np.asarray(z, dtype=float))")
        ],
    ),
    "relu-scipy": Mutant(
        "relu",
        "numpy-only",
        source="def relu(z):\n    import scipy.special  # noqa: F401  (not NumPy only)\n    return np.maximum(0.0, np.asarray(z, dtype=float))\n",
    ),
    # leaky_relu
    "leaky-default": Mutant(
        "leaky_relu",
        "leaky-alpha",
        patch=[("def leaky_relu(z, alpha=0.1):", "def leaky_relu(z, alpha=0.01):")],
        fails=("leaky_relu_values", "leaky_relu_hidden"),
    ),
    "leaky-ignores-alpha": Mutant(
        "leaky_relu",
        "leaky-negative",
        patch=[("np.where(z >= 0, z, alpha * z)", "np.where(z >= 0, z, 0.1 * z)")],
        fails=("leaky_relu_hidden",),
    ),
    # elu
    "elu-naive": Mutant(
        "elu",
        "elu-overflow",
        patch=[("alpha * np.expm1(np.minimum(z, 0.0))", "alpha * (np.exp(z) - 1)")],
    ),
    "elu-no-minus-one": Mutant(
        "elu",
        "elu-values",
        patch=[("alpha * np.expm1(np.minimum(z, 0.0))", "alpha * np.exp(np.minimum(z, 0.0))")],
    ),
    "elu-ignores-alpha": Mutant(
        "elu",
        "elu-alpha",
        patch=[("alpha * np.expm1(np.minimum(z, 0.0))", "np.expm1(np.minimum(z, 0.0))")],
    ),
    # tlu_predict
    "tlu-minus-bias": Mutant(
        "tlu_predict", "tlu-rule", patch=[("return step(X @ w + b)", "return step(X @ w - b)")]
    ),
    "tlu-no-shape-check": Mutant(
        "tlu_predict",
        "tlu-shapes",
        patch=[("    if w.shape != (X.shape[1],):\n", "    if False:\n")],
    ),
    # logic_gate
    "gate-and-bias": Mutant(
        "logic_gate", "gate-and", patch=[('"and": ([1.0, 1.0], -1.5)', '"and": ([1.0, 1.0], -0.5)')]
    ),
    "gate-not-two-weights": Mutant(
        "logic_gate", "gate-or-not", patch=[('"not": ([-1.0], 0.5)', '"not": ([-1.0, 0.0], 0.5)')]
    ),
    "gate-unknown-silent": Mutant(
        "logic_gate",
        "gate-unknown",
        patch=[
            (
                "    if name not in gates:\n        raise",
                "    if name not in gates:\n        return np.zeros(2), 0.0\n        raise",
            )
        ],
    ),
    # perceptron_fit
    "perceptron-no-shuffle": Mutant(
        "perceptron_fit",
        "perceptron-shuffle",
        patch=[("for i in rng.permutation(len(X)):", "for i in range(len(X)):")],
    ),
    "perceptron-no-stop": Mutant(
        "perceptron_fit",
        "perceptron-stop",
        patch=[("        if num_errors == 0:\n            break\n", "")],
    ),
    "perceptron-wrong-sign": Mutant(
        "perceptron_fit",
        "perceptron-rule",
        patch=[
            ("update = learning_rate * (y[i] - y_hat)", "update = learning_rate * (y_hat - y[i])")
        ],
        fails=("perceptron_fit_and", "perceptron_fit_converges", "perceptron_fit_exact"),
    ),
    "perceptron-count-after-update": Mutant(
        "perceptron_fit",
        "perceptron-count",
        patch=[
            (
                "            num_errors += int(y_hat != y[i])\n",
                "            num_errors += int(step(X[i] @ w + b) != y[i])\n",
            )
        ],
    ),
    "perceptron-zero-rate": Mutant(
        "perceptron_fit",
        "perceptron-learning-rate",
        patch=[("if not learning_rate > 0:", "if not learning_rate >= 0:")],
        fails=("perceptron_fit_and",),
        why="the visible test tries learning_rate=0, the hidden one -0.5",
    ),
    "perceptron-zero-epochs": Mutant(
        "perceptron_fit",
        "perceptron-epochs",
        patch=[("or num_epochs < 1\n", "or num_epochs < 0\n")],
    ),
    "perceptron-any-labels": Mutant(
        "perceptron_fit",
        "perceptron-labels",
        patch=[("if not np.isin(y, (0, 1)).all():", "if False:")],
    ),
    # build_xor_mlp
    "xor-relu-output": Mutant(
        "build_xor_mlp",
        "xor-output",
        patch=[
            (
                'keras.layers.Dense(1, activation="sigmoid")',
                'keras.layers.Dense(1, activation="relu")',
            )
        ],
        fails=("xor_mlp_architecture", "xor_mlp_solves_xor", "xor_mlp_hidden"),
    ),
    "xor-no-hidden": Mutant(
        "build_xor_mlp",
        "xor-hidden",
        patch=[('            keras.layers.Dense(8, activation="tanh"),\n', "")],
    ),
    "xor-not-compiled": Mutant(
        "build_xor_mlp",
        "xor-compiled",
        patch=[("    model.compile(\n", "    model.compile_later = dict(\n")],
        fails=("xor_mlp_architecture", "xor_mlp_solves_xor", "xor_mlp_hidden"),
        why="the given training cell cannot fit a model that was never compiled",
    ),
}

# Every variant is graded in a segment of its own (UNIT, tests/mutants/__init__.py), with its
# own copies of the tests it can change: step's mutants also fail the tests of the cells that
# call step (their `fails` say which), and nothing else in the notebook needs them.
UNIT = tuple(MUTANTS)

ALTERNATIVES = {
    "step-where": Alternative(
        "step", source="def step(z):\n    return np.where(np.asarray(z) >= 0, 1, 0)\n"
    ),
    "step-heaviside": Alternative(
        "step",
        source="def step(z):\n    return np.heaviside(np.asarray(z, dtype=float), 1.0).astype(np.int64)\n",
    ),
    "sigmoid-logaddexp": Alternative(
        "sigmoid",
        source="def sigmoid(z):\n    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))\n",
    ),
    "sigmoid-tanh": Alternative(
        "sigmoid",
        source="def sigmoid(z):\n    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))\n",
    ),
    "tanh-numpy": Alternative(
        "tanh", source="def tanh(z):\n    return np.tanh(np.asarray(z, dtype=float))\n"
    ),
    "tanh-stable-exp": Alternative(
        "tanh",
        source=(
            "def tanh(z):\n    z = np.asarray(z, dtype=float)\n    e = np.exp(-2 * np.abs(z))\n"
            "    return np.sign(z) * (1 - e) / (1 + e)\n"
        ),
    ),
    "relu-where": Alternative(
        "relu",
        source="def relu(z):\n    z = np.asarray(z, dtype=float)\n    return np.where(z > 0, z, 0.0)\n",
    ),
    "relu-clip": Alternative(
        "relu", source="def relu(z):\n    return np.clip(np.asarray(z, dtype=float), 0.0, None)\n"
    ),
    "leaky-maximum": Alternative(
        "leaky_relu",
        source="def leaky_relu(z, alpha=0.1):\n    z = np.asarray(z, dtype=float)\n    return np.maximum(z, 0) + alpha * np.minimum(z, 0)\n",
    ),
    "leaky-mask": Alternative(
        "leaky_relu",
        source="def leaky_relu(z, alpha=0.1):\n    z = np.array(z, dtype=float)\n    z[z < 0] *= alpha\n    return z\n",
    ),
    "elu-clip-exp": Alternative(
        "elu",
        source="def elu(z, alpha=1.0):\n    z = np.asarray(z, dtype=float)\n    return np.where(z > 0, z, alpha * (np.exp(np.minimum(z, 0)) - 1))\n",
    ),
    "elu-mask": Alternative(
        "elu",
        source=(
            "def elu(z, alpha=1.0):\n    z = np.array(z, dtype=float)\n    negative = z < 0\n"
            "    z[negative] = alpha * np.expm1(z[negative])\n    return z\n"
        ),
    ),
    "tlu-dot": Alternative(
        "tlu_predict",
        source=(
            "def tlu_predict(X, w, b):\n    X, w = np.asarray(X, dtype=float), np.asarray(w, dtype=float)\n"
            "    if X.ndim != 2 or w.ndim != 1 or len(w) != X.shape[1]:\n"
            "        raise ValueError(f'shapes do not fit: X.shape={X.shape}, w.shape={w.shape}')\n"
            "    return (np.dot(X, w) + b >= 0).astype(int)\n"
        ),
    ),
    "tlu-loop": Alternative(
        "tlu_predict",
        source=(
            "def tlu_predict(X, w, b):\n    X, w = np.asarray(X, dtype=float), np.asarray(w, dtype=float)\n"
            "    if X.ndim != 2:\n        raise ValueError(f'X must be 2-D, got shape {X.shape}')\n"
            "    if w.shape != (X.shape[1],):\n"
            "        raise ValueError(f'X.shape={X.shape} and w.shape={w.shape} do not match')\n"
            "    return np.array([int(sum(x * v for x, v in zip(row, w)) + b >= 0) for row in X], dtype=int)\n"
        ),
    ),
    "gate-if": Alternative(
        "logic_gate",
        source=(
            "def logic_gate(name):\n    if name == 'and':\n        return np.array([0.5, 0.5]), -0.75\n"
            "    if name == 'or':\n        return np.array([2.0, 2.0]), -1.0\n"
            "    if name == 'not':\n        return np.array([-2.0]), 1.0\n"
            "    raise ValueError(f'no gate {name!r}; choose one of and, or, not')\n"
        ),
    ),
    "gate-match": Alternative(
        "logic_gate",
        source=(
            "def logic_gate(name):\n    match name:\n        case 'and':\n            return np.ones(2), -2.0\n"
            "        case 'or':\n            return np.ones(2), -1.0\n        case 'not':\n            return -np.ones(1), 0.0\n"
            "    raise ValueError(f\"{name!r} is not one of 'and', 'or', 'not'\")\n"
        ),
    ),
    "perceptron-indexing": Alternative(
        "perceptron_fit",
        patch=[
            (
                "        for i in rng.permutation(len(X)):\n            y_hat = step(X[i] @ w + b)\n",
                "        order = rng.permutation(X.shape[0])\n        for i in order:\n            y_hat = 1 if float(np.dot(X[i], w)) + b >= 0 else 0\n",
            )
        ],
    ),
    "perceptron-while": Alternative(
        "perceptron_fit",
        patch=[
            (
                "    for _ in range(num_epochs):\n",
                "    epoch = 0\n    while epoch < num_epochs:\n        epoch += 1\n",
            )
        ],
    ),
    "xor-functional": Alternative(
        "build_xor_mlp",
        source=(
            "def build_xor_mlp():\n    inputs = keras.Input(shape=(2,))\n"
            "    hidden = keras.layers.Dense(16, activation='tanh')(inputs)\n"
            "    outputs = keras.layers.Dense(1, activation='sigmoid')(hidden)\n"
            "    model = keras.Model(inputs, outputs)\n"
            "    model.compile(optimizer=keras.optimizers.Adam(0.05), loss='binary_crossentropy', metrics=['accuracy'])\n"
            "    return model\n"
        ),
    ),
    "xor-relu-hidden": Alternative(
        "build_xor_mlp",
        patch=[
            (
                'keras.layers.Dense(8, activation="tanh")',
                'keras.layers.Dense(16, activation="relu")',
            )
        ],
    ),
}

UNIT += tuple(ALTERNATIVES)
