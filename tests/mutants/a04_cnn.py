"""a04_cnn: requirements, mutants and correct alternatives (see tests/mutants/__init__.py).

A training assignment: every whole-notebook submission trains a CNN (about a minute on 2
cores), so the whole notebook keeps its 4 rounds, set by the training cell's 3 mutants and 1
alternative; 2 mutants and the 2 alternatives of each graded function ride along with them.

build_cnn, feature_map_model and activation_maximization need no training (feature maps and
activation maximisation use the course's pre-trained reference CNN), so their other mutants
are graded in the unit notebook (``UNIT``): one requirement per sentence of the notebook that
states one (the signature's defaults, every row of build_cnn's layer table, the input, the
optimizer, the loss, the metric; Sequential or Functional models, model.inputs[0], shared
layers, tuples, unknown names; the 4-D layer, integer filter_index and steps, the start
``0.5 + 0.1 * noise``, inference mode, the mean of the one channel, the normalised gradient,
the climb, the clip, the shape, the same image for the same random_state). Each is graded in a
segment of its own (two unit submissions hold them all). A segment costs about as much as its
tests: the reference CNN travels to the student process with every call, where the student
side keeps it while no call changes it (``coursekit.grader.student.ModelCache``).
build_cnn's conv2 mutant shows in feature_map_model's hidden test (it reads a build_cnn
model's conv2 maps): build_cnn's segments hold a copy of that test.

In all: 35 requirements, 39 mutants (30 in the unit notebook), 7 alternatives; 4
whole-notebook and 2 unit submissions (30 segments), graded on 2 cores on 2026-12-08 in 163 s
(the whole-notebook rounds took 27-40 s each, the unit submissions 52-60 s): every submission
lost exactly its mutants' tests, every alternative got full marks. The reference CNN is the
grader's own (the setup cell loads it), so a mutant that changes it in the student process
(``ascent-training-mode`` updates batch normalisation's statistics) cannot change what a later
segment's tests measure.
"""

from mutants import Alternative, Mutant, Requirement

D, H = "build_cnn_default", "build_cnn_hidden"
S, F = "feature_map_model_shapes", "feature_map_model_hidden"
AB, AH = "activation_maximization_basic", "activation_maximization_hidden"
B = "activation_maximization_bad_input"
MODEL_TESTS = ("model_trained", "model_test_accuracy")

