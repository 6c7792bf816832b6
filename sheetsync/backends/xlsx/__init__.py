"""Local .xlsx workbooks: reading cells, patching engine cells in place, creating blank workbooks."""
