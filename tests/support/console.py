"""Test data for the console's tests: two companies, their people, pictures, form posts."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image as PILImage
from PIL import ImageDraw
from werkzeug.test import TestResponse

from konexi.extensions import db
from konexi.models import Branch, Category, Claim, Company, User, Voucher
from konexi.models.base import utcnow
from konexi.models.providers import Membership
from konexi.services.providers.provider_vouchers import VoucherFields
from tests.support.app import csrf_token_from
from tests.support.auth import log_in

ROLES = ("owner", "admin", "staff", "outsider", "plain", "anonymous")


@dataclass
class Console:
    company: Company
    other: Company
    branches: list[Branch]
    inactive_branch: Branch
    other_branch: Branch
    category: Category
    people: dict[str, User]

    def log_in(self, client: FlaskClient, who: str) -> None:
        if who != "anonymous":
            log_in(client, self.people[who])

    def voucher(self, company: Company | None = None, **values: Any) -> Voucher:
        """A voucher (live, 10 to claim, valid at the first branch) committed now."""
        company = company or self.company
        now = utcnow()
        branch = self.branches[0] if company.id == self.company.id else self.other_branch
        fields: dict[str, Any] = {
            "title": "Buy 1 get 1 es kopi susu",
            "quota_total": 10,
            "quota_claimed": 0,
            "per_user_limit": 1,
            "starts_at": now - timedelta(days=1),
            "ends_at": now + timedelta(days=10),
            "status": "live",
        }
        fields.update(values)
        voucher = Voucher(
            company_id=company.id, category_id=self.category.id, branches=[branch], **fields
        )
        db.session.add(voucher)
        db.session.commit()
        return voucher

    def claims(self, voucher: Voucher, count: int, redeemed: int = 0) -> None:
        """``count`` claims by new users, the first ``redeemed`` of them redeemed."""
        for n in range(count):
            user = User(
                name=f"Claimer {n}",
                email=f"claimer{voucher.id}-{n}@example.com",
                phone=f"+62813{voucher.id:03d}{n:04d}",
                password_hash="x",
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(
                Claim(
                    voucher_id=voucher.id,
                    user_id=user.id,
                    code=f"V{voucher.id:03d}N{n:05d}",
                    status="redeemed" if n < redeemed else "active",
                    redeemed_at=utcnow() if n < redeemed else None,
                )
            )
        voucher.quota_claimed += count
        db.session.commit()


def _company(name: str, slug: str) -> Company:
    company = Company(name=name, slug=slug)
    db.session.add(company)
    db.session.flush()
    return company


def _branch(company: Company, name: str, active: bool = True) -> Branch:
    branch = Branch(
        company_id=company.id,
        name=name,
        address="Jl. Sabang No. 1",
        city="Jakarta",
        latitude=-6.18,
        longitude=106.82,
        is_active=active,
    )
    db.session.add(branch)
    return branch


def _person(name: str, n: int) -> User:
    """A verified user; tests sign in through the session, so no (slow) password hash."""
    user = User(
        name=name,
        email=f"person{n}@example.com",
        phone=f"+62811{n:07d}",
        password_hash="unused",
        phone_verified_at=utcnow(),
        email_verified_at=utcnow(),
    )
    db.session.add(user)
    return user


@pytest.fixture
def console(app) -> Console:
    category = Category(slug="food-drink", name_en="Food & drink", name_id="Makanan & minuman")
    db.session.add(category)
    company = _company("Warung Kopi Sabang", "warung-kopi-sabang")
    other = _company("Toko Sebelah", "toko-sebelah")
    branches = [_branch(company, "Sabang"), _branch(company, "Menteng")]
    inactive = _branch(company, "Tutup", active=False)
    other_branch = _branch(other, "Sebelah")
    db.session.commit()
    names = {"owner": "Owner", "admin": "Admin", "staff": "Staff", "outsider": "Other admin"}
    people = {who: _person(name, n) for n, (who, name) in enumerate(names.items(), 1)}
    people["plain"] = _person("Customer", 5)
    db.session.flush()
    for role in ("owner", "admin", "staff"):
        db.session.add(Membership(company_id=company.id, user_id=people[role].id, role=role))
    db.session.add(Membership(company_id=other.id, user_id=people["outsider"].id, role="admin"))
    db.session.commit()
    return Console(company, other, branches, inactive, other_branch, category, people)


def voucher_form(console: Console, **overrides: Any) -> dict[str, Any]:
    """A valid form post for a new voucher (Jakarta local times), with ``overrides``."""
    start = (utcnow() + timedelta(hours=7, days=1)).strftime("%Y-%m-%dT%H:00")
    end = (utcnow() + timedelta(hours=7, days=31)).strftime("%Y-%m-%dT%H:00")
    form: dict[str, Any] = {
        "title": "Gratis es teh",
        "description": "Segelas es teh manis.",
        "terms": "Satu per orang.",
        "category_id": str(console.category.id),
        "quota_total": "50",
        "per_user_limit": "1",
        "starts_at": start,
        "ends_at": end,
        "branch_ids": [str(console.branches[0].id), str(console.branches[1].id)],
    }
    form.update(overrides)
    if isinstance(form.get("image"), tuple) and isinstance(form["image"][0], bytes):
        form["image"] = (io.BytesIO(form["image"][0]), form["image"][1])  # a file to upload
    return {k: v for k, v in form.items() if v is not None}


def post_form(client: FlaskClient, url: str, data: dict[str, Any], **kwargs: Any):
    """POST a multipart form with the CSRF token the console's pages carry."""
    token = csrf_token_from(client.get("/provider/vouchers").get_data(as_text=True))
    return client.post(
        url, data={**data, "csrf_token": token}, content_type="multipart/form-data", **kwargs
    )


