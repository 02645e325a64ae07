"""The report's tables as a page shows them: the narrow reader views
(:mod:`revmentor.report.reader_tables`), each linking its full machine table (CSV)."""

from __future__ import annotations

from revmentor.report.assemble import Table
from revmentor.report.page.html import Cell, PageTable
from revmentor.report.reader_tables import ReaderLabels, reader_table


def page_table(
    name: str,
    table: Table,
    labels: ReaderLabels,
    tables_href: str,
    appendix: bool = False,
) -> PageTable:
    view = reader_table(name, table, labels)
    rows = tuple(
        tuple(
            Cell(text, sort, numeric, hover)
            for text, sort, numeric, hover in zip(texts, keys, view.numeric, hovers, strict=True)
        )
        for texts, keys, hovers in zip(view.rows, view.sort_keys, view.hover, strict=True)
    )
    return PageTable(
        id=("appendix-" if appendix else "table-") + name.replace("_", "-"),
        title=view.title,
        columns=view.columns,
        rows=rows,
        notes=view.notes,
        csv=f"{tables_href}/{view.csv}",
    )
