"""Every hospital's page, written by as many processes as the report step has cores.

The pages are independent of each other, and at 1,000 sites and more they are most of the
report step, which runs alone at the end of a run (it waits for the audit manifest). Each
process writes its own share of the pages from the same data, indexed once before the
processes start, so every page has the bytes it has when written alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from revmentor.core.files import write_text
from revmentor.report.page.build import PageInputs, SharedPageData, render_site_page

#: Below this many pages per process, starting the processes costs more than it saves.
MIN_PAGES_PER_PROCESS = 50


@dataclass(frozen=True)
class _PageJob:
    shared: SharedPageData
    inputs: PageInputs
    paths: Mapping[str, str]


#: The job a forked process works on: set by the parent before the fork, so that the
#: data reach the processes without being pickled.
_JOB: _PageJob | None = None


def _write(job: _PageJob, site_ids: Sequence[str]) -> None:
    for site_id in site_ids:
        write_text(job.paths[site_id], render_site_page(site_id, job.inputs, job.shared))


def _write_share(site_ids: Sequence[str]) -> None:
    assert _JOB is not None, "the page job is set before the processes start"
    _write(_JOB, site_ids)


def process_count(
    n_pages: int, cores: int, min_pages_per_process: int = MIN_PAGES_PER_PROCESS
) -> int:
    """How many processes write ``n_pages`` on ``cores``: one unless each gets enough pages."""
    return max(1, min(cores, n_pages // min_pages_per_process))


def _release_free_memory() -> None:
    """Hand memory freed by Python back to the system before forking, so that no process
    starts with the parent's garbage (glibc only; elsewhere nothing is done)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def write_site_pages(
    site_ids: Sequence[str],
    shared: SharedPageData,
    inputs: PageInputs,
    paths: Mapping[str, str],
    cores: int = 1,
    min_pages_per_process: int = MIN_PAGES_PER_PROCESS,
) -> int:
    """Write every hospital's page to ``paths[site_id]``, on up to ``cores`` processes
    (this one among them); returns how many processes wrote them.

    An error in any process stops the step with that error, as it would on one process.
    """
    global _JOB
    job = _PageJob(shared, inputs, paths)
    processes = process_count(len(site_ids), cores, min_pages_per_process)
    if processes == 1:
        _write(job, site_ids)
        return processes
    # Every process gets every n-th site, so that sites of different sizes spread evenly.
    shares = [list(site_ids[start::processes]) for start in range(processes)]
    _release_free_memory()
    _JOB = job
    try:
        with multiprocessing.get_context("fork").Pool(processes - 1) as pool:
            others = pool.map_async(_write_share, shares[1:], chunksize=1)
            _write(job, shares[0])
            others.get()
    finally:
        _JOB = None
    return processes
