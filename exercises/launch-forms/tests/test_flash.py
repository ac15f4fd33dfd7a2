"""Criterion `flash`: a successful launch flashes "Launch of <mission> scheduled", once."""
import pytest

from grader.testing import excerpt, soup

pytestmark = pytest.mark.criterion("flash")


def describe(data):
    return ", ".join(f"{key}={value!r}" for key, value in data.items())


def status(r):
    """The status for a message, with the redirect target if it is a redirect."""
    if 300 <= r.status_code < 400:
        return f"status {r.status_code} (a redirect to {r.headers.get('Location')!r})"
    return f"status {r.status_code}"


def body(r):
    """The page's <body>, trimmed, to end a message with (nothing for a redirect)."""
    if 300 <= r.status_code < 400:
        return ""
    page = soup(r)
    return f" Body: {excerpt(page.body.decode_contents() if page.body else r.text)!r}"


def flashes(r):
    """The texts of the elements with class "flash" in a response."""
    return [tag.get_text(" ", strip=True) for tag in soup(r).find_all(class_="flash")]


def check_flashed(client, data, expected):
    """POST a valid launch, follow the redirect, expect the flash; return the final response."""
    r = client.post("/launch", data=data, follow_redirects=True)
    where = f"{r.request.method} {r.request.path}"
    assert r.status_code == 200, (
        f"POST /launch with {describe(data)}, following redirects, ended with {where} and "
        f"{status(r)}, expected status 200 (every field is valid).{body(r)}"
    )
    found = flashes(r)
    assert expected in found, (
        f"POST /launch with {describe(data)}, following redirects, ended with {where} showing "
        f"the flash message(s) {found!r}; expected an element with class=\"flash\" reading "
        f"{expected!r}"
    )
    return r


def test_launch_flashes_a_message(client):
    check_flashed(
        client,
        {"mission": "Artemis II", "crew": "4", "vehicle": "soyuz"},
        "Launch of Artemis II scheduled",
    )


def test_flash_is_shown_only_once(client):
    data = {"mission": "Gemini 7", "crew": "2", "vehicle": "falcon"}
    expected = "Launch of Gemini 7 scheduled"
    check_flashed(client, data, expected)
    r = client.get("/launches")
    found = flashes(r)
    assert expected not in found, (
        f"After POST /launch with {describe(data)} showed {expected!r}, a second GET /launches "
        f"shows it again (flash messages {found!r}); expected it shown only once"
    )


def test_rejected_launch_flashes_nothing(client):
    data = {"mission": "Phantom", "crew": "9", "vehicle": "soyuz"}
    expected = "Launch of Phantom scheduled"
    rejected = client.post("/launch", data=data)
    listing = client.get("/launches")
    for what, r in (("POST /launch", rejected), ("the next GET /launches", listing)):
        assert expected not in soup(r).get_text(" ", strip=True), (
            f"After POST /launch with {describe(data)} (crew out of range), {what} shows "
            f"{expected!r}; expected no success message for a rejected launch. "
            f"Flash messages: {flashes(r)!r}"
        )


def test_flash_shows_markup_in_the_name_as_text(client):
    data = {"mission": "<b>Bold</b> Venture", "crew": "4", "vehicle": "soyuz"}
    r = check_flashed(client, data, "Launch of <b>Bold</b> Venture scheduled")
    bold = [str(b) for b in soup(r).find_all("b") if "Bold" in b.get_text()]
    assert not bold, (
        f"POST /launch with {describe(data)}, following redirects, shows {excerpt(' '.join(bold))!r}: "
        "the mission name in the flash was inserted as HTML instead of being escaped"
    )


def test_flash_shows_the_name_without_surrounding_spaces(client):
    check_flashed(client, {"mission": "   Vostok 1 ", "crew": "1", "vehicle": "soyuz"}, "Launch of Vostok 1 scheduled")


@pytest.mark.hidden
def test_launch_flashes_other_names(client):
    check_flashed(
        client,
        {"mission": "Crew Dragon Demo-2", "crew": "2", "vehicle": "falcon"},
        "Launch of Crew Dragon Demo-2 scheduled",
    )


@pytest.mark.hidden
def test_flash_uses_the_trimmed_name(client):
    check_flashed(
        client,
        {"mission": "  Luna 9  ", "crew": "3", "vehicle": "soyuz"},
        "Launch of Luna 9 scheduled",
    )


@pytest.mark.hidden
def test_flash_shows_html_as_text(client):
    data = {"mission": '<script>alert("flash")</script>', "crew": "2", "vehicle": "starliner"}
    r = check_flashed(client, data, 'Launch of <script>alert("flash")</script> scheduled')
    scripts = [str(s) for s in soup(r).find_all("script") if "alert" in s.get_text()]
    assert not scripts, (
        f"POST /launch with {describe(data)}, following redirects, shows {excerpt(' '.join(scripts))!r}: "
        "the mission name in the flash was inserted as HTML instead of being escaped"
    )
