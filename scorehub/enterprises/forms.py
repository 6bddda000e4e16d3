from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from scorehub.accounts.models import Organisation, OrganisationKind
from scorehub.core.forms import BootstrapFormMixin
from scorehub.core.scoping import Action
from scorehub.regions.models import Region, RegionLevel

from . import industries
from .models import ContactPerson, Enterprise


class RegionChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Region) -> str:  # type: ignore[override]
        return f"{obj.code} {obj.full_name}"


class EnterpriseForm(BootstrapFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    region = RegionChoiceField(label=_("Region"), queryset=Region.objects.none())

    class Meta:
        model = Enterprise
        fields = [
            "name_zh",
            "name_en",
            "credit_code",
            "region",
            "address",
            "industry_division",
            "size_class",
            "employees_total",
            "employees_women",
            "status",
        ]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Officials can place an enterprise only inside their own jurisdiction (district level or below).
        action = Action.CHANGE if self.instance.pk else Action.MANAGE
        regions = Region.objects.visible_to(user, action).filter(level__gte=RegionLevel.DISTRICT)
        if self.instance.pk:
            # Whoever may edit the enterprise may leave it where it is (an enterprise manager places nothing).
            regions = regions | Region.objects.filter(pk=self.instance.region_id)
        self.fields["region"].queryset = regions.order_by("code")  # type: ignore[attr-defined]
        division_field: Any = self.fields["industry_division"]
        division_field.choices = [("", "---------"), *industries.division_choices()]
        self.apply_bootstrap()


class ContactPersonForm(BootstrapFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ContactPerson
        fields = ["name", "position", "phone", "email", "is_primary"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.apply_bootstrap()


class BuyerConsentForm(BootstrapFormMixin, forms.Form):
    buyer = forms.ModelChoiceField(
        label=_("Buyer"),
        queryset=Organisation.objects.filter(kind=OrganisationKind.BUYER, is_active=True).order_by("name_zh"),
        help_text=_("The buyer will see this enterprise's name, region, industry and programme progress."),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.apply_bootstrap()
