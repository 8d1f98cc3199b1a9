"""Reads of taxonomy and rubric versions.

Published versions are frozen, so their catalogues are cached in-process forever: the
annotation save path validates error types and rubric levels without a query.
"""

from __future__ import annotations

from dataclasses import dataclass

from annotator.models import ErrorType, Project, Rubric, RubricCriterion, Taxonomy


@dataclass(frozen=True)
class TaxonomyCatalog:
    taxonomy_id: int
    by_key: dict[str, ErrorType]


@dataclass(frozen=True)
class RubricCatalog:
    rubric_id: int
    by_key: dict[str, RubricCriterion]


# Keyed by (id, published_at): ids can be reused after a rolled-back transaction (SQLite).
_taxonomy_cache: dict[tuple[int, object], TaxonomyCatalog] = {}
_rubric_cache: dict[tuple[int, object], RubricCatalog] = {}


def taxonomy_published_latest(*, project: Project) -> Taxonomy | None:
    """The version new annotations pin. Uses the project's joined pointer when the caller
    loaded it in this request (project_get_for_member does); otherwise reads it fresh."""
    if Project._meta.get_field("published_taxonomy").is_cached(project):
        return project.published_taxonomy
    return (
        Taxonomy.objects.filter(project=project, status=Taxonomy.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )


def rubric_published_latest(*, project: Project) -> Rubric | None:
    """Like taxonomy_published_latest, for rubrics."""
    if Project._meta.get_field("published_rubric").is_cached(project):
        return project.published_rubric
    return (
        Rubric.objects.filter(project=project, status=Rubric.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )


def taxonomy_catalog(*, taxonomy: Taxonomy) -> TaxonomyCatalog:
    key = (taxonomy.pk, taxonomy.published_at)
    cached = _taxonomy_cache.get(key)
    if cached is not None:
        return cached
    catalog = TaxonomyCatalog(
        taxonomy_id=taxonomy.pk,
        by_key={et.key: et for et in ErrorType.objects.filter(taxonomy=taxonomy)},
    )
    if taxonomy.status == Taxonomy.Status.PUBLISHED:
        _taxonomy_cache[key] = catalog
    return catalog


def rubric_catalog(*, rubric: Rubric) -> RubricCatalog:
    key = (rubric.pk, rubric.published_at)
    cached = _rubric_cache.get(key)
    if cached is not None:
        return cached
    catalog = RubricCatalog(
        rubric_id=rubric.pk,
        by_key={c.key: c for c in RubricCriterion.objects.filter(rubric=rubric)},
    )
    if rubric.status == Rubric.Status.PUBLISHED:
        _rubric_cache[key] = catalog
    return catalog
