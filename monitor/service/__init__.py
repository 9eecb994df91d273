"""`linkwatch serve`: the serve loop (loop), its HTTP endpoints (/metrics in metrics, POST /api/pending in
intake, /healthz in loop)."""