def photo_bytes(
    size: tuple[int, int] = (3000, 2000),
    orientation: int | None = 6,
    gps: bool = True,
    fmt: str = "JPEG",
) -> bytes:
    """A busy picture (so it does not compress to nothing) with EXIF orientation and GPS."""
    picture = PILImage.new("RGB", size, (250, 240, 220))
    draw = ImageDraw.Draw(picture)
    step = max(size[0] // 40, 4)
    for x in range(0, size[0], step):
        for y in range(0, size[1], step):
            shade = (x * 255 // size[0], y * 255 // size[1], (x + y) % 256)
            draw.rectangle((x, y, x + step // 2, y + step // 2), fill=shade)
    draw.rectangle((0, 0, size[0] // 3, size[1] // 10), fill=(200, 0, 0))  # a red top-left band
    exif = PILImage.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "S", 2: (6.0, 10.0, 30.0), 3: "E", 4: (106.0, 49.0, 0.0)}
    out = io.BytesIO()
    picture.save(out, fmt, exif=exif.tobytes(), quality=90) if fmt == "JPEG" else picture.save(
        out, fmt
    )
    return out.getvalue()


def voucher_fields(console: Console, **overrides: Any) -> VoucherFields:
    """Valid fields for the service (a voucher running now at the first branch)."""
    now = utcnow()
    values: dict[str, Any] = {
        "title": "Gratis es teh",
        "category_id": console.category.id,
        "quota_total": 50,
        "per_user_limit": 1,
        "starts_at": now - timedelta(days=1),
        "ends_at": now + timedelta(days=10),
        "branch_ids": (console.branches[0].id,),
    }
    values.update(overrides)
    return VoucherFields(**values)


def branch_form(**overrides: str) -> dict[str, str]:
    """The new-branch form filled in for a Jakarta branch, with ``overrides``."""
    data = {
        "name": "Kopi Satu Cikini",
        "address": "Jl. Cikini Raya No. 9",
        "city": "Jakarta",
        "latitude": "-6.1900",
        "longitude": "106.8390",
        "opening_hours": "Mon–Fri 08:00–20:00\nSat 09:00–22:00",
        "phone": "",
    }
    data.update(overrides)
    return data


def edit_url(voucher: Voucher) -> str:
    return f"/provider/vouchers/{voucher.id}/edit"


def status(
    client: FlaskClient, voucher: Voucher, action: str, confirm: bool = True
) -> TestResponse:
    """Publish, pause, resume or end ``voucher`` from the console (``confirm`` ticks the box)."""
    data = {"action": action, **({"confirm": "1"} if confirm else {})}
    return post_form(client, f"/provider/vouchers/{voucher.id}/status", data)
