"""A realistic sample ward: six units of Phường Ba Đình, 84 people, a month (or a year) of work.

`build_demo_ward` writes `ward.yaml` and one workbook per unit, each made by `init_workbook` and
then filled with openpyxl by header text (never by column position), so the demo also checks
that the blank template is what people really fill in. It serves demos, manual testing and
the engine's end-to-end tests.

The data is synthetic but shaped like a real ward after the 2025 reorganisation: offices,
a one-stop centre and two schools, a proper management tree, products with conversion
coefficients, tasks grounded on plans and decisions, and a month-end evaluation. The content
(names, units and posts, products, task templates, objectives, comments, how people perform,
the problems to plant) is data, in `data/*.yaml`; the modules draw from it:

- `people`: rosters; `tasks`: a month's task rows, outcomes and planted row problems;
- `fitting`: each person's planned rating reached with the engine itself as the judge, then
  the approvals; `cells`: typing rows as people do; `workbook`: grids and .xlsx files;
- `build`: `build_demo_ward`, the whole ward.

Planted problems, so that every kind of finding shows up (see data/plants.yaml): rows with
text in a number column, an impossible date, unknown staff, product and collaborator codes,
blank required cells, done above assigned, a duplicate task id, missing evidence, "Trả lại"
without a count, "Đạt" with nothing done, an NFD-typed enum; a merged cell, a blank row and an
NFD name; late self-assessments, missing manager reviews, a disciplined person, a unit not yet
approved, an approval above the suggestion, a unit over the nd335 quota; OKR equal weights and
a decreasing KPI.
"""

from sheetsync.demo.build import DEFAULT_MONTHS, build_demo_ward
from sheetsync.demo.content import content

UNITS = content().units
_PLANTS = content().plants
MERGED_UNIT, BLANK_ROW_UNIT, NFD_NAME_UNIT = _PLANTS["merged_unit"], _PLANTS["blank_row_unit"], _PLANTS["nfd_name_unit"]

__all__ = ["BLANK_ROW_UNIT", "DEFAULT_MONTHS", "MERGED_UNIT", "NFD_NAME_UNIT", "UNITS", "build_demo_ward"]
