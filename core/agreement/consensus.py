"""Consensus of spans: majority merge at an overlap threshold."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic

from core.agreement.alpha import Coder
from core.agreement.spans import SpanUnit

# --- consensus of spans: majority merge at an overlap threshold --------------------------------
#
# The rule used by review proposals and by the ``consensus`` export policy (docs/quality.md):
# spans of one error type from different annotations are linked when their overlap ratio
# |a ∩ b| / |a ∪ b| (Jaccard, in code points) is at least ``threshold`` (default 0.5); linked
# spans form clusters (connected components). A cluster is kept when more than half of the
# response's voters (the annotations that labelled it) have a span in it. Its merged span runs
# from the first to the last code point that more than half of the cluster's annotations marked,
# with the lower median of their severities.

CONSENSUS_OVERLAP = 0.5


def overlap_ratio(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Jaccard overlap of two half-open ranges.

    >>> overlap_ratio((0, 10), (5, 15))
    0.3333333333333333
    """
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return 0.0
    return inter / (max(a[1], b[1]) - min(a[0], b[0]))


@dataclass
class SpanCluster(Generic[Coder]):
    error_type: str
    members: list[tuple[Coder, SpanUnit]]  # (voter, span)
    kept: bool = False
    merged: SpanUnit | None = None

    @property
    def voters(self) -> set[Coder]:
        return {voter for voter, _ in self.members}


def span_clusters(
    spans: Mapping[Coder, Sequence[SpanUnit]],
    voters: int,
    threshold: float = CONSENSUS_OVERLAP,
) -> list[SpanCluster[Coder]]:
    """Cluster one response's spans (voter → spans) by the consensus rule above; each cluster
    says whether it is kept and, if so, its merged span. Sorted by position."""
    flat = [(voter, span) for voter, own in spans.items() for span in own if span[0] < span[1]]
    parent = list(range(len(flat)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(range(len(flat)), key=lambda i: (flat[i][1][2], flat[i][1][0]))
    for x, i in enumerate(order):
        voter_i, span_i = flat[i]
        for j in order[x + 1 :]:
            voter_j, span_j = flat[j]
            if span_j[2] != span_i[2] or span_j[0] >= span_i[1]:
                break  # sorted by type, then start: nothing later overlaps span_i
            if voter_j != voter_i and overlap_ratio(span_i[:2], span_j[:2]) >= threshold:
                parent[root(j)] = root(i)
    groups: dict[int, list[tuple[Coder, SpanUnit]]] = defaultdict(list)
    for i in order:
        groups[root(i)].append(flat[i])
    clusters: list[SpanCluster[Coder]] = []
    for members in groups.values():
        cluster = SpanCluster(error_type=members[0][1][2], members=members)
        if len(cluster.voters) * 2 > voters:
            cluster.merged = _merge(cluster)
            cluster.kept = cluster.merged is not None
        clusters.append(cluster)
    clusters.sort(key=lambda c: (min(s[0] for _, s in c.members), c.error_type))
    return clusters


def _merge(cluster: SpanCluster[Any]) -> SpanUnit | None:
    depth: Counter[int] = Counter()
    for voter in cluster.voters:
        own = sorted(s[:2] for v, s in cluster.members if v == voter)
        merged: list[list[int]] = []
        for start, end in own:  # one vote per annotation: union its own spans first
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in merged:
            depth[start] += 1
            depth[end] -= 1
    need = len(cluster.voters) / 2
    offsets = sorted(depth)
    level = 0
    first = last = None
    for k, offset in enumerate(offsets[:-1]):
        level += depth[offset]
        if level > need:  # [offset, next offset) is marked by a majority of the cluster
            first = offset if first is None else first
            last = offsets[k + 1]
    if first is None or last is None:
        return None
    severities = sorted(s[3] for _, s in cluster.members if s[3] is not None)
    severity = severities[(len(severities) - 1) // 2] if severities else None
    return (first, last, cluster.error_type, severity)


def span_consensus(
    spans: Mapping[Coder, Sequence[SpanUnit]],
    voters: int,
    threshold: float = CONSENSUS_OVERLAP,
) -> list[SpanUnit]:
    """The merged spans of the kept clusters (see ``span_clusters``).

    >>> span_consensus({"a": [(0, 10, "x", 2)], "b": [(2, 10, "x", 1)], "c": [(20, 25, "x", 1)]}, 3)
    [(2, 10, 'x', 1)]
    """
    return [c.merged for c in span_clusters(spans, voters, threshold) if c.merged is not None]
