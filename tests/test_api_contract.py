"""Property-based contract test: generated requests against the API's own OpenAPI document.

Schemathesis reads /api/v1/openapi.json from the application, builds requests from it
(valid ones and invalid ones) for every operation, sends them to the demo data and checks
every answer: no server error, and status, media type, headers and body as the document
says.
"""

from __future__ import annotations

import os
from itertools import product

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tracker.services.demo import load_demo

EXAMPLES_PER_OPERATION = int(os.environ.get("API_CONTRACT_EXAMPLES", 10))
# Not checked: that every request the document allows is accepted. No schema can say
# which ids name something or which cursors a list gave; the API refuses those with 400.


def test_every_answer_keeps_the_contract(app, session):
    load_demo()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    for operation, mode in product(operations, GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
                  database=None, suppress_health_check=list(HealthCheck))
        def keeps_the_contract(case):
            # The WSGI transport does not undo Brotli, which real clients do.
            case.call_and_validate(headers={"Accept-Encoding": "identity"},
                                   excluded_checks=[positive_data_acceptance])

        keeps_the_contract()
