"""The embedded default: one machine, no services (SQLite + filesystem broker under var/)."""

from .base import *  # noqa: F403
