"""a03_convolution: requirements, mutants and correct alternatives (see tests/mutants/__init__.py).

conv2d's cell also defines ``_pad_for_conv`` (stride, padding and kernel-size checks, Keras'
"same" padding), which the reference conv2d_multi calls: a mutant of that helper also fails
conv2d_multi's tests, and says so in ``fails``. Instead of a submission of its own (ALONE), each
such mutant shares its round with a conv2d_multi mutant that fails other tests than it does (the
order of the two MUTANTS lists below pairs them: round k takes the k-th variant of each cell):

    round  conv2d                          conv2d_multi
    2      same-split (both *_matches_keras) channels-unchecked (conv2d_multi_bad_input)
    5      kernel-unchecked (both *_bad_input) no-stride-in-index (conv2d_multi_matches_keras)

(not with conv2d_multi's keras mutant: Keras' own error for a kernel larger than the image names
the kernel's shape, which would hide the helper's missing check)

Rounds 6 and 7 hold the alternatives of every cell. conv2d's alternatives do not define
``_pad_for_conv``: they share their rounds with conv2d_multi's alternatives, which call conv2d
(round 6) or pad on their own (round 7), and with conv_output_size's alternatives, which
conv2d's alternatives call.
"""

from mutants import Alternative, Mutant, Requirement

_MATCHES = (
    "conv_output_size_hidden",
    "conv2d_matches_keras",
    "conv2d_multi_matches_keras",
    "pool2d_matches_keras",
)

