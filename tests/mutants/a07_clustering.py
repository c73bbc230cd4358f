"""a07_clustering: requirements, mutants and correct alternatives (see tests/mutants/__init__.py)."""

from mutants import Alternative, Mutant, Requirement

REQUIREMENTS = {
    # kmeans_plus_plus_init (and its helpers _check_data, _check_num_clusters)
    "kpp-first-uniform": Requirement(
        "the first centre is a data point chosen **uniformly** at random",
        ("kmeans_plus_plus_init_hidden",),
    ),
    "kpp-d-squared": Requirement(
        "the next centre is a data point drawn with probability $D(x)^2 / \\sum_{x'} D(x')^2$",
        ("kmeans_plus_plus_init_hidden",),
    ),
    "kpp-nearest": Requirement(
        "let $D(x)$ be its distance to the **nearest centre chosen so far**",
        ("kmeans_plus_plus_init_hidden",),
    ),
    "kpp-fallback": Requirement(
        "if all $D(x)^2$ are 0 (X has fewer distinct rows than $k$), pick the next centre "
        "uniformly instead of dividing by zero",
        ("kmeans_plus_plus_init_hidden",),
    ),
    "kpp-one-generator": Requirement(
        "make one generator, `rng = np.random.default_rng(random_state)`, and draw everything "
        "from it",
        ("kmeans_plus_plus_init_values", "kmeans_plus_plus_init_hidden"),
    ),
    "kpp-bad-input": Requirement(
        "`X` not a 2-D array with at least one row: the message contains `X.shape`, e.g. "
        '`"X must be a 2-D array (n_samples, n_features). Received: X.shape=(5,)."`; * `k` not '
        "an integer between 1 and `n_samples`: the message contains `k=` and its value",
        ("kmeans_plus_plus_init_values", "kmeans_plus_plus_init_hidden"),
    ),
    # kmeans
    "kmeans-start": Requirement(
        "start from `centers = kmeans_plus_plus_init(X, k, random_state=random_state)`",
        ("kmeans_hidden_digits",),
    ),
    "kmeans-ties": Requirement(
        "give every point the label of its nearest centre (on a tie, the smallest index, which "
        "is what `np.argmin` does)",
        ("kmeans_hidden_digits",),
    ),
    "kmeans-update": Requirement(
        "move every centre to the mean of the points labelled with it; a centre with no points "
        "keeps its old position",
        ("kmeans_hidden_blobs", "kmeans_hidden_digits"),
    ),
    "kmeans-stop": Requirement(
        "stop if `shift <= tol` or after `max_iter` rounds of steps 2–3",
        ("kmeans_hidden_digits",),
    ),
    "kmeans-final-assignment": Requirement(
        "finally assign every point to its nearest **returned** centre once more, and compute "
        "the inertia from these labels and centres",
        ("kmeans_values", "kmeans_hidden_digits"),
    ),
    "kmeans-bad-input": Requirement(
        "Check the input: `X` and `k` as in Part 1 (use your helpers), `max_iter` a positive "
        "integer (message with `max_iter=`), `tol` a number $\\ge 0$ (message with `tol=`), all "
        "`ValueError`",
        ("kmeans_bad_input",),
    ),
    # pca
    "pca-centre": Requirement("With the data centred, $X_c = X - \\bar x$", ("pca_hidden",)),
    "pca-ratio-all": Requirement("the sum runs over **all** singular values", ("pca_hidden",)),
    "pca-ratio-squared": Requirement(
        "$\\sigma_j^2 / \\sum_i \\sigma_i^2$", ("pca_values", "pca_hidden")
    ),
    "pca-projection": Requirement(
        "the coordinates of the samples in the first $m$ components are $X_c V_m$",
        ("pca_hidden",),
    ),
    "pca-bad-input": Requirement(
        "Raise a `ValueError` naming the received value if `X` is not 2-D with at least 2 rows "
        "(message with `X.shape`) or `n_components` is not an integer between 1 and "
        "`min(n_samples, n_features)` (message with `n_components=`)",
        ("pca_bad_input",),
    ),
    # cluster_accuracy
    "accuracy-one-to-one": Requirement(
        "match every cluster to a **different** class", ("cluster_accuracy_hidden",)
    ),
    "accuracy-exact": Requirement(
        "the result must be the **exact optimum** for up to 10 clusters and 10 classes",
        ("cluster_accuracy_hidden",),
    ),
    "accuracy-any-integers": Requirement(
        "labels and cluster ids can be **any integers**, not necessarily `0 .. k-1`",
        ("cluster_accuracy_hidden",),
    ),
    "accuracy-bad-input": Requirement(
        "raise a `ValueError` naming both shapes (`y_true.shape=..., y_pred.shape=...`) unless "
        "the two are 1-D, non-empty and of the same length",
        ("cluster_accuracy_values", "cluster_accuracy_bad_input"),
    ),
    # all four
    "numpy-only": Requirement(
        "**NumPy only**",
        (
            "kmeans_plus_plus_init_hidden",
            "kmeans_hidden_digits",
            "pca_hidden",
            "cluster_accuracy_hidden",
        ),
    ),
}

