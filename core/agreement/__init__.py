"""Agreement on fine-grained labels (Django-free, pure Python).

Modules: ``pairwise`` (two annotators: the measures below), ``alpha`` (Krippendorff's alpha,
weighted kappa over coded units), ``spans`` (several coders over text continua), ``consensus``
(majority merge of spans). Everything public is importable from ``core.agreement``.

Used by judge calibration (judge vs humans) and, later, by agreement dashboards (human vs
human). Every function takes plain values, so it can be tested by hand and reused anywhere.

- Spans: character-level overlap. Each label covers the code points ``[start, end)`` of one
  response; two annotators agree on a character when both mark it with the same error type.
  Precision, recall and F1 are micro-averaged over everything compared.
- Steps (PRM800K −1/0/+1): accuracy over steps both rated, and agreement on the location of
  the first −1 step ("no error" is a location too).
- Rubric scores: Cohen's kappa with quadratic weights over the criterion's levels, and
  Spearman's rank correlation (average ranks for ties).
- Preferences (−3…+3): agreement on the sign (A better, tie, B better).
"""

from __future__ import annotations

from core.agreement.alpha import (
    Coincidences,
    Metric,
    coder_pairs,
    krippendorff_alpha,
    pairwise_share,
    value_sort_key,
    weighted_kappa,
)
from core.agreement.consensus import (
    CONSENSUS_OVERLAP,
    SpanCluster,
    overlap_ratio,
    span_clusters,
    span_consensus,
)
from core.agreement.pairwise import (
    PRF,
    Span,
    StepAgreement,
    first_error,
    preference_sign_agreement,
    quadratic_weighted_kappa,
    sign,
    span_overlap,
    spearman,
    step_agreement,
)
from core.agreement.spans import (
    ALL,
    PairSpanAgreement,
    SpanAgreement,
    SpanSection,
    SpanTypeAgreement,
    SpanUnit,
    span_agreement,
)

__all__ = [
    "ALL",
    "CONSENSUS_OVERLAP",
    "PRF",
    "Coincidences",
    "Metric",
    "PairSpanAgreement",
    "Span",
    "SpanAgreement",
    "SpanCluster",
    "SpanSection",
    "SpanTypeAgreement",
    "SpanUnit",
    "StepAgreement",
    "coder_pairs",
    "first_error",
    "krippendorff_alpha",
    "overlap_ratio",
    "pairwise_share",
    "preference_sign_agreement",
    "quadratic_weighted_kappa",
    "sign",
    "span_agreement",
    "span_clusters",
    "span_consensus",
    "span_overlap",
    "spearman",
    "step_agreement",
    "value_sort_key",
    "weighted_kappa",
]
