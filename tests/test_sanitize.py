"""Untrusted text in reports: no terminal escapes, no workflow commands, no live Markdown/HTML."""

from __future__ import annotations

from grader.report.markdown import render_markdown
from grader.report.sanitize import clean, markdown_text
from grader.report.text import render_text
from grader.result import CriterionResult, Result, SubmissionInfo
from grader.result import TestOutcome as Outcome  # aliased: pytest would try to collect Test*


def no_line_is_a_workflow_command(output: str) -> bool:
    return not any(line.lstrip().startswith("::") for line in output.splitlines())


# --- clean() --------------------------------------------------------------------------------


def test_clean_strips_ansi_colour_codes():
    assert clean("\x1b[31;1mred\x1b[0m text") == "red text"


def test_clean_strips_cursor_movement_and_screen_clearing():
    assert clean("a\x1b[2J\x1b[Hb\x1b[1A\x1b[2Kc") == "abc"


def test_clean_strips_osc_terminal_title_and_hyperlinks():
    assert clean("\x1b]0;pwned title\x07after") == "after"
    assert clean("\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\") == "link"


def test_clean_strips_control_characters():
    assert clean("a\x00b\x07c\x08d\x7fe\x0cf") == "abcdef"


def test_clean_strips_bidi_overrides():
    assert clean("user\u202egnp.exe\u202c and \u2066x\u2069") == "usergnp.exe and x"


def test_clean_keeps_newlines_and_tabs():
    assert clean("line one\nline two\n\tindented") == "line one\nline two\n\tindented"


def test_clean_turns_crlf_into_newline_and_drops_lone_carriage_returns():
    assert clean("one\r\ntwo") == "one\ntwo"
    assert clean("progress 10%\rdone") == "progress 10%done"


def test_clean_leaves_short_text_alone():
    text = "AssertionError: assert 404 == 200"
    assert clean(text) == text
    assert clean("a" * 500) == "a" * 500


def test_clean_caps_length_with_an_ellipsis():
    out = clean("a" * 600)

    assert len(out) == 500
    assert out == "a" * 499 + "…"


def test_clean_respects_a_custom_limit():
    assert clean("abcdefgh", limit=4) == "abc…"
    assert clean("abcd", limit=4) == "abcd"


def test_clean_caps_after_removing_escapes():
    # 600 characters of escapes around 10 of text: the escapes don't count towards the cap.
    assert clean("\x1b[0m" * 150 + "0123456789", limit=20) == "0123456789"


def test_clean_defuses_workflow_command_at_start():
    out = clean("::error::x")

    assert out == ": :error::x"
    assert not out.startswith("::")


def test_clean_defuses_indented_workflow_command_on_a_later_line():
    out = clean("ok\n  ::set-output name=grade::100\n\t::add-mask::x")

    assert out == "ok\n  : :set-output name=grade::100\n\t: :add-mask::x"
    assert no_line_is_a_workflow_command(out)


def test_clean_defuses_workflow_command_hidden_behind_escapes_or_crlf():
    out = clean("\x1b[0m::error::a\r\n\x00::warning::b")

    assert no_line_is_a_workflow_command(out)
    assert out == ": :error::a\n: :warning::b"


def test_clean_leaves_double_colon_inside_a_line_alone():
    assert clean("test_home.py::test_title failed") == "test_home.py::test_title failed"


# --- markdown_text() ------------------------------------------------------------------------


def test_markdown_text_escapes_html():
    out = markdown_text("<img src=x onerror=alert(1)>")

    assert "<" not in out and ">" not in out
    assert out == "&lt;img src\\=x onerror\\=alert\\(1\\)&gt;"


def test_markdown_text_escapes_ampersands_so_entities_stay_literal():
    assert markdown_text("&lt;b&gt; & co") == "&amp;lt\\;b&amp;gt\\; &amp; co"


def test_markdown_text_backslash_escapes_markdown_punctuation():
    out = markdown_text("*bold* _it_ `code` | [link](x)")

    assert out == "\\*bold\\* \\_it\\_ \\`code\\` \\| \\[link\\]\\(x\\)"


def test_markdown_text_defuses_mentions():
    out = markdown_text("thanks @someone and @org/team")

    assert "@someone" not in out
    assert "@org" not in out
    assert out == "thanks @\u200bsomeone and @\u200borg\\/team"


def test_markdown_text_collapses_whitespace_to_one_line():
    out = markdown_text("line one\nline two\n\n   three\tfour")

    assert out == "line one line two three four"


def test_markdown_text_defuses_workflow_commands():
    out = markdown_text("::error::x")

    assert out == "\\: \\:error\\:\\:x"
    assert not out.startswith("::")


def test_markdown_text_caps_length_before_escaping():
    out = markdown_text("a" * 30, limit=10)

    assert out == "a" * 9 + "…"


def test_markdown_text_strips_ansi():
    assert markdown_text("\x1b[31mred\x1b[0m") == "red"


# --- whole reports --------------------------------------------------------------------------


def result_with_message(message: str, *, title: str = "Home page") -> Result:
    return Result(
        exercise="demo",
        submission=SubmissionInfo(path="/submissions/alice"),
        status="graded",
        score=0,
        max_score=10,
        criteria=[
            CriterionResult(
                id="home", title=title, points=0, max_points=10, status="fail", feedback="Check GET /",
                tests=[Outcome(id="test_home.py::test_title", outcome="failed", message=message)],
            )
        ],
        sandbox="inprocess",
        duration=1.0,
    )


def test_markdown_report_escapes_injected_table_pipe_command_and_script():
    out = render_markdown(result_with_message("| ::error::pwn <script>alert(1)</script>\n::warning::two"))

    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    assert no_line_is_a_workflow_command(out)
    line = next(line for line in out.splitlines() if line.startswith("- test\\_home"))
    assert line == (
        "- test\\_home\\.py\\:\\:test\\_title — failed: \\| \\:\\:error\\:\\:pwn "
        "&lt;script&gt;alert\\(1\\)&lt;\\/script&gt; \\: \\:warning\\:\\:two"
    )


def test_markdown_report_escapes_criterion_titles_and_errors():
    result = result_with_message("x", title="<b>Home</b> @admin")
    result.errors = ["::error::from errors <i>"]

    out = render_markdown(result)

    assert "<b>" not in out and "<i>" not in out
    assert "@admin" not in out
    assert no_line_is_a_workflow_command(out)


def test_text_report_has_no_escape_sequences_from_messages():
    out = render_text(result_with_message("\x1b[2J\x1b]0;title\x07boom\x1b[31m"))

    assert "\x1b" not in out
    assert "\x07" not in out
    assert "boom" in out


def test_text_report_defuses_workflow_command_on_its_own_line():
    out = render_text(result_with_message("first\n::error::pwned"))

    assert no_line_is_a_workflow_command(out)
    assert ": :error::pwned" in out


def test_text_report_never_wraps_a_workflow_command_to_the_start_of_a_line():
    # In CI the text report goes to the job log; rich wraps long lines at spaces, so a message
    # like "xxxx… ::error::pwned" must not end up with "::error::" at the start of a line.
    for width in (60, 80, 100):
        for padding in range(1, 120):
            message = "x" * padding + " ::error::pwned"
            out = render_text(result_with_message(message), width=width)
            assert no_line_is_a_workflow_command(out), f"width={width} padding={padding}:\n{out}"
