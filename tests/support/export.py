"""Large data exports as their owner sees them: the rows and the emails with the link (no tests)."""

from __future__ import annotations

import re

from sqlalchemy import select

from konexi.extensions import db
from konexi.models import DataExport
from tests.servers.smtp_server import ReceivedMail, SmtpServer
from tests.support.purge import EMAIL

LINK = re.compile(r"http://konexi\.test(/account/export/file/[A-Za-z0-9_.\-]+)")


def exports() -> list[DataExport]:
    db.session.expire_all()
    return list(db.session.scalars(select(DataExport).order_by(DataExport.id)))


def export_mails(mailbox: SmtpServer) -> list[ReceivedMail]:
    """The export-ready emails the rich user received (they have other mail too)."""
    return [mail for mail in mailbox.to(EMAIL) if LINK.search(mail.text)]


def emailed_link(mailbox: SmtpServer) -> str:
    """The path of the one export link emailed to the rich user."""
    [mail] = export_mails(mailbox)
    match = LINK.search(mail.text)
    assert match
    return match.group(1)