# The checks and the cluster-by-class count table the reference's cluster_accuracy starts
# with: the two mutants below differ from it only in how they match clusters to classes.
_ACCURACY_COUNTS = (
    "    y_true = np.asarray(y_true)\n"
    "    y_pred = np.asarray(y_pred)\n"
    "    if y_true.ndim != 1 or y_true.shape != y_pred.shape or len(y_true) == 0:\n"
    "        raise ValueError(\n"
    "            f'Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}.'\n"
    "        )\n"
    "    _, true_index = np.unique(y_true, return_inverse=True)\n"
    "    _, pred_index = np.unique(y_pred, return_inverse=True)\n"
    "    counts = np.zeros((pred_index.max() + 1, true_index.max() + 1))\n"
    "    np.add.at(counts, (pred_index, true_index), 1)\n"
)

MUTANTS = {
    # kmeans_plus_plus_init. kmeans calls it: a mutant that changes the centres it draws also
    # changes kmeans's results (its `fails` name those tests too; its segment holds a copy of
    # kmeans and of kmeans's tests, see UNIT below).
    "kpp-first-off-by-one": Mutant(
        "kmeans_plus_plus_init",
        "kpp-first-uniform",
        patch=[
            (
                "centers[0] = X[rng.integers(n_samples)]",
                "centers[0] = X[rng.integers(n_samples - 1)]",
            )
        ],
    ),
    "kpp-distance-not-squared": Mutant(
        "kmeans_plus_plus_init",
        "kpp-d-squared",
        patch=[
            (
                "index = rng.choice(n_samples, p=closest / total)",
                "index = rng.choice(n_samples, p=np.sqrt(closest) / np.sqrt(closest).sum())",
            )
        ],
        fails=("kmeans_plus_plus_init_hidden", "kmeans_hidden_blobs"),
    ),
    "kpp-k-below-n": Mutant(
        "kmeans_plus_plus_init",
        "kpp-bad-input",
        patch=[("not 1 <= k <= n_samples", "not 1 <= k < n_samples")],
        fails=("kmeans_plus_plus_init_hidden",),
    ),
    "kpp-last-centre-only": Mutant(
        "kmeans_plus_plus_init",
        "kpp-nearest",
        patch=[
            (
                "closest = np.minimum(closest, np.sum((X - centers[j]) ** 2, axis=1))",
                "closest = np.sum((X - centers[j]) ** 2, axis=1)",
            )
        ],
        fails=("kmeans_plus_plus_init_hidden", "kmeans_hidden_blobs", "kmeans_hidden_digits"),
    ),
    "kpp-no-fallback": Mutant(
        "kmeans_plus_plus_init",
        "kpp-fallback",
        patch=[
            (
                "        if total > 0:\n            index = rng.choice(n_samples, p=closest / total)\n"
                "        else:  # fewer distinct rows than k: every point is already a centre\n"
                "            index = rng.integers(n_samples)\n",
                "        index = rng.choice(n_samples, p=closest / total)\n",
            )
        ],
        fails=("kmeans_plus_plus_init_hidden", "kmeans_hidden_digits"),
    ),
    "kpp-global-random": Mutant(
        "kmeans_plus_plus_init",
        "kpp-one-generator",
        patch=[
            (
                "centers[0] = X[rng.integers(n_samples)]",
                "centers[0] = X[np.random.randint(n_samples)]",
            )
        ],
        # The visible test's two calls draw their first centres from NumPy's global state:
        # they differ in 49 of 50 states, as in this mutant's segment (in the whole notebook,
        # after the digits cell, they happened to be the same and only the hidden tests saw it)
        fails=(
            "kmeans_plus_plus_init_values",
            "kmeans_plus_plus_init_hidden",
            "kmeans_hidden_digits",
        ),
    ),
    # kmeans
    "kmeans-global-seed": Mutant(
        "kmeans",
        "kmeans-start",
        patch=[
            (
                "centers = kmeans_plus_plus_init(X, k, random_state=random_state)",
                "centers = kmeans_plus_plus_init(X, k, random_state=SEED)",
            )
        ],
    ),
    "kmeans-ties-last-index": Mutant(
        "kmeans",
        "kmeans-ties",
        patch=[
            (
                "    labels = np.argmin(distances, axis=1)\n",
                "    labels = k - 1 - np.argmin(distances[:, ::-1], axis=1)\n",
            )
        ],
    ),
    "kmeans-empty-to-origin": Mutant(
        "kmeans",
        "kmeans-update",
        patch=[
            (
                "np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], centers)",
                "sums / np.maximum(counts, 1)[:, None]",
            )
        ],
        fails=("kmeans_hidden_digits",),
    ),
    "kmeans-no-early-stop": Mutant(
        "kmeans",
        "kmeans-stop",
        patch=[("        if shift <= tol:\n            break\n", "")],
    ),
    "kmeans-stale-labels": Mutant(
        "kmeans",
        "kmeans-final-assignment",
        patch=[
            (
                "    distances = _squared_distances(X, centers)\n    labels = np.argmin(distances, axis=1)\n",
                "    distances = _squared_distances(X, centers)\n",
            )
        ],
        fails=("kmeans_hidden_digits",),
    ),
    "kmeans-no-tol-check": Mutant(
        "kmeans",
        "kmeans-bad-input",
        patch=[
            (
                "    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0:\n"
                '        raise ValueError(f"tol must be a non-negative number. Received: tol={tol!r}.")\n',
                "",
            )
        ],
    ),
    # pca
    "pca-not-centred": Mutant(
        "pca", "pca-centre", patch=[("X_centered = X - X.mean(axis=0)", "X_centered = X")]
    ),
    "pca-ratio-of-kept": Mutant(
        "pca",
        "pca-ratio-all",
        patch=[
            (
                "variances[:n_components] / variances.sum()",
                "variances[:n_components] / variances[:n_components].sum()",
            )
        ],
    ),
    "pca-ratio-not-squared": Mutant(
        "pca",
        "pca-ratio-squared",
        patch=[("variances = singular_values**2", "variances = singular_values")],
    ),
    "pca-project-raw-data": Mutant(
        "pca",
        "pca-projection",
        patch=[("X_projected = X_centered @ components.T", "X_projected = X @ components.T")],
    ),
    "pca-limit-features": Mutant(
        "pca", "pca-bad-input", patch=[("limit = min(X.shape)", "limit = X.shape[1]")]
    ),
    "pca-scipy": Mutant(
        "pca",
        "numpy-only",
        patch=[
            (
                "_, singular_values, Vt = np.linalg.svd(X_centered, full_matrices=False)",
                "import scipy.linalg\n\n"
                "    _, singular_values, Vt = scipy.linalg.svd(X_centered, full_matrices=False)",
            )
        ],
        # the student process of a NumPy-only notebook has no SciPy at all: every call fails
        fails=("pca_values", "pca_hidden"),
    ),
    # cluster_accuracy
    "accuracy-majority-class": Mutant(
        "cluster_accuracy",
        "accuracy-one-to-one",
        source=(
            "def cluster_accuracy(y_true, y_pred):\n"
            "    y_true = np.asarray(y_true)\n"
            "    y_pred = np.asarray(y_pred)\n"
            "    if y_true.ndim != 1 or y_true.shape != y_pred.shape or len(y_true) == 0:\n"
            "        raise ValueError(\n"
            "            f'Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}.'\n"
            "        )\n"
            "    correct = 0\n"
            "    for cluster in np.unique(y_pred):  # every cluster votes for its majority class\n"
            "        _, counts = np.unique(y_true[y_pred == cluster], return_counts=True)\n"
            "        correct += counts.max()\n"
            "    return float(correct / len(y_true))\n"
        ),
    ),
    "accuracy-greedy": Mutant(
        "cluster_accuracy",
        "accuracy-exact",
        source=(
            "def cluster_accuracy(y_true, y_pred):\n" + _ACCURACY_COUNTS + "    correct = 0.0\n"
            "    for _ in range(min(counts.shape)):  # the largest cell first, then its row and column go\n"
            "        i, j = np.unravel_index(np.argmax(counts), counts.shape)\n"
            "        correct += counts[i, j]\n"
            "        counts[i, :] = -1\n"
            "        counts[:, j] = -1\n"
            "    return float(correct / len(y_true))\n"
        ),
    ),
    "accuracy-labels-as-indices": Mutant(
        "cluster_accuracy",
        "accuracy-any-integers",
        patch=[
            (
                "    classes, true_index = np.unique(y_true, return_inverse=True)\n"
                "    clusters, pred_index = np.unique(y_pred, return_inverse=True)\n"
                "    counts = np.zeros((len(clusters), len(classes)), dtype=np.int64)",
                "    true_index, pred_index = y_true, y_pred\n"
                "    counts = np.zeros((y_pred.max() + 1, y_true.max() + 1), dtype=np.int64)",
            )
        ],
    ),
    "accuracy-accepts-empty": Mutant(
        "cluster_accuracy",
        "accuracy-bad-input",
        patch=[
            (
                "y_true.shape != y_pred.shape or len(y_true) == 0:",
                "y_true.shape != y_pred.shape:",
            )
        ],
        fails=("cluster_accuracy_bad_input",),
    ),
    "accuracy-scipy": Mutant(
        "cluster_accuracy",
        "numpy-only",
        source=(
            "def cluster_accuracy(y_true, y_pred):\n"
            "    from scipy.optimize import linear_sum_assignment\n\n"
            + _ACCURACY_COUNTS
            + "    rows, columns = linear_sum_assignment(counts, maximize=True)\n"
            "    return float(counts[rows, columns].sum() / len(y_true))\n"
        ),
        fails=("cluster_accuracy_values", "cluster_accuracy_hidden", "cluster_accuracy_bad_input"),
    ),
}

