"""Servers the test suite starts on free ports: Redis, PostgreSQL, SMTP, a fake Twilio API."""
