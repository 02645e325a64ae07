"""Memory linear in a site's size: the Hodges–Lehmann estimate and CI without the n(n+1)/2
Walsh averages, the Monte Carlo p in bounded chunks of draws with the same draws as one
big call, and the peak memory of the statistics and validation jobs of a big site against
the ``mem_mb`` their rules declare (issue 10)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from revmentor.core.summary_format import MONTE_CARLO, MONTE_CARLO_DRAWS
from revmentor.simulate.model import SiteDesign, simulate_site
from revmentor.stats import paired, wilcoxon
from revmentor.stats.paired import hodges_lehmann, walsh_averages, walsh_order_statistic
from revmentor.stats.wilcoxon import EXACT_MAX_N, exact_conditional_p, nonzero_ranks

REPO = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


def full_table_hodges_lehmann(differences: np.ndarray, level: float = 0.95):
    """The previous implementation: every Walsh average in memory, sorted."""
    differences = np.asarray(differences, dtype=float)
    walsh = walsh_averages(differences)
    estimate = float(np.median(walsh))
    n = len(differences)
    if n < 2:
        return paired.HodgesLehmann(estimate, None, None, "")
    lower, method = paired._lower_rank(n, level)
    upper = len(walsh) - lower + 1
    return paired.HodgesLehmann(estimate, float(walsh[lower - 1]), float(walsh[upper - 1]), method)


def one_call_monte_carlo_p(differences: np.ndarray, rng: np.random.Generator) -> float:
    """The previous Monte Carlo p: all (draws × n) signs drawn in one call."""
    ranks, signs = nonzero_ranks(np.asarray(differences, dtype=float))
    doubled = np.rint(2 * ranks).astype(np.int64)
    observed, centre2 = int(doubled[signs > 0].sum()), int(doubled.sum())
    draws = rng.integers(0, 2, size=(MONTE_CARLO_DRAWS, len(ranks)), dtype=np.int8)
    sums = draws @ doubled
    hits = np.sum(np.abs(2 * sums - centre2) >= abs(2 * observed - centre2))
    return float((hits + 1) / (MONTE_CARLO_DRAWS + 1))


def sample(kind: str, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "likert":  # whole-point changes: heavy ties and zeros
        return rng.integers(-4, 5, n).astype(float)
    if kind == "continuous":
        return rng.normal(0.3, 1.0, n)
    if kind == "tenths":  # sums such as 0.1 + 0.2 round in floating point
        return rng.integers(-30, 31, n) * 0.1
    if kind == "magnitudes":  # d_i + d_j absorbs the small value entirely
        return rng.choice([0.1, 0.2, 0.3, -0.1, 1.0, 3.0, 1e-300, 1e16, -1e16], n)
    if kind == "offset":  # large offset: many sums rounded to the same float
        return rng.integers(-30, 31, n) / 7.0 + 1e15
    return np.full(n, 0.1)  # "constant"


KINDS = ("likert", "continuous", "tenths", "magnitudes", "offset", "constant")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [1, 2, 3, 8, 31])
def test_every_walsh_order_statistic_equals_the_sorted_table(kind, n):
    differences = sample(kind, n, seed=n)
    table = walsh_averages(differences)
    selected = [walsh_order_statistic(differences, rank) for rank in range(1, len(table) + 1)]
    assert selected == table.tolist()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [1, 2, 5, 17, 60, 399, 401, 650])
def test_hodges_lehmann_is_unchanged_to_the_last_bit(kind, n):
    """Both sides of HL_EXACT_MAX_N (exact and normal critical values); even and odd
    numbers of Walsh averages, so the median is one value or the mean of two."""
    differences = sample(kind, n, seed=1000 + n)
    assert hodges_lehmann(differences) == full_table_hodges_lehmann(differences)


def test_walsh_order_statistic_refuses_a_rank_outside_the_table():
    with pytest.raises(ValueError, match=r"rank 7 is outside 1\.\.6"):
        walsh_order_statistic(np.array([1.0, 2.0, 3.0]), 7)


def traced_peak_mb(function, *args) -> float:
    """Peak memory numpy and Python allocate while ``function`` runs, in MB."""
    tracemalloc.start()
    try:
        function(*args)
        return tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


def test_hodges_lehmann_never_forms_the_walsh_averages():
    """4,000 pairs have 8,002,000 Walsh averages: 64 MB as floats, 192 MB with their
    indices. The selection needs a few arrays of n."""
    differences = sample("continuous", 4000, seed=3)
    assert traced_peak_mb(hodges_lehmann, differences) < 4


def test_monte_carlo_draws_its_signs_in_bounded_chunks():
    """Just past the exact limit the one-call draws were 100,000 × n bytes (40 MB here),
    and growing with n; the chunks stay near 4 MB whatever n is."""
    differences = sample("likert", EXACT_MAX_N + 60, seed=4)
    differences[differences == 0] = 0.5
    assert exact_conditional_p(differences).method == MONTE_CARLO
    assert traced_peak_mb(exact_conditional_p, differences, np.random.default_rng(5)) < 16


@pytest.mark.parametrize("n", [EXACT_MAX_N + 1, EXACT_MAX_N + 2, EXACT_MAX_N + 3, 1001])
@pytest.mark.parametrize("chunk_signs", [1, 4_099, 1 << 22])
def test_chunked_monte_carlo_gives_the_one_call_p(monkeypatch, n, chunk_signs):
    """Chunks of a multiple of 4 rows keep numpy's stream of draws: the same p, whatever
    the chunk size, as drawing every sign at once."""
    monkeypatch.setattr(wilcoxon, "MONTE_CARLO_CHUNK_SIGNS", chunk_signs)
    differences = sample("likert", n, seed=n)
    differences[differences == 0] = 0.5  # every difference counts: n signs per draw
    chunked = exact_conditional_p(differences, np.random.default_rng(11))
    assert chunked.method == MONTE_CARLO
    assert chunked.p == one_call_monte_carlo_p(differences, np.random.default_rng(11))


def test_chunk_sizes_keep_whole_words_of_the_generator():
    """Each 32-bit word gives 4 draws, and numpy drops a part-used word at the end of a
    call, so every chunk is a multiple of 4 rows (any n then gives a multiple of 4 signs)."""
    for n in (401, 402, 403, 777, 4870, 10**6, 10**7):
        rows = wilcoxon.draw_rows_per_chunk(n)
        assert rows % 4 == 0 and rows >= 4
        assert rows * n <= max(wilcoxon.MONTE_CARLO_CHUNK_SIGNS, 4 * n)


# --- Peak memory of the jobs, in a subprocess (slow) ---------------------------------


def declared_mem_mb(rule_file: str) -> int:
    """The ``mem_mb`` the shard rule in ``workflow/rules/<rule_file>`` asks SLURM for."""
    text = (REPO / "workflow/rules" / rule_file).read_text("utf-8")
    (value,) = re.findall(r"^\s*mem_mb=(\d+),", text, flags=re.MULTILINE)
    return int(value)


def tiled_site(instrument, per_role: int, copies: int) -> pd.DataFrame:
    """A site of ``per_role`` mentors and mentees from the simulator, as ``copies`` copies of
    a site ``copies`` times smaller, each with its own participant ids (SYN-BIG-MENTOR001
    ... as the simulator numbers them): the same columns, values and id widths, at a tenth
    of the simulator's time."""
    size = per_role // copies
    block = simulate_site(SiteDesign("big", {"mentor": size, "mentee": size}), instrument, 7)
    prefix, number = block["participant_id"].str.extract(r"^(SYN-BIG-[A-Z]+)(\d+)$").T.values
    number = number.astype(int)
    tiles = []
    for copy in range(copies):
        tile = block.copy()
        tile["participant_id"] = prefix + pd.Series(number + copy * size).map("{:03d}".format)
        tiles.append(tile)
    return pd.concat(tiles, ignore_index=True)


