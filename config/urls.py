from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/", include("annotator.api.urls")),
    path("", include("frontend.urls")),
    path("api/v1/projects/<int:project_id>/", include("snapshots.api.urls")),
]
