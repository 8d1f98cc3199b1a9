"""Gold items mixed into next-item at the configured rate — also under concurrent annotators —
and the review queue: lowest agreement first, leased to one reviewer at a time."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from annotator.models import Annotation, Assignment, Item
from annotator.services.annotations import annotation_create
from annotator.services.assignments import item_next_for_annotator
from quality.models import ItemAgreement, ReviewLease
from quality.services.routing import (
    _phase,
    gold_pick_due,
    gold_schedule,
    review_item_next,
    review_queue,
)
from quality.services.settings import quality_settings_update
from tests.concurrency import run_together
from tests.factories import make_item, make_project, make_user
from tests.quality.conftest import submit


def test_gold_schedule_hits_the_rate_within_one():
    for rate in (0.1, 0.25, 0.5, 0.9):
        for phase in (0.0, 0.37, 0.99):
            picks = [gold_schedule(n, rate, phase) for n in range(200)]
            assert abs(sum(picks) - 200 * rate) <= 1
    assert not any(gold_schedule(n, 0.0, 0.5) for n in range(50))
    assert all(gold_schedule(n, 1.0, 0.5) for n in range(50))


@pytest.mark.django_db
def test_without_quality_settings_gold_items_are_ordinary_and_last(admin_user):
    project = make_project(admin=admin_user, overlap=1)
    gold = make_item(project, "g")
    Item.objects.filter(pk=gold.pk).update(is_gold=True)
    regular = make_item(project, "r")
    assert gold_pick_due(project, admin_user) is None
    assert item_next_for_annotator(project=project, user=admin_user)[0] == regular


def work_through(project: Any, user: Any) -> list[Item]:
    """next-item, submit, repeat until the queue is empty; the items in order."""
    got = []
    while True:
        item, _ = item_next_for_annotator(project=project, user=user)
        if item is None:
            return got
        got.append(item)
        annotation_create(item=item, author=user, client_id=uuid.uuid4(), status="submitted")


@pytest.mark.django_db
def test_gold_items_come_at_the_configured_rate_and_every_annotator_gets_them(admin_user):
    project = make_project(admin=admin_user, overlap=1)
    regular = [make_item(project, f"r{i}") for i in range(12)]
    golds = [make_item(project, f"g{i}") for i in range(3)]
    Item.objects.filter(pk__in=[g.pk for g in golds]).update(is_gold=True)
    quality_settings_update(project=project, values={"gold_rate": 0.25})
    bob, eve = make_user("bob"), make_user("eve")
    first = work_through(project, bob)
    second = work_through(project, eve)
    gold_ids = {g.pk for g in golds}
    for user, seq in ((bob, first), (eve, second)):
        phase = _phase(project.pk, user.pk)
        for n, item in enumerate(seq):
            due = gold_schedule(n, 0.25, phase)
            seen_gold = sum(1 for x in seq[:n] if x.pk in gold_ids)
            # A due pick is gold while unseen gold is left; a regular pick is never gold.
            assert (item.pk in gold_ids) == (due and seen_gold < len(gold_ids)), (user, n)
    # Overlap 1: the regular items are shared out; gold items are seen by both.
    assert {i.pk for i in first + second} >= {r.pk for r in regular}
    assert sum(1 for i in first + second if i.pk not in gold_ids) == len(regular)
    assert Item.objects.get(pk=golds[0].pk).annotation_count <= 2


@pytest.mark.django_db
def test_gold_rate_zero_never_serves_gold(admin_user):
    project = make_project(admin=admin_user, overlap=1)
    make_item(project, "r")
    gold = make_item(project, "g")
    Item.objects.filter(pk=gold.pk).update(is_gold=True)
    quality_settings_update(project=project, values={"gold_rate": 0})
    assert [i.external_id for i in work_through(project, admin_user)] == ["r"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_annotators_get_gold_on_schedule_and_never_exceed_overlap() -> None:
    """8 threads (own connections) work a queue of 10 regular items at overlap 2 and 2 gold
    items at rate 0.3: every regular slot is used once, gold picks follow each user's schedule,
    nobody gets an item twice."""
    admin = make_user("boss")
    project = make_project(admin=admin, overlap=2)
    regular = [make_item(project, f"r{i}") for i in range(10)]
    golds = [make_item(project, f"g{i}") for i in range(2)]
    Item.objects.filter(pk__in=[g.pk for g in golds]).update(is_gold=True)
    quality_settings_update(project=project, values={"gold_rate": 0.3})
    users = [make_user(f"u{i}") for i in range(8)]
    picked = run_together(
        lambda user: [i.pk for i in work_through(project, user)], [(u,) for u in users]
    )
    sequences = {user.pk: seq for user, seq in zip(users, picked, strict=True)}
    gold_ids = {g.pk for g in golds}
    regular_picks = [pk for seq in sequences.values() for pk in seq if pk not in gold_ids]
    assert sorted(regular_picks) == sorted(r.pk for r in regular for _ in range(2))
    for user in users:
        seq = sequences[user.pk]
        assert len(seq) == len(set(seq))
        phase = _phase(project.pk, user.pk)
        for n, pk in enumerate(seq):
            if pk in gold_ids:
                assert gold_schedule(n, 0.3, phase), (user.username, n)
            elif gold_schedule(n, 0.3, phase):
                assert gold_ids <= set(seq[:n]), (user.username, n)  # gold was used up
    humans = Annotation.objects.filter(author__isnull=False, item__is_gold=False)
    assert humans.count() == 20
    assert not Assignment.objects.filter(status=Assignment.Status.ACTIVE).exists()


# --- review queue -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_review_queue_orders_by_agreement_and_leases_one_reviewer_each(trio, reviewer_user):
    project = trio["project"]
    items = [trio["make_item"](f"i{k}") for k in range(3)]
    for item in items:
        submit(item, trio["ann1"])
        submit(item, trio["ann2"])
    scores = {items[0].pk: 0.9, items[1].pk: 0.2, items[2].pk: None}
    for pk, score in scores.items():
        if score is not None:
            ItemAgreement.objects.create(
                item_id=pk,
                project=project,
                score=score,
                annotators=2,
                computed_at="2026-01-01T00:00Z",
            )
    assert [i.pk for i in review_queue(project=project)] == [items[1].pk, items[0].pk, items[2].pk]
    other = make_user("rev2")
    first = review_item_next(project=project, reviewer=reviewer_user)
    assert first == items[1]
    assert review_item_next(project=project, reviewer=reviewer_user) == items[1]  # resume
    assert review_item_next(project=project, reviewer=other) == items[0]
    # Once reviewed, an item leaves the pending queue.
    for a in Annotation.objects.filter(item=items[1]):
        Annotation.objects.filter(pk=a.pk).update(status="accepted")
    assert items[1].pk not in {i.pk for i in review_queue(project=project)}
    assert items[1].pk in {i.pk for i in review_queue(project=project, state="done")}


@pytest.mark.django_db
def test_review_queue_without_a_consensus_judge_an_accepted_annotation_is_no_consensus(trio):
    """With no consensus judge yet, an accepted human annotation must not count as the
    item's consensus: a submitted one still waits for review."""
    item = trio["make_item"]("i0")
    submit(item, trio["ann1"])
    submit(item, trio["ann2"])
    first = Annotation.objects.filter(item=item).order_by("id").first()
    Annotation.objects.filter(pk=first.pk).update(status="accepted")
    assert [i.pk for i in review_queue(project=trio["project"])] == [item.pk]


