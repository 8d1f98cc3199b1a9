"""Routes under ``/api/v1/projects/<project_id>/judges/`` (included from annotator.api.urls).

Bound explicitly with typed converters (STYLE rule 22).
"""

from django.urls import path

from judges.api.views import (
    JudgeCalibrationViewSet,
    JudgeRunViewSet,
    JudgeViewSet,
    PromptTemplateViewSet,
)

J = "<int:judge_id>"
R = f"{J}/runs/<int:pk>"
urlpatterns = [
    path("", JudgeViewSet.as_view({"get": "list", "post": "create"}), name="judge-list"),
    path(
        "allowed-hosts/",
        JudgeViewSet.as_view({"get": "allowed_hosts"}),
        name="judge-allowed-hosts",
    ),
    path(
        "prompt-templates/",
        PromptTemplateViewSet.as_view({"get": "list", "post": "create"}),
        name="judge-prompt-template-list",
    ),
    path("runs/", JudgeRunViewSet.as_view({"get": "list_all"}), name="judge-run-all"),
    path(
        f"{J}/",
        JudgeViewSet.as_view({"get": "retrieve", "patch": "partial_update"}),
        name="judge-detail",
    ),
    path(
        f"{J}/runs/",
        JudgeRunViewSet.as_view({"get": "list", "post": "create"}),
        name="judge-run-list",
    ),
    path(f"{R}/", JudgeRunViewSet.as_view({"get": "retrieve"}), name="judge-run-detail"),
    path(f"{R}/cancel/", JudgeRunViewSet.as_view({"post": "cancel"}), name="judge-run-cancel"),
    path(f"{R}/results/", JudgeRunViewSet.as_view({"get": "results"}), name="judge-run-results"),
    path(
        f"{J}/calibration/",
        JudgeCalibrationViewSet.as_view({"get": "retrieve", "post": "create"}),
        name="judge-calibration",
    ),
]