REQUIREMENTS = {
    # all NumPy functions
    "numpy-only": Requirement(
        "they check that the NumPy tasks use **NumPy only** (no SciPy, Keras, TensorFlow, "
        "scikit-learn, PyTorch or JAX)",
        _MATCHES,
    ),
    # conv_output_size
    "cos-valid": Requirement(
        r"n_\text{out} = \left\lfloor \frac{n - k}{s} \right\rfloor + 1",
        ("conv_output_size_examples", "conv_output_size_hidden"),
    ),
    "cos-int-padding": Requirement(
        "an integer `padding=p`: $p$ zeros on **each** side, so the input is $n + 2p$ long",
        ("conv_output_size_examples", "conv_output_size_hidden"),
    ),
    "cos-same": Requirement(
        r"just enough zeros that $n_\text{out} = \lceil n / s \rceil$ (for stride 1 the output "
        "is as large as the input, hence the name), whatever the kernel size.",
        ("conv_output_size_examples", "conv_output_size_hidden"),
    ),
    "cos-arguments": Requirement(
        "`n`, `kernel_size` or `stride` is not a positive integer (`True`/`False` do not count "
        'as integers), or `padding` is not `"valid"`, `"same"` or a non-negative integer',
        ("conv_output_size_hidden", "conv_output_size_bad_input"),
    ),
    "cos-fit": Requirement(
        "the kernel does not fit in the (padded) input: `kernel_size > n + 2p`",
        ("conv_output_size_examples", "conv_output_size_hidden", "conv_output_size_bad_input"),
    ),
    "cos-message": Requirement(
        "It must raise a `ValueError` whose message names the received value when",
        ("conv_output_size_examples", "conv_output_size_bad_input"),
    ),
    # conv2d (and conv2d_multi, whose padding, stride and checks work "exactly as in part 2")
    "conv2d-unflipped": Requirement(
        "Keras, PyTorch and every deep-learning library compute the unflipped version, and so "
        "must you.",
        ("conv2d_slides_example", "conv2d_matches_keras", "conv2d_not_flipped"),
    ),
    "conv2d-stride": Requirement(
        "where $s$ is the stride and $x$ is the input *after* padding", ("conv2d_matches_keras",)
    ),
    "same-padding": Requirement(
        r"of which $\lfloor p/2 \rfloor$ zeros go before the first row (column) and the rest "
        "after the last. When $p$ is odd, the extra zero goes to the bottom (right).",
        ("conv2d_slides_example", "conv2d_matches_keras", "conv2d_multi_matches_keras"),
    ),
    "conv2d-2d": Requirement("when `x` or `w` is not 2-D", ("conv2d_bad_input",)),
    "conv-checks": Requirement(
        "when the kernel is larger than the padded image, when `stride` is not a positive "
        'integer or when `padding` is not `"valid"` or `"same"`',
        ("conv2d_bad_input", "conv2d_multi_bad_input"),
    ),
    # conv2d_multi
    "multi-sum-and-bias": Requirement(
        "that is, the sum over the input channels of the single-channel convolutions of part 2, "
        "plus the bias.",
        ("conv2d_multi_example", "conv2d_multi_matches_keras"),
    ),
    "multi-unflipped": Requirement(
        "the result must equal `keras.layers.Conv2D(Q, (U, V), strides=stride, padding=padding)` "
        "with these weights.",
        (
            "conv2d_multi_example",
            "conv2d_multi_matches_keras",
            "conv2d_multi_not_flipped_and_fast",
        ),
    ),
    "multi-stride": Requirement(
        "Padding and stride work exactly as in part 2", ("conv2d_multi_matches_keras",)
    ),
    "multi-shapes": Requirement(
        "Raise a `ValueError` naming the received shapes when `x` is not 3-D, `w` is not 4-D, "
        "the channels do not match (`w.shape[2] != x.shape[2]`)",
        ("conv2d_multi_bad_input",),
    ),
    "multi-bias-shape": Requirement(
        "or `b` does not have shape $(Q,)$", ("conv2d_multi_bad_input",)
    ),
    # pool2d
    "pool-max": Requirement(
        "keeps either the largest value in the window (**max pooling**)",
        ("pool2d_slides_example", "pool2d_matches_keras"),
    ),
    "pool-avg": Requirement(
        "or the average of the window (**average pooling**)",
        ("pool2d_slides_example", "pool2d_matches_keras"),
    ),
    "pool-stride": Requirement(
        "with step `stride` (by default the window size, so the windows do not overlap)",
        ("pool2d_slides_example", "pool2d_matches_keras"),
    ),
    "pool-valid": Requirement(
        "There is no padding: windows that would stick out of the image are skipped",
        ("pool2d_matches_keras",),
    ),
    "pool-2d-or-3d": Requirement(
        "for `x` of shape `(H, W)` (one channel) or `(H, W, C)` (each channel pooled on its own)",
        ("pool2d_slides_example", "pool2d_matches_keras"),
    ),
    "pool-checks": Requirement(
        "Raise a `ValueError` naming the received value for an `x` that is not 2-D or 3-D, a "
        "`size` or `stride` that is not a positive integer, a window larger than the image, or "
        "an unknown `mode`.",
        ("pool2d_bad_input",),
    ),
    # build_lenet5
    "lenet-table": Requirement(
        "The lecture's simplified Keras version has this shape table",
        ("build_lenet5_shapes", "build_lenet5_hidden"),
    ),
    "lenet-average-pooling": Requirement(
        "| average pooling 2 × 2 | 14 × 14 × 6 |", ("build_lenet5_hidden",)
    ),
    "lenet-tanh": Requirement(
        "| convolution, 6 filters of 5 × 5, tanh | 28 × 28 × 6 |", ("build_lenet5_hidden",)
    ),
    "lenet-softmax": Requirement("| dense, 10 units, softmax | 10 |", ("build_lenet5_hidden",)),
    "lenet-parameters": Requirement(
        r"a convolution with $Q$ filters of $U \times V \times P$ has $(UVP + 1)\,Q$ parameters",
        ("build_lenet5_hidden",),
    ),
    "lenet-uncompiled": Requirement(
        "returns this model, **untrained** and **uncompiled**", ("build_lenet5_hidden",)
    ),
}

