"""a06_segmentation: requirements, mutants and correct alternatives (see tests/mutants/__init__.py).

Every submission trains a model (the training cell calls the submission's build_fcn), so the
training cell's variants decide what a round costs. Its cheap mutants (no or almost no
training) come first, one per round, so that those rounds grade in seconds; build_fcn's mutants
share them (a mutant that spoils the default model fails the model's tests there anyway). Four
submissions train for the full 8 epochs, the fewest this packing allows: the two rounds of
build_fcn's correct alternatives, which must clear the model's thresholds too (the first with
the training cell's alternative, the other decoder), and the two training mutants graded alone
(no validation data; fit's History not kept), which must clear them as well and lose
model_trained only. The Dense-scores mutant, which would need a fifth, is graded in the unit
notebook on build_fcn's own tests (``UNIT``).
"""

from mutants import Alternative, Mutant, Requirement

MODEL_TESTS = ("model_trained", "model_test_iou")

REQUIREMENTS = {
    # transposed_conv_output_size
    "tconv-valid": Requirement(
        "When $k < s$ there are gaps between the copies and Keras still makes the output "
        "$n \\cdot s$ long.",
        ("transposed_conv_output_size_hidden",),
    ),
    "tconv-valid-overlap": Requirement(
        "which is $(n - 1)\\,s + k$ when the copies overlap ($k \\ge s$)",
        ("transposed_conv_output_size_examples", "transposed_conv_output_size_hidden"),
    ),
    "tconv-same": Requirement(
        '`padding="same"`: $n_\\text{out} = n \\cdot s$, whatever the kernel size.',
        ("transposed_conv_output_size_examples", "transposed_conv_output_size_hidden"),
    ),
    "tconv-positive": Requirement(
        "when `n`, `kernel_size` or `stride` is not a positive integer",
        ("transposed_conv_output_size_bad_input",),
    ),
    "tconv-integers": Requirement(
        "(`True`/`False` do not count as integers; NumPy integers do)",
        ("transposed_conv_output_size_hidden", "transposed_conv_output_size_bad_input"),
    ),
    "tconv-padding": Requirement(
        'or `padding` is not `"valid"` or `"same"`',
        ("transposed_conv_output_size_examples", "transposed_conv_output_size_bad_input"),
    ),
    "tconv-message": Requirement(
        "It must raise a `ValueError` whose message names the received value",
        ("transposed_conv_output_size_bad_input",),
    ),
    "tconv-numpy": Requirement(
        "Use plain Python or NumPy.", ("transposed_conv_output_size_hidden",)
    ),
    # pixel_accuracy
    "pa-fraction": Requirement(
        "is the fraction of pixels whose predicted class is the true one",
        ("pixel_accuracy_examples", "pixel_accuracy_hidden"),
    ),
    "pa-shapes": Requirement(
        "Both raise a `ValueError` that names the received shapes when the two masks differ in "
        "shape",
        ("pixel_accuracy_examples",),
    ),
    "pa-empty": Requirement(
        "when the two masks differ in shape or are empty", ("pixel_accuracy_hidden",)
    ),
    "pa-array-like": Requirement(
        "y_true, y_pred : array_like of int, same shape", ("pixel_accuracy_hidden",)
    ),
    "pa-numpy": Requirement(
        "Write `pixel_accuracy(y_true, y_pred)` and `mean_iou(y_true, y_pred, num_classes)`, in "
        "NumPy",
        ("pixel_accuracy_hidden",),
    ),
    # mean_iou
    "iou-definition": Requirement(
        "$$\\mathrm{IoU}_c = \\frac{|T_c \\cap P_c|}{|T_c \\cup P_c|} .$$",
        ("mean_iou_examples", "mean_iou_hidden"),
    ),
    "iou-absent": Requirement(
        "A class that occurs in **neither** mask has $|T_c \\cup P_c| = 0$ and no IoU: **leave "
        "it out of the mean**",
        ("mean_iou_examples", "mean_iou_hidden"),
    ),
    "iou-one-mask": Requirement(
        "A class that occurs in only one of the masks has IoU 0 and counts.",
        ("mean_iou_hidden",),
    ),
    "iou-all-pixels": Requirement(
        "Both count over **all pixels of all images together**.",
        ("mean_iou_examples", "mean_iou_hidden"),
    ),
    "iou-shapes": Requirement(
        "Both raise a `ValueError` that names the received shapes when the two masks differ in "
        "shape or are empty.",
        ("mean_iou_bad_input",),
    ),
    "iou-values": Requirement(
        "`mean_iou` also raises a `ValueError` naming the received value when `num_classes` is "
        "not a positive integer or a mask holds a label outside $0, \\dots,$ `num_classes - 1`.",
        ("mean_iou_bad_input",),
    ),
    "iou-numpy": Requirement(
        "Write `pixel_accuracy(y_true, y_pred)` and `mean_iou(y_true, y_pred, num_classes)`, in "
        "NumPy",
        ("mean_iou_hidden",),
    ),
    # build_fcn
    "fcn-encoder": Requirement(
        '| `conv1`, `pool1` | `Conv2D(f, 3, padding="same", activation="relu")`, `MaxPooling2D(2)` '
        "| 64 × 64 × f, 32 × 32 × f |",
        ("build_fcn_hidden",),
    ),
    "fcn-skips": Requirement(
        "and at each step adds the class scores that a 1 × 1 convolution computes from the "
        "encoder's feature maps of that size",
        ("build_fcn_shapes", "build_fcn_hidden"),
    ),
    "fcn-transposed": Requirement(
        '`"transposed"`: `Conv2DTranspose(K, 4, strides=2, padding="same")`, a learned '
        "up-sampling;",
        ("build_fcn_shapes", "build_fcn_hidden"),
    ),
    "fcn-upsampling": Requirement(
        '`"upsampling"`: `UpSampling2D(2)`, which copies every pixel into a 2 × 2 block '
        '("unpooling"), followed by a layer `Conv2D(K, 3, padding="same")` named `smooth3`, '
        "`smooth2`, `smooth1`",
        ("build_fcn_hidden",),
    ),
    "fcn-softmax": Requirement(
        '| `predictions` | `Activation("softmax")`: class probabilities per pixel |',
        ("build_fcn_shapes",),
    ),
    "fcn-compile": Requirement(
        "Compile the model with `keras.optimizers.Adam(learning_rate=learning_rate)`, "
        '`loss="sparse_categorical_crossentropy"`',
        ("build_fcn_hidden",),
    ),
    "fcn-bad-arguments": Requirement(
        "Raise a `ValueError` naming the received value when `num_classes` is not an integer of "
        'at least 2, `num_filters` is not a positive integer or `decoder` is neither `"transposed"` '
        'nor `"upsampling"`.',
        ("build_fcn_hidden",),
    ),
    "fcn-no-dense": Requirement(
        "The model must contain **no `Dense` layer**",
        ("build_fcn_shapes", "build_fcn_hidden") + MODEL_TESTS,
    ),
    "fcn-any-size": Requirement(
        "accept images whose height and width are multiples of 8 (64 × 64, 96 × 96, 48 × 80, "
        "...) and return probabilities of the same height and width",
        ("build_fcn_shapes", "build_fcn_hidden", "model_test_iou"),
    ),
    # the training cell
    "train-iou": Requirement(
        "the trained model must reach a **mean IoU of at least 0.30** on the validation scenes, "
        "and on 300 scenes made of Fashion-MNIST **test** images",
        MODEL_TESTS,
    ),
    "train-history": Requirement(
        "Keep the result of `fit` in `history`; the cell after yours plots it.", ("model_trained",)
    ),
    "train-validation": Requirement(
        "with `validation_data=(x_val, y_val)`, and store it in the variable `model`",
        ("model_trained",),
    ),
}