def peak_rss_mb(script: str, *args: str, folder: Path) -> float:
    """Run ``script`` in a fresh Python and return its own peak RSS, which the script prints
    last (see tests/memory_probe.py for why not ``wait4``'s rusage)."""
    job = textwrap.dedent(script) + PRINT_PEAK
    completed = subprocess.run(
        [sys.executable, "-c", job, *args], cwd=REPO, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    done, peak = completed.stdout.split()
    assert done == "done"
    return float(peak)


PRINT_PEAK = """
from tests.memory_probe import own_peak_mb
print(own_peak_mb())
"""


STATS_JOB = """
    import sys
    from pathlib import Path
    from revmentor.core.config import load_config
    from revmentor.core.instrument import Instrument
    from revmentor.stats.distributions import change_table
    from revmentor.steps import site_tables
    from revmentor.validation.clean import read_clean

    config = load_config(
        Path("config/config.yaml"), Path("workflow/schemas/config.schema.yaml")
    )
    instrument = Instrument.from_config(config["instrument"])
    clean = read_clean(Path(sys.argv[1]), instrument)
    tables = site_tables("big", instrument, config["seed"], clean)
    change_table(clean, instrument, "big")
    assert len(tables["summary"]) == 16, tables["summary"]
    print("done")
"""


@pytest.mark.slow
def test_a_20000_row_site_stays_within_the_stats_jobs_memory(instrument, tmp_path):
    """The issue's 2 MB, 20,020-row site peaked at 4.87 GB in the stats shard job; it now
    needs about 160 MB, well under the rule's mem_mb."""
    from revmentor.validation.clean import clean_csv
    from revmentor.validation.site import validate_site

    raw = simulate_site(SiteDesign("big", {"mentor": 5140, "mentee": 5140}), instrument, 7)
    assert 19_900 <= len(raw) <= 20_100
    raw.to_csv(tmp_path / "big.csv", index=False)
    site = {"site_id": "big", "name": "Big", "format": "responses", "file": "big.csv"}
    report, clean = validate_site(tmp_path / "big.csv", site, instrument)
    assert report.errors == ()
    (tmp_path / "clean.csv").write_text(clean_csv(clean, instrument), "utf-8")

    peak = peak_rss_mb(STATS_JOB, str(tmp_path / "clean.csv"), folder=tmp_path)
    assert peak < 500, f"the stats job peaked at {peak:.0f} MB"
    assert peak < declared_mem_mb("site_stats.smk")


VALIDATE_JOB = """
    import sys
    from pathlib import Path
    from revmentor.core.config import load_config
    from revmentor.core.instrument import Instrument
    from revmentor.validation.clean import clean_csv
    from revmentor.validation.readers import ReadLimits
    from revmentor.validation.site import validate

    config = load_config(
        Path("config/config.yaml"), Path("workflow/schemas/config.schema.yaml")
    )
    instrument = Instrument.from_config(config["instrument"])
    limits = ReadLimits.from_config(config["validation"])
    site = {"site_id": "big", "name": "Big", "format": "responses", "file": sys.argv[1]}
    checked = validate(site, instrument, limits)
    assert checked.report.errors == (), checked.report.errors[:3]
    assert checked.report.n_rows == limits.max_rows, checked.report.n_rows
    clean_csv(checked.clean, instrument)
    print("done")
"""


@pytest.mark.slow
def test_the_largest_accepted_csv_stays_within_the_validate_jobs_memory(
    config, instrument, tmp_path
):
    """validation.max_rows rows × validation.max_columns columns (the shape that holds
    the most cells a CSV under validation.max_file_mb can), validated as the shard job
    does it: measured at about 710 MB."""
    limits = config["validation"]
    per_role = limits["max_rows"] * 11 // 40  # two rows each, less about 5% dropouts
    raw = tiled_site(instrument, per_role, copies=10).iloc[: limits["max_rows"]]
    assert len(raw) == limits["max_rows"]
    assert raw["participant_id"].nunique() > limits["max_rows"] // 2
    extra = limits["max_columns"] - len(raw.columns)
    # The columns of ones, as text: what pandas would write for them, in a fraction of the
    # time it takes to format 100,000 × 174 cells.
    lines = raw.to_csv(index=False).split("\n")[:-1]
    lines[0] += "".join(f",extra_{index}" for index in range(extra))
    suffix = ",1" * extra
    lines[1:] = [line + suffix for line in lines[1:]]
    (tmp_path / "big.csv").write_text("\n".join(lines) + "\n")
    assert (tmp_path / "big.csv").stat().st_size < limits["max_file_mb"] * MB

    peak = peak_rss_mb(VALIDATE_JOB, str(tmp_path / "big.csv"), folder=tmp_path)
    assert peak < declared_mem_mb("validate.smk") / 2, f"validation peaked at {peak:.0f} MB"
