"""Measurement and planning: ``snapscribe bench`` (how fast is it, and why) and
``snapscribe plan`` (what fleet does a given upload rate need, and what does it cost)."""
