"""States by every name the UN uses: matched on import, shown in the reader's language."""

from __future__ import annotations

import shutil

import pycountry
import pytest

from tracker.imports import RecommendationRecord
from tracker.imports.countries import CountryResolver, default_resolver, un_states
from tracker.imports.records import fold
from tracker.models import Country, Recommendation
from tracker.services.imports import import_records
from tracker.services.seed import SEED_DIR, SeedError, country_names, seed_reference_data

STATES = un_states()
COLUMNS = ("name_en", "formal_en", "name_es", "formal_es", "name_fr", "formal_fr")
ARTICLES = {"en": ["the "], "es": ["el ", "la ", "los "], "fr": ["le ", "la ", "l'", "les "]}


def test_the_list_holds_the_193_members_and_the_2_observer_states():
    assert len(STATES) == 195
    assert sorted(s.iso2 for s in STATES if s.observer) == ["PS", "VA"]
    assert len({s.iso2 for s in STATES}) == len({s.iso3 for s in STATES}) == 195
    for state in STATES:
        assert pycountry.countries.get(alpha_2=state.iso2).alpha_3 == state.iso3


@pytest.mark.parametrize("state", STATES, ids=lambda s: s.iso2)
def test_every_state_is_matched_by_each_of_its_un_names(state):
    resolver = default_resolver()
    for column in COLUMNS:
        name = state.name(column)
        variants = [name, f"{name}*", name.upper(), fold(name), name.replace("-", " "),
                    *(article + name for article in ARTICLES[column[-2:]])]
        if "(" in name:  # "Bolivia (Estado Plurinacional de)" inverted as sources write it
            head, inner = name.rstrip(")").split(" (")
            variants += [f"{head}, {inner}", f"{inner} {head}"]
        found = {variant: resolver.resolve(variant) for variant in variants}
        assert found == dict.fromkeys(variants, state.iso2), column


@pytest.mark.parametrize("state", STATES, ids=lambda s: s.iso2)
def test_every_state_is_matched_by_its_iso_codes(state):
    resolver = default_resolver()
    assert resolver.resolve(state.iso2) == resolver.resolve(state.iso3) == state.iso2
    assert resolver.resolve(state.iso3.lower()) == state.iso2


# The UN Spanish names that an import dropped with only a warning (issue 9).
@pytest.mark.parametrize(("name", "iso2"), [
    ("Argelia", "DZ"), ("Arabia Saudita", "SA"), ("Nueva Zelandia", "NZ"),
    ("Kazajstán", "KZ"), ("Maldivas", "MV"), ("República Árabe Siria", "SY"),
    ("República de Moldova", "MD"), ("Bahrein", "BH"), ("Comoras", "KM"),
    ("República Democrática Popular Lao", "LA"), ("Federación de Rusia", "RU"),
    ("Saint Kitts y Nevis", "KN"), ("Trinidad y Tabago", "TT"),
])
def test_the_spanish_names_that_used_to_fail_are_matched(name, iso2):
    assert default_resolver().resolve(name) == iso2


@pytest.mark.parametrize(("name", "iso2"), [
    ("El Salvador", "SV"), ("el Salvador", "SV"), ("la República de El Salvador", "SV"),
    ("the Netherlands", "NL"), ("Reino de los Países Bajos", "NL"), ("les Pays-Bas", "NL"),
    ("l'Algérie", "DZ"), ("l’Algérie", "DZ"), ("Argentina (la)", "AR"), ("Gambia (the)", "GM"),
    ("Korea, Republic of", "KR"), ("Moldova, República de", "MD"),
    ("Corée, République de", "KR"), ("Congo (Democratic Republic of the)", "CD"),
    ("Congo", "CG"), ("Niger", "NE"), ("Nigeria", "NG"), ("Sudan", "SD"),
    ("South Sudan", "SS"), ("Dominica", "DM"), ("Dominican Republic", "DO"),
    ("Guinea", "GN"), ("Papua New Guinea", "PG"), ("COTE D'IVOIRE", "CI"),
    ("Cote dIvoire", "CI"), ("Nueva Zelanda", "NZ"), ("Costa de Marfil", "CI"),
    ("Turquía", "TR"), ("Vietnam", "VN"), ("Bolivia", "BO"), ("Irán", "IR"),
    ("Iran (Islamic Republic of)*", "IR"), ("Holy See (Vatican City State)", "VA"),
    ("St. Lucia", "LC"), ("Ste-Lucie", "LC"), ("Bosnia &amp; Herzegovina", "BA"),
])
def test_articles_inversions_and_older_names_do_not_confuse_states(name, iso2):
    assert default_resolver().resolve(name) == iso2


