"""Model engines behind small interfaces (see :mod:`snapscribe.engines.base`)."""
