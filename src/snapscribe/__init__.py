"""snapscribe: safe, grounded captions, tags and hashtags for photo uploads."""

import os as _os

# The pipeline runs one image per core; a BLAS or OpenMP pool per call would oversubscribe
# the cores and spin (measured: PDQ's 512 px matrix products cost 2x CPU with OpenBLAS's
# default pool). Set before numpy loads; an explicit setting in the environment wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
