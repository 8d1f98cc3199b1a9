from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    """Dataset snapshots and exports.

    The package is named ``datasets`` (the project's app name); it shadows Hugging Face's
    ``datasets`` package for code that runs with the repository root on ``sys.path``. Load
    exported files with ``datasets.load_dataset`` from outside this tree (tests do it in a
    subprocess).
    """

    name = "datasets"
    label = "datasets"
    verbose_name = "Dataset snapshots"
    default_auto_field = "django.db.models.BigAutoField"
