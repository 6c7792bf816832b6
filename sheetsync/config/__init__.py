"""Configuration read from YAML: the schemas, the scoring profiles, ward.yaml, and where the bundled files live."""
