from django.apps import AppConfig


class SnapshotsConfig(AppConfig):
    """Dataset snapshots and exports.

    Named ``snapshots``, not ``datasets``: a top-level ``datasets`` package would shadow
    Hugging Face's ``datasets`` (which transformers imports) for any process that runs with
    the repository root on ``sys.path``.
    """

    name = "snapshots"
    label = "snapshots"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Dataset snapshots"
