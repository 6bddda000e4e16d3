from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("me/", views.profile, name="profile"),
    path("organisations/", views.OrganisationListView.as_view(), name="organisation-list"),
    path("organisations/new/", views.OrganisationCreateView.as_view(), name="organisation-create"),
    path("organisations/<int:pk>/", views.OrganisationDetailView.as_view(), name="organisation-detail"),
    path("organisations/<int:pk>/lockouts/", views.OrganisationLockoutsView.as_view(), name="organisation-lockouts"),
    path("organisations/<int:pk>/lockouts/unlock/", views.LockoutResetView.as_view(), name="lockout-reset"),
    path("organisations/<int:pk>/members/new/", views.MemberAddView.as_view(), name="member-add"),
    path("organisations/<int:pk>/members/remove/", views.MemberRemoveView.as_view(), name="member-remove"),
]
