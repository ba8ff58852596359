"""`tracker users create-admin`: the first administrator of a new install."""

from __future__ import annotations

from tests import factories
from tracker.models import AuditEvent, Role, User
from tracker.security import verify_password

STRONG = "lantern river copper tide"


def _create(runner, *, email="first@example.org", name="First Admin", password=STRONG):
    return runner.invoke(args=["users", "create-admin", "--email", email, "--name", name,
                               "--password", password])


def _admins(session) -> list[str]:
    return [u.email for u in session.query(User).filter_by(role=Role.ADMIN).all()]


def test_the_prompts_create_an_administrator_who_can_sign_in(runner, session, client):
    result = runner.invoke(args=["users", "create-admin"],
                           input=f" First@Example.org \nFirst Admin\n{STRONG}\n{STRONG}\n")

    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output  # the password is typed twice
    assert STRONG not in result.output
    assert result.output.rstrip().endswith("Administrator first@example.org created.")
    admin = session.query(User).filter_by(email="first@example.org").one()
    assert (admin.role, admin.name, admin.active) == (Role.ADMIN, "First Admin", True)
    assert admin.password_hash != STRONG and verify_password(admin.password_hash, STRONG)
    assert session.query(AuditEvent).filter_by(
        action="create", entity_type="app_user", entity_id=str(admin.id),
        actor_label="cli:create-admin").one()

    signed_in = client.post("/login", data={"email": "first@example.org", "password": STRONG})
    assert signed_in.status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_mismatched_confirmation_asks_again(runner, session):
    result = runner.invoke(
        args=["users", "create-admin", "--email", "first@example.org", "--name", "First"],
        input=f"{STRONG}\nsomething else entirely\n{STRONG}\n{STRONG}\n")

    assert result.exit_code == 0, result.output
    assert "The two entered values do not match." in result.output
    assert _admins(session) == ["first@example.org"]


def test_a_weak_password_is_refused_with_the_reasons_and_nothing_is_saved(runner, session):
    short = _create(runner, password="short")
    assert short.exit_code == 1
    assert "Error: Use al menos 12 caracteres." in short.output

    guessable = _create(runner, password="honduras2024")
    assert guessable.exit_code == 1
    assert "Error: Esta contraseña es demasiado fácil de adivinar." in guessable.output

    own_address = _create(runner, password="first of all the admins")
    assert own_address.exit_code == 1
    assert "No use su dirección de correo electrónico en la contraseña." in own_address.output
    assert _admins(session) == []


def test_a_malformed_address_is_refused_and_nothing_is_saved(runner, session):
    for address in ("not-an-address", "first@", "first@example", "two words@example.org"):
        result = _create(runner, email=address)
        assert result.exit_code == 1, (address, result.output)
        assert ("Error: Esta no es una dirección de correo electrónico válida."
                in result.output), address
    assert _admins(session) == []


def test_a_blank_name_is_refused(runner, session):
    result = _create(runner, name="   ")
    assert result.exit_code == 1
    assert "Error: Escriba el nombre del administrador." in result.output
    assert _admins(session) == []


def test_an_address_that_already_has_an_account_is_refused_whatever_its_case(runner, session):
    existing = factories.user(Role.FOCAL_POINT, email="first@example.org")
    session.commit()

    result = _create(runner, email="FIRST@example.org")

    assert result.exit_code == 1
    assert "Error: Ya existe una cuenta con esta dirección de correo electrónico." in result.output
    session.refresh(existing)
    assert existing.role == Role.FOCAL_POINT  # not turned into an administrator
    assert _admins(session) == []
