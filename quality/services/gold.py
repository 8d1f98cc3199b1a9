"""Gold items: mark an item gold with its reference labels, and annotators' accuracy on them."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from annotator.models import Annotation, Item, Project
from core.exceptions import ApplicationError
from quality.gold import gold_scores
from quality.models import GoldLabel
from quality.selectors.labels import project_labels_load


def gold_label_set(*, project: Project, item: Item, annotation: Annotation, user: Any) -> GoldLabel:
    """Make ``item`` a gold item whose known labels are ``annotation``'s (replacing earlier
    ones). The reference must be a human annotation of the item, submitted or accepted: judge
    annotations are shown to annotators as suggestions, which would give the answers away."""
    if annotation.item_id != item.pk:
        raise ApplicationError("The annotation is not on this item.", field="annotation")
    if annotation.author_id is None:
        raise ApplicationError(
            "Gold labels must be a human annotation: annotators see machine annotations as "
            "suggestions.",
            field="annotation",
        )
    if annotation.status not in (Annotation.Status.SUBMITTED, Annotation.Status.ACCEPTED):
        raise ApplicationError("Gold labels must be submitted or accepted.", field="annotation")
    with transaction.atomic():
        gold, _ = GoldLabel.objects.update_or_create(
            item=item, defaults={"project": project, "annotation": annotation, "created_by": user}
        )
        Item.objects.filter(pk=item.pk).update(is_gold=True)
    return gold


def gold_label_remove(*, item: Item) -> None:
    """Make ``item`` a regular item again (its gold labels are forgotten)."""
    with transaction.atomic():
        GoldLabel.objects.filter(item=item).delete()
        Item.objects.filter(pk=item.pk).update(is_gold=False)


def gold_accuracy(*, project: Project) -> list[dict[str, Any]]:
    """Each annotator's accuracy on the project's gold items (``quality.gold``)."""
    references = dict(
        GoldLabel.objects.filter(project=project).values_list("item_id", "annotation_id")
    )
    if not references:
        return []
    labels = project_labels_load(project=project, item_ids=list(references))
    present = {item: ref for item, ref in references.items() if ref in labels.annotations}
    return gold_scores(labels, present)
