"""Criterion `keep-input`: a rejected form comes back with what the user typed, escaped."""
import pytest

from grader.testing import excerpt, soup

pytestmark = pytest.mark.criterion("keep-input")


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


def post_rejected(client, data, why):
    """POST an invalid launch; return the parsed page, once it shows the form again."""
    r = client.post("/launch", data=data)
    page = soup(r)
    redirected = 300 <= r.status_code < 400
    assert not redirected and page.find(attrs={"name": "mission"}) is not None, (
        f"POST /launch with {describe(data)} returned {status(r)}"
        f"{'' if redirected else ' without the form'}, expected the form shown again "
        f"({why}) with the values the user typed.{body(r)}"
    )
    return page


def field_value(page, data, name):
    field = page.find("input", attrs={"name": name})
    assert field is not None, (
        f"POST /launch with {describe(data)} showed the form again without an <input "
        f"name=\"{name}\">; expected the same fields as GET /launch"
    )
    assert field.has_attr("value"), (
        f"POST /launch with {describe(data)} showed the {name} field without a value "
        f"attribute: {excerpt(str(field))!r}; expected value={data[name]!r} (what the user typed)"
    )
    return field, field["value"]


def check_value(page, data, name):
    field, value = field_value(page, data, name)
    assert value == data[name], (
        f"POST /launch with {describe(data)} showed the {name} field with value {value!r}, "
        f"expected {data[name]!r} (what the user typed). Field: {excerpt(str(field))!r}"
    )


def check_text_kept(client, data, name, why):
    check_value(post_rejected(client, data, why), data, name)


def check_vehicle_kept(client, data, why):
    page = post_rejected(client, data, why)
    select = page.find("select", attrs={"name": "vehicle"})
    assert select is not None, (
        f"POST /launch with {describe(data)} showed the form again without a <select "
        "name=\"vehicle\">; expected the same fields as GET /launch"
    )
    selected = [o.get("value", o.get_text()).strip() for o in select.find_all("option") if o.has_attr("selected")]
    assert selected == [data["vehicle"]], (
        f"POST /launch with {describe(data)} showed the vehicle list with "
        f"{'the options ' + repr(selected) if selected else 'no option'} selected, expected "
        f"exactly one selected option, the one with value {data['vehicle']!r} "
        "(the user's choice)"
    )


def check_no_injection(page, data):
    injected = [str(s) for s in page.find_all("script") if "alert" in s.get_text()]
    injected += [str(tag) for tag in page.find_all(onerror=True)]
    assert not injected, (
        f"POST /launch with {describe(data)} returned a page where the mission name became "
        f"HTML ({excerpt(' '.join(injected))!r}): the user's input must be escaped, not "
        "inserted as markup"
    )


def test_mission_is_kept(client):
    data = {"mission": "Apollo 11", "crew": "9", "vehicle": "soyuz"}
    check_text_kept(client, data, "mission", "a crew of 9 is too many")


def test_crew_is_kept(client):
    data = {"mission": "", "crew": "4", "vehicle": "soyuz"}
    check_text_kept(client, data, "crew", "the mission name is missing")


def test_invalid_crew_is_kept(client):
    data = {"mission": "Apollo 11", "crew": "9", "vehicle": "soyuz"}
    check_text_kept(client, data, "crew", "a crew of 9 is too many")


def test_vehicle_is_kept(client):
    data = {"mission": "", "crew": "4", "vehicle": "soyuz"}
    check_vehicle_kept(client, data, "the mission name is missing")


def test_html_in_mission_stays_text(client):
    data = {"mission": '"><script>alert("launch")</script>', "crew": "9", "vehicle": "soyuz"}
    page = post_rejected(client, data, "a crew of 9 is too many")
    check_no_injection(page, data)
    check_value(page, data, "mission")


@pytest.mark.hidden
def test_other_values_are_kept(client):
    data = {"mission": "X", "crew": "5", "vehicle": "starliner"}
    why = "a one-letter mission name is too short"
    check_text_kept(client, data, "mission", why)
    check_text_kept(client, data, "crew", why)
    check_vehicle_kept(client, data, why)


@pytest.mark.hidden
def test_quotes_and_ampersands_are_kept(client):
    data = {"mission": "Tom & Jerry's \"Big\" Day", "crew": "10", "vehicle": "falcon"}
    why = "a crew of 10 is too many"
    check_text_kept(client, data, "mission", why)
    check_text_kept(client, data, "crew", why)
    check_vehicle_kept(client, data, why)


@pytest.mark.hidden
def test_other_html_in_mission_stays_text(client):
    data = {"mission": "<img src=x onerror=alert(1)>", "crew": "12", "vehicle": "soyuz"}
    page = post_rejected(client, data, "a crew of 12 is too many")
    check_no_injection(page, data)
    check_value(page, data, "mission")
