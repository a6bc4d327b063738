"""When the jobs of a change fall due."""

import pytest

from plugin.ledger import jobs
from plugin.ledger.postings import Postings


def test_jobs_without_postings_have_no_moment_to_ride_with_and_are_sent_to_the_outbox() -> None:
    with pytest.raises(ValueError) as refused:
        Postings(jobs=[jobs.publish_member(7)]).jobs_due()
    assert str(refused.value) == "jobs ride with postings: enqueue jobs of their own with Outbox.enqueue(jobs, now)"
