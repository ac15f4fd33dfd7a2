"""Criterion `form`: the launch form at GET /launch."""
from urllib.parse import urlsplit

import pytest

from grader.testing import excerpt, soup

pytestmark = pytest.mark.criterion("form")

VEHICLES = {"falcon", "soyuz", "starliner"}


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


def get_form(client):
    """GET /launch and return (response, page, the <form> holding the fields)."""
    r = client.get("/launch")
    assert r.status_code == 200, (
        f"GET /launch returned {status(r)}, expected status 200.{body(r)}"
    )
    assert r.mimetype == "text/html", (
        f"GET /launch returned mimetype {r.mimetype!r}, expected 'text/html'"
    )
    page = soup(r)
    forms = page.find_all("form")
    assert forms, (
        f"GET /launch returned a page without a <form> element.{body(r)}"
    )
    # The form with the mission field, if there are several (a search box, say).
    form = next((f for f in forms if f.find(attrs={"name": "mission"})), forms[0])
    return r, page, form


def get_field(client, name, tags):
    """The element named `name` inside the form, which must be one of `tags`."""
    r, page, form = get_form(client)
    field = form.find(["input", "select", "textarea"], attrs={"name": name})
    assert field is not None, (
        f"GET /launch returned a form without a field named {name!r} (no element with "
        f"name=\"{name}\" inside the <form>). Form: {excerpt(str(form), 300)!r}"
    )
    assert field.name in tags, (
        f"GET /launch returned a form whose field {name!r} is a <{field.name}>, expected "
        f"a <{' or <'.join(tags)}>. Field: {excerpt(str(field))!r}"
    )
    return page, form, field


def test_launch_page_shows_a_form(client):
    get_form(client)


def test_form_posts_to_launch(client):
    _, _, form = get_form(client)
    method = (form.get("method") or "").strip().lower()
    found = f"method={form.get('method')!r}" if form.has_attr("method") else "no method"
    assert method == "post", (
        f"GET /launch returned a <form> with {found}, expected method=\"post\" "
        "(without it, the browser sends the fields with GET, in the URL)"
    )
    action = form.get("action")
    if action is not None and action.strip():
        path = urlsplit(action.strip()).path
        assert path == "/launch", (
            f"GET /launch returned <form action={action!r}>, expected the form to post "
            "to /launch (action=\"/launch\", or no action at all)"
        )


def test_mission_is_a_text_field(client):
    _, _, field = get_field(client, "mission", ["input"])
    kind = (field.get("type") or "text").strip().lower()
    assert kind == "text", (
        f"GET /launch returned a mission field with type={field.get('type')!r}, expected "
        f"type=\"text\". Field: {excerpt(str(field))!r}"
    )


def test_crew_is_a_number_field(client):
    _, _, field = get_field(client, "crew", ["input"])
    kind = (field.get("type") or "text").strip().lower()
    assert kind == "number", (
        f"GET /launch returned a crew field with type={field.get('type')!r}, expected "
        f"type=\"number\". Field: {excerpt(str(field))!r}"
    )


def test_vehicle_is_a_select_with_the_three_vehicles(client):
    _, _, field = get_field(client, "vehicle", ["select"])
    # An <option> without a value attribute submits its text.
    values = [o.get("value", o.get_text()).strip() for o in field.find_all("option")]
    choices = sorted(v for v in values if v)
    assert choices == sorted(VEHICLES), (
        f"GET /launch returned a vehicle <select> whose options have the values {values!r}, "
        f"expected exactly {sorted(VEHICLES)!r} (plus, if you like, one placeholder "
        "option with value=\"\")"
    )


@pytest.mark.parametrize("name", ["mission", "crew", "vehicle"])
def test_field_has_a_label(client, name):
    page, _, field = get_field(client, name, ["input", "select", "textarea"])
    field_id = field.get("id")
    assert field_id, (
        f"GET /launch returned a {name} field without an id attribute, expected an id "
        f"(such as id=\"{name}\") that a <label for=...> points at. "
        f"Field: {excerpt(str(field))!r}"
    )
    label = page.find("label", attrs={"for": field_id})
    labels = [str(tag) for tag in page.find_all("label")]
    assert label is not None, (
        f"GET /launch returned a {name} field with id={field_id!r} but no "
        f"<label for={field_id!r}>; labels found: {excerpt(' '.join(labels)) or 'none'!r}"
    )
    assert label.get_text(strip=True), (
        f"GET /launch returned an empty <label for={field_id!r}>, expected text that "
        "tells the user what to type"
    )


def test_form_has_a_submit_button(client):
    _, _, form = get_form(client)
    buttons = [
        b for b in form.find_all("button")
        if (b.get("type") or "submit").strip().lower() == "submit"
    ] + [
        i for i in form.find_all("input")
        if (i.get("type") or "").strip().lower() == "submit"
    ]
    assert buttons, (
        "GET /launch returned a form without a submit button, expected a "
        "<button type=\"submit\"> (or <input type=\"submit\">) inside the <form>. "
        f"Form: {excerpt(str(form), 300)!r}"
    )
