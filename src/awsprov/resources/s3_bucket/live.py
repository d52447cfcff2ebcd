"""A bucket as AWS has it: the typed live shape. What it holds is listed only when someone
asks (a destroy, a prune, a replace, versioning suspended), so a no-op plan does not pay
for a ListObjectVersions; once listed, every copy of the live object shares the answer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from awsprov.resources.base import Live
from awsprov.resources.sizes import human_bytes, plural


@dataclass(frozen=True)
class ObjectCount:
    """What a bucket holds, from a bounded ListObjectVersions (at most 10 pages)."""

    objects: int
    versions: int
    markers: int
    size: int
    complete: bool

    @property
    def empty(self) -> bool:
        return self.complete and self.versions == 0 and self.markers == 0

    def __str__(self) -> str:
        if self.empty:
            return "empty (no objects, versions or delete markers)"
        at_least = "" if self.complete else "≥ "
        entries = self.versions + self.markers
        if not self.complete:
            return (f"{at_least}{entries:,} objects, versions and delete markers "
                    f"(listing stopped at {entries:,}), {at_least}{human_bytes(self.size)}")
        return (f"{plural(self.objects, 'object')} ({plural(self.versions, 'version')}, "
                f"{plural(self.markers, 'delete marker')}), {human_bytes(self.size)}")


class Contents:
    """The bucket's listing, made on the first `count()` and remembered: a plan that asks
    several times (data at risk, the deletion decision) lists once."""

    def __init__(self, lister: Callable[[], ObjectCount | None] | None = None):
        self._lister = lister
        self._lock = threading.Lock()
        self._listed = False
        self._count: ObjectCount | None = None

    def count(self) -> ObjectCount | None:
        with self._lock:
            if not self._listed and self._lister is not None:
                self._count, self._listed = self._lister(), True
            return self._count

    def __repr__(self) -> str:  # never lists objects just to print itself
        return f"Contents(listed={self._listed})"


@dataclass(frozen=True)
class BucketDetails:
    """What a bucket's own calls need beyond its state."""

    region: str | None = None
    stack_region: str | None = None
    # The awsprov:creating tag: an earlier apply stopped between CreateBucket and the end
    # of its first converge.
    creating: bool = False
    versioning_status: str | None = None  # None: never versioned (not even suspended)
    object_lock_enabled: bool = False
    contents: Contents = field(default_factory=Contents, compare=False)


NO_DETAILS = BucketDetails()


def details_of(live: Live) -> BucketDetails:
    """live's BucketDetails; none known (NO_DETAILS) for a live bucket made without them."""
    return live.details if isinstance(live.details, BucketDetails) else NO_DETAILS


class _HeldData:
    """`Live.data_at_risk` of a bucket, as a dataclass field whose value comes from the
    listing on first read (an init=False field: `dataclasses.replace` neither lists nor
    drops it, the copy shares `details.contents`)."""

    def __get__(self, live: BucketLive | None, owner: type | None = None) -> str | None:
        if live is None:
            return None  # the field's default, as dataclasses asks for it
        count = live.object_count()
        return None if count is None else str(count)

    def __set__(self, live: BucketLive, value: str | None) -> None:
        raise AttributeError("a bucket's data_at_risk is what its listing says")


@dataclass(eq=False, repr=False)
class BucketLive(Live):
    """A bucket as AWS has it; `details` is a BucketDetails."""

    data_at_risk: str | None = field(default=_HeldData(), init=False,  # type: ignore[assignment]
                                     compare=False)

    def object_count(self) -> ObjectCount | None:
        """What the bucket holds (listed on the first call), None when it cannot be
        listed (no details: a bucket made up by a test)."""
        contents = getattr(self.details, "contents", None)
        return contents.count() if contents is not None else None

    def __repr__(self) -> str:  # never lists objects just to print itself
        return f"BucketLive(name={self.name!r}, state={self.state!r}, tags={self.tags!r})"

    # Identity, not the fields: comparing them would list the bucket.
    __eq__ = object.__eq__
    __hash__ = object.__hash__
