from tracker.models import Country, Mechanism


def test_home_page_answers_in_spanish_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="es"' in response.get_data(as_text=True)


def test_reference_data_is_seeded(session):
    assert session.query(Mechanism).filter_by(code="CEDAW").one().name_es.startswith("Comité")
    assert session.query(Country).filter_by(iso2="HN").one().name_es == "Honduras"
