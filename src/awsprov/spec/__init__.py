"""The spec language: YAML files with line marks, environments, interpolation, validation."""
