from django.apps import AppConfig
from django.conf import settings


class RewardsConfig(AppConfig):
    name = "rewards"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The schema's enum names for this app (drf-spectacular reads its settings lazily, on
        # first use, after every app is ready). Kept here so the app owns its API names.
        overrides = settings.SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {})
        assert isinstance(overrides, dict)
        overrides.update(
            {
                "RewardModelKindEnum": "rewards.models.RewardModel.Kind",
                "RewardModelModeEnum": "rewards.models.RewardModel.Mode",
                "TrainingRunTriggerEnum": "rewards.models.TrainingRun.Trigger",
            }
        )
