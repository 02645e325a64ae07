"""A job's figures: drawn, or copied from the cache byte for byte."""

from __future__ import annotations

import dataclasses
import math
import shutil
from pathlib import Path

import pytest

from revmentor.report import figures
from revmentor.report.figures import batch
from tests.report.test_figures import DOMAINS, forest, likert_counts


def some_figures() -> dict[str, batch.FigureData]:
    return {
        "forest_small": forest(3),
        "likert": figures.likert_data(likert_counts(), DOMAINS, (1, 2, 3, 4, 5)),
    }


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Every figure drawn and saved the plain way, one by one, with no cache."""
    folder = tmp_path_factory.mktemp("fresh")
    for stem, data in some_figures().items():
        figures.save_figure(batch.DRAW[type(data)](data), folder / stem)
    return files(folder)


def test_a_miss_draws_and_a_hit_copies_the_same_bytes(fresh, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    drawn = batch.write_figures(some_figures(), tmp_path / "first", cache_folder=cache)
    assert drawn == list(some_figures())
    assert files(tmp_path / "first") == fresh
    assert len(list(cache.iterdir())) == 3 * len(some_figures())

    assert batch.write_figures(some_figures(), tmp_path / "again", cache_folder=cache) == []
    assert files(tmp_path / "again") == fresh


def test_only_the_figure_whose_data_changed_is_drawn(fresh, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    batch.write_figures(some_figures(), tmp_path / "first", cache_folder=cache)
    changed = some_figures()
    changed["forest_small"] = forest(4)
    drawn = batch.write_figures(changed, tmp_path / "second", cache_folder=cache)
    assert drawn == ["forest_small"]
    expected = tmp_path / "expected"
    figures.save_figure(figures.draw_forest(forest(4)), expected / "forest_small")
    second = files(tmp_path / "second")
    assert {name: second[name] for name in files(expected)} == files(expected)
    assert {n: b for n, b in second.items() if not n.startswith("forest_small")} == {
        n: b for n, b in fresh.items() if not n.startswith("forest_small")
    }


def test_changed_drawing_code_is_a_miss(tmp_path: Path, monkeypatch) -> None:
    copy = tmp_path / "figures"
    shutil.copytree(batch.PACKAGE_FOLDER, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert batch.code_fingerprint(copy) == batch.code_fingerprint()
    style = copy / "style.py"
    style.write_text(style.read_text().replace("PNG_DPI = 200", "PNG_DPI = 300"))
    edited = batch.code_fingerprint.__wrapped__(copy)
    assert edited != batch.code_fingerprint()

    cache = tmp_path / "cache"
    batch.write_figures(some_figures(), tmp_path / "before", cache_folder=cache)
    monkeypatch.setattr(batch, "code_fingerprint", lambda: edited)
    drawn = batch.write_figures(some_figures(), tmp_path / "after", cache_folder=cache)
    assert drawn == list(some_figures())


def test_changed_software_is_a_miss(monkeypatch) -> None:
    data = forest(3)
    before = batch.figure_key(data)
    monkeypatch.setattr(batch, "software_fingerprint", lambda: "matplotlib=0.0")
    assert batch.figure_key(data) != before


def test_the_key_sees_the_last_bit_of_a_number_and_refuses_unknown_types() -> None:
    data = forest(3)
    row = data.site_rows[0]
    nudged = dataclasses.replace(row, estimate=math.nextafter(row.estimate, math.inf))
    changed = dataclasses.replace(data, site_rows=(nudged, *data.site_rows[1:]))
    assert batch.figure_key(changed) != batch.figure_key(data)
    assert batch.figure_key(forest(3)) == batch.figure_key(data)
    with pytest.raises(TypeError, match="no canonical form"):
        batch.canonical({"a": object()})


def test_the_cache_keeps_only_the_latest_run(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    batch.write_figures(some_figures(), tmp_path / "first", cache_folder=cache)
    (cache / "stray.partial").write_text("left by a killed job")
    only = {"likert": some_figures()["likert"]}
    assert batch.write_figures(only, tmp_path / "second", cache_folder=cache) == []
    key = batch.figure_key(only["likert"])
    assert sorted(path.name for path in cache.iterdir()) == [
        f"{key}.png",
        f"{key}.sha256",
        f"{key}.svg",
    ]


def test_an_altered_or_partial_entry_is_a_miss(fresh, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    batch.write_figures(some_figures(), tmp_path / "first", cache_folder=cache)
    likert, forest_small = (batch.figure_key(some_figures()[s]) for s in ("likert", "forest_small"))
    (cache / f"{likert}.png").write_bytes(b"not the figure")
    (cache / f"{forest_small}.sha256").unlink()
    drawn = batch.write_figures(some_figures(), tmp_path / "second", cache_folder=cache)
    assert sorted(drawn) == ["forest_small", "likert"]
    assert files(tmp_path / "second") == fresh
    assert batch.write_figures(some_figures(), tmp_path / "third", cache_folder=cache) == []


def test_a_cache_that_cannot_be_written_still_gives_the_figures(fresh, tmp_path: Path) -> None:
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("")
    drawn = batch.write_figures(some_figures(), tmp_path / "out", cache_folder=blocked)
    assert drawn == list(some_figures())
    assert files(tmp_path / "out") == fresh
