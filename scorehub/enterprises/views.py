from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.forms import BaseForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from scorehub.accounts import services as account_services
from scorehub.accounts.forms import ProviderAssignmentForm
from scorehub.accounts.models import ProviderAssignment
from scorehub.core.scoping import Action, OutOfScope
from scorehub.core.views import ScopedActionView, ScopedDetailView, ScopedFormView, ScopedListView

from . import services
from .buyer_summary import participation, sees_summary_only
from .filters import BuyerEnterpriseFilter, EnterpriseFilter
from .forms import BuyerConsentForm, ContactPersonForm, EnterpriseForm
from .models import BuyerConsent, ContactPerson, Enterprise
from .tables import BuyerEnterpriseTable, EnterpriseTable


class EnterpriseListView(ScopedListView):
    model = Enterprise
    table_class = EnterpriseTable
    filterset_class = EnterpriseFilter
    title = _("Enterprises")
    create_url_name = "enterprises:create"
    extra_actions = ((_("Import"), "enterprises:import", Action.MANAGE),)
    optional_columns = (
        "credit_code",
        "region",
        "industry_division",
        "size_class",
        "employees_total",
        "employees_women",
        "status",
        "updated_at",
    )
    #: What a buyer may hide: the columns of the buyer summary (``buyer_summary``).
    summary_optional_columns = ("region", "industry_division", "size_class")
    summary_only = False

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        # A buyer's list (and its exports) holds the summary of each supplier, filtered and sorted by it.
        self.summary_only = sees_summary_only(request.user)

    def refine_queryset(self, queryset: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
        return queryset.select_related("region")

    def get_table_class(self) -> type[EnterpriseTable]:
        return BuyerEnterpriseTable if self.summary_only else EnterpriseTable

    def get_filterset_class(self) -> type[EnterpriseFilter]:
        return BuyerEnterpriseFilter if self.summary_only else EnterpriseFilter

    def _optional(self) -> tuple[str, ...]:
        return self.summary_optional_columns if self.summary_only else self.optional_columns

    def chosen_columns(self) -> list[str]:
        requested = self.request.GET.getlist("columns")
        return [c for c in requested if c in self._optional()] if requested else list(self._optional())

    def get_table_kwargs(self) -> dict[str, Any]:
        return {"exclude": [c for c in self._optional() if c not in self.chosen_columns()]}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.summary_only:
            context["optional_columns"] = [(name, self._column_label(name)) for name in self._optional()]
        return context


class EnterpriseDetailView(ScopedDetailView):
    model = Enterprise
    template_name = "enterprises/enterprise_detail.html"
    active_tab = "enterprises:detail"
    summary_only = False

    def refine_queryset(self, queryset: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
        return queryset.select_related("region__parent__parent")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_change"] = self.user_can(self.object, Action.CHANGE)
        context["can_manage"] = self.user_can(self.object, Action.MANAGE)
        # A buyer gets the summary of a consenting supplier (``buyer_summary``), on a page of its own; the other
        # tabs are internal (``history``): buyers get 404 there.
        self.summary_only = sees_summary_only(self.request.user, self.object)
        context["summary_only"] = self.summary_only
        if self.summary_only:
            context["participation"] = participation(self.object)
            context["dashboard_url"] = (
                reverse("indicators:dashboard") + "?" + urlencode({"scope": f"enterprise:{self.object.pk}"})
            )
        return context

    def get_template_names(self) -> list[str]:
        if self.summary_only:
            return ["enterprises/enterprise_summary.html"]
        return super().get_template_names()


class EnterpriseContactsView(EnterpriseDetailView):
    scope_action = Action.HISTORY
    template_name = "enterprises/enterprise_contacts.html"
    active_tab = "enterprises:contacts"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["contacts"] = ContactPerson.objects.visible_to(self.request.user).filter(enterprise=self.object)
        return context


class EnterpriseBuyersView(EnterpriseDetailView):
    scope_action = Action.HISTORY
    template_name = "enterprises/enterprise_buyers.html"
    active_tab = "enterprises:buyers"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["consents"] = (
            BuyerConsent.objects.visible_to(self.request.user)
            .filter(enterprise=self.object)
            .select_related("buyer", "granted_by", "revoked_by")
        )
        return context


class EnterpriseProvidersView(EnterpriseDetailView):
    """The training providers whose trainers work with this enterprise."""

    scope_action = Action.HISTORY
    template_name = "enterprises/enterprise_providers.html"
    active_tab = "enterprises:providers"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["assignments"] = self.object.provider_assignments.select_related("provider").order_by("created_at")
        return context


class ProviderAssignView(ScopedFormView):
    model = Enterprise
    scope_action = Action.MANAGE
    form_class = ProviderAssignmentForm
    title = _("Assign a training provider")
    success_message = _("The provider's trainers can now work with this enterprise.")

    def get_form_instance(self) -> None:
        return None

    def perform(self, form: BaseForm) -> Enterprise:
        assert isinstance(self.object, Enterprise)
        account_services.provider_assign(
            actor=self.request.user, provider=form.cleaned_data["provider"], enterprise=self.object
        )
        return self.object

    def get_success_url_for(self, saved: Any) -> str:
        return reverse("enterprises:providers", kwargs={"pk": saved.pk})


class ProviderUnassignView(ScopedActionView):
    model = Enterprise
    scope_action = Action.MANAGE
    success_message = _("The provider no longer works with this enterprise.")

    def perform(self, obj: Enterprise) -> str:
        try:
            assignment = obj.provider_assignments.get(pk=self.request.POST.get("assignment", ""))
        except (ProviderAssignment.DoesNotExist, ValueError) as exc:
            raise OutOfScope from exc
        account_services.provider_unassign(actor=self.request.user, assignment=assignment)
        return reverse("enterprises:providers", kwargs={"pk": obj.pk})


class EnterpriseHistoryView(EnterpriseDetailView):
    """The change log of the enterprise and of the records that hang off it (contacts, consents)."""

    scope_action = Action.HISTORY
    template_name = "enterprises/enterprise_history.html"
    active_tab = "enterprises:history"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        enterprise = self.object
        types = ContentType.objects.get_for_models(Enterprise, ContactPerson, BuyerConsent)
        contact_ids = [str(pk) for pk in enterprise.contacts.values_list("pk", flat=True)]
        consent_ids = [str(pk) for pk in enterprise.buyer_consents.values_list("pk", flat=True)]
        entries = (
            LogEntry.objects.filter(
                Q(content_type=types[Enterprise], object_pk=str(enterprise.pk))
                | Q(content_type=types[ContactPerson], object_pk__in=contact_ids)
                | Q(content_type=types[BuyerConsent], object_pk__in=consent_ids)
            )
            .select_related("actor", "content_type")
            .order_by("-timestamp")[:200]
        )
        context["entries"] = entries
        return context


class EnterpriseCreateView(ScopedFormView):
    model = Enterprise
    scope_action = Action.MANAGE
    form_class = EnterpriseForm
    title = _("New enterprise")
    success_message = _("The enterprise was added to the registry.")

    def perform(self, form: BaseForm) -> Enterprise:
        return services.enterprise_create(actor=self.request.user, data=form.cleaned_data)


class EnterpriseUpdateView(ScopedFormView):
    model = Enterprise
    scope_action = Action.CHANGE
    form_class = EnterpriseForm
    title = _("Edit enterprise")

    def perform(self, form: BaseForm) -> Enterprise:
        assert isinstance(self.object, Enterprise)
        # The ModelForm has already copied the cleaned data onto the instance; the service validates,
        # saves and re-checks the scope in one transaction.
        return services.enterprise_update(actor=self.request.user, enterprise=self.object, data={})


class EnterpriseArchiveView(ScopedActionView):
    model = Enterprise
    scope_action = Action.MANAGE
    success_message = _("The enterprise was archived.")

    def perform(self, obj: Enterprise) -> str:
        services.enterprise_archive(actor=self.request.user, enterprise=obj)
        return obj.get_absolute_url()


class EnterpriseRestoreView(ScopedActionView):
    model = Enterprise
    scope_action = Action.MANAGE
    success_message = _("The enterprise was restored from the archive.")

    def perform(self, obj: Enterprise) -> str:
        services.enterprise_restore(actor=self.request.user, enterprise=obj)
        return obj.get_absolute_url()


class ContactCreateView(ScopedFormView):
    """Add a contact person; the enterprise in the URL is the scoped object."""

    model = Enterprise
    scope_action = Action.CHANGE
    form_class = ContactPersonForm
    title = _("Add a contact person")

    def get_form_instance(self) -> ContactPerson:
        return ContactPerson(enterprise=self.object)  # type: ignore[misc]

    def perform(self, form: BaseForm) -> Enterprise:
        assert isinstance(self.object, Enterprise)
        services.contact_save(actor=self.request.user, enterprise=self.object, contact=form.instance)  # type: ignore[attr-defined]
        return self.object

    def get_success_url_for(self, saved: Any) -> str:
        from django.urls import reverse

        return reverse("enterprises:contacts", kwargs={"pk": saved.pk})


class ContactUpdateView(ScopedFormView):
    model = ContactPerson
    scope_action = Action.CHANGE
    form_class = ContactPersonForm
    title = _("Edit contact person")

    def perform(self, form: BaseForm) -> ContactPerson:
        assert isinstance(self.object, ContactPerson)
        return services.contact_save(actor=self.request.user, enterprise=self.object.enterprise, contact=self.object)

    def get_success_url_for(self, saved: Any) -> str:
        from django.urls import reverse

        return reverse("enterprises:contacts", kwargs={"pk": saved.enterprise_id})


class ContactDeleteView(ScopedActionView):
    model = ContactPerson
    scope_action = Action.CHANGE
    success_message = _("The contact person was removed.")

    def perform(self, obj: ContactPerson) -> str:
        from django.urls import reverse

        enterprise_id = obj.enterprise_id
        services.contact_delete(actor=self.request.user, contact=obj)
        return reverse("enterprises:contacts", kwargs={"pk": enterprise_id})


class ConsentGrantView(ScopedFormView):
    model = Enterprise
    scope_action = Action.CHANGE
    form_class = BuyerConsentForm
    title = _("Let a buyer follow this enterprise")
    success_message = _("The buyer can now see this enterprise's progress.")

    def perform(self, form: BaseForm) -> Enterprise:
        assert isinstance(self.object, Enterprise)
        services.consent_grant(actor=self.request.user, enterprise=self.object, buyer=form.cleaned_data["buyer"])
        return self.object

    def get_success_url_for(self, saved: Any) -> str:
        from django.urls import reverse

        return reverse("enterprises:buyers", kwargs={"pk": saved.pk})


class ConsentRevokeView(ScopedActionView):
    model = BuyerConsent
    scope_action = Action.CHANGE
    success_message = _("Consent revoked: the buyer no longer sees this enterprise.")

    def perform(self, obj: BuyerConsent) -> str:
        from django.urls import reverse

        if obj.revoked_at is not None:
            raise OutOfScope
        services.consent_revoke(actor=self.request.user, consent=obj)
        return reverse("enterprises:buyers", kwargs={"pk": obj.enterprise_id})
