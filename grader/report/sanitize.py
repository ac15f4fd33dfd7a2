"""Make untrusted text (test messages, app output) safe to show: capped, no control codes."""

from __future__ import annotations

import re
import string

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MD_PUNCT = set(string.punctuation) - set("&<>")
APP_OUTPUT_SHOWN = 4000  # characters of the app's output a report shows


def clean(text: str, limit: int = 500) -> str:
    """Strip terminal escapes and control characters, defuse workflow commands, cap the length."""
    text = defuse_workflow_commands(_CONTROL.sub("", _ANSI.sub("", text.replace("\r\n", "\n"))))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def defuse_workflow_commands(text: str) -> str:
    """Break every line that starts with '::', which a GitHub Actions log would run as a command.

    Applied to whole reports too: wrapping can move '::' to the start of a line.
    """
    return re.sub(r"(?m)^(\s*)::", r"\1: :", text)


def markdown_text(text: str, limit: int = 500) -> str:
    """`clean` text, escaped so that Markdown and HTML show it literally, on one line."""
    out = []
    for char in " ".join(clean(text, limit).split()):
        if char in "&<>":
            out.append({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[char])
        elif char in _MD_PUNCT:
            out.append("\\" + char)
        else:
            out.append(char)
    # No @mentions from student text: a zero-width space after '@' keeps GitHub from pinging.
    return "".join(out).replace("\\@", "@\u200b")


def app_output_title(result) -> str:
    """'App output (12 345 bytes, first 4 000 characters shown)' for a Result with app output."""
    total = result.app_output_bytes
    shown = "" if len(result.app_output) <= APP_OUTPUT_SHOWN and total <= len(result.app_output.encode()) \
        else f", first {APP_OUTPUT_SHOWN} characters shown"
    return f"App output ({total} bytes{shown})"
