"""The embedding cache is shared by every process on a data directory (issue 17, defect 5): concurrent
writers must not trip over one another's temp file (a shared ``.tmp.npz`` made one process fail and store
an error record), and a reader always sees a whole cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

WRITER = """
import sys
from pathlib import Path
import numpy as np
from snapscribe.engines.minilm import MiniLMEmbedder

cache = Path(sys.argv[1])
me = int(sys.argv[2])
for i in range(40):
    e = MiniLMEmbedder(cache)  # loads what the others wrote so far, adds one text, saves (merging)
    e._dirty = {f"w{me}-{i}": np.full(384, me, dtype=np.float32)}; e._cache.update(e._dirty)
    e._save()
"""


def test_concurrent_writers_never_collide(tmp_path: Path):
    src = Path(__file__).resolve().parents[1] / "src"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), str(n)],
            stderr=subprocess.PIPE,
            env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        )
        for n in range(4)
    ]
    errors = [(p.wait(120), p.stderr.read().decode()[-800:]) for p in procs]
    assert all(rc == 0 for rc, _ in errors), errors
    assert not list(tmp_path.glob(".minilm-*")), "temp files were left behind"
    with np.load(tmp_path / "minilm-embeddings.npz") as data:
        assert any(f"w{n}-39" in data.files for n in range(4))  # a cache may lose a race, never break
        assert all(data[k].shape == (384,) for k in data.files)
