"""The ward office service (`sheetsync serve`): one process on the ward's own store that syncs
every unit on a schedule and shows the month in a browser, with accounts and roles.

    app.py        the Starlette application (create_app) and its pages
    auth.py       passwords (argon2), sessions, CSRF, roles, login rate limit
    state.py      the service's tables in the store: accounts, audit, unit states, uploads, locks
    jobs.py       syncing one unit under a store lock, checking uploads, making forms
    scheduler.py  the tick: every unit synced in working hours, each by one process at a time
    config.py     the `service:` block of ward.yaml

Every page reads the store, never a workbook: a workbook is read only by a sync or a check.
"""
