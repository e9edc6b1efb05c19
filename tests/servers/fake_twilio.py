"""A small fake of Twilio's Messages API that the real ``twilio`` client talks to.

It checks HTTP basic auth, records every message, counts duplicates per outbox id (taken from the
StatusCallback URL's ``outbox`` query parameter), and can be told to fail: the next N requests
with a status (500, 429, …), a share of requests at random, or permanently for some numbers
(Twilio error 21211, invalid 'To' number).
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.servers.ports import free_port

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-twilio-token"  # noqa: S105 - test credential
FROM_NUMBER = "+15005550006"


@dataclass
class SentSms:
    sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None
    outbox_id: str | None
    received_at: float


@dataclass
class FakeTwilioState:
    messages: list[SentSms] = field(default_factory=list)
    requests: int = 0
    fail_next: list[int] = field(default_factory=list)
    failure_rate: float = 0.0
    failure_statuses: tuple[int, ...] = (500, 429)
    invalid_numbers: set[str] = field(default_factory=set)
    delay: float = 0.0
    lookups: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _error(status: int, code: int, message: str) -> Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Response(json.dumps(body), status=status, mimetype="application/json")


class FakeTwilio:
    def __init__(self, seed: int = 1) -> None:
        self.port = free_port()
        self.state = FakeTwilioState()
        self.random = random.Random(seed)
        self.server = make_server("127.0.0.1", self.port, self.wsgi, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- test API -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[SentSms]:
        with self.state.lock:
            return list(self.state.messages)

    def to(self, number: str) -> list[SentSms]:
        return [m for m in self.messages if m.to == number]

    def duplicates(self) -> dict[str, int]:
        """Outbox ids received more than once, with their count."""
        counts = Counter(m.outbox_id for m in self.messages if m.outbox_id)
        return {key: n for key, n in counts.items() if n > 1}

    def reset(self) -> None:
        with self.state.lock:
            self.state.messages.clear()
            self.state.requests = 0
            self.state.fail_next.clear()
            self.state.failure_rate = 0.0
            self.state.invalid_numbers.clear()
            self.state.delay = 0.0
            self.state.lookups = 0

    def fail_next_requests(self, *statuses: int) -> None:
        with self.state.lock:
            self.state.fail_next.extend(statuses)

    def set_failure_rate(self, rate: float, statuses: tuple[int, ...] = (500, 429)) -> None:
        with self.state.lock:
            self.state.failure_rate = rate
            self.state.failure_statuses = statuses

    def mark_invalid(self, number: str) -> None:
        with self.state.lock:
            self.state.invalid_numbers.add(number)

    def env(self) -> dict[str, str]:
        return {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "TWILIO_API_BASE": self.base_url,
        }

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()

    def requests_seen(self) -> int:
        """How many send requests reached the API (accepted or refused)."""
        with self.state.lock:
            return self.state.requests

    # -- HTTP ---------------------------------------------------------------------------
    def wsgi(self, environ, start_response):
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        path = request.path
        expected = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        if request.method == "GET" and path == expected:
            return self.list_messages(request)
        if request.method != "POST" or path != expected:
            return _error(404, 20404, "The requested resource was not found")
        auth = request.authorization
        if auth is None or auth.username != ACCOUNT_SID or auth.password != AUTH_TOKEN:
            return _error(401, 20003, "Authenticate")
        form = request.form
        to, body, from_ = form.get("To", ""), form.get("Body", ""), form.get("From", "")
        if not to or not body or not from_:
            return _error(400, 21604, "A 'To' phone number, 'From' and 'Body' are required.")
        with self.state.lock:
            self.state.requests += 1
            delay = self.state.delay
            if self.state.fail_next:
                status = self.state.fail_next.pop(0)
                return _error(status, 20500 if status >= 500 else 20429, "Temporary failure")
            if self.state.failure_rate and self.random.random() < self.state.failure_rate:
                status = self.random.choice(self.state.failure_statuses)
                return _error(status, 20500 if status >= 500 else 20429, "Temporary failure")
            if to in self.state.invalid_numbers:
                return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
            callback = form.get("StatusCallback")
            outbox_id = None
            if callback:
                outbox_id = (parse_qs(urlparse(callback).query).get("outbox") or [None])[0]
            sms = SentSms(
                sid="SM" + uuid.uuid4().hex,
                to=to,
                from_=from_,
                body=body,
                status_callback=callback,
                outbox_id=outbox_id,
                received_at=time.time(),
            )
            self.state.messages.append(sms)
        if delay:
            time.sleep(delay)
        payload = {
            "sid": sms.sid,
            "account_sid": ACCOUNT_SID,
            "to": to,
            "from": from_,
            "body": body,
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sms.sid}.json",
        }
        return Response(json.dumps(payload), status=201, mimetype="application/json")

    def list_messages(self, request: Request) -> Response:
        """Twilio's Messages list (newest first, filtered by To and From), one page."""
        auth = request.authorization
        if auth is None or auth.username != ACCOUNT_SID or auth.password != AUTH_TOKEN:
            return _error(401, 20003, "Authenticate")
        with self.state.lock:
            self.state.lookups += 1
            found = [
                m
                for m in reversed(self.state.messages)
                if m.to == request.args.get("To", m.to)
                and m.from_ == request.args.get("From", m.from_)
            ]
        page_size = int(request.args.get("PageSize", "50"))
        uri = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        payload = {
            "messages": [
                {
                    "sid": m.sid,
                    "account_sid": ACCOUNT_SID,
                    "to": m.to,
                    "from": m.from_,
                    "body": m.body,
                    "status": "sent",
                    "direction": "outbound-api",
                    "date_created": time.strftime(
                        "%a, %d %b %Y %H:%M:%S +0000", time.gmtime(m.received_at)
                    ),
                }
                for m in found[:page_size]
            ],
            "uri": uri,
            "first_page_uri": uri,
            "previous_page_uri": None,
            "next_page_uri": None,
            "page": 0,
            "page_size": page_size,
            "start": 0,
            "end": max(len(found[:page_size]) - 1, 0),
        }
        return Response(json.dumps(payload), status=200, mimetype="application/json")