@pytest.mark.django_db(transaction=True)
def test_concurrent_reviewers_never_lease_the_same_item() -> None:
    """6 reviewers (own connections) ask for the next item at once, on 4 pending items: every
    item is leased to exactly one reviewer, and two reviewers are told none is left."""
    admin = make_user("boss")
    reviewers = [make_user(f"rev{i}") for i in range(6)]
    annotators = [make_user("ann1"), make_user("ann2")]
    project = make_project(
        admin=admin,
        overlap=2,
        **{u.username: "reviewer" for u in reviewers},
        **{u.username: "annotator" for u in annotators},
    )
    items = [make_item(project, f"i{k}") for k in range(4)]
    for item in items:
        for user in annotators:
            submit(item, user)

    def lease(reviewer: Any) -> int | None:
        item = review_item_next(project=project, reviewer=reviewer)
        return item.pk if item else None

    leases = run_together(lease, [(r,) for r in reviewers])
    got = dict(zip((r.username for r in reviewers), leases, strict=True))
    leased = [pk for pk in got.values() if pk is not None]
    assert sorted(leased) == sorted(i.pk for i in items)
    assert list(got.values()).count(None) == 2
    holders = dict(ReviewLease.objects.values_list("item_id", "reviewer__username"))
    assert holders == {pk: name for name, pk in got.items() if pk is not None}