# The training cell's mutants: the cheap ones first (see the module's docstring).
TRAIN_MUTANTS = {
    "train-no-fit": Mutant(
        "train_model",
        "train-iou",
        patch=[("history = model.fit(", "history = None  # TODO: train\nmodel.fit_later = dict(")],
        fails=MODEL_TESTS,
        why="the model is built but never trained",
    ),
    "train-one-epoch": Mutant(
        "train_model", "train-iou", patch=[("epochs=8,", "epochs=1,")], why="stops too early"
    ),
    "train-debug-subset": Mutant(
        "train_model",
        "train-iou",
        patch=[("    x_train,\n    y_train,\n", "    x_train[:100],\n    y_train[:100],\n")],
        why="a subset for debugging left in",
    ),
    "train-budget-minutes": Mutant(
        "train_model",
        "train-iou",
        patch=[("time_budget(180)", "time_budget(3)")],
        why="the budget in minutes, not seconds: stops after the first epoch",
    ),
    "train-steps-per-epoch": Mutant(
        "train_model",
        "train-iou",
        patch=[("    batch_size=16,\n", "    batch_size=16,\n    steps_per_epoch=10,\n")],
        why="fewer steps per epoch to save time",
    ),
    "train-typo-labels": Mutant(
        "train_model",
        "train-iou",
        patch=[("    x_train,\n    y_train,\n", "    x_train,\n    y_val,\n")],
        why="fit raises (1 500 images, 300 masks): the model stays untrained",
    ),
    "train-one-hot-labels": Mutant(
        "train_model",
        "train-iou",
        patch=[("    y_train,\n", "    keras.utils.to_categorical(y_train, NUM_CLASSES),\n")],
        why="one-hot masks for a sparse loss: fit raises, the model stays untrained",
    ),
    "train-flat-masks": Mutant(
        "train_model",
        "train-iou",
        patch=[("    y_train,\n", "    y_train.reshape(len(y_train), -1),\n")],
        why="the masks flattened as for a classifier: fit raises, the model stays untrained",
    ),
    "train-no-validation": Mutant(
        "train_model",
        "train-validation",
        patch=[("    validation_data=(x_val, y_val),\n", "")],
    ),
    "train-history-dropped": Mutant(
        "train_model",
        "train-history",
        patch=[("history = model.fit(", "model.fit(")],
        why="fit's History thrown away: nothing shows the validation data",
    ),
}

