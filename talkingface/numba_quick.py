"""numba, imported without SciPy's linear algebra (issue #13: start-up).

The first kernel numba loads makes it import ``numba.np.arraymath``, which at import time imports
``scipy.linalg.cython_blas`` only to learn whether ``np.dot`` can be compiled with BLAS: a quarter
of a second of CPU (scipy.linalg, its array-API shims, numpy.f2py), on the thread that prepares
the face, for loops that never call BLAS. Here that module is imported with the check answered
from whether SciPy is installed (without importing it); numba's linear algebra still imports and
checks SciPy itself when a kernel uses it. The compiled kernels are the same (loaded from the
same cache), so are the frames.
"""

from __future__ import annotations

import importlib.util
import sys


def _arraymath_without_scipy() -> None:
    if "numba.np.arraymath" in sys.modules:
        return
    import numba.np.linalg as linalg

    checked = getattr(linalg, "ensure_blas", None)
    if checked is None:  # another numba: left to load as it does
        return

    def asked_later() -> None:
        raise ImportError("checked below, without importing scipy")

    linalg.ensure_blas = asked_later
    try:
        import numba.np.arraymath as arraymath
    finally:
        linalg.ensure_blas = checked
    arraymath.ensure_blas = checked
    arraymath._HAVE_BLAS = importlib.util.find_spec("scipy") is not None


_arraymath_without_scipy()

from numba import njit  # noqa: E402

__all__ = ["njit"]
