"""The database schema: SQLAlchemy 2.x typed models, the same on SQLite and PostgreSQL.

Alembic migrations under monitor/migrations are generated from these models
(`make migration`); the store never calls `create_all` outside of that.

Reads no settings.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# BIGINT primary keys on PostgreSQL, INTEGER (rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Site(Base):
    """A monitored site: one of yours, or a competitor's (for backlink gaps)."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    competitor: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: bumped to revoke the site's read-only share link (monitor.web.share)
    share_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    backlinks: Mapped[list[Backlink]] = relationship(back_populates="site")


class Backlink(Base):
    """One earned (or promised) link: a referring page and the target it should point at.

    `source_key` is the referring URL without scheme and leading `www.`, so that a
    page moving from http to https stays the same backlink.
    """

    __tablename__ = "backlinks"
    __table_args__ = (
        UniqueConstraint("source_key", "target"),
        Index("ix_backlinks_due", "next_due_at", "id"),  # the due walk's keyset (monitor.crawl.scheduler)
        Index("ix_backlinks_site_state", "site_id", "state"),
        Index("ix_backlinks_referring_domain", "referring_domain"),
        # reports (monitor.reports): per-site domain rollups and traffic ranking
        Index("ix_backlinks_site_domain", "site_id", "referring_domain", "state"),
        Index("ix_backlinks_site_traffic", "site_id", "page_traffic"),
        # the Links "last change" sort (monitor.store.link_pages), with and without a site
        Index("ix_backlinks_changed", "state_changed_at", "id"),
        Index("ix_backlinks_site_changed", "site_id", "state_changed_at", "id"),
        # reports with --since: first seen (else added) in the window, as two ranges (monitor.reports.common),
        # with what the window reports count, so that each range is an index-only scan
        Index("ix_backlinks_site_seen", "site_id", "first_seen", "created_at", "state", "page_traffic",
              "referring_domain"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    source_url: Mapped[str] = mapped_column(Text)
    source_key: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)  # a bare domain or an absolute URL, as given
    referring_domain: Mapped[str] = mapped_column(String(255))  # registrable domain (tldextract)
    referring_host: Mapped[str] = mapped_column(String(255))
    expected_anchor: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    campaign: Mapped[str | None] = mapped_column(Text)
    cost: Mapped[float | None] = mapped_column(Float)
    placed_on: Mapped[date | None] = mapped_column(Date)
    origin: Mapped[str] = mapped_column(String(32), default="manual")  # manual|ahrefs|semrush|gsc|csv|api
    page_traffic: Mapped[float | None] = mapped_column(Float)
    imported_first_seen: Mapped[date | None] = mapped_column(Date)
    imported_last_seen: Mapped[date | None] = mapped_column(Date)
    imported_follow: Mapped[bool | None] = mapped_column(Boolean)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # other export columns worth keeping
    # current state, kept in step with the last check by ingest
    state: Mapped[str] = mapped_column(String(16), default="unchecked")
    follow: Mapped[bool | None] = mapped_column(Boolean)
    rel: Mapped[list[str]] = mapped_column(JSON, default=list)
    anchor: Mapped[str | None] = mapped_column(Text)
    link_href: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(Text)
    noindex: Mapped[bool | None] = mapped_column(Boolean)
    canonical: Mapped[str | None] = mapped_column(Text)
    # robots.txt lets Googlebot crawl the page, as last known (None: never known); False: blocked for Google
    googlebot_allowed: Mapped[bool | None] = mapped_column(Boolean)
    # where on its page the link last seen sat (content, nav, header, footer, aside, comment, unknown)
    position: Mapped[str | None] = mapped_column(String(16))
    first_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first time seen live by linkwatch
    last_checked: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_live: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when `state` last changed, or the first check (None before any): set by ingest
    state_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    misses: Mapped[int] = mapped_column(Integer, default=0)  # consecutive fine fetches without the link
    errors_since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # start of the current error streak
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    contact_hints: Mapped[list[str]] = mapped_column(JSON, default=list)  # mailto:/contact pages on the referring site
    # the link's first known context {"before", "after", "from": "import"|"check"}: an export's left/right
    # context, else the first check that saw the link (each check keeps its own in `checks.links`)
    context: Mapped[dict[str, str] | None] = mapped_column(JSON)
    # the snapshot of the page at the last check where the link was seen live (monitor.store.snapshots)
    live_snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id", ondelete="SET NULL"),
                                                         index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    site: Mapped[Site] = relationship(back_populates="backlinks")


class BacklinkTag(Base):
    """Tags, one row each, for filtering by tag in SQL (`backlinks.tags` mirrors them)."""

    __tablename__ = "backlink_tags"

    backlink_id: Mapped[int] = mapped_column(ForeignKey("backlinks.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)


class CheckRun(Base):
    """One crawl run: `linkwatch run --once`, a cycle of `serve`, or a worker's share."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|finished|failed
    worker: Mapped[str | None] = mapped_column(String(255))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    rendered: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class Check(Base):
    """Every verdict ever reached for a backlink: the history."""

    __tablename__ = "checks"
    __table_args__ = (Index("ix_checks_backlink_at", "backlink_id", "checked_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    backlink_id: Mapped[int] = mapped_column(ForeignKey("backlinks.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16))
    fetch_status: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(Text)
    # [{href, rel, anchor, follow, context: {before, after}, position}]
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    noindex: Mapped[bool] = mapped_column(Boolean, default=False)
    nofollow: Mapped[bool] = mapped_column(Boolean, default=False)
    canonical: Mapped[str | None] = mapped_column(Text)
    # robots.txt lets Googlebot crawl the page (and every hop to it); None: robots.txt not available
    googlebot_allowed: Mapped[bool | None] = mapped_column(Boolean)
    directive_sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # meta/header evidence
    redirects: Mapped[list[str]] = mapped_column(JSON, default=list)
    rendered: Mapped[bool] = mapped_column(Boolean, default=False)
    duration_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    bytes_received: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class EventRecord(Base):
    """A change of a backlink. Written with the check that caused it: the alert outbox."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_at", "at"), Index("ix_events_type_at", "type", "at"),
                      # report rollups (monitor/store/rollups.py): first gain / last loss / latest loss type per link
                      Index("ix_events_backlink_type_at", "backlink_id", "type", "at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    backlink_id: Mapped[int] = mapped_column(ForeignKey("backlinks.id", ondelete="CASCADE"), index=True)
    check_id: Mapped[int | None] = mapped_column(ForeignKey("checks.id", ondelete="SET NULL"))
    type: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    old_state: Mapped[str | None] = mapped_column(String(16))
    new_state: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    routed: Mapped[bool] = mapped_column(Boolean, default=False, index=True)  # notifications created
    # the page as last seen with the link live, and at the check that confirmed the event (monitor.store.snapshots)
    before_snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id", ondelete="SET NULL"),
                                                           index=True)
    after_snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id", ondelete="SET NULL"),
                                                          index=True)


class Snapshot(Base):
    """A compressed copy of a referring page at one check: its main text, and its HTML and a screenshot
    when `[evidence]` keeps them.  One row per distinct text (and HTML) of a page (`digest`); the retention
    and the budget: monitor/store/snapshots.py."""

    __tablename__ = "snapshots"
    __table_args__ = (UniqueConstraint("source_key", "digest"),
                      # the budget's oldest-first walk and its total, read from the index alone
                      Index("ix_snapshots_taken", "taken_at", "id", "stored_bytes"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source_key: Mapped[str] = mapped_column(Text)  # the page (monitor.core.targets.source_key)
    url: Mapped[str] = mapped_column(Text)  # as fetched (the final URL)
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the text and the HTML
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stored_bytes: Mapped[int] = mapped_column(Integer)  # the three blobs' sizes together
    text_chars: Mapped[int] = mapped_column(Integer)  # of the text kept (before compression)
    text: Mapped[bytes] = mapped_column(LargeBinary)  # zlib, UTF-8
    html: Mapped[bytes | None] = mapped_column(LargeBinary)  # zlib, UTF-8
    screenshot: Mapped[bytes | None] = mapped_column(LargeBinary)  # JPEG


class Notification(Base):
    """One event to deliver on one channel. Sent once: status moves pending -> sent (or dead)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("event_id", "channel"),
        Index("ix_notifications_pending", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(16), default="immediate")  # immediate|daily|weekly
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sending|sent|dead|unconfirmed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"))
    last_error: Mapped[str | None] = mapped_column(Text)


class Delivery(Base):
    """One message sent (or tried) on one channel, grouping one or more notifications."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="sending")  # sending|sent|failed|unconfirmed
    events: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class Lease(Base):
    """A named lease (the `serve` leader, a worker's cycle): who holds it until when."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DisavowEntry(Base):
    """A domain or URL marked toxic, for `linkwatch disavow export`."""

    __tablename__ = "disavow"
    __table_args__ = (UniqueConstraint("site_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # domain|url
    value: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Mention(Base):
    """A page that names a brand term without linking to the site (unlinked mention)."""

    __tablename__ = "mentions"
    __table_args__ = (UniqueConstraint("site_id", "page_url", "term"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    page_url: Mapped[str] = mapped_column(Text)
    term: Mapped[str] = mapped_column(String(255))
    sentence: Mapped[str] = mapped_column(Text)
    contact_hints: Mapped[list[str]] = mapped_column(JSON, default=list)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReferralTraffic(Base):
    """Referral sessions per referring source (a GA4 export), for the traffic report."""

    __tablename__ = "referral_traffic"
    __table_args__ = (UniqueConstraint("site_id", "source"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(255))  # a host or registrable domain
    sessions: Mapped[float] = mapped_column(Float, default=0.0)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MetricCount(Base):
    """A pre-aggregated counter behind /metrics, bumped in the same transaction as the ingest.

    `labels` is the canonical label set, `k=v` pairs sorted by key and joined by
    commas (`method=static,outcome=live`); histogram buckets are stored per bucket
    (not cumulative) under `<name>_bucket` with an `le` label.  See monitor/store/metric_counts.py.
    """

    __tablename__ = "metric_counts"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    labels: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[float] = mapped_column(Float, default=0.0)


class LinkRollup(Base):
    """Backlinks per site and kind, kept in step with every write (monitor/store/rollups.py) for the reports.

    `rel_key`: the rel tokens that make a link not followed ('nofollow,sponsored,ugc,' or a subset, '' none);
    `page_nofollow`: for nofollow links without such a token, what the latest check's directive sources say
    ('meta', 'header', 'meta,header', 'unknown'); `loss_event`: for lost, gone and nofollow links, the type of
    their latest loss-type event ('' none); `no_value`: for live links, why their page passes no value
    (monitor.core.changes.no_value_reason: 'noindex', 'blocked_for_google', 'canonical_elsewhere',
    'redirected_away'; '' when it does, and for every other state).
    """

    __tablename__ = "rollup_links"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), primary_key=True)
    rel_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    page_nofollow: Mapped[str] = mapped_column(String(32), primary_key=True)
    loss_event: Mapped[str] = mapped_column(String(32), primary_key=True)
    no_value: Mapped[str] = mapped_column(String(32), primary_key=True, server_default="")
    links: Mapped[int] = mapped_column(Integer, default=0)
    with_traffic: Mapped[int] = mapped_column(Integer, default=0)  # links with a page traffic figure
    traffic: Mapped[float] = mapped_column(Float, default=0.0)  # sum of their page traffic


class DomainRollup(Base):
    """Per site and referring domain: link counts and dates (monitor/store/rollups.py)."""

    __tablename__ = "rollup_domains"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    referring_domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    links: Mapped[int] = mapped_column(Integer, default=0)
    present_links: Mapped[int] = mapped_column(Integer, default=0)  # live or nofollow
    followed_links: Mapped[int] = mapped_column(Integer, default=0)  # live
    value_links: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # live, passing value
    counting_links: Mapped[int] = mapped_column(Integer, default=0)  # not lost, gone or pending (gap report)
    counting_traffic: Mapped[float] = mapped_column(Float, default=0.0)  # their page traffic
    first_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)  # earliest first_seen of its links
    last_live: Mapped[datetime | None] = mapped_column(UTCDateTime)  # latest last_live
    first_gain_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # earliest new/went_live/restored event
    last_loss_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # latest lost/page_* event
    # earliest acquisition day ('YYYY-MM-DD') of its imported links that a check found (link velocity)
    first_acquired: Mapped[str | None] = mapped_column(String(10))


class AnchorRollup(Base):
    """Present links per site and anchor (trimmed, lower-cased): the anchors report classifies these rows."""

    __tablename__ = "rollup_anchors"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    anchor_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of `anchor` (long anchors)
    anchor: Mapped[str] = mapped_column(Text)
    links: Mapped[int] = mapped_column(Integer, default=0)


class EventDayRollup(Base):
    """Events per site, UTC day ('YYYY-MM-DD') and type: link velocity and outreach."""

    __tablename__ = "rollup_event_days"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    events: Mapped[int] = mapped_column(Integer, default=0)


class AcquiredDayRollup(Base):
    """Links acquired per site and UTC day ('YYYY-MM-DD'), link velocity's gains: `links`, imported links on the
    export's `First seen`, else the day imported, once their first check found them (a `new` event);
    `by_hand`, the `new` events that day of links added one by one (`add`, the API)."""

    __tablename__ = "rollup_acquired_days"

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    links: Mapped[int] = mapped_column(Integer, default=0)
    by_hand: Mapped[int] = mapped_column(Integer, default=0)


class ReclaimRollup(Base):
    """The reclaim worklist, one row per backlink on it (monitor/store/rollups.py, monitor.reports.reclaim): lost or
    gone backlinks, and nofollow ones whose latest loss-type event is `nofollow` (`page_flag` ''); live ones whose
    page is noindex, blocked for Google or canonical elsewhere (`page_flag` the reclaim reason, no event).

    `event_type`/`event_at`: that latest loss-type event ('' / NULL: none); `lost_at`: its time, else `last_live`.
    "Highest traffic first, then the latest loss" is the order of `ix_rollup_reclaim_order` read backwards on both
    backends: `has_traffic` and `has_event` put the NULLs last without NULLS LAST (which PostgreSQL's backward scan
    does not give)."""

    __tablename__ = "rollup_reclaim"
    __table_args__ = (
        Index("ix_rollup_reclaim_order", "site_id", "page_flag", "has_traffic", "page_traffic", "has_event",
              "event_at", "backlink_id"),
        # --since: the links lost in the window, with what the report counts and sorts (index-only)
        Index("ix_rollup_reclaim_lost", "site_id", "lost_at", "has_traffic", "page_traffic", "has_event", "event_at",
              "backlink_id", "event_type", "state"),
    )

    backlink_id: Mapped[int] = mapped_column(ForeignKey("backlinks.id", ondelete="CASCADE"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))
    event_type: Mapped[str] = mapped_column(String(32), default="")
    has_event: Mapped[bool] = mapped_column(Boolean, default=False)
    event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lost_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    has_traffic: Mapped[bool] = mapped_column(Boolean, default=False)
    page_traffic: Mapped[float | None] = mapped_column(Float)
    page_flag: Mapped[str] = mapped_column(String(24), default="")
