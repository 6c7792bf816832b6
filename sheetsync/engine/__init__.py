"""The pure engine: cell values, validation against the schemas, scoring by the profile, the
write plan. No I/O beyond reading configuration; every backend and front end shares it.
The entry points are `sheetsync.engine.evaluate.evaluate` and `plan_writes`."""
