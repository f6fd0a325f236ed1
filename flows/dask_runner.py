"""Where the flows' tasks run: threads in this process, or a Dask cluster through prefect-dask."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from pipeline.core.config import Settings

# A LocalCluster for one run: processes (the GIL does not serialise the models), one thread each
# (torch already uses the cores), two workers on a 2-core laptop.
LOCAL_WORKERS = 2


@contextmanager
def cluster_address(settings: Settings) -> Iterator[str | None]:
    """The Dask scheduler to use for a run: `dask_address`, a LocalCluster started (and closed) for
    the run, or None when the runner is `threads`."""
    if settings.runner != "dask":
        yield None
        return
    if settings.dask_address:
        yield settings.dask_address
        return
    from distributed import LocalCluster

    with LocalCluster(n_workers=LOCAL_WORKERS, threads_per_worker=1, processes=True,  # type: ignore[no-untyped-call]
                      dashboard_address=None) as cluster:
        yield str(cluster.scheduler_address)


def task_runner(address: str | None, threads: int) -> TaskRunner[Any]:
    """A DaskTaskRunner on the given scheduler, or a thread pool of `threads` when there is none."""
    if address is None:
        return ThreadPoolTaskRunner(max_workers=threads)
    from prefect_dask.task_runners import DaskTaskRunner

    return DaskTaskRunner(address=address)
