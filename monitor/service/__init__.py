"""`linkwatch serve`: the serve loop (loop), its HTTP endpoints (/metrics in metrics, POST /api/pending in
intake, /healthz in loop)."""

#: seconds between two looks for due backlinks (monitor.service.loop); here so that `linkwatch serve --help`
#: can show it without loading the store
DEFAULT_POLL = 30.0
