"""a05_transfer: requirements, mutants and correct alternatives (see tests/mutants/__init__.py).

Every submission fine-tunes a model and trains two baselines, so the suite is four rounds: two
mutants and two alternatives per solution cell. The alternatives of the training cell make
other choices the notebook allows (where to cut, what to freeze, the optimizer, the epochs),
so that the thresholds are checked to hold for more than the reference's choice.
A finer suite, 26 mutants for one sentence of the notebook each (the InputLayer of a
Functional model, negative and past-the-end indices, the head's names, not compiled, ...),
was graded once on 2026-12-07 (17 submissions, 8.8 minutes): every submission lost exactly its
mutants' tests and every alternative got full marks.
"""

from mutants import Alternative, Mutant, Requirement

FINETUNED = ("finetuned_validation", "finetuned_held_out")

REQUIREMENTS = {
    # freeze_layers
    "freeze-others-trainable": Requirement(
        "`trainable = True` on all the others (so that calling it again with another `n` undoes"
        " an earlier call)",
        ("freeze_layers_basic", "freeze_layers_hidden"),
    ),
    "freeze-message": Requirement(
        "raise a `ValueError` whose message contains the received value (for example `n=-1`) and"
        " the allowed range otherwise",
        ("freeze_layers_bad_input",),
    ),
    # build_finetune_model
    "cut-no-negative": Requirement(
        "Negative indices are not allowed.", ("build_finetune_model_bad_input",)
    ),
    "shares-weights": Requirement(
        "The new model **shares** the layers (and so the weights) of `pretrained`: nothing is"
        " copied.",
        ("build_finetune_model_basic", "build_finetune_model_hidden"),
    ),
    # the fine-tuned model
    "finetuned-made-by-builder": Requirement(
        "a model made by your `build_finetune_model` from the reference CNN", FINETUNED
    ),
    "finetuned-margin": Requirement(
        "`finetuned` must be right at least **5 percentage points more often** than the"
        " from-scratch baseline above",
        FINETUNED,
    ),
}

MUTANTS = {
    # freeze_layers
    "freeze-never-unfreezes": Mutant(
        "freeze_layers",
        "freeze-others-trainable",
        patch=[
            (
                "    for index, layer in enumerate(model.layers):\n        layer.trainable = index >= n\n",
                "    for layer in model.layers[:n]:\n        layer.trainable = False\n",
            )
        ],
    ),
    "freeze-message-without-range": Mutant(
        "freeze_layers",
        "freeze-message",
        patch=[
            (
                'f"n must be an integer from 0 to {num_layers} (the number of layers of the "\n'
                '            f"model). Received: n={n!r}."',
                'f"n is not a valid number of layers to freeze. Received: n={n!r}."',
            )
        ],
    ),
    # build_finetune_model
    "cut-negative-index": Mutant(
        "build_finetune_model",
        "cut-no-negative",
        patch=[
            ("if not 0 <= value < len(names):", "if not -len(names) <= value < len(names):"),
            ("return int(value)\n", "return int(value) % len(names)\n"),
        ],
    ),
    "copies-weights": Mutant(
        "build_finetune_model",
        "shares-weights",
        patch=[
            (
                "    names = [layer.name for layer in pretrained.layers]\n",
                "    copy = keras.models.clone_model(pretrained)\n"
                "    copy.set_weights(pretrained.get_weights())\n"
                "    pretrained = copy\n"
                "    names = [layer.name for layer in pretrained.layers]\n",
            )
        ],
    ),
    # train_finetuned
    "finetuned-by-hand": Mutant(
        "train_finetuned",
        "finetuned-made-by-builder",
        patch=[
            (
                'finetuned = build_finetune_model(load_reference_cnn(), "pool3", 10, freeze_up_to="pool3")\n',
                "reference = load_reference_cnn()\n"
                "for layer in reference.layers:\n    layer.trainable = False\n"
                'features = keras.layers.Flatten()(reference.get_layer("pool3").output)\n'
                'outputs = keras.layers.Dense(10, activation="softmax")(features)\n'
                "finetuned = keras.Model(reference.inputs[0], outputs)\n",
            )
        ],
    ),
    "finetuned-three-epochs": Mutant(
        "train_finetuned",
        "finetuned-margin",
        patch=[("    epochs=40,\n", "    epochs=3,\n")],
    ),
}

ALONE = ()

