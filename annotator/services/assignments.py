"""Next item for an annotator: leases that expire, overlap honoured under concurrency.

An item is open to a user while fewer than ``project.overlap`` people hold it, where holding
means an active unexpired lease or a non-rejected human annotation. Candidates are picked
without locks; the chosen item's row is then locked (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, the IMMEDIATE write lock on SQLite) and recounted before the lease is written, so
two annotators racing for the last slot cannot both get it.

Gold items: the quality app registers a policy (``gold_policy_register``) that says, per pick,
whether a gold item is due. A due gold item is offered to every annotator once, whatever the
overlap; otherwise only regular items are offered. Without a policy, or when it answers None
(no quality settings), gold items are ordinary items served last.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from annotator.models import Annotation, Assignment, Item, Project

CANDIDATES_PER_ROUND = 20
MAX_ROUNDS = 50

# (project, user) -> True: a gold item is due; False: a regular item; None: no gold policy.
GoldPolicy = Callable[[Project, Any], "bool | None"]
_policies: dict[str, GoldPolicy] = {}


def gold_policy_register(policy: GoldPolicy) -> None:
    """Install the gold-item policy (called once by ``quality.apps``)."""
    _policies["gold"] = policy


def _holders(item_id: int, now: Any) -> set[int]:
    leased = Assignment.objects.filter(
        item_id=item_id, status=Assignment.Status.ACTIVE, expires_at__gt=now
    ).values_list("user_id", flat=True)
    annotated = (
        Annotation.objects.filter(item_id=item_id, author__isnull=False)
        .exclude(status=Annotation.Status.REJECTED)
        .values_list("author_id", flat=True)
    )
    return set(leased) | set(annotated)


def _current_for_user(project: Project, user: Any, now: Any) -> Item | None:
    """An item the user already holds and has not submitted: resume it first."""
    lease = (
        Assignment.objects.filter(
            project=project, user=user, status=Assignment.Status.ACTIVE, expires_at__gt=now
        )
        .exclude(
            item__annotations__author=user, item__annotations__status__in=["submitted", "accepted"]
        )
        .select_related("item")
        .order_by("id")
        .first()
    )
    return lease.item if lease else None


def item_next_for_annotator(
    *, project: Project, user: Any
) -> tuple[Item | None, Assignment | None]:
    """Lease the next open item to ``user``; return ``(item, assignment)`` or ``(None, None)``.

    Side effects: writes or renews an Assignment row that expires after
    ``project.lease_seconds``. Safe under concurrent callers (see module docstring).
    """
    now = timezone.now()
    expires = now + timedelta(seconds=project.lease_seconds)
    held = _current_for_user(project, user, now)
    if held is not None:
        assignment = Assignment.objects.get(item=held, user=user)
        Assignment.objects.filter(pk=assignment.pk).update(expires_at=expires, updated_at=now)
        assignment.expires_at = expires
        return held, assignment
    policy = _policies.get("gold")
    want_gold = policy(project, user) if policy is not None else None
    for gold in (True, False) if want_gold else (want_gold,):
        item, leased = _lease_open_item(project, user, now, expires, gold=gold)
        if item is not None:
            return item, leased
    return None, None


def _lease_open_item(
    project: Project, user: Any, now: Any, expires: Any, *, gold: bool | None
) -> tuple[Item | None, Assignment | None]:
    """Lease one open item: ``gold`` None any item (gold last), True a gold item the user has
    not seen (overlap does not cap gold items), False a regular item."""
    skip_locked = connection.features.has_select_for_update_skip_locked
    cap = None if gold else project.overlap
    open_items = Item.objects.filter(project=project)
    if gold is None:
        open_items = open_items.filter(annotation_count__lt=project.overlap)
    elif gold:
        open_items = open_items.filter(is_gold=True)
    else:
        open_items = open_items.filter(is_gold=False, annotation_count__lt=project.overlap)
    full_ids: set[int] = set()
    for attempt in range(MAX_ROUNDS):
        candidates = list(
            open_items.exclude(pk__in=full_ids)
            .exclude(assignments__user=user)
            .exclude(annotations__author=user)
            .order_by("is_gold", "annotation_count", "id")
            .values_list("pk", flat=True)[:CANDIDATES_PER_ROUND]
        )
        if not candidates:
            return None, None
        busy = False
        for item_id in candidates:
            with transaction.atomic():
                item = (
                    Item.objects.select_for_update(skip_locked=skip_locked)
                    .filter(pk=item_id)
                    .first()
                )
                if item is None:
                    busy = True  # another annotator is being assigned it right now
                    continue
                holders = _holders(item_id, now)
                if user.pk in holders or (cap is not None and len(holders) >= cap):
                    full_ids.add(item_id)
                    continue
                assignment, _ = Assignment.objects.update_or_create(
                    item=item,
                    user=user,
                    defaults={
                        "project": project,
                        "status": Assignment.Status.ACTIVE,
                        "expires_at": expires,
                    },
                )
                return item, assignment
        if busy:
            # Locked candidates may still have room once their holder commits: retry them.
            time.sleep(0.002 * (attempt + 1))
    return None, None


def assignment_release(*, project: Project, user: Any, item: Item) -> int:
    """Give an item back (skip): the lease ends now so others can take it."""
    return Assignment.objects.filter(
        project=project, user=user, item=item, status=Assignment.Status.ACTIVE
    ).update(status=Assignment.Status.RELEASED, updated_at=timezone.now())


def assignment_expire_stale() -> int:
    """Mark leases past their expiry as released (beat, every minute). Returns the count."""
    now = timezone.now()
    return Assignment.objects.filter(
        Q(status=Assignment.Status.ACTIVE) & Q(expires_at__lte=now)
    ).update(status=Assignment.Status.RELEASED, updated_at=now)
