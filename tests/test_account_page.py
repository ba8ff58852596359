"""One's own account page: preferences, and changing the password without losing this device."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import login
from tracker.models import AuditEvent, Role, User

NEW_PASSWORD = "lantern river copper tide"


def _password_change(client, current=factories.PASSWORD, new=NEW_PASSWORD, confirm=None,
                     **kw):
    return client.post("/account", data={
        "action": "password", "pw-current": current, "pw-password": new,
        "pw-confirm": new if confirm is None else confirm}, **kw)


def test_preferences_are_saved_and_the_language_follows(client, session):
    user = factories.user(Role.FOCAL_POINT)
    login(client, user)
    response = client.post("/account", data={
        "action": "preferences", "name": "  Lucía Martínez ", "locale": "en",
        "digest_opt_out": "y"}, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Your preferences have been saved." in page  # already in the new language
    session.refresh(user)
    assert (user.name, user.locale, user.digest_opt_out) == ("Lucía Martínez", "en", True)
    assert 'value="Lucía Martínez"' in page


def test_preferences_can_turn_the_digest_back_on(client, session):
    user = factories.user(Role.FOCAL_POINT, digest_opt_out=True)
    login(client, user)
    client.post("/account", data={"action": "preferences", "name": user.name, "locale": "es"})
    session.refresh(user)
    assert user.digest_opt_out is False


@pytest.mark.parametrize("data", [
    {"name": "", "locale": "es"},
    {"name": "x" * 201, "locale": "es"},
    {"name": "Otro nombre", "locale": "fr"},
])
def test_invalid_preferences_are_refused_and_nothing_is_saved(client, session, data):
    user = factories.user(Role.REVIEWER)
    login(client, user)
    before = (user.name, user.locale)
    response = client.post("/account", data={"action": "preferences", **data})
    assert response.status_code == 400
    session.refresh(user)
    assert (user.name, user.locale) == before


def test_changing_ones_password_confirms_keeps_this_device_and_ends_the_others(app, client,
                                                                               session):
    user = factories.user(Role.REVIEWER)
    login(client, user)
    other_device = app.test_client()
    login(other_device, user)

    response = _password_change(client)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Su contraseña ha sido cambiada." in page
    assert client.get("/account").status_code == 200  # this device stays signed in
    assert other_device.get("/account").status_code == 302  # the other one does not
    assert session.query(AuditEvent).filter_by(action="password_set",
                                               entity_id=str(user.id)).count() == 1

    fresh = app.test_client()
    assert login(fresh, user).status_code == 401
    assert login(fresh, user, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(("fields", "message"), [
    ({"current": "not my password at all"}, "La contraseña actual no es correcta."),
    ({"confirm": "something else entirely"}, "Las contraseñas no coinciden."),
    ({"new": "short", "confirm": "short"}, "Use al menos 12 caracteres."),
    ({"new": "aaaaaaaaaaaaaaaa", "confirm": "aaaaaaaaaaaaaaaa"},
     "Esta contraseña es demasiado fácil de adivinar."),
    ({"current": ""}, "Este campo es obligatorio."),
    ({"new": "", "confirm": ""}, "Este campo es obligatorio."),
])
def test_a_refused_password_change_says_why_and_changes_nothing(app, client, session, fields,
                                                                message):
    user = factories.user(Role.REVIEWER)
    login(client, user)
    other_device = app.test_client()
    login(other_device, user)
    stored = user.password_hash

    response = _password_change(client, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert session.get(User, user.id).password_hash == stored
    assert client.get("/account").status_code == 200
    assert other_device.get("/account").status_code == 200
