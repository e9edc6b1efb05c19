"""A company's statistics for its console: aggregate counts by day, voucher and branch.

Views, claims and redemptions per voucher come from ``voucher_daily_stats``; redemptions per
branch are counted from claims (``redeemed_branch_id``), grouped in the database so no row
about a person ever leaves it. Views and claims are not tracked per branch: a voucher is
valid at several branches and is seen and claimed before anyone knows where it will be used.
Days are Asia/Jakarta calendar days. Three queries, however many vouchers and days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    Date,
    SQLColumnExpression,
    and_,
    cast,
    func,
    literal_column,
    or_,
    select,
)

from konexi.extensions import db
from konexi.i18n import DEFAULT_TIMEZONE
from konexi.models import Branch, Claim, ClaimStatus, Voucher, VoucherDailyStats, VoucherStatus
from konexi.services.claims.voucher_stats import stats_day

WINDOW_DAYS = 30


@dataclass
class Counts:
    views: int = 0
    claims: int = 0
    redemptions: int = 0
    gifts: int = 0  # claims given to a friend (a transfer, not a new claim)

    def add(self, other: Counts) -> None:
        self.views += other.views
        self.claims += other.claims
        self.redemptions += other.redemptions
        self.gifts += other.gifts

    @property
    def claim_rate(self) -> float | None:
        """Claims per view, None without views."""
        return self.claims / self.views if self.views else None

    @property
    def redemption_rate(self) -> float | None:
        """Redemptions per claim, None without claims."""
        return self.redemptions / self.claims if self.claims else None


@dataclass
class VoucherStats:
    voucher_id: int
    title: str
    status: str
    totals: Counts = field(default_factory=Counts)
    by_day: dict[date, Counts] = field(default_factory=dict)


@dataclass
class BranchStats:
    branch_id: int | None
    name: str | None  # None: redeemed where no branch was recorded
    by_day: dict[date, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_day.values())


@dataclass
class CompanyStats:
    days: list[date]
    daily: list[Counts]
    totals: Counts
    vouchers: list[VoucherStats]
    branches: list[BranchStats]

    @property
    def today(self) -> date:
        return self.days[-1]


def stats_window(today: date | None = None, days: int = WINDOW_DAYS) -> list[date]:
    """The last ``days`` Jakarta days, oldest first, ending today."""
    today = today or stats_day()
    return [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]


def _utc_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """From Jakarta midnight starting ``first`` to Jakarta midnight after ``last``, in UTC."""
    zone = ZoneInfo(DEFAULT_TIMEZONE)
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def _local_day(column: SQLColumnExpression[datetime | None]) -> ColumnElement[date]:
    """The Jakarta calendar day of a UTC timestamp column, in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        zone: ColumnClause[str] = literal_column(f"'{DEFAULT_TIMEZONE}'")
        return cast(func.timezone(zone, column), Date)
    # SQLite stores UTC text; Jakarta has kept one offset (UTC+7, no summer time) since 1964.
    offset = ZoneInfo(DEFAULT_TIMEZONE).utcoffset(datetime(2000, 1, 1))
    seconds = int(offset.total_seconds()) if offset else 0
    return func.date(column, literal_column(f"'{seconds:+d} seconds'"))


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _voucher_stats(company_id: int, first: date, last: date) -> list[VoucherStats]:
    """Per voucher and day; vouchers without counts in the window only while live or paused."""
    rows = db.session.execute(
        select(
            Voucher.id,
            Voucher.title,
            Voucher.status,
            VoucherDailyStats.day,
            VoucherDailyStats.views,
            VoucherDailyStats.claims,
            VoucherDailyStats.redemptions,
            VoucherDailyStats.gifts,
        )
        .outerjoin(
            VoucherDailyStats,
            and_(
                VoucherDailyStats.voucher_id == Voucher.id,
                VoucherDailyStats.day >= first,
                VoucherDailyStats.day <= last,
            ),
        )
        .where(
            Voucher.company_id == company_id,
            or_(
                VoucherDailyStats.day.is_not(None),
                Voucher.status.in_((VoucherStatus.LIVE, VoucherStatus.PAUSED)),
            ),
        )
        .order_by(Voucher.title, Voucher.id)
    )
    vouchers: dict[int, VoucherStats] = {}
    for voucher_id, title, status, day, views, claims, redemptions, gifts in rows:
        stats = vouchers.setdefault(voucher_id, VoucherStats(voucher_id, title, status))
        if day is not None:
            counts = Counts(views or 0, claims or 0, redemptions or 0, gifts or 0)
            stats.by_day[_as_date(day)] = counts
            stats.totals.add(counts)
    return list(vouchers.values())