# Every variant is graded in a segment of its own (UNIT, tests/mutants/__init__.py), with its
# own copies of the tests it can change: several mutants fail kmeans_hidden_digits only, and no
# round has to keep them apart.
UNIT = tuple(MUTANTS)

ALTERNATIVES = {
    # kmeans_plus_plus_init: the distances to all chosen centres recomputed, and inverse-CDF
    # sampling instead of rng.choice(p=...)
    "kpp-recompute": Alternative(
        "kmeans_plus_plus_init",
        source=(
            "def _check_data(X):\n"
            "    X = np.array(X, dtype=np.float64)\n"
            "    if len(X.shape) != 2 or len(X) == 0:\n"
            "        raise ValueError(f'X must be 2-D and non-empty, got X.shape={X.shape}')\n"
            "    return X\n\n\n"
            "def _check_num_clusters(k, n_samples):\n"
            "    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1 or k > n_samples:\n"
            "        raise ValueError(f'k must be in 1..{n_samples}, got k={k}')\n"
            "    return int(k)\n\n\n"
            "def kmeans_plus_plus_init(X, k, *, random_state):\n"
            "    X = _check_data(X)\n"
            "    k = _check_num_clusters(k, X.shape[0])\n"
            "    rng = np.random.default_rng(random_state)\n"
            "    chosen = [int(rng.choice(X.shape[0]))]\n"
            "    while len(chosen) < k:\n"
            "        d2 = ((X[:, None, :] - X[chosen][None, :, :]) ** 2).sum(axis=2).min(axis=1)\n"
            "        if d2.sum() == 0:\n"
            "            chosen.append(int(rng.integers(X.shape[0])))\n"
            "        else:\n"
            "            chosen.append(int(rng.choice(X.shape[0], p=d2 / d2.sum())))\n"
            "    return X[chosen].astype(float)\n"
        ),
    ),
    "kpp-inverse-cdf": Alternative(
        "kmeans_plus_plus_init",
        patch=[
            (
                "            index = rng.choice(n_samples, p=closest / total)\n",
                "            cumulative = np.cumsum(closest)\n"
                "            index = int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side='right'))\n"
                "            index = min(index, n_samples - 1)\n",
            )
        ],
    ),
    # kmeans: a loop over the clusters and broadcast distances; np.add.at/np.bincount and a while
    "kmeans-loops": Alternative(
        "kmeans",
        source=(
            "def kmeans(X, k, *, max_iter=300, tol=1e-4, random_state=None):\n"
            "    X = _check_data(X)\n"
            "    k = _check_num_clusters(k, X.shape[0])\n"
            "    if type(max_iter) is bool or not isinstance(max_iter, (int, np.integer)) or max_iter <= 0:\n"
            "        raise ValueError(f'max_iter={max_iter} is not a positive integer')\n"
            "    if not isinstance(tol, (int, float, np.number)) or isinstance(tol, bool) or tol < 0:\n"
            "        raise ValueError(f'tol={tol} must be >= 0')\n"
            "    centers = kmeans_plus_plus_init(X, k, random_state=random_state).copy()\n"
            "    for _ in range(max_iter):\n"
            "        labels = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)\n"
            "        old = centers.copy()\n"
            "        for j in range(k):\n"
            "            members = X[labels == j]\n"
            "            if len(members) > 0:\n"
            "                centers[j] = members.mean(axis=0)\n"
            "        if np.linalg.norm(centers - old, axis=1).max() <= tol:\n"
            "            break\n"
            "    distances = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)\n"
            "    labels = distances.argmin(axis=1)\n"
            "    return centers, labels, float(distances.min(axis=1).sum())\n"
        ),
    ),
    "kmeans-bincount-while": Alternative(
        "kmeans",
        source=(
            "def kmeans(X, k, *, max_iter=300, tol=1e-4, random_state=None):\n"
            "    X = _check_data(X)\n"
            "    k = _check_num_clusters(k, len(X))\n"
            "    if not isinstance(max_iter, numbers.Integral) or isinstance(max_iter, bool) or max_iter < 1:\n"
            "        raise ValueError(f'Received: max_iter={max_iter!r}')\n"
            "    if not isinstance(tol, numbers.Real) or isinstance(tol, bool) or not tol >= 0:\n"
            "        raise ValueError(f'Received: tol={tol!r}')\n"
            "\n"
            "    def assign(centers):\n"
            "        d2 = (X**2).sum(1)[:, None] - 2 * X @ centers.T + (centers**2).sum(1)[None, :]\n"
            "        d2 = np.clip(d2, 0, None)\n"
            "        return d2.argmin(1), d2\n"
            "\n"
            "    centers = np.asarray(kmeans_plus_plus_init(X, k, random_state=random_state), dtype=float)\n"
            "    iteration, moved = 0, np.inf\n"
            "    while iteration < max_iter and moved > tol:\n"
            "        labels, _ = assign(centers)\n"
            "        sums = np.zeros_like(centers)\n"
            "        np.add.at(sums, labels, X)\n"
            "        counts = np.bincount(labels, minlength=k)\n"
            "        new = centers.copy()\n"
            "        filled = counts > 0\n"
            "        new[filled] = sums[filled] / counts[filled, None]\n"
            "        moved = np.sqrt(((new - centers) ** 2).sum(1)).max()\n"
            "        centers = new\n"
            "        iteration += 1\n"
            "    labels, d2 = assign(centers)\n"
            "    return centers, labels, float(d2[np.arange(len(X)), labels].sum())\n"
        ),
    ),
    # pca: scikit-learn's sign convention and the total variance from the data; full SVD
    "pca-sign-flip": Alternative(
        "pca",
        patch=[
            (
                "    components = Vt[:n_components]  # (n_components, n_features)\n",
                "    components = Vt[:n_components].copy()\n"
                "    largest = np.argmax(np.abs(components), axis=1)\n"
                "    components *= np.sign(components[np.arange(n_components), largest])[:, None]\n",
            ),
            (
                "variances[:n_components] / variances.sum()",
                "variances[:n_components] / np.sum(X_centered**2)",
            ),
        ],
    ),
    "pca-full-matrices": Alternative(
        "pca",
        source=(
            "def pca(X, n_components):\n"
            "    X = np.asarray(X, dtype=float)\n"
            "    if X.ndim != 2 or len(X) < 2:\n"
            "        raise ValueError(f'need 2-D X with >= 2 samples; X.shape={X.shape}')\n"
            "    n_samples, n_features = X.shape\n"
            "    if (not isinstance(n_components, (int, np.integer)) or isinstance(n_components, bool)\n"
            "            or n_components < 1 or n_components > min(n_samples, n_features)):\n"
            "        raise ValueError(f'bad n_components={n_components}')\n"
            "    mean = X.sum(axis=0) / n_samples\n"
            "    X_centered = X - mean\n"
            "    U, s, Vt = np.linalg.svd(X_centered, full_matrices=True)\n"
            "    V = Vt.T[:, :n_components]\n"
            "    variance = s**2 / (n_samples - 1)\n"
            "    ratio = variance[:n_components] / variance.sum()\n"
            "    return V.T, ratio, U[:, :n_components] * s[:n_components]\n"
        ),
    ),
    "pca-covariance-eigh": Alternative(
        "pca",
        source=(
            "def pca(X, n_components):\n"
            "    X = np.asarray(X, dtype=float)\n"
            "    if X.ndim != 2 or X.shape[0] < 2:\n"
            "        raise ValueError(f'X must be 2-D with at least 2 rows, got X.shape={X.shape}')\n"
            "    n_samples, n_features = X.shape\n"
            "    largest = min(n_samples, n_features)\n"
            "    if type(n_components) not in (int, np.int32, np.int64) or not 0 < n_components <= largest:\n"
            "        raise ValueError(f'n_components={n_components!r}, expected an integer in 1..{largest}')\n"
            "    X_centered = X - X.mean(axis=0)\n"
            "    covariance = X_centered.T @ X_centered / (n_samples - 1)\n"
            "    eigenvalues, eigenvectors = np.linalg.eigh(covariance)  # ascending\n"
            "    order = np.argsort(eigenvalues)[::-1]\n"
            "    eigenvalues = np.clip(eigenvalues[order], 0.0, None)\n"
            "    components = eigenvectors[:, order[:n_components]].T\n"
            "    ratio = eigenvalues[:n_components] / eigenvalues.sum()\n"
            "    return components, ratio, X_centered @ components.T\n"
        ),
        why="the notebook allows any correct NumPy route: eigh of the covariance matrix",
    ),
    # cluster_accuracy: memoised recursion over (cluster, used classes); DP with Python ints
    "accuracy-recursive": Alternative(
        "cluster_accuracy",
        source=(
            "def cluster_accuracy(y_true, y_pred):\n"
            "    import functools\n\n"
            "    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)\n"
            "    if y_true.ndim != 1 or y_pred.ndim != 1 or y_true.size == 0 or y_true.size != y_pred.size:\n"
            "        raise ValueError(f'bad shapes: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}')\n"
            "    classes = {c: i for i, c in enumerate(sorted(set(y_true.tolist())))}\n"
            "    clusters = {c: i for i, c in enumerate(sorted(set(y_pred.tolist())))}\n"
            "    table = [[0] * len(classes) for _ in clusters]\n"
            "    for t, p in zip(y_true.tolist(), y_pred.tolist()):\n"
            "        table[clusters[p]][classes[t]] += 1\n"
            "\n"
            "    @functools.lru_cache(maxsize=None)\n"
            "    def best(row, used):\n"
            "        if row == len(table):\n"
            "            return 0\n"
            "        result = best(row + 1, used)  # this cluster stays unmatched\n"
            "        for column, count in enumerate(table[row]):\n"
            "            if not used >> column & 1:\n"
            "                result = max(result, count + best(row + 1, used | 1 << column))\n"
            "        return result\n"
            "\n"
            "    return best(0, 0) / len(y_true)\n"
        ),
    ),
    "accuracy-dp-classes": Alternative(
        "cluster_accuracy",
        source=(
            "def cluster_accuracy(y_true, y_pred):\n"
            "    y_true = np.asarray(y_true)\n"
            "    y_pred = np.asarray(y_pred)\n"
            "    if y_true.ndim != 1 or y_pred.ndim != 1 or len(y_true) != len(y_pred) or not len(y_true):\n"
            "        raise ValueError(f'y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}')\n"
            "    classes, t = np.unique(y_true, return_inverse=True)\n"
            "    clusters, p = np.unique(y_pred, return_inverse=True)\n"
            "    counts = np.zeros((len(classes), len(clusters)), dtype=int)\n"
            "    for i, j in zip(t, p):\n"
            "        counts[i, j] += 1\n"
            "    if counts.shape[0] < counts.shape[1]:\n"
            "        counts = counts.T\n"
            "    n_rows, n_cols = counts.shape\n"
            "    best = {0: 0}\n"
            "    for r in range(n_rows):\n"
            "        new = dict(best)\n"
            "        for mask, value in best.items():\n"
            "            for c in range(n_cols):\n"
            "                if not mask & (1 << c):\n"
            "                    key = mask | (1 << c)\n"
            "                    new[key] = max(new.get(key, 0), value + int(counts[r, c]))\n"
            "        best = new\n"
            "    return max(best.values()) / len(y_true)\n"
        ),
    ),
}

UNIT += tuple(ALTERNATIVES)
