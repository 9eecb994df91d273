"""The web interface and JSON API of `linkwatch serve` (FastAPI, Jinja2 templates, uvicorn): docs/ui.md."""
