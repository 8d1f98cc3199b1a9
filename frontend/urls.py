"""Login, logout and the browser app (every path that is not the API, admin or static files)."""

from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from . import views

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    re_path(r"^(?!api/|admin/|static/|media/|accounts/).*$", views.app, name="app"),
]