MUTANTS = {
    # transposed_conv_output_size
    "tconv-no-max": Mutant(
        "transposed_conv_output_size",
        "tconv-valid",
        patch=[
            (
                "int(n * stride + max(kernel_size - stride, 0))",
                "int((n - 1) * stride + kernel_size)",
            )
        ],
    ),
    "tconv-valid-off-by-one": Mutant(
        "transposed_conv_output_size",
        "tconv-valid-overlap",
        patch=[
            (
                "int(n * stride + max(kernel_size - stride, 0))",
                "int((n - 1) * stride + kernel_size - 1)",
            )
        ],
        fails=("transposed_conv_output_size_examples", "transposed_conv_output_size_hidden"),
    ),
    "tconv-same-ceil": Mutant(
        "transposed_conv_output_size",
        "tconv-same",
        patch=[("return int(n * stride)", "return int(-(-n // stride))")],
        why="the output size of a strided 'same' convolution, not of a transposed one",
    ),
    "tconv-zero": Mutant(
        "transposed_conv_output_size", "tconv-positive", patch=[("or value < 1:", "or value < 0:")]
    ),
    "tconv-int-only": Mutant(
        "transposed_conv_output_size",
        "tconv-integers",
        patch=[
            (
                "isinstance(value, bool) or not isinstance(value, int | np.integer)",
                "not isinstance(value, int)",
            )
        ],
    ),
    "tconv-else-valid": Mutant(
        "transposed_conv_output_size",
        "tconv-padding",
        patch=[('    if padding == "valid":\n', "    else:\n")],
    ),
    "tconv-message": Mutant(
        "transposed_conv_output_size",
        "tconv-message",
        patch=[
            (
                'f"{name} must be a positive integer. Received: {name}={value!r}."',
                'f"{name} must be a positive integer."',
            )
        ],
    ),
    "tconv-keras": Mutant(
        "transposed_conv_output_size",
        "tconv-numpy",
        patch=[
            (
                '    if padding == "same":\n        return int(n * stride)\n',
                '    if padding in ("valid", "same"):\n'
                "        layer = keras.layers.Conv2DTranspose(1, int(kernel_size), "
                "strides=int(stride), padding=padding)\n"
                "        return int(layer.compute_output_shape((1, int(n), int(n), 1))[1])\n",
            )
        ],
    ),
    # pixel_accuracy
    "pa-count": Mutant(
        "pixel_accuracy",
        "pa-fraction",
        patch=[("np.mean(y_true == y_pred)", "np.sum(y_true == y_pred)")],
    ),
    "pa-no-shape-check": Mutant(
        "pixel_accuracy",
        "pa-shapes",
        patch=[("y_true.shape != y_pred.shape or y_true.size == 0", "y_true.size == 0")],
    ),
    "pa-no-empty-check": Mutant(
        "pixel_accuracy",
        "pa-empty",
        patch=[
            ("y_true.shape != y_pred.shape or y_true.size == 0", "y_true.shape != y_pred.shape")
        ],
    ),
    "pa-arrays-only": Mutant(
        "pixel_accuracy",
        "pa-array-like",
        patch=[("    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)\n", "")],
    ),
    "pa-sklearn": Mutant(
        "pixel_accuracy",
        "pa-numpy",
        patch=[
            (
                "    return float(np.mean(y_true == y_pred))\n",
                "    from sklearn.metrics import accuracy_score\n\n"
                "    return float(accuracy_score(y_true.ravel(), y_pred.ravel()))\n",
            )
        ],
    ),
    # mean_iou
    "iou-sum-not-union": Mutant(
        "mean_iou",
        "iou-definition",
        patch=[
            (
                "ious.append(np.sum(is_true & is_pred) / union)",
                "ious.append(np.sum(is_true & is_pred) / (np.sum(is_true) + np.sum(is_pred)))",
            )
        ],
    ),
    "iou-absent-counts-zero": Mutant(
        "mean_iou",
        "iou-absent",
        patch=[
            (
                "        if union > 0:  # a class in neither mask has no IoU and is left out\n"
                "            ious.append(np.sum(is_true & is_pred) / union)\n",
                "        ious.append(np.sum(is_true & is_pred) / max(union, 1))\n",
            )
        ],
        why="avoids the division by zero instead of leaving the class out",
    ),
    "iou-true-classes-only": Mutant(
        "mean_iou",
        "iou-one-mask",
        patch=[("        if union > 0:", "        if is_true.any():")],
    ),
    "iou-per-image": Mutant(
        "mean_iou",
        "iou-all-pixels",
        patch=[
            (
                "    ious = []\n",
                "    if y_true.ndim == 3:  # a batch: the mean of the images' mean IoUs\n"
                "        return float(\n"
                "            np.mean([mean_iou(t, p, num_classes) for t, p in zip(y_true, y_pred)])\n"
                "        )\n"
                "    ious = []\n",
            )
        ],
    ),
    "iou-no-empty-check": Mutant(
        "mean_iou",
        "iou-shapes",
        patch=[
            ("y_true.shape != y_pred.shape or y_true.size == 0", "y_true.shape != y_pred.shape")
        ],
    ),
    "iou-negative-labels": Mutant(
        "mean_iou",
        "iou-values",
        patch=[("outside = (mask < 0) | (mask >= num_classes)", "outside = (mask >= num_classes)")],
    ),
    "iou-sklearn": Mutant(
        "mean_iou",
        "iou-numpy",
        patch=[
            (
                "    ious = []\n",
                "    from sklearn.metrics import confusion_matrix\n\n"
                "    matrix = confusion_matrix(\n"
                "        y_true.ravel(), y_pred.ravel(), labels=list(range(num_classes))\n"
                "    )\n"
                "    ious = []\n",
            )
        ],
    ),
    # build_fcn: the first eight share the rounds of the training cell's cheap mutants; the
    # ninth, in the round without validation data, leaves the default model as it is.
    "fcn-conv4-linear": Mutant(
        "build_fcn",
        "fcn-encoder",
        patch=[
            (
                'layers.Conv2D(8 * num_filters, 3, padding="same", activation="relu", name="conv4")',
                'layers.Conv2D(8 * num_filters, 3, padding="same", name="conv4")',
            )
        ],
        fails=("build_fcn_hidden",),
        why="a linear conv4: the model still trains",
    ),
    "fcn-no-finest-skip": Mutant(
        "build_fcn",
        "fcn-skips",
        patch=[
            (
                "        skip = layers.Conv2D(",
                "        if level == 1:  # full resolution: nothing to add\n"
                "            continue\n"
                "        skip = layers.Conv2D(",
            )
        ],
        fails=("build_fcn_shapes", "build_fcn_hidden"),
    ),
    "fcn-kernel-3": Mutant(
        "build_fcn",
        "fcn-transposed",
        patch=[("num_classes, 4, strides=2", "num_classes, 3, strides=2")],
        fails=("build_fcn_shapes", "build_fcn_hidden"),
    ),
    "fcn-sigmoid": Mutant(
        "build_fcn",
        "fcn-softmax",
        patch=[('layers.Activation("softmax"', 'layers.Activation("sigmoid"')],
        fails=("build_fcn_shapes", "build_fcn_hidden"),
        why="Keras' loss renormalises the outputs, so the reported loss shows it too",
    ),
    "fcn-dense-scores": Mutant(
        "build_fcn",
        "fcn-no-dense",
        patch=[
            (
                'layers.Conv2D(num_classes, 1, name="score4")',
                'layers.Dense(num_classes, name="score4")',
            )
        ],
        fails=("build_fcn_shapes", "build_fcn_hidden"),  # (graded in the unit notebook)
        why="a Dense layer on the last axis is a 1x1 convolution, but not an FCN's layer",
    ),
    "fcn-fixed-size": Mutant(
        "build_fcn",
        "fcn-any-size",
        patch=[("keras.Input(shape=(None, None, 1)", "keras.Input(shape=(64, 64, 1)")],
        fails=("build_fcn_shapes", "build_fcn_hidden", "model_test_iou"),
    ),
    "fcn-bilinear": Mutant(
        "build_fcn",
        "fcn-upsampling",
        patch=[
            (
                'layers.UpSampling2D(2, name=f"up{level}")',
                'layers.UpSampling2D(2, interpolation="bilinear", name=f"up{level}")',
            )
        ],
        why="smoother, but not the 2 x 2 blocks the notebook asks for",
    ),
    "fcn-decoder-unchecked": Mutant(
        "build_fcn",
        "fcn-bad-arguments",
        patch=[('    if decoder not in ("transposed", "upsampling"):\n', "    if False:\n")],
        why='any other decoder falls through to "upsampling"',
    ),
    "fcn-fixed-learning-rate": Mutant(
        "build_fcn",
        "fcn-compile",
        patch=[("Adam(learning_rate=learning_rate)", "Adam(learning_rate=0.004)")],
        why="the default rate hard-coded: the default model trains as it should",
    ),
    **TRAIN_MUTANTS,
}


