"""GitHub Actions integration: step summary, annotations, outputs, the feedback comment."""

from __future__ import annotations