def _branch_redemptions(
    company_id: int, first: date, last: date, branch_ids: list[int] | None = None
) -> dict[int | None, dict[date, int]]:
    """Redemptions per branch and Jakarta day, counted in the database."""
    start, end = _utc_bounds(first, last)
    day = _local_day(Claim.redeemed_at).label("day")
    statement = (
        select(Claim.redeemed_branch_id, day, func.count(Claim.id))
        .join(Voucher, Claim.voucher_id == Voucher.id)
        .where(
            Voucher.company_id == company_id,
            Claim.status == ClaimStatus.REDEEMED,
            Claim.redeemed_at >= start,
            Claim.redeemed_at < end,
        )
        .group_by(Claim.redeemed_branch_id, day)
    )
    if branch_ids is not None:
        statement = statement.where(Claim.redeemed_branch_id.in_(branch_ids))
    counts: dict[int | None, dict[date, int]] = defaultdict(dict)
    for branch_id, local_day, count in db.session.execute(statement):
        counts[branch_id][_as_date(local_day)] = int(count)
    return counts


def company_stats(company_id: int, today: date | None = None) -> CompanyStats:
    """Views, claims, redemptions and conversion of the last 30 days, by day, voucher and branch."""
    days = stats_window(today)
    first, last = days[0], days[-1]
    vouchers = _voucher_stats(company_id, first, last)
    daily = {day: Counts() for day in days}
    totals = Counts()
    for voucher in vouchers:
        totals.add(voucher.totals)
        for day, counts in voucher.by_day.items():
            daily[day].add(counts)

    redemptions = _branch_redemptions(company_id, first, last)
    branches = [
        BranchStats(branch.id, branch.name, redemptions.get(branch.id, {}))
        for branch in db.session.scalars(
            select(Branch).where(Branch.company_id == company_id).order_by(Branch.name, Branch.id)
        )
        if branch.is_active or branch.id in redemptions
    ]
    if None in redemptions:
        branches.append(BranchStats(None, None, redemptions[None]))
    return CompanyStats(
        days=days,
        daily=[daily[day] for day in days],
        totals=totals,
        vouchers=vouchers,
        branches=branches,
    )


def redemptions_today(
    company_id: int, branches: list[Branch], today: date | None = None
) -> list[tuple[Branch, int]]:
    """Today's redemptions at each of these branches (a staff member's own), in one query."""
    today = today or stats_day()
    if not branches:
        return []
    counts = _branch_redemptions(company_id, today, today, [branch.id for branch in branches])
    return [(branch, counts.get(branch.id, {}).get(today, 0)) for branch in branches]


CSV_HEADER = (
    "day",
    "scope",
    "id",
    "name",
    "views",
    "claims",
    "redemptions",
    "claims_per_view",
    "redemptions_per_claim",
)


def _cell(text: str) -> str:
    """A name as a CSV cell that spreadsheets will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def csv_rows(stats: CompanyStats) -> list[tuple[str, ...]]:
    """The statistics as CSV rows: company totals per day, then each voucher's and branch's days.

    Branch rows carry redemptions only: views and claims are not tracked per branch.
    """
    rows: list[tuple[str, ...]] = [CSV_HEADER]

    def counts_row(day: date, scope: str, ident: str, name: str, c: Counts) -> tuple[str, ...]:
        numbers = (str(c.views), str(c.claims), str(c.redemptions))
        rates = (_rate(c.claim_rate), _rate(c.redemption_rate))
        return (day.isoformat(), scope, ident, _cell(name), *numbers, *rates)

    for day, counts in zip(stats.days, stats.daily, strict=True):
        rows.append(counts_row(day, "company", "", "", counts))
    for voucher in stats.vouchers:
        for day in stats.days:
            if day in voucher.by_day:
                rows.append(
                    counts_row(
                        day, "voucher", str(voucher.voucher_id), voucher.title, voucher.by_day[day]
                    )
                )
    for branch in stats.branches:
        ident = "" if branch.branch_id is None else str(branch.branch_id)
        for day in stats.days:
            if day in branch.by_day:
                name = _cell(branch.name or "")
                rows.append(
                    (
                        day.isoformat(),
                        "branch",
                        ident,
                        name,
                        "",
                        "",
                        str(branch.by_day[day]),
                        "",
                        "",
                    )
                )
    return rows
