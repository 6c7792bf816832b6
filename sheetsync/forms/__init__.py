"""Monthly report forms for the ward office: Mẫu số 01A (summary) and 02A (individual list).

The engine fills :class:`UnitResults` and :class:`WardInfo`; :func:`write_reports` writes the
forms per unit and for the whole ward as xlsx, one HTML page with charts, and PDF.
Layouts live in ``templates/forms/`` (YAML + jinja2), editable without Python.
"""

from sheetsync.forms.build import Form01A, Form02A, build_01a, build_02a
from sheetsync.forms.model import CATEGORIES, UnitResults, WardInfo, default_scale, final_rating
from sheetsync.forms.report import ReportOutput, ScopeOutput, write_reports

__all__ = [
    "CATEGORIES", "UnitResults", "WardInfo", "default_scale", "final_rating",
    "Form01A", "Form02A", "build_01a", "build_02a",
    "ReportOutput", "ScopeOutput", "write_reports",
]
