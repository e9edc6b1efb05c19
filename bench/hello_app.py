"""The baseline for the throughput ratio: a bare Flask app answering "hello".

Served by the same gunicorn with the same gunicorn.conf.py as the real app, in the same run,
so the ratio says what Konexi's own work (database, templates, extensions) costs per request.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
