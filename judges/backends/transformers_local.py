"""``transformers`` judges: a local Hugging Face causal LM, loaded from a folder by path.

Imports torch: only the execution service loads this module, inside a worker, when a run of
a transformers judge starts (STYLE rule 34). Weights load from safetensors only (pickle
checkpoints are never loaded), with ``local_files_only`` and without remote code. Generation
is greedy at temperature 0, sampled otherwise; one prompt at a time behind a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, cast

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from judges.judging import Completion, ItemFailure
from judges.prompting import Prompt

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ItemFailure(
            "The judge asks for a GPU (device: cuda) and this worker has none.", fatal=True
        )
    return torch.device(name)


class TransformersBackend:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.device = _device(config["device"])
        dtype = DTYPES.get(config["dtype"])
        if dtype is None:  # "auto": bf16 on a GPU that has it, float32 on CPU
            bf16 = self.device.type == "cuda" and torch.cuda.is_bf16_supported()
            dtype = torch.bfloat16 if bf16 else torch.float32
        path = config["checkpoint_path"]
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            self.model = AutoModelForCausalLM.from_pretrained(
                path, local_files_only=True, use_safetensors=True, dtype=dtype
            )
        except (OSError, ValueError) as exc:
            raise ItemFailure(f"Cannot load the checkpoint at {path}: {exc}", fatal=True) from None
        self.model.to(self.device).eval()  # type: ignore[arg-type]  # transformers types .to as an unbound wrapper
        self.lock = threading.Lock()

    def close(self) -> None:
        del self.model

    def _text(self, prompt: Prompt) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            messages = [{"role": "user", "content": prompt.user}]
            if prompt.system:
                messages.insert(0, {"role": "system", "content": prompt.system})
            text = self.tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True
            )
            return cast(str, text)  # tokenize=False: the rendered string
        return f"{prompt.system}\n\n{prompt.user}\n\nAssistant:"

    def complete(self, prompt: Prompt) -> Completion:
        encoded = self.tokenizer(self._text(prompt), return_tensors="pt")
        input_ids = encoded["input_ids"].to(self.device)  # (1, prompt_len)
        attention_mask = encoded["attention_mask"].to(self.device)  # (1, prompt_len)
        prompt_len = int(input_ids.shape[1])
        if prompt_len > self.config["max_input_tokens"]:
            raise ItemFailure(
                f"The prompt is {prompt_len} tokens; max_input_tokens is "
                f"{self.config['max_input_tokens']}."
            )
        temperature = self.config["temperature"]
        sampling: dict[str, Any] = (
            {"do_sample": True, "temperature": temperature}
            if temperature > 0
            else {"do_sample": False}
        )
        pad = self.tokenizer.pad_token_id
        if pad is None:
            pad = self.tokenizer.eos_token_id
        with self.lock, torch.inference_mode():
            output = self.model.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                max_new_tokens=self.config["max_new_tokens"],
                pad_token_id=pad,
                **sampling,
            )  # (1, prompt_len + new_tokens)
        new_tokens = output[0, prompt_len:]  # (new_tokens,)
        # One sequence of ids decodes to one string.
        text = cast(str, self.tokenizer.decode(new_tokens, skip_special_tokens=True))
        return Completion(
            text=text, prompt_tokens=prompt_len, completion_tokens=int(new_tokens.shape[0])
        )
