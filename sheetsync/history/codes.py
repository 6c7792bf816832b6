"""Codes of the findings and notices the history store adds to a unit's evaluation, in a leaf
module so that readers of findings (the forms, the service) need not import the store."""

EDIT_CODE = "history.edit-after-approval"
ADDED_CODE = "history.row-added-after-approval"
DELETED_CODE = "history.row-deleted-after-approval"
MONTH_CODE = "history.month-edited-after-approval"
MONTH_FROZEN = "history.month-frozen"
