"""Routes under ``/api/v1/projects/<project_id>/`` (included from annotator.api.urls)."""

from django.urls import path

from snapshots.api.views import SnapshotViewSet

urlpatterns = [
    path(
        "snapshots/",
        SnapshotViewSet.as_view({"get": "list", "post": "create"}),
        name="snapshot-list",
    ),
    path(
        "snapshots/formats/",
        SnapshotViewSet.as_view({"get": "formats"}),
        name="snapshot-formats",
    ),
    path(
        "snapshots/<int:pk>/",
        SnapshotViewSet.as_view({"get": "retrieve"}),
        name="snapshot-detail",
    ),
    path(
        "snapshots/<int:pk>/export/",
        SnapshotViewSet.as_view({"get": "export"}),
        name="snapshot-export",
    ),
    path(
        "snapshots/<int:pk>/records/",
        SnapshotViewSet.as_view({"get": "records"}),
        name="snapshot-records",
    ),
]
