"""Every table of the local store (and of the central server, which shares them)."""

from boxoffice.store.base import Base
from boxoffice.store.models.auth import ApiToken, LoginThrottle
from boxoffice.store.models.checkin import (
    CategoryOccupancy,
    Checkin,
    CheckinMinute,
    SeriesOccupancy,
    SeriesPresence,
)
from boxoffice.store.models.encoding import EncodeBatch, EncodeLogEntry, EventKey, TagSecret
from boxoffice.store.models.event import Category, Event, Gate, GateCategory, Ticket
from boxoffice.store.models.gate_devices import GateDevice, GateLease
from boxoffice.store.models.organization import Member, Organization
from boxoffice.store.models.sales import (
    Order,
    PlaceLease,
    Product,
    ProductCounter,
    ProductSeries,
    Refund,
    SoldTicket,
    WaitlistEntry,
)
from boxoffice.store.models.series import (
    EventSeries,
    SeriesCategoryLimit,
    SeriesGate,
    SeriesMetricsCache,
    SeriesStateTransition,
    SeriesTicket,
    SeriesWristbandAssignment,
)
from boxoffice.store.models.sync import (
    AppliedEntry,
    LocalSetting,
    OutboxEntry,
    SyncChange,
    SyncState,
)
from boxoffice.store.models.wristband import BandNumberBlock, BandNumberCounter, Wristband

__all__ = [
    "ApiToken",
    "AppliedEntry",
    "BandNumberBlock",
    "BandNumberCounter",
    "Base",
    "Category",
    "CategoryOccupancy",
    "Checkin",
    "CheckinMinute",
    "EncodeBatch",
    "EncodeLogEntry",
    "Event",
    "EventKey",
    "EventSeries",
    "Gate",
    "GateCategory",
    "GateDevice",
    "GateLease",
    "LocalSetting",
    "LoginThrottle",
    "Member",
    "Order",
    "Organization",
    "OutboxEntry",
    "PlaceLease",
    "Product",
    "ProductCounter",
    "ProductSeries",
    "Refund",
    "SeriesCategoryLimit",
    "SeriesGate",
    "SeriesMetricsCache",
    "SeriesOccupancy",
    "SeriesPresence",
    "SeriesStateTransition",
    "SeriesTicket",
    "SeriesWristbandAssignment",
    "SoldTicket",
    "SyncChange",
    "SyncState",
    "TagSecret",
    "Ticket",
    "WaitlistEntry",
    "Wristband",
]
