"""What the tests share, one of each: running the CLI (`cli`), a local page server (`pages`), waiting for a
condition (`waiting`) and the fast-tier guard (`spawn_guard`).  Test modules import from here or from the
`tests/fixtures_*` plugins, never from each other."""