MUTANTS = {
    # conv_output_size
    "cos-ceil": Mutant(
        "conv_output_size",
        "cos-valid",
        patch=[
            (
                "return int((n + 2 * pad - kernel_size) // stride + 1)",
                "return int(-(-(n + 2 * pad - kernel_size) // stride) + 1)",
            )
        ],
        fails=("conv_output_size_hidden",),
        why="rounds up where the formula floors: the visible examples all divide evenly",
    ),
    "cos-one-side": Mutant(
        "conv_output_size",
        "cos-int-padding",
        patch=[("int((n + 2 * pad - kernel_size)", "int((n + pad - kernel_size)")],
    ),
    "cos-same-symmetric": Mutant(
        "conv_output_size",
        "cos-same",
        patch=[
            (
                "        return int(-(-n // stride))\n",
                "        pad = (kernel_size - 1) // 2\n"
                "        return int((n + 2 * pad - kernel_size) // stride + 1)\n",
            )
        ],
        fails=("conv_output_size_hidden",),
        why="pads (k - 1) // 2 on each side: wrong for even kernels only",
    ),
    "cos-bool": Mutant(
        "conv_output_size",
        "cos-arguments",
        patch=[("if isinstance(value, bool) or not isinstance", "if not isinstance")],
        fails=("conv_output_size_bad_input",),
    ),
    "cos-fit-unpadded": Mutant(
        "conv_output_size",
        "cos-fit",
        patch=[("if kernel_size > n + 2 * pad:", "if kernel_size > n:")],
        fails=("conv_output_size_hidden",),
        why="forgets the padding in the check: rejects a 3-kernel on n=1 with padding 1",
    ),
    "cos-no-value": Mutant(
        "conv_output_size",
        "cos-message",
        patch=[
            (
                'raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}.")',
                'raise ValueError(f"{name} must be a positive integer.")',
            )
        ],
        fails=("conv_output_size_bad_input",),
    ),
    # conv2d (the order pairs the helper's mutants with conv2d_multi's: see the module's doc)
    "conv2d-flipped": Mutant(
        "conv2d",
        "conv2d-unflipped",
        patch=[("                w[u, v]\n", "                w[-1 - u, -1 - v]\n")],
    ),
    "conv2d-no-stride-in-index": Mutant(
        "conv2d",
        "conv2d-stride",
        patch=[
            (
                "                    u : u + stride * (out_h - 1) + 1 : stride,\n"
                "                    v : v + stride * (out_w - 1) + 1 : stride,\n",
                "                    u : u + out_h,\n                    v : v + out_w,\n",
            )
        ],
        why="x[i + u, j + v] instead of x[s i + u, s j + v]",
    ),
    "same-split": Mutant(
        "conv2d",
        "same-padding",
        patch=[
            (
                "widths.append((total // 2, total - total // 2))",
                "widths.append((total - total // 2, total // 2))",
            )
        ],
        fails=("conv2d_matches_keras", "conv2d_multi_matches_keras"),
        why="the extra zero of an odd padding on top (left): the slides' example is even",
    ),
    "conv2d-x-unchecked": Mutant(
        "conv2d",
        "conv2d-2d",
        patch=[
            (
                "    if x.ndim != 2:\n"
                '        raise ValueError(f"x must be a 2-D array (H, W). Received: x with shape '
                '{x.shape}.")\n',
                "",
            )
        ],
    ),
    "conv2d-scipy": Mutant(
        "conv2d",
        "numpy-only",
        patch=[
            (
                "    y = np.zeros((out_h, out_w))\n"
                "    for u in range(w.shape[0]):\n"
                "        for v in range(w.shape[1]):\n"
                "            y += (\n"
                "                w[u, v]\n"
                "                * xp[\n"
                "                    u : u + stride * (out_h - 1) + 1 : stride,\n"
                "                    v : v + stride * (out_w - 1) + 1 : stride,\n"
                "                ]\n"
                "            )\n"
                "    return y\n",
                "    from scipy.signal import correlate2d\n\n"
                '    return correlate2d(xp, w, mode="valid")[::stride, ::stride]\n',
            )
        ],
        fails=("conv2d_matches_keras",),
    ),
    "kernel-unchecked": Mutant(
        "conv2d",
        "conv-checks",
        patch=[
            (
                "            if k > n:\n"
                "                raise ValueError(\n"
                '                    f"The kernel of shape {tuple(kernel_shape[:2])} is larger '
                'than the image of "\n'
                '                    f\'shape {x.shape[:2]}. Use padding="same" or a smaller '
                "kernel.'\n"
                "                )\n",
                "",
            )
        ],
        why="in _pad_for_conv, which conv2d_multi calls too",
    ),
    # conv2d_multi
    "multi-no-bias": Mutant(
        "conv2d_multi",
        "multi-sum-and-bias",
        patch=[
            (
                "y = np.zeros((out_h, out_w, w.shape[3])) + b",
                "y = np.zeros((out_h, out_w, w.shape[3]))",
            )
        ],
    ),
    "multi-flipped": Mutant(
        "conv2d_multi",
        "multi-unflipped",
        patch=[("y += patch @ w[u, v]", "y += patch @ w[-1 - u, -1 - v]")],
    ),
    "multi-channels-unchecked": Mutant(
        "conv2d_multi",
        "multi-shapes",
        patch=[("    if w.shape[2] != x.shape[2]:\n", "    if False:\n")],
        why="then the matrix product fails with NumPy's message, which names neither shape",
    ),
    "multi-bias-unchecked": Mutant(
        "conv2d_multi",
        "multi-bias-shape",
        patch=[("    if b.shape != (w.shape[3],):\n", "    if False:\n")],
        why="a bias of shape (1,) broadcasts silently (one of shape (5,) fails in NumPy)",
    ),
    "multi-keras": Mutant(
        "conv2d_multi",
        "numpy-only",
        patch=[
            (
                "    xp, out_h, out_w = _pad_for_conv(x, w.shape, stride, padding)\n",
                "    _pad_for_conv(x, w.shape, stride, padding)\n"
                "    layer = keras.layers.Conv2D(w.shape[3], w.shape[:2], strides=stride, "
                "padding=padding)\n"
                "    layer.build((1, *x.shape))\n"
                "    layer.set_weights([w, b])\n"
                "    return keras.ops.convert_to_numpy(layer(x[None]))[0].astype(float)\n"
                "    xp, out_h, out_w = _pad_for_conv(x, w.shape, stride, padding)\n",
            )
        ],
        fails=("conv2d_multi_matches_keras",),
    ),
    "multi-no-stride-in-index": Mutant(
        "conv2d_multi",
        "multi-stride",
        patch=[
            (
                "u : u + stride * (out_h - 1) + 1 : stride, v : v + stride * (out_w - 1) + 1 : stride",
                "u : u + out_h, v : v + out_w",
            )
        ],
    ),
    # pool2d
    "pool-max-wrong-axis": Mutant(
        "pool2d",
        "pool-max",
        patch=[("return np.maximum.reduce(slices)", "return np.max(np.stack(slices), axis=-1)")],
    ),
    "pool-avg-by-size": Mutant(
        "pool2d",
        "pool-avg",
        patch=[("np.add.reduce(slices) / size**2", "np.add.reduce(slices) / size")],
    ),
    "pool-stride-one": Mutant(
        "pool2d",
        "pool-stride",
        patch=[
            (
                "    if stride is None:\n        stride = size\n",
                "    if stride is None:\n        stride = 1\n",
            )
        ],
    ),
    "pool-floor-n-over-s": Mutant(
        "pool2d",
        "pool-valid",
        patch=[
            (
                "    out_h = (height - size) // stride + 1\n    out_w = (width - size) // stride + 1\n",
                "    out_h = height // stride\n    out_w = width // stride\n",
            )
        ],
        why="n // s windows: right when the stride is the window size and divides n",
    ),
    "pool-3d-only": Mutant(
        "pool2d",
        "pool-2d-or-3d",
        patch=[("    if x.ndim not in (2, 3):\n", "    if x.ndim != 3:\n")],
        fails=("pool2d_slides_example", "pool2d_matches_keras", "pool2d_bad_input"),
        why="the bad-input tests pass a 2-D image too: it is refused for the wrong reason",
    ),
    "pool-mode-unchecked": Mutant(
        "pool2d",
        "pool-checks",
        patch=[('    if mode not in ("max", "avg"):\n', "    if False:\n")],
        why='mode="min" then averages',
    ),
    # build_lenet5
    "lenet-28-same": Mutant(
        "build_lenet5",
        "lenet-table",
        patch=[
            (
                "            keras.Input(shape=(32, 32, 1)),\n"
                '            layers.Conv2D(6, 5, activation="tanh"),  # (28, 28, 6)\n',
                "            keras.Input(shape=(28, 28, 1)),\n"
                '            layers.Conv2D(6, 5, padding="same", activation="tanh"),  # (28, 28, 6)\n',
            )
        ],
        why="Fashion-MNIST's 28x28 with 'same' padding: every later shape and the parameters agree",
    ),
    "lenet-max-pooling": Mutant(
        "build_lenet5",
        "lenet-average-pooling",
        patch=[
            ("layers.AveragePooling2D(2),  # (14, 14, 6)", "layers.MaxPooling2D(2),  # (14, 14, 6)")
        ],
    ),
    "lenet-relu": Mutant(
        "build_lenet5",
        "lenet-tanh",
        patch=[
            (
                'layers.Conv2D(6, 5, activation="tanh")',
                'layers.Conv2D(6, 5, activation="relu")',
            )
        ],
    ),
    "lenet-logits": Mutant(
        "build_lenet5",
        "lenet-softmax",
        patch=[('layers.Dense(10, activation="softmax")', "layers.Dense(10)")],
    ),
    "lenet-no-bias": Mutant(
        "build_lenet5",
        "lenet-parameters",
        patch=[
            (
                'layers.Dense(120, activation="tanh")',
                'layers.Dense(120, activation="tanh", use_bias=False)',
            )
        ],
    ),
    "lenet-compiled": Mutant(
        "build_lenet5",
        "lenet-uncompiled",
        patch=[
            ("    return keras.Sequential(\n", "    model = keras.Sequential(\n"),
            (
                '        name="lenet5",\n    )\n',
                '        name="lenet5",\n    )\n'
                '    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")\n'
                "    return model\n",
            ),
        ],
    ),
}

