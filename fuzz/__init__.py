"""Coverage-guided fuzz targets (atheris); see docs/reliability.md for how to run them."""
