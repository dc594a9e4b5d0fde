"""The HTTP service: upload API, embedded job queue, search, review queue, metrics and web page."""

from .app import create_app

__all__ = ["create_app"]
