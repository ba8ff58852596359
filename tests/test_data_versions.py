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
