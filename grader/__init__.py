"""flask-grader: grade Flask apps against YAML rubrics and pytest suites."""

from __future__ import annotations

__version__ = "0.1.0"