ALONE = ()

ALTERNATIVES = {
    "cos-math": Alternative(
        "conv_output_size",
        source="""import math
import numbers


def conv_output_size(n, kernel_size, stride=1, padding="valid"):
    for name, value in {"n": n, "kernel_size": kernel_size, "stride": stride}.items():
        if type(value) is bool or not isinstance(value, numbers.Integral) or value <= 0:
            raise ValueError(f"{name}={value!r} is not a positive integer")
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"unknown padding {padding!r}: use 'valid', 'same' or an int >= 0")
        if padding == "same":
            return math.ceil(n / stride)
        p = 0
    elif isinstance(padding, numbers.Integral) and type(padding) is not bool and padding >= 0:
        p = padding
    else:
        raise ValueError(f"padding={padding!r} must be 'valid', 'same' or an int >= 0")
    if kernel_size > n + 2 * p:
        raise ValueError(f"kernel_size={kernel_size} > n + 2p = {n + 2 * p}")
    return math.floor((n + 2 * p - kernel_size) / stride) + 1
""",
        why="numbers.Integral, math.floor and math.ceil of true divisions",
    ),
    "cos-keras-total-padding": Alternative(
        "conv_output_size",
        source="""import operator


def _positive(name, value):
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, not {value}")
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer, got {name}={value!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {name}={value}")
    return value


def conv_output_size(n, kernel_size, stride=1, padding="valid"):
    n = _positive("n", n)
    kernel_size = _positive("kernel_size", kernel_size)
    stride = _positive("stride", stride)
    if isinstance(padding, str) and padding == "same":
        # Keras pads (out - 1) * stride + kernel_size - n zeros in all (never fewer than 0)
        total = max((-(-n // stride) - 1) * stride + kernel_size - n, 0)
        return (n + total - kernel_size) // stride + 1
    if isinstance(padding, str) and padding == "valid":
        pad = 0
    elif isinstance(padding, str) or isinstance(padding, bool):
        raise ValueError(f"padding must be 'valid', 'same' or an int >= 0, got padding={padding!r}")
    else:
        try:
            pad = operator.index(padding)
        except TypeError:
            raise ValueError(f"padding must be 'valid', 'same' or an int, got padding={padding!r}") from None
        if pad < 0:
            raise ValueError(f"padding must be >= 0, got padding={pad}")
    size = n + 2 * pad
    if kernel_size > size:
        raise ValueError(f"kernel_size={kernel_size} is larger than the padded input ({size})")
    return (size - kernel_size) // stride + 1
""",
        why="operator.index, and 'same' through Keras' total padding instead of ceil(n / s)",
    ),
    "conv2d-pixel-loops": Alternative(
        "conv2d",
        source="""def conv2d(x, w, *, stride=1, padding="valid"):
    x = np.array(x, dtype=np.float64)
    w = np.array(w, dtype=np.float64)
    if x.ndim != 2 or w.ndim != 2:
        raise ValueError(f"x and w must be 2-D, got x.shape={x.shape} and w.shape={w.shape}")
    if padding not in ("valid", "same"):
        raise ValueError(f"unknown padding={padding!r}, use 'valid' or 'same'")
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"stride must be a positive int, got stride={stride!r}")
    H, W = x.shape
    U, V = w.shape
    if padding == "valid" and (U > H or V > W):
        raise ValueError(f"the kernel of shape {w.shape} does not fit in the image {x.shape}")
    out_h = conv_output_size(H, U, stride, padding)
    out_w = conv_output_size(W, V, stride, padding)
    if padding == "same":
        pad_h = max((out_h - 1) * stride + U - H, 0)
        pad_w = max((out_w - 1) * stride + V - W, 0)
        x = np.pad(x, ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2)))
    y = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            patch = x[i * stride : i * stride + U, j * stride : j * stride + V]
            y[i, j] = np.sum(patch * w)
    return y
""",
        why="a double loop over the output pixels; the sizes from part 1's conv_output_size",
    ),
    "conv2d-sliding-window": Alternative(
        "conv2d",
        source="""import numbers

from numpy.lib.stride_tricks import sliding_window_view


def conv2d(x, w, *, stride=1, padding="valid"):
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"conv2d needs a 2-D image, got an array of shape {x.shape}")
    if w.ndim != 2:
        raise ValueError(f"conv2d needs a 2-D kernel, got an array of shape {w.shape}")
    if isinstance(stride, bool) or not isinstance(stride, numbers.Integral) or stride <= 0:
        raise ValueError(f"stride={stride!r} is not a positive integer")
    if isinstance(padding, str) and padding == "same":
        pads = []
        for n, k in zip(x.shape, w.shape):
            total = max((-(-n // stride) - 1) * stride + k - n, 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, pads)
    elif not (isinstance(padding, str) and padding == "valid"):
        raise ValueError(f"padding={padding!r}: use 'valid' or 'same'")
    if w.shape[0] > x.shape[0] or w.shape[1] > x.shape[1]:
        raise ValueError(f"the kernel {w.shape} is larger than the image {x.shape}")
    windows = sliding_window_view(x, w.shape)[::stride, ::stride]
    return np.tensordot(windows, w, axes=([2, 3], [0, 1]))
""",
        why="sliding_window_view and tensordot",
    ),
    "multi-via-conv2d": Alternative(
        "conv2d_multi",
        source="""def conv2d_multi(x, w, b, *, stride=1, padding="valid"):
    x, w, b = (np.asarray(a, dtype=float) for a in (x, w, b))
    if x.ndim != 3 or w.ndim != 4:
        raise ValueError(
            f"x must be (H, W, P) and w (U, V, P, Q), got x.shape={x.shape}, w.shape={w.shape}"
        )
    if x.shape[2] != w.shape[2]:
        raise ValueError(f"the channels differ: x.shape={x.shape}, w.shape={w.shape}")
    if b.shape != (w.shape[3],):
        raise ValueError(f"b.shape={b.shape}, expected ({w.shape[3]},)")
    channels = []
    for q in range(w.shape[3]):
        total = b[q]
        for p in range(x.shape[2]):
            total = total + conv2d(x[:, :, p], w[:, :, p, q], stride=stride, padding=padding)
        channels.append(total)
    return np.stack(channels, axis=-1)
""",
        why="the notebook's slower route: part 2's conv2d in a loop over p and q",
    ),
    "multi-einsum": Alternative(
        "conv2d_multi",
        source="""def conv2d_multi(x, w, b, *, stride=1, padding="valid"):
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    b = np.asarray(b, dtype=float)
    if x.ndim != 3:
        raise ValueError(f"x must be (H, W, P), got shape {x.shape}")
    if w.ndim != 4:
        raise ValueError(f"w must be (U, V, P, Q), got shape {w.shape}")
    H, W, P = x.shape
    U, V, P_w, Q = w.shape
    if P != P_w:
        raise ValueError(f"x has {P} channels but w has {P_w}: x {x.shape}, w {w.shape}")
    if b.shape != (Q,):
        raise ValueError(f"b must have shape ({Q},), got {b.shape}")
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise ValueError(f"bad stride {stride!r}")
    if padding == "same":
        out_h, out_w = -(-H // stride), -(-W // stride)
        ph = max((out_h - 1) * stride + U - H, 0)
        pw = max((out_w - 1) * stride + V - W, 0)
        x = np.pad(x, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    elif padding != "valid":
        raise ValueError(f"padding must be 'valid' or 'same', not {padding!r}")
    if U > x.shape[0] or V > x.shape[1]:
        raise ValueError(f"kernel {w.shape} larger than image {x.shape}")
    out_h = (x.shape[0] - U) // stride + 1
    out_w = (x.shape[1] - V) // stride + 1
    rows = (np.arange(out_h) * stride)[:, None] + np.arange(U)  # (out_h, U)
    cols = (np.arange(out_w) * stride)[:, None] + np.arange(V)  # (out_w, V)
    patches = x[rows[:, None, :, None], cols[None, :, None, :]]  # (out_h, out_w, U, V, P)
    return np.einsum("ijuvp,uvpq->ijq", patches, w) + b
""",
        why="fancy-indexed patches and einsum, its own padding",
    ),
    "pool-window-loops": Alternative(
        "pool2d",
        source="""def pool2d(x, *, size=2, stride=None, mode="max"):
    x = np.asarray(x, dtype=float)
    if x.ndim not in (2, 3):
        raise ValueError(f"x must be 2-D or 3-D, got shape {x.shape}")
    for name, value in (("size", size), ("stride", size if stride is None else stride)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {name}={value!r}")
    stride = size if stride is None else stride
    reduce = {"max": np.max, "avg": np.mean}.get(mode)
    if reduce is None:
        raise ValueError(f"mode={mode!r} is neither 'max' nor 'avg'")
    H, W = x.shape[:2]
    if size > H or size > W:
        raise ValueError(f"the window size={size} is larger than the image {x.shape[:2]}")
    out = np.empty(((H - size) // stride + 1, (W - size) // stride + 1) + x.shape[2:])
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            window = x[i * stride : i * stride + size, j * stride : j * stride + size]
            out[i, j] = reduce(window, axis=(0, 1))
    return out
""",
        why="a double loop over the windows, np.max / np.mean over both window axes",
    ),
    "pool-sliding-window": Alternative(
        "pool2d",
        source="""from numpy.lib.stride_tricks import sliding_window_view


def pool2d(x, *, size=2, stride=None, mode="max"):
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', not {mode!r}")
    x = np.asarray(x, dtype=float)
    if x.ndim not in (2, 3):
        raise ValueError(f"expected an (H, W) or (H, W, C) array, got shape {x.shape}")
    if stride is None:
        stride = size
    for name, value in (("size", size), ("stride", stride)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name}={value!r} is not a positive integer")
    if size > x.shape[0] or size > x.shape[1]:
        raise ValueError(f"a {size}x{size} window does not fit in an image of shape {x.shape}")
    windows = sliding_window_view(x, (size, size), axis=(0, 1))[::stride, ::stride]
    if mode == "max":
        return windows.max(axis=(-2, -1))
    return windows.mean(axis=(-2, -1))
""",
        why="sliding_window_view over the two image axes",
    ),
    "lenet-functional": Alternative(
        "build_lenet5",
        source="""def build_lenet5():
    inputs = keras.Input(shape=(32, 32, 1))
    x = keras.layers.Conv2D(6, (5, 5), padding="valid", activation="tanh")(inputs)
    x = keras.layers.AvgPool2D(pool_size=(2, 2))(x)
    x = keras.layers.Conv2D(16, (5, 5), activation="tanh")(x)
    x = keras.layers.AvgPool2D(2)(x)
    x = keras.layers.Flatten()(x)
    for units in (120, 84):
        x = keras.layers.Dense(units, activation="tanh")(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="LeNet5")
""",
        why="the Functional API, AvgPool2D (an alias), a loop for the dense layers",
    ),
    "lenet-activation-layers": Alternative(
        "build_lenet5",
        source="""def build_lenet5():
    model = keras.Sequential()
    model.add(keras.Input(shape=(32, 32, 1)))
    for filters in (6, 16):
        model.add(keras.layers.Conv2D(filters, kernel_size=5))
        model.add(keras.layers.Activation("tanh"))
        model.add(keras.layers.AveragePooling2D(pool_size=2, strides=2))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(120))
    model.add(keras.layers.Activation(keras.activations.tanh))
    model.add(keras.layers.Dense(84, activation=keras.activations.tanh))
    model.add(keras.layers.Dense(10))
    model.add(keras.layers.Softmax())
    return model
""",
        why="model.add, activations as separate Activation and Softmax layers",
    ),
}
