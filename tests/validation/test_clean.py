"""The clean table read back: whole numbers as the one number parser reads them."""

from __future__ import annotations

import pandas as pd
import pytest

from revmentor.core.logs import StepFailure
from revmentor.validation.clean import clean_columns, read_clean

WHOLE = ["7", "-3", "", "007", "1.0E1", "12345678901234567"]


def clean_file(tmp_path, instrument, domain_cells):
    columns = clean_columns(instrument)
    rows = []
    for index, cell in enumerate(domain_cells):
        row = dict.fromkeys(columns, "")
        row.update(participant_id=f"p{index}", role="mentor", timepoint="pre", source_row=index)
        row[instrument.domain_ids[0]] = cell
        rows.append(row)
    path = tmp_path / "clean.csv"
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return path


def test_whole_numbers_read_as_the_number_parser_reads_them(tmp_path, instrument):
    clean = read_clean(clean_file(tmp_path, instrument, WHOLE), instrument)
    domain = clean[instrument.domain_ids[0]]
    assert domain.dtype == pd.Int64Dtype()
    # int(float(text)): a 17-digit number is the float's whole number
    assert domain.tolist() == [7, -3, pd.NA, 7, 10, int(float("12345678901234567"))]
    assert clean["participant_id"].tolist() == [f"p{i}" for i in range(len(WHOLE))]
    assert clean["site_id"].dtype == object and clean["site_id"].isna().all()


@pytest.mark.parametrize("cell", ["1_6", "1.5", "inf", "٤"])
def test_an_edited_number_is_refused_with_its_place(tmp_path, instrument, cell):
    path = clean_file(tmp_path, instrument, ["3", cell])
    with pytest.raises(StepFailure, match=rf"row 3, column '{instrument.domain_ids[0]}'"):
        read_clean(path, instrument)
