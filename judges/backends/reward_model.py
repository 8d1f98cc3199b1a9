"""``reward_model`` judges: a registered Finegrain reward model marks spans or rates steps.

Worker only: imports torch through ``rewards.services.scoring`` (STYLE rule 34), so
``judges.services.execution`` imports this module inside the function that prepares a run.

The item → model input and prediction → unit rules are the rewards app's own
(``response_inputs``, ``prediction_units``): a judge run and the reward model's suggestions
make the same units from the same version. What a judge adds: its ``threshold`` on span
error probabilities, the run's response selection, and the checks every judge's units pass
(``judges.judging.check_units``) before Finegrain's own validation stores them.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from typing import Any

from annotator.models import Item
from judges.judging import MAX_OUTPUT_STORED, ItemFailure, ItemOutcome, RunSpec, check_units
from judges.parsing import OutputError
from judges.prompting import ItemInfo
from rewards.models import RewardModelVersion
from rewards.services.scoring import loaded_version, prediction_units, response_inputs
from rewards.training.scoring import LoadedModel, count_tokens, score

RESPONSE_KIND = {"span": "text", "step": "steps"}


@dataclass(frozen=True)
class ScoredItem:
    """An item as the backend needs it: the judging snapshot and the model inputs."""

    info: ItemInfo
    inputs: list[tuple[int, dict[str, Any]]]


def with_threshold(loaded: LoadedModel, threshold: float) -> LoadedModel:
    """``loaded`` scoring spans with ``threshold`` (the cached model itself is unchanged).

    Overrides the threshold of the model's config and any per-category thresholds stored
    with it (``meta["thresholds"]``): the judge's configured threshold decides.
    """
    meta = {**loaded.meta, "thresholds": {}}
    return dataclasses.replace(loaded, config=loaded.config.replace(threshold=threshold), meta=meta)


class RewardModelBackend:
    """Scores items with one version of a span or step reward model."""

    def __init__(
        self, version: RewardModelVersion, spec: RunSpec, *, threshold: float | None
    ) -> None:
        model = version.reward_model
        self.kind = model.kind
        self.spec = spec
        self.allowed = {et.key for et in spec.types_for("span")}
        self.model_name = f"{model.name} v{version.number}"
        self.metadata = {
            "reward_model": model.pk,
            "reward_model_version": version.pk,
            "threshold": threshold if self.kind == "span" else None,
        }
        try:
            loaded = loaded_version(version)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise ItemFailure(
                f"Reward model {self.model_name} could not be loaded: {type(exc).__name__}: {exc}",
                fatal=True,
            ) from None
        if self.kind == "span" and threshold is not None:
            self.loaded = with_threshold(loaded, threshold)
        else:
            self.loaded = loaded
        self._check_label_space()

    def _check_label_space(self) -> None:
        """Fail the run when the model predicts error types the project's taxonomy no longer
        has for spans: every item would carry units Finegrain refuses (retrain it)."""
        predicted = [t for g in self.loaded.space.groups for t in g.get("error_types") or ()]
        missing = sorted(set(predicted) - self.allowed)
        if missing:
            raise ItemFailure(
                f"Reward model {self.model_name} predicts error types that are not span error "
                f"types of the project's published taxonomy: {', '.join(missing)}. Retrain it "
                "on the current taxonomy.",
                fatal=True,
            )

    def prepare(self, item: Item, info: ItemInfo) -> ScoredItem:
        """Add the model inputs to the item's snapshot (responses are prefetched)."""
        return ScoredItem(info, response_inputs(item, self.kind))

    def judge(self, item: ScoredItem) -> ItemOutcome:
        """Score one item; never raises for anything the item or the model did."""
        out = ItemOutcome(item.info.id)
        started = time.monotonic()
        try:
            inputs = self._selected(item)
            results = score(self.loaded, [payload for _, payload in inputs])
            out.prompt_tokens = count_tokens(self.loaded, [payload for _, payload in inputs])
            for (index, _), result in zip(inputs, results, strict=True):
                out.judged_responses.append(index)
                out.outputs.append(json.dumps(result)[:MAX_OUTPUT_STORED])
                for name, units in prediction_units(self.kind, index, result, self.allowed).items():
                    out.units[name].extend(units)
            check_units(item.info, self.spec, out.units)
        except OutputError as exc:
            out.failure = str(exc)
        except ItemFailure as exc:
            out.failure, out.fatal = exc.reason, exc.fatal
        out.latency_ms = int((time.monotonic() - started) * 1000)
        return out

    def _selected(self, item: ScoredItem) -> list[tuple[int, dict[str, Any]]]:
        kind = RESPONSE_KIND[self.kind]
        if self.spec.responses is None:
            inputs = item.inputs
        else:
            by_index = dict(item.inputs)
            for index in self.spec.responses:
                response = item.info.response(index)
                if response is None or response.kind != kind:
                    raise ItemFailure(f"The item has no {kind} response {index}.")
            inputs = [(i, by_index[i]) for i in self.spec.responses if i in by_index]
        if not inputs:
            raise ItemFailure(f"The item has no {kind} response to score.")
        return inputs