@pytest.mark.parametrize("name", [
    "Unknown", "(Unknown)", "European Union", "Unión Europea", "Korea", "Corée", "Atlantis",
    "Freedonia, Grand Duchy of", "N/A", "", "&#40;Unknown&#41;",
])
def test_what_is_not_a_state_is_not_matched(name):
    assert default_resolver().resolve(name) is None


def test_names_known_only_to_the_database_still_come_second():
    # An office's own spelling is matched, but cannot take a UN name from its State.
    resolver = CountryResolver([("Argelia del Norte", "DZ"), ("Argelia", "FR")])
    assert resolver.resolve("Argelia del Norte") == "DZ"
    assert resolver.resolve("Argelia") == "DZ"


# --- names on the pages ---------------------------------------------------------------------


def _import(states: list[str]):
    return import_records([RecommendationRecord(
        source="es.json", row=2, mechanism="UPR", document_symbol="A/HRC/46/12",
        paragraph="74.3", text="Fortalecer la protección de las personas defensoras.",
        language="es", recommending_states=states)], publish=True)


def test_an_import_in_spanish_keeps_every_state_and_warns_of_what_is_not_one(session):
    result = _import(["Argelia", "Nueva Zelandia", "República Árabe Siria", "European Union",
                      "Unknown"])

    rec = session.query(Recommendation).one()
    assert sorted(c.iso2 for c in rec.recommending_states) == ["DZ", "NZ", "SY"]
    warned = [w.message for w in result.warnings]
    assert [m for m in warned if "European Union" in m] and len(warned) == 2
    assert not [m for m in warned if "Argelia" in m or "Siria" in m or "Zelandia" in m]


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_a_public_page_names_the_recommending_states_in_the_readers_language(client, session):
    _import(["Argelia", "Nueva Zelandia", "Kazajstán"])
    rec = session.query(Recommendation).one()

    spanish, english = (_page(client, f"/recommendations/{rec.id}?lang={lang}")
                        for lang in ("es", "en"))

    assert "Argelia" in spanish and "Nueva Zelandia" in spanish and "Kazajstán" in spanish
    assert "Algeria" not in spanish and "New Zealand" not in spanish
    assert "Algeria" in english and "New Zealand" in english and "Kazakhstan" in english
    assert "Argelia" not in english


def test_the_seeded_names_are_the_uns_short_names(session):
    countries = {c.iso2: c for c in session.query(Country)}
    for state in STATES:
        assert countries[state.iso2].name_es == state.name("name_es")
        assert countries[state.iso2].name_en == state.name("name_en")
    # Territories keep ISO's names.
    assert (countries["PR"].name_en, countries["PR"].name_es) == ("Puerto Rico", "Puerto Rico")


# --- an existing install -----------------------------------------------------------------------


def _as_an_earlier_seed_left_it(session, *iso2: str) -> None:
    for country in session.query(Country).filter(Country.iso2.in_(iso2)):
        country.name_en, country.name_es = country_names(pycountry.countries.get(
            alpha_2=country.iso2))
    session.flush()


def test_seeding_gives_an_existing_install_the_un_names_but_keeps_an_admins_edit(
        runner, session):
    _as_an_earlier_seed_left_it(session, "DZ", "NZ", "BO")
    assert session.query(Country).filter_by(iso2="DZ").one().name_es == "Algeria"
    edited = session.query(Country).filter_by(iso2="NZ").one()
    edited.name_es = "Nueva Zelanda (Aotearoa)"  # an admin's edit, not what a seed wrote
    session.flush()

    result = runner.invoke(args=["seed"])

    assert result.exit_code == 0, result.output
    assert "country names now as the UN writes them: 2" in result.output
    session.expire_all()
    names = {c.iso2: (c.name_en, c.name_es) for c in session.query(Country).filter(
        Country.iso2.in_(["DZ", "NZ", "BO"]))}
    assert names == {
        "DZ": ("Algeria", "Argelia"),
        "NZ": ("New Zealand", "Nueva Zelanda (Aotearoa)"),
        "BO": ("Bolivia (Plurinational State of)", "Bolivia (Estado Plurinacional de)"),
    }
    again = runner.invoke(args=["seed"])
    assert "nothing added" in again.output


def test_a_state_with_a_wrong_code_pair_in_the_list_is_named(session, tmp_path):
    target = tmp_path / "seeds"
    shutil.copytree(SEED_DIR, target)
    path = target / "un_states.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("DZ,DZA", "DZ,DZZ")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(SeedError, match=r"un_states\.csv, row 4: 'DZ/DZZ' is not an ISO"):
        seed_reference_data(target)
