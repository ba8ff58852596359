"""Property-based contract test: generated requests against the API's own OpenAPI document.

Schemathesis reads /api/v1/openapi.json from the application, builds requests from it
(valid ones and invalid ones) for every operation, sends them to the demo data and checks
every answer: no server error, and status, media type, headers and body as the document
says. It does so as the public, and with a reviewer's and a focal point's token carrying
every scope their role allows, so that the writes run and not only their refusals. The
reviewer's token also reads everything the public reads, where staff see more: unpublished
recommendations, private office actions, every report's evidence.
"""

from __future__ import annotations

import os
from collections import Counter
from itertools import product

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import select

from tests import factories
from tracker import policy
from tracker.extensions import db
from tracker.models import Evidence, OfficeAction, ProgressReport, Recommendation, User
from tracker.services import api_tokens
from tracker.services.demo import load_demo

EXAMPLES_PER_OPERATION = int(os.environ.get("API_CONTRACT_EXAMPLES", 12))
# The demo accounts whose tokens call the API, besides the public.
CALLERS = {"public": None, "reviewer": "revisor@demo.seguimiento.test",
           "focal_point": "enlace.semujer@demo.seguimiento.test"}
# Not checked: that every request the document allows is accepted. No schema can say
# which ids name something or which cursors a list gave; the API refuses those with 400.


def _known_ids() -> dict[str, list]:
    """Path values that name demo records: generated ids alone would nearly all be 404s."""
    def ids(model, *where) -> list[int]:
        return list(db.session.scalars(select(model.id).where(*where).order_by(model.id)
                                       .limit(12)))

    reviewer = db.session.scalars(select(User).where(User.email == CALLERS["reviewer"])).one()
    return {
        # Published ones, and a few only staff may read.
        "rec_id": [*ids(Recommendation, Recommendation.is_published.is_(True)),
                   *ids(Recommendation, Recommendation.is_published.is_(False))],
        "report_id": ids(ProgressReport),
        "evidence_id": ids(Evidence),
        "action_id": ids(OfficeAction),
        "import_id": [factories.import_job(reviewer).id],
    }


def _headers(email: str | None) -> dict:
    # The WSGI transport does not undo Brotli, which real clients do.
    headers = {"Accept-Encoding": "identity"}
    if email is not None:
        user = db.session.scalars(select(User).where(User.email == email)).one()
        scopes = [scope.value for scope in policy.api_scopes_for(user)]
        _token, secret = api_tokens.create(user, "Contract", scopes, 30)
        headers["Authorization"] = f"Bearer {secret}"
    db.session.commit()
    return headers


def _exercise(operation, mode, headers: dict, known: dict[str, list]) -> Counter:
    """Send the operation generated requests of one mode; count the answers' statuses."""
    statuses: Counter = Counter()

    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
              database=None, suppress_health_check=list(HealthCheck))
    def keeps_the_contract(case, data):
        if mode is GenerationMode.POSITIVE:
            for name, value in (case.path_parameters or {}).items():
                case.path_parameters[name] = data.draw(
                    st.sampled_from([*known.get(name, ()), value]))
        response = case.call_and_validate(headers=headers,
                                          excluded_checks=[positive_data_acceptance])
        statuses[response.status_code] += 1

    keeps_the_contract()
    return statuses


@pytest.mark.parametrize("caller", CALLERS)
def test_every_answer_keeps_the_contract(app, session, monkeypatch, caller):
    # The limiter has its own tests; here every generated request must reach its operation.
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "1000000 per minute")
    load_demo()
    if caller == "reviewer":  # the demo publishes all: withdraw some for staff to read
        for rec in db.session.scalars(select(Recommendation).order_by(Recommendation.id)
                                      .limit(3)):
            rec.is_published = False
        db.session.commit()
    known = _known_ids()
    headers = _headers(CALLERS[caller])
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    if caller == "public":
        assert len(operations) >= 30
    elif caller != "reviewer":  # what a focal point reads of the public's, the public does
        operations = [op for op in operations if op.definition.raw.get("security")]
    answered: dict[str, Counter] = {}
    for operation, mode in product(operations, GenerationMode):
        answered.setdefault(operation.label, Counter()).update(
            _exercise(operation, mode, headers, known))
    if caller != "public":
        # The token took generated requests all the way to a record: done, or refused for
        # a stale version, on most of what its role may do.
        reached = [label for label, seen in answered.items()
                   if any(status < 300 or status == 409 for status in seen)]
        assert len(reached) >= (9 if caller == "reviewer" else 6), answered
