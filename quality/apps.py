from django.apps import AppConfig


class QualityConfig(AppConfig):
    """Quality control: agreement metrics, gold items, review and consensus, consistency checks.

    On ready it registers the gold-item routing policy with next-item
    (``annotator.services.assignments``), which cannot import this app.
    """

    name = "quality"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Quality control"

    def ready(self) -> None:
        # Function-local: app registry must be ready before services (and models) import.
        from annotator.services import assignments  # noqa: PLC0415
        from quality.services.routing import gold_pick_due  # noqa: PLC0415

        assignments.gold_policy_register(gold_pick_due)
