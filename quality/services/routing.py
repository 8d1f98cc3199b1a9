"""Routing: gold items mixed into next-item at the configured rate, and the review queue
(low agreement first) with leases so that two reviewers do not review the same item.

Gold schedule: the n-th item a user is handed (n = their assignments in the project so far) is
gold when ⌊(n + 1)·r + φ⌋ > ⌊n·r + φ⌋, where r is the project's ``gold_rate`` and φ ∈ [0, 1) a
per-user phase from a hash of (project, user). After N items a user has had ⌊N·r + φ⌋ gold
items — the configured rate, give or take one — and users do not meet gold items at the same
positions. A due gold item the user has already seen every one of falls back to a regular item.
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from annotator.models import Annotation, Assignment, Item, Project
from quality.models import QualitySettings, ReviewLease

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class ReviewQueueAnnotations(TypedDict):
    waiting: bool
    has_consensus: bool


if TYPE_CHECKING:
    ReviewQueueItem = WithAnnotations[Item, ReviewQueueAnnotations]

CANDIDATES = 20


def _phase(project_id: int, user_id: int) -> float:
    digest = hashlib.sha256(f"gold:{project_id}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def gold_schedule(n: int, rate: float, phase: float) -> bool:
    """Whether the n-th pick (0-based) of a user with ``phase`` is a gold item."""
    return math.floor((n + 1) * rate + phase) > math.floor(n * rate + phase)


def gold_pick_due(project: Project, user: Any) -> bool | None:
    """The gold policy next-item calls (registered by ``quality.apps``): None without quality
    settings (gold items are ordinary items served last), else whether this pick is gold."""
    rate = (
        QualitySettings.objects.filter(project=project).values_list("gold_rate", flat=True).first()
    )
    if rate is None:
        return None
    if rate <= 0:
        return False
    n = Assignment.objects.filter(project=project, user=user).count()
    return gold_schedule(n, rate, _phase(project.pk, user.pk))


def _consensus_exists(judge_id: int) -> Exists:
    return Exists(
        Annotation.objects.filter(
            item=OuterRef("pk"), judge_id=judge_id, status=Annotation.Status.ACCEPTED
        )
    )


def review_queue(*, project: Project, state: str = "pending") -> QuerySet[ReviewQueueItem]:
    """Items for review, lowest agreement first (unscored items after scored ones).

    ``pending``: a human annotation awaits review (submitted) and there is no consensus yet;
    ``done``: the others that have human annotations; ``all``: both.
    """
    judge_id = (
        QualitySettings.objects.filter(project=project)
        .values_list("consensus_judge_id", flat=True)
        .first()
    )
    waiting = Exists(
        Annotation.objects.filter(
            item=OuterRef("pk"), author__isnull=False, status=Annotation.Status.SUBMITTED
        )
    )
    labelled = Exists(
        Annotation.objects.filter(
            item=OuterRef("pk"),
            author__isnull=False,
            status__in=[Annotation.Status.SUBMITTED, Annotation.Status.ACCEPTED],
        )
    )
    # No consensus judge yet: no item has a consensus (``judge_id=None`` would match every
    # accepted human annotation).
    has_consensus = _consensus_exists(judge_id) if judge_id is not None else Value(False)
    qs = Item.objects.filter(project=project).annotate(waiting=waiting, has_consensus=has_consensus)
    pending = Q(waiting=True, has_consensus=False)
    if state == "pending":
        qs = qs.filter(pending)
    elif state == "done":
        qs = qs.filter(labelled).exclude(pending)
    else:
        qs = qs.filter(labelled)
    return qs.select_related("agreement", "review_lease__reviewer").order_by(
        F("agreement__score").asc(nulls_last=True), "id"
    )


def review_item_next(*, project: Project, reviewer: Any) -> Item | None:
    """Lease the pending item with the lowest agreement that no other reviewer holds.

    Side effect: writes the item's ReviewLease (``project.lease_seconds``). The item row is
    locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) while its lease is checked and written,
    so two reviewers never get the same item.
    """
    now = timezone.now()
    expires = now + timedelta(seconds=project.lease_seconds)
    own = ReviewLease.objects.filter(project=project, reviewer=reviewer, expires_at__gt=now)
    held = review_queue(project=project).filter(pk__in=own.values("item_id")).first()
    if held is not None:
        ReviewLease.objects.filter(item=held).update(expires_at=expires, updated_at=now)
        return held
    skip_locked = connection.features.has_select_for_update_skip_locked
    taken = ReviewLease.objects.filter(expires_at__gt=now).exclude(reviewer=reviewer)
    candidates = review_queue(project=project).exclude(pk__in=taken.values("item_id"))
    for item_id in list(candidates.values_list("pk", flat=True)[:CANDIDATES]):
        with transaction.atomic():
            item = (
                Item.objects.select_for_update(skip_locked=skip_locked).filter(pk=item_id).first()
            )
            if item is None:
                continue
            lease = ReviewLease.objects.filter(item=item).first()
            if lease and lease.expires_at > now and lease.reviewer_id != reviewer.pk:
                continue
            ReviewLease.objects.update_or_create(
                item=item,
                defaults={"project": project, "reviewer": reviewer, "expires_at": expires},
            )
            return item
    return None
