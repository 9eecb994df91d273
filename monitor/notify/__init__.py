"""Notification: the outbox of events (outbox), which channels each event goes to (routing), delivery with
retries (dispatcher) and the configured channels built from the alerts package (channels)."""