TCONV_FORMULA = """def transposed_conv_output_size(n, kernel_size, stride=1, padding="valid"):
    import numbers

    for name, value in (("n", n), ("kernel_size", kernel_size), ("stride", stride)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{name}={value!r} is not a positive integer")
    if padding not in ("valid", "same"):
        raise ValueError(f"padding={padding!r}: use 'valid' or 'same'")
    if padding == "same":
        return n * stride
    # the last kernel copy starts at (n - 1) * stride; Keras never returns less than n * stride
    return max((n - 1) * stride + kernel_size, n * stride)
"""

TCONV_SIMULATION = """def transposed_conv_output_size(n, kernel_size, stride=1, padding="valid"):
    import operator

    sizes = {}
    for name, value in zip(["n", "kernel_size", "stride"], [n, kernel_size, stride]):
        try:
            if type(value) is bool:
                raise TypeError
            sizes[name] = operator.index(value)
        except TypeError:
            raise ValueError(f"{name} must be an integer, got {name}={value!r}") from None
        if sizes[name] < 1:
            raise ValueError(f"{name} must be positive, got {name}={value!r}")
    n, k, s = sizes["n"], sizes["kernel_size"], sizes["stride"]
    match padding:
        case "same":
            return n * s
        case "valid":
            # place the n kernel copies and see where the last one ends
            covered = np.zeros(n * s + k, dtype=int)
            for i in range(n):
                covered[i * s : i * s + k] += 1
            end = int(np.nonzero(covered)[0][-1]) + 1
            return max(end, n * s)
        case _:
            raise ValueError(f"unknown padding={padding!r} (valid or same)")
"""

