"""Routes under ``/api/v1/projects/<project_id>/imports/`` (included from annotator.api.urls)."""

from django.urls import path

from annotator.api.imports import ImportJobViewSet

urlpatterns = [
    path("", ImportJobViewSet.as_view({"get": "list", "post": "create"}), name="import-list"),
    path("<int:pk>/", ImportJobViewSet.as_view({"get": "retrieve"}), name="import-detail"),
]
