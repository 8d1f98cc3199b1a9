"""The ``transformers`` kind on tiny GPT-2 models built here from a config (no downloads),
through the real ``generate`` path.

Needs the ``train`` extra (torch, transformers), which ``make install`` installs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.models import Annotation
from judges.models import JudgeResult, JudgeRun
from judges.services.configs import judge_create
from judges.services.execution import judge_run_execute
from judges.services.runs import judge_run_create
from tests.judges.conftest import case_item

pytestmark = pytest.mark.django_db
ANSWER = '{"errors":[{"quote":"2019","error_type":"wrong-grounding","explanation":"wrong"}]}'
SPECIAL = ["[PAD]", "[UNK]", "[EOS]"]


def build_checkpoint(path: Path, *, answer: bool, train: bool) -> Path:
    """A 2-layer GPT-2 with a word-level tokenizer, saved as safetensors under ``path``.

    With ``train`` it is fitted for a few dozen steps to answer ``ANSWER`` after
    ``Assistant:`` (every prompt word outside the tiny vocabulary is [UNK]); without, its
    weights are random and it writes garbage.
    """
    import torch  # noqa: PLC0415 - optional dependency, imported only when installed
    from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: PLC0415
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast  # noqa: PLC0415

    words = [*SPECIAL, "Assistant:", *(f"w{i}" for i in range(40))] + ([ANSWER] if answer else [])
    vocab = {word: i for i, word in enumerate(words)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="[UNK]", pad_token="[PAD]", eos_token="[EOS]"
    )
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(vocab), n_positions=1024, n_embd=32, n_layer=2, n_head=2,
                        bos_token_id=2, eos_token_id=2, pad_token_id=0)  # fmt: skip
    model = GPT2LMHeadModel(config)
    if train:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        tail = [vocab["Assistant:"], vocab[ANSWER], vocab["[EOS]"]]
        for step in range(40):
            length = 150 + (step * 37) % 250
            ids = torch.tensor([[vocab["[UNK]"]] * length + tail])  # (1, seq_len)
            labels = torch.full_like(ids, -100)
            labels[0, -2:] = ids[0, -2:]
            loss = model(input_ids=ids, labels=labels).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        assert torch.isfinite(loss)
        assert loss.item() < 0.1
    path.mkdir(parents=True)
    model.save_pretrained(path, safe_serialization=True)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    root = tmp_path_factory.mktemp("checkpoints")
    return {
        "trained": build_checkpoint(root / "trained", answer=True, train=True),
        "garbage": build_checkpoint(root / "garbage", answer=False, train=False),
    }


@pytest.fixture
def model_dirs(settings, checkpoints):
    settings.FINEGRAIN_JUDGE_MODEL_DIRS = [str(checkpoints["trained"].parent)]


def _run(project, path):
    config = {"checkpoint_path": str(path), "device": "cpu", "max_new_tokens": 8}
    judge = judge_create(project=project, name=path.name, kind="transformers", config=config)
    return judge, judge_run_execute(run_id=judge_run_create(judge=judge, task="spans").pk)


@pytest.mark.usefixtures("model_dirs")
def test_a_local_model_marks_spans_through_generate(project, checkpoints):
    item = case_item(project, "local")
    judge, run = _run(project, checkpoints["trained"])
    assert run.status == JudgeRun.Status.SUCCEEDED, run.error
    result = JudgeResult.objects.get(run=run, item=item)
    assert result.status == "succeeded", result.reason
    assert result.outputs == [ANSWER]
    assert result.prompt_tokens > 100
    assert result.completion_tokens == 2
    span = Annotation.objects.get(pk=result.annotation_id).spans.get()
    assert item.responses.get(index=0).text[span.start : span.end] == "2019"
    assert judge.model_name == "trained"


@pytest.mark.usefixtures("model_dirs")
def test_garbage_from_a_random_model_fails_the_item(project, checkpoints):
    item = case_item(project, "local")
    _, run = _run(project, checkpoints["garbage"])
    assert run.status == JudgeRun.Status.SUCCEEDED
    result = JudgeResult.objects.get(run=run, item=item)
    assert result.status == "failed"
    assert "not valid JSON" in result.reason or "no text" in result.reason
    assert not Annotation.objects.filter(judge__kind="transformers").exists()


def test_checkpoints_outside_the_model_folders_are_refused(project, checkpoints, settings):
    from core.exceptions import ApplicationError  # noqa: PLC0415

    settings.FINEGRAIN_JUDGE_MODEL_DIRS = ["/nonexistent-models"]
    with pytest.raises(ApplicationError, match="FINEGRAIN_JUDGE_MODEL_DIRS"):
        _run(project, checkpoints["trained"])
