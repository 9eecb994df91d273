"""What the tests share, one of each: running the CLI (`cli`), a local page server (`pages`), waiting for a
condition (`waiting`), the fast-tier guard (`spawn_guard`), hand-made store rows (`store`), the corpus of real
pages (`corpus`), import files (`imports`), the alert tests' SMTP settings (`alerts`), the seeded serve of the
web tests (`web`), CSV exports safe for spreadsheets (`spreadsheet`), the shadow DOM walk (`shadow`) and the
"what people read" scenarios (`scenario`).  Test modules import from here or from the `tests/fixtures_*`
plugins, never from each other (tests/test_test_layout.py)."""
