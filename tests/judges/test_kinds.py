"""Judge configuration shapes, by kind (judges.kinds)."""

from __future__ import annotations

import pytest

from core.exceptions import ApplicationError
from judges.kinds import config_validate


def fields(kind, data):
    with pytest.raises(ApplicationError) as info:
        config_validate(kind, data)
    return info.value.errors[0]["field"]


def test_openai_defaults_are_filled_in():
    config = config_validate("openai", {"base_url": "https://api.example.com/v1/", "model": "m"})
    assert config["base_url"] == "https://api.example.com/v1"
    assert (config["temperature"], config["max_concurrency"], config["max_retries"]) == (0.0, 4, 3)
    assert config["structured_output"] == "json_schema"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"base_url": "ftp://x/v1", "model": "m"}, "config.base_url"),
        ({"base_url": "https://u:p@x/v1", "model": "m"}, "config.base_url"),
        ({"base_url": "https://x/v1"}, "config.model"),
        ({"base_url": "https://x/v1", "model": "m", "api_key": "sk-123"}, "config.api_key"),
        (
            {"base_url": "https://x/v1", "model": "m", "api_key_env": "SECRET_KEY"},
            "config.api_key_env",
        ),
        ({"base_url": "https://x/v1", "model": "m", "api_key_env": "a-b"}, "config.api_key_env"),
        (
            {"base_url": "https://x/v1", "model": "m", "max_concurrency": 0},
            "config.max_concurrency",
        ),
        ({"base_url": "https://x/v1", "model": "m", "temperature": "hot"}, "config.temperature"),
    ],
)
def test_openai_mistakes_name_the_field(data, field):
    assert fields("openai", data) == field


def test_api_keys_are_only_read_from_judge_variables(settings):
    data = {"base_url": "https://x/v1", "model": "m", "api_key_env": "OPENAI_API_KEY"}
    assert fields("openai", data) == "config.api_key_env"
    settings.FINEGRAIN_JUDGE_API_KEY_ENVS = ["OPENAI_API_KEY"]
    assert config_validate("openai", data)["api_key_env"] == "OPENAI_API_KEY"


def test_rules_need_one_of_pattern_or_words_and_valid_regexes():
    assert fields("rules", {"rules": [{"error_type": "x"}]}) == "config.rules[0]"
    assert (
        fields("rules", {"rules": [{"error_type": "x", "pattern": "("}]})
        == "config.rules[0].pattern"
    )
    ok = config_validate("rules", {"rules": [{"error_type": "x", "words": [" um "]}]})
    assert ok["rules"][0] == {"error_type": "x", "pattern": None, "words": ["um"],
                              "ignore_case": True, "comment": ""}  # fmt: skip


def test_transformers_and_reward_model_shapes():
    assert fields("transformers", {"checkpoint_path": "relative/dir"}) == "config.checkpoint_path"
    assert config_validate("transformers", {"checkpoint_path": "/m"})["device"] == "auto"
    assert fields("reward_model", {}) == "config.reward_model"
    assert config_validate("reward_model", {"reward_model": 3}) == {
        "reward_model": 3,
        "threshold": None,
    }
    assert config_validate("reward_model", {"reward_model": 3, "threshold": 0.25}) == {
        "reward_model": 3,
        "threshold": 0.25,
    }
    assert fields("reward_model", {"reward_model": 3, "threshold": 2}) == "config.threshold"
    assert fields("external", {"x": 1}) == "config"
