"""Outgoing SMS and email: written to the outbox with the change they report, delivered by jobs."""