PA_COUNT = """def pixel_accuracy(y_true, y_pred):
    y_true = np.array(y_true)
    y_pred = np.array(y_pred)
    if y_true.size == 0 or y_true.shape != y_pred.shape:
        raise ValueError(f"shapes {y_true.shape} and {y_pred.shape}: need equal, non-empty masks")
    return np.count_nonzero(y_true == y_pred) / y_true.size
"""

PA_FLAT = """def pixel_accuracy(y_true, y_pred):
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != p.shape:
        raise ValueError(f"y_true has shape {t.shape} but y_pred has shape {p.shape}")
    if t.size == 0:
        raise ValueError(f"empty masks of shape {t.shape}")
    t, p = t.reshape(-1), p.reshape(-1)
    correct = np.sum(t == p, dtype=np.int64)
    return float(correct) / float(len(t))
"""

IOU_BINCOUNT = """def mean_iou(y_true, y_pred, num_classes):
    import numbers

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(f"need two non-empty masks of one shape, got {y_true.shape} and {y_pred.shape}")
    if not isinstance(num_classes, numbers.Integral) or isinstance(num_classes, bool) or num_classes < 1:
        raise ValueError(f"num_classes={num_classes!r} is not a positive integer")
    for mask in (y_true, y_pred):
        bad = ~np.isin(mask, np.arange(num_classes))
        if bad.any():
            raise ValueError(f"label {mask[bad][0]} is not in 0..{num_classes - 1}")
    t = y_true.ravel().astype(np.int64)
    p = y_pred.ravel().astype(np.int64)
    confusion = np.bincount(num_classes * t + p, minlength=num_classes**2)
    confusion = confusion.reshape(num_classes, num_classes)
    intersection = np.diag(confusion)
    union = confusion.sum(axis=0) + confusion.sum(axis=1) - intersection
    present = union > 0
    return (intersection[present] / union[present]).mean()
"""

