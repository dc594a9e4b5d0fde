"""snapscribe: safe, grounded captions, tags and hashtags for photo uploads."""

__version__ = "0.1.0"
