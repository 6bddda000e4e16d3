"""List exports (``?export=csv`` / ``?export=xlsx``) that open cleanly in Excel and WPS.

* CSV starts with a UTF-8 byte-order mark: without it, Excel on Chinese Windows reads the file as
  GB18030 and every Chinese character comes out garbled.
* Cells that a spreadsheet would run as a formula (text starting with ``=``, ``+``, ``-``, ``@``) get a
  leading apostrophe, so an enterprise named ``=HYPERLINK(...)`` stays text (CSV / formula injection).
"""

from __future__ import annotations

import codecs
from typing import Any

from django_tables2.export import TableExport

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defuse(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


class SpreadsheetExport(TableExport):
    def table_to_dataset(self, table: Any, exclude_columns: Any, dataset_kwargs: Any = None) -> Any:
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        headers = dataset.headers
        rows = [[_defuse(v) for v in row] for row in dataset]
        dataset.wipe()
        dataset.headers = headers
        for row in rows:
            dataset.append(row)
        return dataset

    def export(self) -> Any:
        data = super().export()
        if self.format == self.CSV:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
            return codecs.BOM_UTF8 + text.encode("utf-8")
        return data
