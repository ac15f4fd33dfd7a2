"""Criterion `validation`: POST /launch checks every field and reports each error."""
import pytest

from grader.testing import excerpt, soup

pytestmark = pytest.mark.criterion("validation")

FIELDS = ("mission", "crew", "vehicle")
LONGEST = "Deep Space Transport Resupply Mission 12"  # 40 characters


def launch_data(**changes):
    """A valid launch with some fields changed; a field set to None is left out."""
    data = {"mission": "Gemini 4", "crew": "2", "vehicle": "soyuz"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def describe(data):
    """mission='Gemini 4', crew='2' (no vehicle field)"""
    text = ", ".join(f"{key}={value!r}" for key, value in data.items())
    missing = [field for field in FIELDS if field not in data]
    if missing:
        text += f" (no {' and no '.join(missing)} field)"
    return text


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


def error_messages(page):
    """The non-empty elements with class "error" or an id starting with "error-", for a message."""
    found = [
        tag for tag in page.find_all(True)
        if ("error" in (tag.get("class") or []) or str(tag.get("id", "")).startswith("error-"))
        and tag.get_text(strip=True)
    ]
    if not found:
        return "none"
    return excerpt("; ".join(
        f"id={tag.get('id')!r} class={' '.join(tag.get('class') or [])!r}: "
        f"{tag.get_text(' ', strip=True)!r}"
        for tag in found
    ))


def check_rejected(client, data, invalid):
    """POST `data`; expect 400 with an error for each field in `invalid` and none for the others."""
    r = client.post("/launch", data=data)
    errors = error_messages(soup(r))
    assert r.status_code == 400, (
        f"POST /launch with {describe(data)} returned {status(r)}, expected status 400 "
        f"(the form shown again with an error for {' and '.join(invalid)})."
        + (f" Error messages on the page: {errors}." if errors != "none" else body(r))
    )
    assert r.mimetype == "text/html", (
        f"POST /launch with {describe(data)} returned mimetype {r.mimetype!r}, expected "
        "'text/html' (the form shown again)"
    )
    page = soup(r)
    for field in FIELDS:
        element = page.find(id=f"error-{field}")
        if field in invalid:
            assert element is not None, (
                f"POST /launch with {describe(data)} returned status 400 but no element with "
                f"id=\"error-{field}\"; expected a message about the {field} such as "
                f"<p class=\"error\" id=\"error-{field}\">...</p>. "
                f"Error messages found: {errors}." + (body(r) if errors == "none" else "")
            )
            assert "error" in (element.get("class") or []), (
                f"POST /launch with {describe(data)} returned <{element.name} "
                f"id=\"error-{field}\"> without class=\"error\", expected both the class and the id"
            )
            assert element.get_text(strip=True), (
                f"POST /launch with {describe(data)} returned an empty element "
                f"id=\"error-{field}\", expected a message telling the user what is wrong"
            )
        else:
            assert element is None or not element.get_text(strip=True), (
                f"POST /launch with {describe(data)} returned an error for the {field} "
                f"({element.get_text(' ', strip=True)!r}), but {field}={data.get(field)!r} is "
                f"valid: only {' and '.join(invalid)} should get an error"
            )


def check_accepted(client, data, why):
    r = client.post("/launch", data=data)
    errors = error_messages(soup(r))
    assert r.status_code < 400, (
        f"POST /launch with {describe(data)} returned {status(r)}, expected the launch to be "
        f"accepted ({why}) and a redirect to /launches."
        + (f" Error messages: {errors}." if errors != "none" else body(r))
    )


def test_form_starts_without_errors(client):
    r = client.get("/launch")
    assert r.status_code == 200, f"GET /launch returned {status(r)}, expected status 200.{body(r)}"
    errors = error_messages(soup(r))
    assert errors == "none", (
        f"GET /launch returned the error messages {errors} before anything was submitted, "
        "expected none: errors only appear after a POST"
    )


def test_missing_mission_is_rejected(client):
    check_rejected(client, launch_data(mission=""), ["mission"])


def test_crew_above_seven_is_rejected(client):
    check_rejected(client, launch_data(crew="9"), ["crew"])


def test_crew_must_be_a_whole_number(client):
    check_rejected(client, launch_data(crew="many"), ["crew"])


def test_unknown_vehicle_is_rejected(client):
    check_rejected(client, launch_data(vehicle="buran"), ["vehicle"])


def test_every_invalid_field_gets_its_error(client):
    check_rejected(client, launch_data(mission="", crew="", vehicle=None), list(FIELDS))


def test_valid_launch_is_accepted(client):
    check_accepted(client, launch_data(), "every field is valid")


def test_rejected_launch_is_not_listed(client):
    data = launch_data(mission="Ghost Flight 13", crew="9")
    client.post("/launch", data=data)
    r = client.get("/launches")
    assert r.status_code == 200, (
        f"GET /launches returned {status(r)}, expected status 200 with the list of "
        f"launches.{body(r)}"
    )
    missions = [tag.get_text(strip=True) for tag in soup(r).select("#launches .mission")]
    assert data["mission"] not in missions, (
        f"After POST /launch with {describe(data)} (crew out of range), GET /launches lists "
        f"{data['mission']!r}; expected a rejected launch not to be scheduled: check every "
        "field before you store anything"
    )


def test_largest_crew_is_accepted(client):
    check_accepted(client, launch_data(mission="Full crew", crew="7"), "7 is the largest crew allowed")


def test_mission_of_only_spaces_is_rejected(client):
    check_rejected(client, launch_data(mission="      "), ["mission"])


@pytest.mark.hidden
@pytest.mark.parametrize("mission", ["V2", LONGEST + "3", "   "])
def test_mission_outside_limits_is_rejected(client, mission):
    check_rejected(client, launch_data(mission=mission), ["mission"])


@pytest.mark.hidden
@pytest.mark.parametrize("mission", ["Ion", LONGEST])
def test_mission_at_limits_is_accepted(client, mission):
    check_accepted(client, launch_data(mission=mission), f"a name of {len(mission)} characters is allowed")


@pytest.mark.hidden
@pytest.mark.parametrize("crew", ["0", "8", "2.5", "-3"])
def test_crew_outside_limits_is_rejected(client, crew):
    check_rejected(client, launch_data(crew=crew), ["crew"])


@pytest.mark.hidden
@pytest.mark.parametrize("crew", ["1", "7"])
def test_crew_at_limits_is_accepted(client, crew):
    check_accepted(client, launch_data(mission=f"Crew of {crew}", crew=crew), f"a crew of {crew} is allowed")


@pytest.mark.hidden
@pytest.mark.parametrize("vehicle", ["shuttle", None])
def test_other_bad_vehicles_are_rejected(client, vehicle):
    check_rejected(client, launch_data(vehicle=vehicle), ["vehicle"])


@pytest.mark.hidden
@pytest.mark.parametrize("vehicle", ["falcon", "starliner"])
def test_every_listed_vehicle_is_accepted(client, vehicle):
    check_accepted(client, launch_data(vehicle=vehicle), f"{vehicle!r} is in the list")