REQUIREMENTS = {
    # build_cnn
    "cnn-sequential-compiled": Requirement(
        "It returns a **compiled** `keras.Sequential` model", (D, H)
    ),
    "cnn-defaults": Requirement(
        "Write `build_cnn(input_shape=(28, 28, 1), num_classes=10, *, num_filters=32,"
        " dropout_rate=0.25)`",
        (D, H),
    ),
    "cnn-layers": Requirement("with exactly these layers, in this order, with these names", (D, H)),
    "cnn-conv1": Requirement(
        '`conv1` | `Conv2D` with `num_filters` filters of 3 × 3, `padding="same"`, ReLU', (D, H)
    ),
    "cnn-pool1": Requirement("`pool1` | `MaxPooling2D` 2 × 2", (D, H)),
    "cnn-conv2": Requirement("`conv2` | `Conv2D` with `2 * num_filters` filters of 3 × 3", (D, H)),
    "cnn-pool2": Requirement("`pool2` | `MaxPooling2D` 2 × 2", (D, H)),
    "cnn-flatten": Requirement("`flatten` | `Flatten`", (D, H)),
    "cnn-dropout": Requirement("`dropout` | `Dropout` with rate `dropout_rate`", (H,)),
    "cnn-predictions": Requirement(
        "`predictions` | `Dense` with `num_classes` units and softmax", (H,)
    ),
    "cnn-input": Requirement("Start it with `keras.Input(shape=input_shape)`", (H,)),
    "cnn-optimizer": Requirement(
        "Compile it with `keras.optimizers.Adam(learning_rate=1e-3)`", (H,)
    ),
    "cnn-loss": Requirement(
        '`loss="sparse_categorical_crossentropy"` (the labels are integers 0–9, not one-hot'
        " vectors)",
        (H,),
    ),
    "cnn-metrics": Requirement('and `metrics=["accuracy"]`', (H,)),
    # the trained model
    "model-made-by-build-cnn": Requirement(
        "Train a model made by your `build_cnn`", ("model_trained",)
    ),
    "model-threshold": Requirement(
        "the trained model must classify **at least 80 %** of the held-out images correctly",
        MODEL_TESTS,
    ),
    "model-validation-history": Requirement(
        "with `validation_data=(x_val, y_val)`, and store it in the variable `model`",
        ("model_trained",),
    ),
    # feature_map_model
    "maps-sequential-or-functional": Requirement(
        "`model` is a built Keras model (Sequential or Functional)", (F,)
    ),
    "maps-model-inputs": Requirement(
        "Use `model.inputs[0]`, the model's one input tensor.", (S, F)
    ),
    "maps-shared": Requirement(
        "The new model shares the layers, and so the trained weights, of the original; nothing"
        " is copied or retrained.",
        (S,),
    ),
    "maps-in-order": Requirement(
        "whose outputs are the outputs of those layers (`model.get_layer(name).output`), **in the"
        " order of `layer_names`**",
        (S, F),
    ),
    "maps-bad-names": Requirement(
        "raise a `ValueError` naming the received value when `layer_names` is not a non-empty"
        " list (or tuple) of strings",
        (F,),
    ),
    "maps-unknown-name": Requirement("or when a name is not a layer of `model`", (F,)),
    # activation_maximization
    "ascent-layer": Requirement(
        "`layer_name` must name a layer of `model` with a 4-D output (batch, height, width,"
        " channels)",
        (B,),
    ),
    "ascent-filter-index": Requirement(
        "`filter_index` must be an integer in `[0, channels)`", (B,)
    ),
    "ascent-arguments": Requirement(
        "`steps` a positive integer, `learning_rate` a positive number. Raise a `ValueError`"
        " naming the received value otherwise.",
        (B,),
    ),
    "ascent-start": Requirement(
        "Start from `x = 0.5 + 0.1 * noise`, with the noise drawn by"
        " `np.random.default_rng(random_state).standard_normal(...)`",
        (AH,),
    ),
    "ascent-steps": Requirement("Repeat `steps` times: inside a `tf.GradientTape`", (AB, AH)),
    "ascent-inference": Requirement(
        "call the model with `training=False`, so that batch normalisation and dropout work in"
        " inference mode",
        (AH,),
    ),
    "ascent-one-channel": Requirement(
        "the **mean over height and width** of channel `filter_index`", (AB, AH)
    ),
    "ascent-normalised": Requirement(
        "divide the gradient by its root mean square plus `1e-8`", (AB, AH)
    ),
    "ascent-climb": Requirement(
        "take the step `x + learning_rate * gradient` (plus: we climb)", (AB, AH)
    ),
    "ascent-clip": Requirement("and clip `x` to $[0, 1]$ again", (AB,)),
    "ascent-return": Requirement(
        "Return the image as a NumPy array of shape `(height, width, channels)`, values in"
        " $[0, 1]$.",
        (AB, AH),
    ),
    "ascent-repeatable": Requirement("The same `random_state` must give the same image.", (AH,)),
}