ALTERNATIVES = {
    "freeze-slices": Alternative(
        "freeze_layers",
        source=(
            "def freeze_layers(model, n):\n"
            "    layers = model.layers\n"
            "    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0 or n > len(layers):\n"
            '        raise ValueError(f"n={n} is not a number of layers between 0 and {len(layers)}")\n'
            "    for layer in layers[:n]:\n"
            "        layer.trainable = False\n"
            "    for layer in layers[n:]:\n"
            "        layer.trainable = True\n"
            "    return model\n"
        ),
    ),
    "freeze-numbers-integral": Alternative(
        "freeze_layers",
        source=(
            "import numbers\n\n\n"
            "def freeze_layers(model, n):\n"
            "    count = len(model.layers)\n"
            "    if not isinstance(n, numbers.Integral) or isinstance(n, bool):\n"
            '        raise ValueError(f"n must be an int in range(0, {count + 1}), got {n!r}")\n'
            "    if n < 0 or n > count:\n"
            '        raise ValueError(f"n must be in range(0, {count + 1}), got n={n}")\n'
            "    i = 0\n"
            "    while i < count:\n"
            "        model.layers[i].trainable = i >= n\n"
            "        i += 1\n"
            "    return model\n"
        ),
    ),
    "build-flag-loop": Alternative(
        "build_finetune_model",
        source=(
            "def build_finetune_model(pretrained, cut_layer, num_classes, *, freeze_up_to):\n"
            "    layers = pretrained.layers\n"
            "\n"
            "    def find(argument, key):\n"
            "        if isinstance(key, str):\n"
            "            for position, layer in enumerate(layers):\n"
            "                if layer.name == key:\n"
            "                    return position\n"
            '            raise ValueError(f"{argument}: no layer is called {key!r}")\n'
            "        if isinstance(key, bool) or not isinstance(key, int):\n"
            '            raise ValueError(f"{argument} must be a str or an int, not {key!r}")\n'
            "        if key < 0 or key >= len(layers):\n"
            '            raise ValueError(f"{argument}={key} is out of range(0, {len(layers)})")\n'
            "        return key\n"
            "\n"
            '    cut = find("cut_layer", cut_layer)\n'
            '    last_frozen = None if freeze_up_to is None else find("freeze_up_to", freeze_up_to)\n'
            "    if last_frozen is not None and last_frozen > cut:\n"
            "        raise ValueError(\n"
            '            f"cannot freeze up to {freeze_up_to!r}: it comes after the cut at {cut_layer!r}"\n'
            "        )\n"
            "    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes <= 0:\n"
            '        raise ValueError(f"num_classes={num_classes} is not a positive integer")\n'
            "    frozen = last_frozen is not None\n"
            "    for position in range(cut + 1):\n"
            "        layers[position].trainable = not frozen\n"
            "        if position == last_frozen:\n"
            "            frozen = False\n"
            "    x = layers[cut].output\n"
            "    if len(x.shape) > 2:\n"
            '        x = keras.layers.Flatten(name="head_flatten")(x)\n'
            '    x = keras.layers.Dense(num_classes, activation="softmax", name="head")(x)\n'
            '    return keras.Model(inputs=pretrained.inputs[0], outputs=x, name="finetune")\n'
        ),
    ),
    "build-get-layer": Alternative(
        "build_finetune_model",
        source=(
            "def build_finetune_model(pretrained, cut_layer, num_classes, *, freeze_up_to):\n"
            "    index_of = {layer.name: i for i, layer in enumerate(pretrained.layers)}\n"
            "    count = len(pretrained.layers)\n"
            "\n"
            "    def position(value, what):\n"
            "        if isinstance(value, str) and value in index_of:\n"
            "            return index_of[value]\n"
            "        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):\n"
            "            if 0 <= value < count:\n"
            "                return int(value)\n"
            "        raise ValueError(\n"
            '            f"{what}={value!r} is neither a layer name nor an index from 0 to {count - 1}"\n'
            "        )\n"
            "\n"
            "    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:\n"
            '        raise ValueError(f"num_classes must be at least 1, got num_classes={num_classes!r}")\n'
            '    cut = position(cut_layer, "cut_layer")\n'
            '    stop = 0 if freeze_up_to is None else position(freeze_up_to, "freeze_up_to") + 1\n'
            "    if stop > cut + 1:\n"
            '        raise ValueError(f"freeze_up_to={freeze_up_to!r} is after cut_layer={cut_layer!r}")\n'
            "    for layer in pretrained.layers[:stop]:\n"
            "        layer.trainable = False\n"
            "    for layer in pretrained.layers[stop : cut + 1]:\n"
            "        layer.trainable = True\n"
            "    features = pretrained.get_layer(index=cut).output\n"
            "    if features.ndim > 2:\n"
            '        features = keras.layers.Flatten(name="head_flatten")(features)\n'
            "    head = keras.layers.Dense(\n"
            '        units=int(num_classes), activation=keras.activations.softmax, name="head"\n'
            "    )\n"
            '    return keras.Model(pretrained.inputs[0], head(features), name="finetune")\n'
        ),
    ),
    "finetuned-by-index": Alternative(
        "train_finetuned",
        source=(
            "coursekit.set_seed(SEED)\n"
            "pretrained = load_reference_cnn()\n"
            "finetuned = build_finetune_model(pretrained, 14, 10, freeze_up_to=14)  # 14 is pool3\n"
            'finetuned.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])\n'
            "history = finetuned.fit(\n"
            "    x_small,\n"
            "    y_small,\n"
            "    validation_data=(x_val, y_val),\n"
            "    epochs=30,\n"
            "    batch_size=10,\n"
            "    callbacks=[time_budget(60)],\n"
            "    verbose=0,\n"
            ")\n"
        ),
        why="the cut and the frozen part by index, smaller batches, fewer epochs",
    ),
    "finetuned-earlier-cut": Alternative(
        "train_finetuned",
        source=(
            "coursekit.set_seed(SEED)\n"
            "# digits are not clothes: keep fewer pre-trained layers (cut before pool3), all frozen\n"
            'finetuned = build_finetune_model(load_reference_cnn(), "relu4", 10, freeze_up_to="relu4")\n'
            "finetuned.compile(\n"
            "    optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),\n"
            '    loss="sparse_categorical_crossentropy",\n'
            '    metrics=["accuracy"],\n'
            ")\n"
            "history = finetuned.fit(\n"
            "    x_small,\n"
            "    y_small,\n"
            "    validation_data=(x_val, y_val),\n"
            "    epochs=40,\n"
            "    batch_size=16,\n"
            "    callbacks=[time_budget(60)],\n"
            "    verbose=0,\n"
            ")\n"
        ),
        why="the rule of thumb for a far task: cut at relu4 (7 x 7 x 128 maps), RMSprop; measured "
        "4.3 points above the baseline on validation (the visible test asks 2), 9.0 on the "
        "held-out digits (the hidden test asks 5)",
    ),
}
