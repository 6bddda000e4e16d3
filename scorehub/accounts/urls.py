from django.urls import path

from . import account_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("me/", views.profile, name="profile"),
    # Passwords and second factors (account_views).
    path("me/password/", account_views.PasswordChangeView.as_view(), name="password-change"),
    path("me/second-factor/", account_views.second_factor, name="second-factor"),
    path("me/second-factor/new/", account_views.SecondFactorEnrolView.as_view(), name="second-factor-enrol"),
    path("login/code/", account_views.SecondFactorVerifyView.as_view(), name="second-factor-verify"),
    path("reset/<uidb64>/<token>/", account_views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("reset/done/", account_views.PasswordResetCompleteView.as_view(), name="password-reset-complete"),
    path("people/<int:pk>/", account_views.PersonDetailView.as_view(), name="person-detail"),
    path(
        "people/<int:pk>/password-reset-link/",
        account_views.PersonPasswordResetLinkView.as_view(),
        name="person-password-reset-link",
    ),
    path(
        "people/<int:pk>/second-factor/remove/",
        account_views.PersonSecondFactorRemoveView.as_view(),
        name="person-second-factor-remove",
    ),
    path("organisations/", views.OrganisationListView.as_view(), name="organisation-list"),
    path("organisations/new/", views.OrganisationCreateView.as_view(), name="organisation-create"),
    path("organisations/<int:pk>/", views.OrganisationDetailView.as_view(), name="organisation-detail"),
    path("organisations/<int:pk>/lockouts/", views.OrganisationLockoutsView.as_view(), name="organisation-lockouts"),
    path("organisations/<int:pk>/lockouts/unlock/", views.LockoutResetView.as_view(), name="lockout-reset"),
    path("organisations/<int:pk>/members/new/", views.MemberAddView.as_view(), name="member-add"),
    path("organisations/<int:pk>/members/remove/", views.MemberRemoveView.as_view(), name="member-remove"),
]
