from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken

from scorehub.core.api import BilingualNameField, ModelSerializer, ScopedReadOnlyViewSet

from .filters import OrganisationFilter
from .models import Organisation
from .second_factor import check_code, confirmed_device, is_required_for


class OrganisationSerializer(ModelSerializer):
    name = BilingualNameField()
    region: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Organisation
        fields = ["id", "kind", "name", "name_zh", "name_en", "region", "enterprise", "is_active"]


class OrganisationViewSet(ScopedReadOnlyViewSet):
    model = Organisation
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    ordering = ["kind", "name_zh"]

    def refine_queryset(self, queryset: QuerySet[Organisation]) -> QuerySet[Organisation]:
        return queryset.select_related("region")


class TokenRequestSerializer(AuthTokenSerializer):
    """User name and password, and the current code for whoever owes a second factor (see docs/accounts.md)."""

    otp_code = serializers.CharField(
        label=_("Code from the authenticator app"),
        help_text=_("Needed only by people who have two-step sign-in on, or whose role must use it."),
        required=False,
        allow_blank=True,
        write_only=True,
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)  # the password, through django-axes
        user = attrs["user"]
        device = confirmed_device(user)
        if device is None and is_required_for(user):
            raise serializers.ValidationError(
                _("Your role must use two-step sign-in: set it up in the browser (My account) first."),
                code="authorization",
            )
        if device is not None:
            problem = check_code(device, attrs.get("otp_code") or "")
            if problem:
                raise serializers.ValidationError({"otp_code": [problem]}, code="authorization")
        return attrs


class TokenView(ObtainAuthToken):
    """A user name and password (and a code, for whoever owes a second factor) for an API token."""

    serializer_class = TokenRequestSerializer


routes = [("organisations", OrganisationViewSet, "organisation")]