IOU_SETS = """def mean_iou(y_true, y_pred, num_classes):
    true = np.array(y_true)
    pred = np.array(y_pred)
    if true.shape != pred.shape:
        raise ValueError(f"y_true.shape={true.shape} != y_pred.shape={pred.shape}")
    if true.size == 0:
        raise ValueError(f"masks of shape {true.shape} are empty")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise ValueError(f"num_classes must be an int, got {num_classes!r}")
    if num_classes <= 0:
        raise ValueError(f"num_classes must be > 0, got {num_classes}")
    labels = np.union1d(np.unique(true), np.unique(pred))  # the classes in either mask
    for label in labels:
        if label < 0 or label >= num_classes or label != int(label):
            raise ValueError(f"a mask holds {label}, outside 0 ... {num_classes - 1}")
    total = 0.0
    for c in labels:
        in_true = true == c
        in_pred = pred == c
        total += np.logical_and(in_true, in_pred).sum() / np.logical_or(in_true, in_pred).sum()
    return total / len(labels)
"""

FCN_UNROLLED = """def build_fcn(num_classes, *, num_filters=16, decoder="transposed", learning_rate=0.004):
    import numbers

    def is_int(value):
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)

    if not is_int(num_classes) or num_classes < 2:
        raise ValueError(f"num_classes={num_classes!r}: need an integer >= 2")
    if not is_int(num_filters) or num_filters < 1:
        raise ValueError(f"num_filters={num_filters!r}: need a positive integer")
    if decoder != "transposed" and decoder != "upsampling":
        raise ValueError(f"decoder={decoder!r}: need 'transposed' or 'upsampling'")
    f, k = num_filters, num_classes
    L = keras.layers

    def conv(x, filters, name):  # a 3x3 convolution followed by a separate ReLU layer
        x = L.Conv2D(filters, (3, 3), padding="same", name=name)(x)
        return L.ReLU(name=f"{name}_relu")(x)

    def up(x, level):
        if decoder == "transposed":
            return L.Conv2DTranspose(k, (4, 4), strides=(2, 2), padding="same", name=f"up{level}")(x)
        x = L.UpSampling2D(size=(2, 2), name=f"up{level}")(x)
        return L.Conv2D(k, (3, 3), padding="same", name=f"smooth{level}")(x)

    image = keras.Input(shape=(None, None, 1))
    c1 = conv(image, f, "conv1")
    c2 = conv(L.MaxPool2D(pool_size=(2, 2), name="pool1")(c1), 2 * f, "conv2")
    c3 = conv(L.MaxPool2D(pool_size=(2, 2), name="pool2")(c2), 4 * f, "conv3")
    c4 = conv(L.MaxPool2D(pool_size=(2, 2), name="pool3")(c3), 8 * f, "conv4")
    s = L.Conv2D(k, (1, 1), name="score4")(c4)
    s = L.add([up(s, 3), L.Conv2D(k, (1, 1), name="score3")(c3)], name="fuse3")
    s = L.add([up(s, 2), L.Conv2D(k, (1, 1), name="score2")(c2)], name="fuse2")
    s = L.add([up(s, 1), L.Conv2D(k, (1, 1), name="score1")(c1)], name="fuse1")
    probabilities = L.Softmax(axis=-1, name="predictions")(s)
    model = keras.Model(inputs=image, outputs=probabilities)
    model.compile(
        keras.optimizers.Adam(learning_rate),
        keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model
"""

