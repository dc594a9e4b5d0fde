"""The embedding cache is shared by every process on a data directory (issue 17, defect 5): concurrent
writers must not trip over one another's temp file, and a reader always sees a whole cache."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from snapscribe.engines.minilm import MiniLMEmbedder

WRITER = """
import sys
from pathlib import Path
import numpy as np
from snapscribe.engines.minilm import MiniLMEmbedder

cache = Path(sys.argv[1])
me = int(sys.argv[2])
for i in range(40):
    e = MiniLMEmbedder(cache)  # loads what the others wrote so far, adds one text, saves
    e._cache[f"w{me}-{i}"] = np.full(384, me, dtype=np.float32)
    e._dirty = True
    e._save()
"""


def test_concurrent_writers_never_collide(tmp_path: Path):
    src = Path(__file__).resolve().parents[1] / "src"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(n)], stderr=subprocess.PIPE,
                              env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}) for n in range(4)]
    errors = [(p.wait(120), p.stderr.read().decode()[-800:]) for p in procs]
    assert all(rc == 0 for rc, _ in errors), errors
    assert not list(tmp_path.glob("*.tmp.npz")), "temp files were left behind"
    loaded = MiniLMEmbedder(tmp_path)._cache
    assert loaded and all(v.shape == (384,) for v in loaded.values())


def test_a_cache_that_cannot_be_written_does_not_fail_the_caller(tmp_path: Path):
    e = MiniLMEmbedder(tmp_path / "gone")  # the folder does not exist: saving fails, embedding must not
    e._cache["k"] = np.zeros(384, dtype=np.float32)
    e._dirty = True
    e._save()
    assert not (tmp_path / "gone").exists()
