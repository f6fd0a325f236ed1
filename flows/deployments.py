"""The flows as prefect.yaml deploys them: Prefect runs a failed run again (a worker lost, the database file
busy for too long), while a run started by hand (`xenowatch run`, the demo) fails at once and says why."""

from __future__ import annotations

from flows.award import award_flow
from flows.monitor import monitor_flow

# A whole run may run again: articles are keyed by URL hash, classifications by (article, model) and snapshots
# by what they rank, so a retry adds nothing twice.
monitor = monitor_flow.with_options(retries=2, retry_delay_seconds=300)
award = award_flow.with_options(retries=2, retry_delay_seconds=900)