MUTANTS = {
    # build_cnn, graded with the whole notebook (training does not notice them)
    "cnn-average-pooling": Mutant(
        "build_cnn",
        "cnn-pool1",
        patch=[
            ('layers.MaxPooling2D(2, name="pool1")', 'layers.AveragePooling2D(2, name="pool1")')
        ],
        fails=(H,),
        why="same shapes and parameters: only the class of pool1 shows it",
    ),
    "cnn-rmsprop": Mutant(
        "build_cnn",
        "cnn-optimizer",
        patch=[
            (
                "optimizer=keras.optimizers.Adam(learning_rate=1e-3)",
                "optimizer=keras.optimizers.RMSprop(learning_rate=1e-3)",
            )
        ],
    ),
    # build_cnn, graded in the unit notebook (conv2's mutant in the round of maps-model-input,
    # which fails the visible feature_map_model test too)
    "cnn-not-compiled": Mutant(
        "build_cnn",
        "cnn-sequential-compiled",
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
    ),
    "cnn-flatten-unnamed": Mutant(
        "build_cnn",
        "cnn-layers",
        patch=[('layers.Flatten(name="flatten")', "layers.Flatten()")],
        # Graded in a segment (UNIT), where build_cnn_default makes the process's first
        # Flatten, which Keras does name "flatten"; the hidden test's second model is
        # "flatten_1". (In the whole notebook the training cell made the first, and both fail.)
        fails=(H,),
        why="Keras names it flatten_1, flatten_2...: the student process has made a Flatten before",
    ),
    "cnn-conv2-same-filters": Mutant(
        "build_cnn",
        "cnn-conv2",
        patch=[("layers.Conv2D(2 * num_filters, 3,", "layers.Conv2D(num_filters, 3,")],
        fails=(D, H, F),
        why="feature_map_model's hidden test reads conv2's maps of a build_cnn model",
    ),
    "cnn-fixed-dropout": Mutant(
        "build_cnn",
        "cnn-dropout",
        patch=[
            ('layers.Dropout(dropout_rate, name="dropout")', 'layers.Dropout(0.25, name="dropout")')
        ],
    ),
    "cnn-conv1-linear": Mutant(
        "build_cnn",
        "cnn-conv1",
        patch=[
            (
                'layers.Conv2D(num_filters, 3, padding="same", activation="relu", name="conv1")',
                'layers.Conv2D(num_filters, 3, padding="same", name="conv1")',
            )
        ],
        fails=(H,),
    ),
    "cnn-no-softmax": Mutant(
        "build_cnn",
        "cnn-predictions",
        patch=[
            (
                'layers.Dense(num_classes, activation="softmax", name="predictions")',
                'layers.Dense(num_classes, name="predictions")',
            )
        ],
    ),
    "cnn-fixed-input": Mutant(
        "build_cnn",
        "cnn-input",
        patch=[("keras.Input(shape=input_shape),", "keras.Input(shape=(28, 28, 1)),")],
    ),
    "cnn-categorical-loss": Mutant(
        "build_cnn",
        "cnn-loss",
        patch=[('loss="sparse_categorical_crossentropy"', 'loss="categorical_crossentropy"')],
        why="integer labels against 10 probabilities: evaluate raises",
    ),
    "cnn-default-16-filters": Mutant(
        "build_cnn",
        "cnn-defaults",
        patch=[("num_filters=32, dropout_rate=0.25):", "num_filters=16, dropout_rate=0.25):")],
        fails=(D,),
        why="the hidden tests pass num_filters; the visible one counts the default's parameters",
    ),
    "cnn-default-dropout-half": Mutant(
        "build_cnn",
        "cnn-defaults",
        patch=[("num_filters=32, dropout_rate=0.25):", "num_filters=32, dropout_rate=0.5):")],
        fails=(H,),
        why="dropout has no parameters: only the default model's rate shows it",
    ),
    "cnn-pool2-average": Mutant(
        "build_cnn",
        "cnn-pool2",
        patch=[
            ('layers.MaxPooling2D(2, name="pool2")', 'layers.AveragePooling2D(2, name="pool2")')
        ],
        fails=(H,),
        why="same shapes and parameters: only the class of pool2 shows it",
    ),
    "cnn-flatten-global-pooling": Mutant(
        "build_cnn",
        "cnn-flatten",
        patch=[('layers.Flatten(name="flatten")', 'layers.GlobalAveragePooling2D(name="flatten")')],
        why="64 numbers instead of 7 x 7 x 64 reach the Dense layer: fewer parameters",
    ),
    "cnn-no-metrics": Mutant(
        "build_cnn",
        "cnn-metrics",
        patch=[('        metrics=["accuracy"],\n', "")],
    ),
    # train_model
    "model-by-hand": Mutant(
        "train_model",
        "model-made-by-build-cnn",
        patch=[
            (
                "model = build_cnn(num_filters=16)\n",
                "model = keras.Sequential(\n"
                "    [\n"
                "        keras.Input(shape=(28, 28, 1)),\n"
                '        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),\n'
                "        keras.layers.MaxPooling2D(2),\n"
                '        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),\n'
                "        keras.layers.MaxPooling2D(2),\n"
                "        keras.layers.Flatten(),\n"
                '        keras.layers.Dense(10, activation="softmax"),\n'
                "    ]\n"
                ")\n"
                'model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])\n',
            )
        ],
        why="its layers are not named as build_cnn names them",
    ),
    "model-one-short-epoch": Mutant(
        "train_model",
        "model-threshold",
        patch=[("    epochs=3,\n    batch_size=64,\n", "    epochs=1,\n    batch_size=512,\n")],
    ),
    "model-no-validation": Mutant(
        "train_model",
        "model-validation-history",
        patch=[("    validation_data=(x_val, y_val),\n", "")],
    ),
    # feature_map_model, graded with the whole notebook
    "maps-model-order": Mutant(
        "feature_map_model",
        "maps-in-order",
        patch=[
            (
                "outputs = [model.get_layer(name).output for name in layer_names]",
                "outputs = [layer.output for layer in model.layers if layer.name in layer_names]",
            )
        ],
        fails=(F,),
        why="the visible test asks for relu1 and relu4, already in the model's order",
    ),
    "maps-no-type-check": Mutant(
        "feature_map_model",
        "maps-bad-names",
        patch=[
            (
                "        not isinstance(layer_names, list | tuple)\n        or len(layer_names) == 0",
                "        len(layer_names) == 0",
            )
        ],
        why="a string is taken letter by letter: the error names 'f', not 'features'",
    ),
    # feature_map_model, graded in the unit notebook
    "maps-sequential-chain": Mutant(
        "feature_map_model",
        "maps-sequential-or-functional",
        patch=[
            (
                "    outputs = [model.get_layer(name).output for name in layer_names]\n"
                "    return keras.Model(inputs=model.inputs[0], outputs=outputs)\n",
                "    x = inputs = keras.Input(shape=model.input_shape[1:])\n"
                "    found = {}\n"
                "    for layer in model.layers:\n"
                "        x = found[layer.name] = layer(x)\n"
                "    return keras.Model(inputs, [found[name] for name in layer_names])\n",
            )
        ],
        why="calls the same layers one after the other: right for a Sequential model only",
    ),
    "maps-layer-inputs": Mutant(
        "feature_map_model",
        "maps-in-order",
        patch=[("model.get_layer(name).output for", "model.get_layer(name).input for")],
        fails=(F,),
        why="relu1's and relu4's inputs have their outputs' shapes: only the values show it",
    ),
    "maps-model-input": Mutant(
        "feature_map_model",
        "maps-model-inputs",
        patch=[("keras.Model(inputs=model.inputs[0],", "keras.Model(inputs=model.input,")],
        why="a Sequential model that was never called has no model.input",
    ),
    "maps-cloned": Mutant(
        "feature_map_model",
        "maps-shared",
        patch=[
            (
                "    outputs = [model.get_layer(name).output for name in layer_names]\n",
                "    model_copy = keras.models.clone_model(model)\n"
                "    model_copy.set_weights(model.get_weights())\n"
                "    model = model_copy\n"
                "    outputs = [model.get_layer(name).output for name in layer_names]\n",
            )
        ],
        why="the same weights and maps, in a copy of the layers",
    ),
    "maps-lists-only": Mutant(
        "feature_map_model",
        "maps-bad-names",
        patch=[("not isinstance(layer_names, list | tuple)", "not isinstance(layer_names, list)")],
    ),
    "maps-key-error": Mutant(
        "feature_map_model",
        "maps-unknown-name",
        patch=[
            (
                "    known = [layer.name for layer in model.layers]\n"
                "    for name in layer_names:\n"
                "        if name not in known:\n"
                "            raise ValueError(\n"
                "                f\"The model has no layer named {name!r}. Its layers are: {', '.join(known)}.\"\n"
                "            )\n"
                "    outputs = [model.get_layer(name).output for name in layer_names]\n",
                "    by_name = {layer.name: layer for layer in model.layers}\n"
                "    outputs = [by_name[name].output for name in layer_names]\n",
            )
        ],
        why="an unknown name raises a KeyError, not a ValueError",
    ),
    # activation_maximization, graded with the whole notebook
    "ascent-one-step-short": Mutant(
        "activation_maximization",
        "ascent-steps",
        patch=[("for _ in range(steps):", "for _ in range(steps - 1):")],
        fails=(AH,),
        why="99 steps climb almost as high as 100: only the exact one-step image shows it",
    ),
    "ascent-any-learning-rate": Mutant(
        "activation_maximization",
        "ascent-arguments",
        patch=[("        or not learning_rate > 0\n", "")],
    ),
    # activation_maximization, graded in the unit notebook
    "ascent-no-4d-check": Mutant(
        "activation_maximization",
        "ascent-layer",
        patch=[("    if len(output.shape) != 4:\n", "    if len(output.shape) < 2:\n")],
        why="the dense layer's (1, 256) output has a last axis too: the ascent runs",
    ),
    "ascent-filter-index-float": Mutant(
        "activation_maximization",
        "ascent-filter-index",
        patch=[("        or not isinstance(filter_index, int | np.integer)\n", "")],
        why="filter_index=1.5 reaches the slice, which raises a TypeError",
    ),
    "ascent-float-steps": Mutant(
        "activation_maximization",
        "ascent-arguments",
        patch=[("or not isinstance(steps, int | np.integer) or steps < 1", "or steps < 1")],
        why="steps=2.5 reaches range(), which raises a TypeError",
    ),
    "ascent-uniform-start": Mutant(
        "activation_maximization",
        "ascent-start",
        patch=[
            (
                "rng.standard_normal((1, *model.input_shape[1:]))",
                "rng.random((1, *model.input_shape[1:]))",
            )
        ],
        why="a start in [0.5, 0.6]: the climb still works, only the exact one-step image shows it",
    ),
    "ascent-training-mode": Mutant(
        "activation_maximization",
        "ascent-inference",
        patch=[("extractor(x, training=False)", "extractor(x, training=True)")],
        why="batch normalisation uses the statistics of the one image",
    ),
    "ascent-all-channels": Mutant(
        "activation_maximization",
        "ascent-one-channel",
        patch=[
            (
                "            activation = extractor(x, training=False)[..., filter_index]\n",
                "            activation = extractor(x, training=False)\n",
            )
        ],
        why="the mean of every channel: the image excites the layer, not the filter",
    ),
    "ascent-raw-gradient": Mutant(
        "activation_maximization",
        "ascent-normalised",
        patch=[
            (
                "        gradient = gradient / (tf.sqrt(tf.reduce_mean(tf.square(gradient))) + 1e-8)\n",
                "",
            )
        ],
    ),
    "ascent-descent": Mutant(
        "activation_maximization",
        "ascent-climb",
        patch=[("x + learning_rate * gradient", "x - learning_rate * gradient")],
    ),
    "ascent-no-clip": Mutant(
        "activation_maximization",
        "ascent-clip",
        patch=[
            (
                "x.assign(tf.clip_by_value(x + learning_rate * gradient, 0.0, 1.0))",
                "x.assign(x + learning_rate * gradient)",
            )
        ],
    ),
    "ascent-batch-axis": Mutant(
        "activation_maximization",
        "ascent-return",
        patch=[("    return x.numpy()[0]\n", "    return x.numpy()\n")],
    ),
    "ascent-unseeded": Mutant(
        "activation_maximization",
        "ascent-repeatable",
        patch=[("np.random.default_rng(random_state)", "np.random.default_rng()")],
    ),
}

