"""TensorFlow start-up, seeding and device (GPU) helpers.

Introduced in chapter 0 (setup); every chapter and assignment that uses Keras calls
:func:`quiet_tensorflow` once, before its first ``import keras``.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
from pathlib import Path

__all__ = ["quiet_tensorflow", "set_seed", "device_report", "machine_info"]

# Environment that keeps TensorFlow's C++ start-up logging out of notebooks and grading.
_TF_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",  # no oneDNN banner; results are reproducible across runs
    "KERAS_BACKEND": "tensorflow",
}


@contextlib.contextmanager
def _stderr_to_devnull():
    """Redirect the process-level stderr (file descriptor 2) while the body runs."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real fd 2 (odd embedding): do nothing
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_tensorflow():
    """Import TensorFlow and Keras without start-up log noise, and return ``keras``.

    TensorFlow's C++ core prints messages such as "Could not find cuda drivers" to the
    process's stderr while it loads. In a notebook they appear as red output, and nbgrader
    gives zero points to a test cell that writes to stderr, so the course loads TensorFlow
    through this function. GPUs, when present, get memory growth so that several students
    can share one card.

    Returns
    -------
    module
        The ``keras`` module (Keras 3 on the TensorFlow backend).

    Examples
    --------
    >>> keras = quiet_tensorflow()
    >>> keras.__version__.split(".")[0]
    '3'
    """
    for key, value in _TF_ENV.items():
        os.environ.setdefault(key, value)
    if "tensorflow" not in sys.modules:
        with _stderr_to_devnull():
            import tensorflow as tf

            # The CUDA probe runs lazily on first device use: trigger it while fd 2 is muted.
            gpus = tf.config.list_physical_devices("GPU")
            for gpu in gpus:
                with contextlib.suppress(RuntimeError):  # already initialised: too late, harmless
                    tf.config.experimental.set_memory_growth(gpu, True)
        tf.get_logger().setLevel("ERROR")
        with contextlib.suppress(ImportError):
            import absl.logging

            absl.logging.set_verbosity(absl.logging.ERROR)
    import keras

    return keras


def set_seed(seed):
    """Seed Python, NumPy and (if loaded) Keras/TensorFlow for a reproducible run.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Examples
    --------
    >>> set_seed(0)
    >>> set_seed(-1)
    Traceback (most recent call last):
    ...
    ValueError: seed must be a non-negative integer. Received: seed=-1.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer. Received: seed={seed!r}.")
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002  (third-party code may use the global generator)
    if "keras" in sys.modules:
        import keras

        keras.utils.set_random_seed(seed)


def device_report():
    """Describe the compute devices TensorFlow sees, as a dict.

    Returns
    -------
    dict
        ``{"tensorflow": version, "cuda_build": version or None, "gpus": [names],
        "cpu_count": n}``; ``gpus`` is empty on a CPU-only machine, ``cuda_build`` is the CUDA
        version TensorFlow was built with (None for a CPU-only build).

    Examples
    --------
    >>> report = device_report()
    >>> sorted(report)
    ['cpu_count', 'cuda_build', 'gpus', 'tensorflow']
    """
    quiet_tensorflow()
    import tensorflow as tf

    gpus = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        gpus.append(details.get("device_name", gpu.name))
    cuda = tf.sysconfig.get_build_info().get("cuda_version") or None
    return {
        "tensorflow": tf.__version__,
        "cuda_build": cuda,
        "gpus": gpus,
        "cpu_count": os.cpu_count(),
    }


def _proc_field(path, key):
    """The value after ``key:`` in a /proc file (None where there is no such file or line)."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def machine_info():
    """The machine a benchmark ran on, as a dict (no TensorFlow import).

    Every script in ``benchmarks/`` records this beside its numbers, because timings only
    mean something together with the machine and how busy it was.

    Returns
    -------
    dict
        ``cpu`` (model name), ``cores``, ``memory_gib``, ``platform``, ``python`` and
        ``load_average`` (1, 5 and 15 minutes; None where the system has none).

    Examples
    --------
    >>> info = machine_info()
    >>> sorted(info)
    ['cores', 'cpu', 'load_average', 'memory_gib', 'platform', 'python']
    >>> info["cores"] == os.cpu_count()
    True
    """
    memory = _proc_field("/proc/meminfo", "MemTotal")
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "cpu": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory.split()[0]) / 1024**2, 1) if memory else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average": load,
    }
