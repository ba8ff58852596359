"""Figures derived from public data are rebuilt once it changes, and only then."""

from sqlalchemy import insert, select

from tests import factories
from tracker.extensions import db
from tracker.models import DataVersion, ImplementationStatus
from tracker.models.recommendation import recommendation_term
from tracker.services import data_versions


def _counter(kind):
    return db.session.scalar(select(DataVersion.version).where(DataVersion.name == kind))


def _count_builds():
    builds = []

    def build():
        builds.append(1)
        return len(builds)

    return builds, build


def test_a_committed_change_of_a_recommendation_moves_the_catalogue_on(session):
    rec = factories.recommendation()
    session.commit()
    before = _counter("catalogue"), _counter("activity")

    rec.status = ImplementationStatus.IN_PROGRESS
    session.commit()

    assert _counter("catalogue") == before[0] + 1
    assert _counter("activity") == before[1]


def test_a_progress_report_moves_the_activity_on_only(session):
    inst = factories.institution()
    rec = factories.recommendation()
    factories.assignment(rec, inst)
    author = factories.user(factories.Role.FOCAL_POINT, inst)
    session.commit()
    before = _counter("catalogue"), _counter("activity")

    factories.progress_report(author, [rec])
    session.commit()

    assert _counter("catalogue") == before[0]
    assert _counter("activity") == before[1] + 1


def test_a_set_based_statement_counts_as_a_change(session):
    rec = factories.recommendation()
    theme = factories.term("themes", "discrimination_against_women")
    session.commit()
    before = _counter("catalogue")

    session.execute(insert(recommendation_term).values(recommendation_id=rec.id,
                                                       term_id=theme.id))
    session.commit()

    assert _counter("catalogue") == before + 1


def test_a_rolled_back_change_moves_nothing(session):
    rec = factories.recommendation()
    session.commit()
    before = _counter("catalogue")

    rec.paragraph = "99"
    session.flush()
    session.rollback()
    session.commit()

    assert _counter("catalogue") == before


def test_a_cached_figure_is_built_again_after_a_change_and_not_before(session):
    rec = factories.recommendation()
    session.commit()
    builds, build = _count_builds()

    assert data_versions.cached("catalogue", "figure", build) == 1
    assert data_versions.cached("catalogue", "figure", build) == 1

    rec.status = ImplementationStatus.IMPLEMENTED
    session.commit()

    assert data_versions.cached("catalogue", "figure", build) == 2
    assert len(builds) == 2


def test_a_transaction_with_changes_of_its_own_never_reads_or_fills_the_cache(session):
    factories.recommendation()
    session.commit()
    builds, build = _count_builds()
    data_versions.cached("catalogue", "figure", build)

    factories.recommendation()  # flushed, not committed

    assert data_versions.cached("catalogue", "figure", build) == 2
    session.rollback()
    assert data_versions.cached("catalogue", "figure", build) == 1


def test_a_commit_of_unflushed_changes_leaves_the_cache_usable(session):
    rec = factories.recommendation()
    session.commit()
    builds, build = _count_builds()
    data_versions.cached("catalogue", "figure", build)

    rec.status = ImplementationStatus.IMPLEMENTED  # not flushed: the commit flushes it
    session.commit()

    assert data_versions.cached("catalogue", "figure", build) == 2
    assert data_versions.cached("catalogue", "figure", build) == 2


def test_only_the_most_recently_used_values_of_one_per_record_are_kept(session, monkeypatch):
    monkeypatch.setattr(data_versions, "RECENT_LIMIT", 3)
    builds, build = _count_builds()
    for key in (1, 2, 3, 1, 4):  # 1 is used again before 4 comes: 2 is the one dropped
        data_versions.cached("catalogue", ("page", key), build, per_record=True)
    assert len(builds) == 4

    data_versions.cached("catalogue", ("page", 1), build, per_record=True)
    data_versions.cached("catalogue", ("page", 4), build, per_record=True)
    assert len(builds) == 4
    data_versions.cached("catalogue", ("page", 2), build, per_record=True)
    assert len(builds) == 5


def _status_on_page(client, rec):
    html = client.get(f"/recommendations/{rec.id}").get_data(as_text=True)
    return html.split('class="badge status-badge', 1)[1].split("</", 1)[0]


def test_a_recommendation_page_shows_a_committed_change_to_anonymous_readers(client, session):
    from tests.conftest import choose_language

    rec = factories.recommendation(status=ImplementationStatus.NOT_STARTED)
    session.commit()
    choose_language(client, "en")
    assert "Not started" in _status_on_page(client, rec)

    rec.status = ImplementationStatus.IMPLEMENTED
    session.commit()
    assert "Implemented" in _status_on_page(client, rec)

    choose_language(client, "es")
    assert "Cumplida" in _status_on_page(client, rec)


def test_a_new_public_progress_report_shows_on_the_kept_page(client, session):
    inst = factories.institution("KEPT-P")
    rec = factories.recommendation()
    factories.assignment(rec, inst)
    session.commit()
    assert "Informe que ya se ve" not in client.get(f"/recommendations/{rec.id}").get_data(
        as_text=True)

    factories.report_in_state(inst, [rec], title="Informe que ya se ve")
    session.commit()
    assert "Informe que ya se ve" in client.get(f"/recommendations/{rec.id}").get_data(
        as_text=True)