ALONE = ()

ALTERNATIVES = {
    "cnn-add-layers": Alternative(
        "build_cnn",
        source=(
            "def build_cnn(input_shape=(28, 28, 1), num_classes=10, *, num_filters=32, dropout_rate=0.25):\n"
            "    model = keras.Sequential()\n"
            "    model.add(keras.Input(shape=input_shape))\n"
            "    for index, filters in enumerate((num_filters, 2 * num_filters), start=1):\n"
            "        model.add(\n"
            "            keras.layers.Conv2D(\n"
            "                filters=filters,\n"
            "                kernel_size=(3, 3),\n"
            '                padding="same",\n'
            "                activation=keras.activations.relu,\n"
            '                name=f"conv{index}",\n'
            "            )\n"
            "        )\n"
            '        model.add(keras.layers.MaxPooling2D(pool_size=(2, 2), name=f"pool{index}"))\n'
            '    model.add(keras.layers.Flatten(name="flatten"))\n'
            '    model.add(keras.layers.Dropout(rate=dropout_rate, name="dropout"))\n'
            '    model.add(keras.layers.Dense(num_classes, activation="softmax", name="predictions"))\n'
            "    model.compile(\n"
            '        optimizer="adam",\n'
            "        loss=keras.losses.SparseCategoricalCrossentropy(),\n"
            '        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],\n'
            "    )\n"
            "    return model\n"
        ),
        why="model.add in a loop; Adam's default learning rate is 1e-3; loss and metric objects",
    ),
    "cnn-layer-objects": Alternative(
        "build_cnn",
        source=(
            "def build_cnn(input_shape=(28, 28, 1), num_classes=10, *, num_filters=32, dropout_rate=0.25):\n"
            "    from keras import layers, optimizers\n"
            "\n"
            "    conv1 = layers.Conv2D(num_filters, (3, 3), strides=1, padding='same', activation='relu', name='conv1')\n"
            "    conv2 = layers.Conv2D(num_filters * 2, (3, 3), strides=1, padding='same', activation='relu', name='conv2')\n"
            "    model = keras.Sequential(name='my_cnn')\n"
            "    model.add(keras.Input(input_shape))\n"
            "    model.add(conv1)\n"
            "    model.add(layers.MaxPool2D(name='pool1'))\n"
            "    model.add(conv2)\n"
            "    model.add(layers.MaxPool2D(name='pool2'))\n"
            "    model.add(layers.Flatten(name='flatten'))\n"
            "    model.add(layers.Dropout(dropout_rate, name='dropout'))\n"
            "    model.add(layers.Dense(num_classes, activation=keras.activations.softmax, name='predictions'))\n"
            "    model.compile(optimizers.Adam(1e-3), 'sparse_categorical_crossentropy', metrics=['accuracy'])\n"
            "    return model\n"
        ),
        why="MaxPool2D (an alias) with its default 2 x 2; positional compile arguments",
    ),
    "model-wider-larger-batches": Alternative(
        "train_model",
        source=(
            "coursekit.set_seed(SEED)\n"
            "model = build_cnn(num_filters=24, dropout_rate=0.3)\n"
            "history = model.fit(\n"
            "    x_train,\n"
            "    y_train,\n"
            "    validation_data=(x_val, y_val),\n"
            "    epochs=4,\n"
            "    batch_size=128,\n"
            "    callbacks=[time_budget(90)],\n"
            "    verbose=0,\n"
            ")\n"
        ),
        why="another width, dropout rate, batch size and number of epochs within the rules",
    ),
    "maps-keras-errors": Alternative(
        "feature_map_model",
        source=(
            "def feature_map_model(model, layer_names):\n"
            "    if not isinstance(layer_names, (list, tuple)) or not layer_names:\n"
            "        raise ValueError(f'expected a non-empty list of layer names, got {layer_names}')\n"
            "    for name in layer_names:\n"
            "        if not isinstance(name, str):\n"
            "            raise ValueError(f'layer names must be strings, got {name!r} in {layer_names}')\n"
            "    # model.get_layer raises a ValueError that names the layer and lists the model's layers\n"
            "    outputs = [model.get_layer(name).output for name in layer_names]\n"
            "    if len(outputs) == 1:\n"
            "        return keras.Model(inputs=model.inputs[0], outputs=outputs[0])\n"
            "    return keras.Model(inputs=model.inputs[0], outputs=outputs)\n"
        ),
        why="Keras's own error for unknown names; one output unwrapped (predict gives one array)",
    ),
    "maps-dictionary": Alternative(
        "feature_map_model",
        source=(
            "def feature_map_model(model, layer_names):\n"
            "    by_name = {layer.name: layer for layer in model.layers}\n"
            "    valid = (\n"
            "        type(layer_names) in (list, tuple)\n"
            "        and len(layer_names) > 0\n"
            "        and all(type(name) is str for name in layer_names)\n"
            "    )\n"
            "    if not valid:\n"
            "        raise ValueError(f'layer_names must be a non-empty list of str, not {layer_names!r}')\n"
            "    missing = [name for name in layer_names if name not in by_name]\n"
            "    if missing:\n"
            "        raise ValueError(f'unknown layers {missing}; the layers are {list(by_name)}')\n"
            "    tensors = []\n"
            "    for name in layer_names:\n"
            "        tensors.append(by_name[name].output)\n"
            "    return keras.Model(model.inputs[0], tensors)\n"
        ),
    ),
    "ascent-keras-ops": Alternative(
        "activation_maximization",
        source=(
            "def activation_maximization(model, layer_name, filter_index, *, steps=100, learning_rate=0.1, random_state=0):\n"
            "    try:\n"
            "        layer = model.get_layer(layer_name)\n"
            "    except ValueError:\n"
            "        raise ValueError(f'no layer {layer_name!r} in the model') from None\n"
            "    shape = layer.output.shape\n"
            "    if len(shape) != 4:\n"
            "        raise ValueError(f'{layer_name!r} has output shape {shape}, not 4-D')\n"
            "    if type(filter_index) not in (int, np.int32, np.int64) or filter_index < 0 or filter_index >= shape[-1]:\n"
            "        raise ValueError(f'filter_index={filter_index} is not in [0, {shape[-1]})')\n"
            "    if type(steps) is not int or steps <= 0:\n"
            "        raise ValueError(f'steps={steps} must be a positive integer')\n"
            "    if type(learning_rate) not in (int, float) or learning_rate <= 0:\n"
            "        raise ValueError(f'learning_rate={learning_rate} must be positive')\n"
            "    features = keras.Model(model.inputs[0], layer.output)\n"
            "    noise = np.random.default_rng(random_state).standard_normal((1,) + tuple(model.input_shape[1:]))\n"
            "    x = tf.Variable(np.clip(0.5 + 0.1 * noise, 0, 1), dtype=tf.float32)\n"
            "    for step in range(steps):\n"
            "        with tf.GradientTape() as tape:\n"
            "            maps = features(x, training=False)\n"
            "            loss = keras.ops.mean(maps[0, :, :, filter_index])\n"
            "        grads = tape.gradient(loss, x)\n"
            "        rms = keras.ops.sqrt(keras.ops.mean(keras.ops.square(grads)))\n"
            "        x.assign(keras.ops.clip(x + learning_rate * grads / (rms + 1e-8), 0.0, 1.0))\n"
            "    return keras.ops.convert_to_numpy(x)[0]\n"
        ),
        why="try/except around get_layer; keras.ops instead of tf; the map of the one image",
    ),
    "ascent-numpy-steps": Alternative(
        "activation_maximization",
        source=(
            "import numbers\n\n\n"
            "def activation_maximization(model, layer_name, filter_index, *, steps=100, learning_rate=0.1, random_state=0):\n"
            "    names = [layer.name for layer in model.layers]\n"
            "    if layer_name not in names:\n"
            "        raise ValueError(f'layer_name={layer_name!r} is not one of {names}')\n"
            "    heat = feature_map_model(model, [layer_name])\n"
            "    output_shape = model.get_layer(layer_name).output.shape\n"
            "    if len(output_shape) != 4:\n"
            "        raise ValueError(f'layer {layer_name!r} must have a 4-D output, not {output_shape}')\n"
            "    channels = output_shape[3]\n"
            "    if not isinstance(filter_index, numbers.Integral) or isinstance(filter_index, bool) or not (0 <= filter_index < channels):\n"
            "        raise ValueError(f'bad filter_index={filter_index!r}: need 0 <= filter_index < {channels}')\n"
            "    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool) or steps < 1:\n"
            "        raise ValueError(f'steps must be >= 1, got steps={steps!r}')\n"
            "    if not isinstance(learning_rate, numbers.Real) or isinstance(learning_rate, bool) or learning_rate <= 0:\n"
            "        raise ValueError(f'learning_rate must be > 0, got learning_rate={learning_rate!r}')\n"
            "    rng = np.random.default_rng(random_state)\n"
            "    image = 0.5 + 0.1 * rng.standard_normal((1, *model.input_shape[1:]))\n"
            "    image = np.clip(image, 0.0, 1.0).astype(np.float32)\n"
            "    x = tf.Variable(image)\n"
            "    step = 0\n"
            "    while step < steps:\n"
            "        with tf.GradientTape() as tape:\n"
            "            out = heat(x, training=False)\n"
            "            out = out[0] if isinstance(out, (list, tuple)) else out\n"
            "            score = tf.reduce_mean(out[:, :, :, filter_index], axis=(1, 2))[0]\n"
            "        g = tape.gradient(score, x).numpy()\n"
            "        g = g / (np.sqrt(np.mean(g ** 2)) + 1e-8)\n"
            "        x.assign(np.clip(x.numpy() + learning_rate * g, 0.0, 1.0))\n"
            "        step += 1\n"
            "    return x.numpy()[0]\n"
        ),
        why="reuses feature_map_model; the gradient normalised and the step taken in NumPy",
    ),
}


WHOLE = (
    "cnn-average-pooling",
    "cnn-rmsprop",
    "maps-model-order",
    "maps-no-type-check",
    "ascent-one-step-short",
    "ascent-any-learning-rate",
    *ALTERNATIVES,
)
UNIT = tuple(
    key for key, variant in MUTANTS.items() if variant.cell != "train_model" and key not in WHOLE
)
