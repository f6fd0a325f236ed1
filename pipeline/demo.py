"""`xenowatch demo`: the main job on the bundled sample, served over loopback, through the Prefect flows."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.sample_server import DEFAULT_PORT, serve_sample, write_sources
from pipeline.sources import load_sources
from pipeline.store import Store


def run_demo(settings: Settings, out: Path, year: int, say: Callable[[str], None]) -> dict[str, Any]:
    """Serve the sample, register its sources, run the monitoring flow, then the award flow."""
    from flows.award import award_flow
    from flows.monitor import monitor_flow

    store = Store(settings.db)
    store.migrate()
    port = int(os.environ.get("XENOWATCH_DEMO_PORT", DEFAULT_PORT))
    with serve_sample(port) as server, tempfile.TemporaryDirectory() as tmp:
        say(f"serving the sample corpus on {server.base}")
        outlets, feeds = load_sources(write_sources(server.base, Path(tmp) / "sources.yaml"))
        store.upsert_sources(outlets, feeds)
        say(f"monitoring flow: {len(feeds)} feeds of {len(outlets)} outlets (loading models takes a moment)")
        result = monitor_flow(settings, feeds)
    say(f"award flow: ranking {year}")
    award = award_flow(settings, year, out)
    return {**result, **award}