FCN_LISTS = """def build_fcn(num_classes, *, num_filters=16, decoder="transposed", learning_rate=0.004):
    checks = [
        ("num_classes", num_classes, 2, "an integer >= 2"),
        ("num_filters", num_filters, 1, "a positive integer"),
    ]
    for name, value, smallest, what in checks:
        if type(value) is bool or not isinstance(value, (int, np.integer)) or value < smallest:
            raise ValueError(f"{name} must be {what}; got {name}={value!r}")
    upsample = {
        "transposed": lambda level: [
            keras.layers.Conv2DTranspose(num_classes, 4, 2, "same", name=f"up{level}")
        ],
        "upsampling": lambda level: [
            keras.layers.UpSampling2D(name=f"up{level}"),
            keras.layers.Conv2D(num_classes, 3, padding="same", name=f"smooth{level}"),
        ],
    }
    if decoder not in upsample:
        raise ValueError(f"unknown decoder {decoder!r}; choose from {sorted(upsample)}")
    inputs = keras.layers.Input((None, None, 1))
    x, skips = inputs, []
    for i, filters in enumerate([num_filters, 2 * num_filters, 4 * num_filters, 8 * num_filters]):
        x = keras.layers.Conv2D(
            filters, 3, padding="same", activation="relu", name=f"conv{i + 1}"
        )(x)
        if i < 3:
            skips.append(x)
            x = keras.layers.MaxPooling2D(name=f"pool{i + 1}")(x)
    scores = keras.layers.Conv2D(num_classes, 1, name="score4")(x)
    for level in [3, 2, 1]:
        for layer in upsample[decoder](level):
            scores = layer(scores)
        side = keras.layers.Conv2D(num_classes, 1, name=f"score{level}")(skips[level - 1])
        scores = keras.layers.Add(name=f"fuse{level}")([side, scores])
    outputs = keras.layers.Activation(keras.activations.softmax, name="predictions")(scores)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.sparse_categorical_crossentropy,
        metrics=["accuracy"],
    )
    return model
"""


# The last two training mutants are graded alone, so that build_fcn's alternatives share their
# rounds with a correct training cell and are proven to train well enough.
ALONE = ("train-no-validation", "train-history-dropped")
# Dense scores also break the training cell's tests, which every training mutant names: in a
# whole-notebook round it would leave that round's training mutant unproven, and alone it
# would cost a full training. The unit notebook proves it on build_fcn's own tests.
UNIT = ("fcn-dense-scores",)

ALTERNATIVES = {
    "tconv-formula": Alternative(
        "transposed_conv_output_size",
        source=TCONV_FORMULA,
        why="numbers.Integral, the overlap formula and a max with n * stride",
    ),
    "tconv-simulation": Alternative(
        "transposed_conv_output_size",
        source=TCONV_SIMULATION,
        why="operator.index, match, and the kernel copies placed in a loop",
    ),
    "pa-count-nonzero": Alternative("pixel_accuracy", source=PA_COUNT),
    "pa-flat": Alternative("pixel_accuracy", source=PA_FLAT, why="two checks, flat arrays"),
    "iou-bincount": Alternative(
        "mean_iou", source=IOU_BINCOUNT, why="a confusion matrix from np.bincount, vectorised"
    ),
    "iou-present-labels": Alternative(
        "mean_iou",
        source=IOU_SETS,
        why="a loop over the labels that occur in either mask (np.union1d)",
    ),
    "fcn-unrolled": Alternative(
        "build_fcn",
        source=FCN_UNROLLED,
        why="unrolled, separate ReLU layers, MaxPool2D, keras.layers.add, Softmax, loss and "
        "metric objects",
    ),
    "train-upsampling-decoder": Alternative(
        "train_model",
        patch=[
            (
                "model = build_fcn(NUM_CLASSES)",
                'model = build_fcn(NUM_CLASSES, decoder="upsampling")',
            )
        ],
        why="the other decoder the notebook allows (with fcn-unrolled: val 0.40, test 0.46)",
    ),
    "fcn-lists": Alternative(
        "build_fcn",
        source=FCN_LISTS,
        why="a loop over the filter counts, a dict of decoders, the skip added first",
    ),
}
