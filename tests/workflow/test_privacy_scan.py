"""End to end: no participant id, free text or small demographic count leaves the centre.

Participant ids and free text are planted in the example consortium: a comment column at a
valid site, and, at a site made invalid, a duplicated participant id and free text typed
into a score cell. The run stops on the invalid site, then goes on without it. Afterwards
every file of every folder that may leave the coordinating centre (the one list in
``revmentor.core.privacy``), every log and everything printed on the console is searched.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from revmentor.core.privacy import NOT_SHAREABLE, SHAREABLE, WITHHELD

pytestmark = pytest.mark.slow
FREE_TEXT = "Dr Example said this was FREE-TEXT-7Q"
SCORE_FREE_TEXT = "Nurse Lee was great FREE-TEXT-8Z"
DUPLICATED_ID = "SYN-NORT-MENTOR001"  # northgate rows 2 (pre) and 3 (post)
TOKENS = re.compile(r"[\w-]+")
ID_PREFIX = "SYN-"  # every example id has it, so even a cut or glued id is found
csv.field_size_limit(sys.maxsize)  # a base64 figure in the report is one long field
DATA_URI = re.compile(rb"data:[\w/+.-]+;base64,([A-Za-z0-9+/=]+)")


def participant_ids(root: Path) -> set[str]:
    ids: set[str] = set()
    for data in (root / "data/example").iterdir():
        if data.suffix in (".csv", ".txt") and "summary" not in data.name:
            if "items" not in data.name:
                frame = pd.read_csv(data, sep=None, engine="python", dtype=str)
                ids |= set(frame["participant_id"])
        elif data.suffix == ".xlsx":
            ids |= set(pd.read_excel(data, sheet_name="responses", dtype=str)["participant_id"])
    return ids


def texts_of(file: Path) -> list[str]:
    """The file's text, plus what it embeds: PNG text chunks and base64 data URIs."""
    data = file.read_bytes()
    texts = [data.decode("utf-8", errors="ignore")]
    if file.suffix == ".png":
        with Image.open(file) as image:
            texts += [f"{key}={value}" for key, value in image.text.items()]
    for payload in DATA_URI.findall(data):
        texts.append(
            base64.b64decode(payload + b"=" * (-len(payload) % 4)).decode("utf-8", "ignore")
        )
    return texts


def table_rows(text: str) -> list[list[str]]:
    """Rows of cells from CSV, Markdown or HTML tables (any other text gives junk rows)."""
    rows = [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", text, re.S)
    ]
    for line in text.splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    rows += list(csv.reader(io.StringIO(text.replace("\x00", ""), newline="")))
    return rows


def leaks(text: str, ids: set[str]) -> list[str]:
    """Participant ids (as whole tokens, so one pass over the text) and planted free text."""
    found = sorted(set(TOKENS.findall(text)) & ids)
    markers = (FREE_TEXT, SCORE_FREE_TEXT, "FREE-TEXT", ID_PREFIX)
    return found + [marker for marker in markers if marker in text]


def small_demographic_counts(text: str, demographics: set[str], min_cell: int) -> list[list[str]]:
    """Rows giving a count from 1 to min_cell - 1 for a level of a demographic variable."""
    found = []
    for cells in table_rows(text):
        for index, cell in enumerate(cells):
            if cell in demographics:
                counts = [c for c in cells[index + 2 :] if re.fullmatch(r"\d+", c)]
                if any(1 <= int(c) < min_cell for c in counts):
                    found.append(cells)
    return found


def test_nothing_personal_leaves_the_centre_or_reaches_a_log(
    example_run, tmp_path, instrument, config
):
    # A copy of the finished example run: the planted data reruns the two sites' shards and
    # every consortium step, so each file searched below is written from it; the other
    # sites' shard files are the same bytes a run from scratch would write.
    workspace = example_run.clone(tmp_path / "work")
    root = workspace.root
    pilot = root / "data/example/pilot.csv"
    lines = pilot.read_text().splitlines()
    pilot.write_text(
        "\n".join([lines[0] + ",comments", *(f"{line},{FREE_TEXT}" for line in lines[1:])]) + "\n"
    )
    # Row 4 (another mentor's pre row) takes row 2's id: the same participant twice at pre.
    workspace.corrupt_cell("example/northgate.csv", 4, "participant_id", DUPLICATED_ID)
    workspace.corrupt_cell("example/northgate.csv", 2, "strengths", SCORE_FREE_TEXT)

    stopped = workspace.snakemake()
    assert stopped.returncode != 0
    console = stopped.stdout + stopped.stderr
    assert (
        f"  - row 2, column 'participant_id': participant {WITHHELD} has more than one row at "
        "the same timepoint; keep one row per participant and timepoint "
        "[unique_participant_timepoint]"
    ) in console
    assert f"  - row 2, column 'strengths': {WITHHELD} is not a whole number from 1 to 5" in console

    workspace.set_config(**{"validation.on_invalid_site": "exclude"})
    finished = workspace.snakemake(check=True)
    console += finished.stdout + finished.stderr
    workspace.snakemake("--report", "results/report.html", check=True)

    results = root / "results"
    assert {entry.name for entry in results.iterdir()} <= SHAREABLE | NOT_SHAREABLE
    ids = participant_ids(root)
    assert len(ids) > 100 and DUPLICATED_ID in ids
    assert all(TOKENS.fullmatch(pid) and pid.startswith(ID_PREFIX) for pid in ids)

    # The site's own report is the one place that quotes them.
    report = (results / "validation/northgate.md").read_text()
    assert DUPLICATED_ID in report and SCORE_FREE_TEXT in report

    min_cell = config["disclosure"]["min_cell"]
    demographics = set(instrument.demographic_ids)
    scanned = []
    for entry in sorted(SHAREABLE):
        top = results / entry
        for file in [top] if top.is_file() else sorted(top.rglob("*")) if top.exists() else []:
            if file.is_dir():
                continue
            for text in texts_of(file):
                assert not leaks(text, ids), (file, leaks(text, ids)[:3])
                assert not small_demographic_counts(text, demographics, min_cell), file
            scanned.append(file.relative_to(results).parts[0])
    assert {"tables", "figures", "pooled", "report", "audit", "report.html"} <= set(scanned)
    assert len(scanned) > 90

    # Each hospital's page goes back to it: its own aggregates and the pooled ones only.
    names = {row[0]: row[1] for row in workspace.registry_rows()}
    pages = sorted((results / "sites").glob("*/report.html"))
    # Every registered hospital has one, the excluded northgate too (it says why).
    assert sorted(page.parent.name for page in pages) == sorted(names)
    for page in pages:
        others = [name for site, name in names.items() if site != page.parent.name]
        for text in texts_of(page):
            assert not leaks(text, ids), (page, leaks(text, ids)[:3])
            assert not [name for name in others if name in text], page

    private_logs = [file for file in (results / "logs").rglob("*") if file.is_file()]
    assert len(private_logs) > 10
    for text in [console, *(file.read_text() for file in private_logs)]:
        assert not leaks(text, ids), leaks(text, ids)[:3]

    # Small counts are present, but only in folders that stay at the centre.
    assert "shards" in NOT_SHAREABLE
    shard_counts = [
        small_demographic_counts(path.read_text(), demographics, min_cell)
        for path in (results / "shards").glob("*/demographics.csv")
    ]
    assert any(shard_counts)
