"""The names `linkwatch import --format` accepts: `auto` (recognise the export from its header) and the name
of each export format in monitor.importers.importer.FORMATS.  A module of its own, without imports, so that
the command can offer the choices without loading the store."""

FORMAT_NAMES = ("auto", "ahrefs", "semrush", "gsc", "csv", "ga4")
