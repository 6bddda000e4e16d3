from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Count, Prefetch, QuerySet
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods
from django.views.generic import ListView, TemplateView

from scorehub.core import ratelimit
from scorehub.core.scoping import Action, OutOfScope, get_visible_or_404, is_visible, scope_for
from scorehub.core.views import (
    ScopedActionView,
    ScopedDetailView,
    ScopedFormView,
    ScopedListView,
    ScopedViewMixin,
)
from scorehub.enterprises.models import Enterprise
from scorehub.indicators.base import Period

from . import services
from .filters import CaseStudyFilter, PosterFilter, ProjectFilter, SuggestionFilter
from .forms import (
    CaseStudyForm,
    JoinProjectForm,
    MeasurementForm,
    MergeForm,
    PosterForm,
    ProjectForm,
    ProjectPhotoForm,
    PublicSuggestionForm,
    ReturnCaseForm,
    SuggestionForm,
    TrackingLookupForm,
    TransitionForm,
    VerifySavingsForm,
)
from .models import (
    CaseStudy,
    CaseStudyStatus,
    ImprovementProject,
    Photo,
    PhotoKind,
    Poster,
    ProjectStatus,
    Suggestion,
    SuggestionStatus,
    normalise_tracking_code,
)
from .selectors import status_counts, suggestion_numbers
from .tables import CaseStudyTable, ProjectTable, SuggestionTable

#: Largest public submission accepted (bytes, photos included); checked before the body is read.
MAX_PUBLIC_REQUEST_BYTES: int = getattr(settings, "SCOREHUB_SUGGESTION_MAX_REQUEST_BYTES", 32 * 1024 * 1024)


def _safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return default


def public_submission_url(request: HttpRequest, poster: Poster) -> str:
    """The absolute link printed on the poster (``SCOREHUB_PUBLIC_URL`` overrides the host)."""
    base = getattr(settings, "SCOREHUB_PUBLIC_URL", "")
    if base:
        return base.rstrip("/") + poster.submission_path()
    return request.build_absolute_uri(poster.submission_path())


# --- The public pages (no account) ----------------------------------------------------------------------

#: Abuse control: ``(scope, limit, window in seconds)``, scope "ip" (per client address), "token" (per
#: poster, whatever the address) or "lookup" (tracking-code look-ups per address).  Generous for a real
#: workshop (many workers may share a factory's Wi-Fi), tight for a script; ``SCOREHUB_SUGGESTION_THROTTLE``
#: in the settings replaces the whole list.
PUBLIC_LIMITS: tuple[tuple[str, int, int], ...] = (
    ("ip", 10, 10 * 60),
    ("ip", 40, 24 * 3600),
    ("token", 60, 10 * 60),
    ("token", 600, 24 * 3600),
    ("lookup", 30, 10 * 60),
)


def _public_limits(request: HttpRequest, *, token: str | None = None, lookup: bool = False) -> ratelimit.Decision:
    """Count one request against the public pages' limits (``scorehub.core.ratelimit``)."""
    rates: dict[str, list[ratelimit.Rate]] = {}
    for scope, limit, window in getattr(settings, "SCOREHUB_SUGGESTION_THROTTLE", None) or PUBLIC_LIMITS:
        rates.setdefault(scope, []).append(ratelimit.Rate(int(limit), int(window)))
    address = ratelimit.client_ident(request)
    if lookup:
        return ratelimit.hit("suggestions-lookup", address, rates.get("lookup", []))
    decisions = [ratelimit.hit("suggestions-ip", address, rates.get("ip", []))]
    if token:
        decisions.append(ratelimit.hit("suggestions-token", token, rates.get("token", [])))
    return ratelimit.Decision.all_of(*decisions)


def _throttled(request: HttpRequest, decision: ratelimit.Decision, context: dict[str, Any]) -> HttpResponse:
    response = _public_render(request, "suggestions/public/throttled.html", context, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return response


def _public_language(request: HttpRequest) -> str:
    """Chinese unless the worker chose English on the page (``?lang=en``)."""
    return "en" if request.GET.get("lang") == "en" else "zh-hans"


def _public_render(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    lang = _public_language(request)
    with translation.override(lang):
        context = {**context, "lang": lang, "lang_query": "?lang=en" if lang == "en" else ""}
        response = render(request, template, context, status=status)
    response["Content-Language"] = lang
    response["Cache-Control"] = "no-store"
    # The token in the address must not reach other sites; "no-referrer" would make browsers send
    # "Origin: null" with the form, which the CSRF check refuses.
    response["Referrer-Policy"] = "same-origin"
    return response


@login_not_required
@csrf_exempt  # checked below, after the size and the throttle (so a huge body is never read)
@require_http_methods(["GET", "POST"])
def public_submit(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind the poster's QR code: shows only the enterprise's name (and workshop)."""
    poster = Poster.objects.select_related("enterprise").filter(token=token).first()
    if poster is None:
        return _public_render(request, "suggestions/public/unknown.html", {}, status=404)
    if not poster.is_active:
        return _public_render(request, "suggestions/public/revoked.html", {"poster": poster}, status=410)
    if request.method == "POST":
        decision = _public_limits(request, token=token)
        if not decision.allowed:
            return _throttled(request, decision, {"poster": poster})
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_PUBLIC_REQUEST_BYTES:
            return _public_render(
                request,
                "suggestions/public/too_large.html",
                {"poster": poster, "max_mb": MAX_PUBLIC_REQUEST_BYTES // (1024 * 1024)},
                status=413,
            )
    return _public_submit_checked(request, poster)


@csrf_protect
def _public_submit_checked(request: HttpRequest, poster: Poster) -> HttpResponse:
    lang = _public_language(request)
    with translation.override(lang):
        if request.method == "POST":
            form = PublicSuggestionForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    photos = services.clean_photos(form.cleaned_data["photos"])
                    suggestion, _created = services.suggestion_submit_public(
                        token=poster.token,
                        data=form.cleaned_data,
                        photos=photos,
                        idempotency_key=(
                            f"form:{form.cleaned_data['form_key']}" if form.cleaned_data["form_key"] else None
                        ),
                    )
                except OutOfScope:
                    return _public_render(request, "suggestions/public/revoked.html", {"poster": poster}, status=410)
                except ValidationError as exc:
                    form.add_error("photos" if "photo" in " ".join(exc.messages).lower() else None, exc)
                else:
                    target = reverse("suggestions:public-track", kwargs={"code": suggestion.tracking_code})
                    return HttpResponseRedirect(f"{target}?new=1{'&lang=en' if lang == 'en' else ''}")
        else:
            form = PublicSuggestionForm(initial={"form_key": uuid.uuid4().hex})
    return _public_render(request, "suggestions/public/submit.html", {"poster": poster, "form": form})


@login_not_required
@require_http_methods(["GET"])
def public_track_lookup(request: HttpRequest) -> HttpResponse:
    """Where a worker types their tracking code."""
    form = TrackingLookupForm(request.GET or None)
    if form.is_valid():
        code = normalise_tracking_code(form.cleaned_data["code"])
        target = reverse("suggestions:public-track", kwargs={"code": code or "-"})
        return HttpResponseRedirect(target + ("?lang=en" if _public_language(request) == "en" else ""))
    return _public_render(request, "suggestions/public/track_lookup.html", {"form": form})


@login_not_required
@require_http_methods(["GET"])
def public_track(request: HttpRequest, code: str) -> HttpResponse:
    """A suggestion's status by its tracking code: the status, and the reason if it was rejected. Nothing else."""
    decision = _public_limits(request, lookup=True)
    if not decision.allowed:
        return _throttled(request, decision, {})
    suggestion = (
        Suggestion.objects.select_related("duplicate_of").filter(tracking_code=normalise_tracking_code(code)).first()
    )
    if suggestion is None:
        return _public_render(
            request,
            "suggestions/public/track_lookup.html",
            {"form": TrackingLookupForm(), "not_found": True},
            status=404,
        )
    shown = (
        suggestion.duplicate_of
        if suggestion.status == SuggestionStatus.MERGED and suggestion.duplicate_of
        else suggestion
    )
    context = {
        "code": suggestion.display_code,
        "status": shown.status,
        "status_label": shown.get_status_display(),
        "merged": shown is not suggestion,
        "reason": shown.rejection_reason if shown.status == SuggestionStatus.REJECTED else "",
        "new": request.GET.get("new") == "1",
    }
    return _public_render(request, "suggestions/public/track.html", context)


# --- Photos: only through the scope ---------------------------------------------------------------------


def _image_response(field_file: Any) -> FileResponse:
    try:
        handle = field_file.open("rb")
    except (OSError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET"])
def photo_view(request: HttpRequest, pk: int) -> FileResponse:
    photo = get_visible_or_404(Photo, request.user, Action.VIEW, pk=pk)
    return _image_response(photo.image)


photo_view.model = Photo  # type: ignore[attr-defined]


@require_http_methods(["GET"])
def case_photo_view(request: HttpRequest, pk: int, which: str) -> FileResponse:
    case = get_visible_or_404(CaseStudy, request.user, Action.VIEW, pk=pk)
    image = case.before_image if which == "before" else case.after_image
    if not image:
        raise Http404
    return _image_response(image)


case_photo_view.model = CaseStudy  # type: ignore[attr-defined]


# --- The board ------------------------------------------------------------------------------------------

BOARD_COLUMNS = (
    SuggestionStatus.SUBMITTED,
    SuggestionStatus.UNDER_REVIEW,
    SuggestionStatus.ADOPTED,
    SuggestionStatus.IN_PROGRESS,
    SuggestionStatus.IMPLEMENTED,
    SuggestionStatus.REJECTED,
)
#: Cards shown per column; closed columns show the most recent ones.
BOARD_LIMIT = 40
#: Moves offered as one-tap buttons; the others need a form (reason, owner, evidence).
ONE_TAP = (SuggestionStatus.UNDER_REVIEW, SuggestionStatus.ADOPTED)


class SuggestionBoardView(ScopedViewMixin, TemplateView):
    """The improvement team's board: one column per status, a card per suggestion, moves by HTMX."""

    model = Suggestion
    template_name = "suggestions/board.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        queryset = self.get_queryset()
        suggestion_filter = SuggestionFilter(self.request.GET or None, queryset=queryset, request=self.request)
        filtered = suggestion_filter.qs.select_related("enterprise")
        counts = status_counts(filtered)
        operable = set(Enterprise.objects.visible_to(self.request.user, Action.OPERATE).values_list("pk", flat=True))
        columns = []
        for status in BOARD_COLUMNS:
            order = (
                "submitted_at"
                if status in (SuggestionStatus.SUBMITTED, SuggestionStatus.UNDER_REVIEW)
                else "-updated_at"
            )
            if status == SuggestionStatus.IN_PROGRESS:
                order = "due_date"
            cards = list(filtered.filter(status=status).order_by(order)[:BOARD_LIMIT])
            columns.append({"status": status, "label": status.label, "count": counts[status], "cards": cards})
        query = self.request.GET.copy()
        context.update(
            title=_("Improvement board"),
            columns=columns,
            filter=suggestion_filter,
            operable=operable,
            one_tap=ONE_TAP,
            board_url=f"{self.request.path}?{query.urlencode()}" if query else self.request.path,
            can_create=scope_for(self.request.user).can_anywhere(Action.OPERATE),
            limit=BOARD_LIMIT,
            show_enterprise=len({c.enterprise_id for col in columns for c in col["cards"]}) > 1,  # type: ignore[attr-defined]
        )
        return context


class SuggestionListView(ScopedListView):
    model = Suggestion
    table_class = SuggestionTable
    filterset_class = SuggestionFilter
    title = _("Suggestions")
    create_url_name = "suggestions:create"
    create_action = Action.OPERATE
    extra_actions = (
        (_("Board"), "suggestions:board", Action.VIEW),
        (_("Import"), "suggestions:import", Action.OPERATE),
    )
    optional_columns = ("enterprise", "workshop", "category", "status", "submitted_at", "owner_name", "due_date")

    def refine_queryset(self, queryset: QuerySet[Suggestion]) -> QuerySet[Suggestion]:
        return queryset.select_related("enterprise")


class SuggestionDetailView(ScopedDetailView):
    model = Suggestion
    template_name = "suggestions/suggestion_detail.html"

    def refine_queryset(self, queryset: QuerySet[Suggestion]) -> QuerySet[Suggestion]:
        return queryset.select_related("enterprise", "project", "duplicate_of", "linked_type", "created_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        suggestion: Suggestion = self.object
        can_operate = self.user_can(suggestion, Action.OPERATE)
        linked = None
        if suggestion.linked_type_id and suggestion.linked_id:
            try:
                record = suggestion.linked_record
            except ObjectDoesNotExist:
                record = None
            if record is not None and (
                getattr(type(record), "scope_policy", None) is None or is_visible(record, self.request.user)
            ):
                linked = record
        from .hooks import follow_ups_for

        context.update(
            can_operate=can_operate,
            events=suggestion.events.select_related("actor"),
            photos=suggestion.photos.all(),
            duplicates=suggestion.duplicates.all(),
            next_moves=[(s, SuggestionStatus(s).label, s in ONE_TAP) for s in suggestion.next_statuses()]
            if can_operate
            else [],
            merge_form=MergeForm(suggestion=suggestion, user=self.request.user) if can_operate else None,
            join_form=JoinProjectForm(suggestion=suggestion, user=self.request.user) if can_operate else None,
            can_merge=can_operate and suggestion.status in (SuggestionStatus.SUBMITTED, SuggestionStatus.UNDER_REVIEW),
            linked=linked,
            follow_ups=follow_ups_for(self.request, suggestion) if can_operate else [],
        )
        return context


class SuggestionCreateView(ScopedFormView):
    model = Suggestion
    scope_action = Action.OPERATE
    form_class = SuggestionForm
    title = _("Enter a suggestion")
    success_message = _("The suggestion was entered. Its tracking code is on the page.")

    def perform(self, form: BaseForm) -> Suggestion:
        data = form.cleaned_data
        photos = services.clean_photos(data["photos"])
        submitted_at = None
        if data.get("submitted_on") and data["submitted_on"] != timezone.localdate():
            submitted_at = timezone.make_aware(dt.datetime.combine(data["submitted_on"], dt.time(hour=9)))
        suggestion, _created = services.suggestion_create(
            actor=self.request.user, enterprise=data["enterprise"], data=data, photos=photos, submitted_at=submitted_at
        )
        return suggestion


class SuggestionTransitionView(ScopedFormView):
    """Move a suggestion: ``?to=<status>``.  One-tap moves come straight from the board (HTMX or plain POST)."""

    model = Suggestion
    scope_action = Action.OPERATE
    form_class = TransitionForm
    success_message = _("The suggestion was moved.")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.GET.get("to"):
            return HttpResponseRedirect(self.object.get_absolute_url())  # type: ignore[union-attr]
        return super().get(request, *args, **kwargs)

    def target(self) -> str:
        to = self.request.POST.get("to") or self.request.GET.get("to") or ""
        assert isinstance(self.object, Suggestion)
        if to not in self.object.next_statuses():
            raise OutOfScope
        return to

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        kwargs["to"] = self.target()
        kwargs["suggestion"] = self.object
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        assert isinstance(self.object, Suggestion)
        context["title"] = _("%(code)s: move to “%(status)s”") % {
            "code": self.object.display_code,
            "status": SuggestionStatus(self.target()).label,
        }
        return context

    def perform(self, form: BaseForm) -> Suggestion:
        assert isinstance(self.object, Suggestion)
        data = form.cleaned_data
        return services.suggestion_transition(
            actor=self.request.user,
            suggestion=self.object,
            to=data["to"],
            reason=data.get("reason", ""),
            owner_name=data.get("owner_name", ""),
            due_date=data.get("due_date"),
            note=data.get("note", ""),
            photos=services.clean_photos(data.get("photos") or []),
        )

    def form_invalid(self, form: BaseForm) -> HttpResponse:
        if getattr(self.request, "htmx", False) and "next" in self.request.POST:
            # From the board: the move needs more than a tap; say so and keep the board.
            for error in form.non_field_errors():
                messages.error(self.request, str(error))
            if form.errors and not form.non_field_errors():
                messages.error(self.request, _("This move needs more information: open the suggestion."))
            return HttpResponseRedirect(_safe_next(self.request, self.object.get_absolute_url()))  # type: ignore[union-attr]
        return super().form_invalid(form)

    def get_success_url_for(self, saved: Any) -> str:
        return _safe_next(self.request, saved.get_absolute_url())


class SuggestionMergeView(ScopedFormView):
    model = Suggestion
    scope_action = Action.OPERATE
    form_class = MergeForm
    title = _("Merge a duplicate")
    success_message = _("Merged: the worker now follows the original suggestion.")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["suggestion"] = self.object
        return kwargs

    def perform(self, form: BaseForm) -> Suggestion:
        assert isinstance(self.object, Suggestion)
        return services.suggestion_merge(actor=self.request.user, duplicate=self.object, into=form.cleaned_data["into"])


class SuggestionJoinProjectView(ScopedFormView):
    model = Suggestion
    scope_action = Action.OPERATE
    form_class = JoinProjectForm
    title = _("Add to an improvement project")
    success_message = _("The suggestion joined the project.")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["suggestion"] = self.object
        return kwargs

    def perform(self, form: BaseForm) -> Suggestion:
        assert isinstance(self.object, Suggestion)
        return services.suggestion_join_project(
            actor=self.request.user, suggestion=self.object, project=form.cleaned_data["project"]
        )


# --- Improvement projects -------------------------------------------------------------------------------


class ProjectListView(ScopedListView):
    model = ImprovementProject
    table_class = ProjectTable
    filterset_class = ProjectFilter
    title = _("Improvement projects")
    create_url_name = "suggestions:project-create"
    create_action = Action.OPERATE
    optional_columns = ("enterprise", "module", "status", "started_on", "cost", "expected_savings", "verified_savings")

    def refine_queryset(self, queryset: QuerySet[ImprovementProject]) -> QuerySet[ImprovementProject]:
        return queryset.select_related("enterprise")


class ProjectDetailView(ScopedDetailView):
    model = ImprovementProject
    template_name = "suggestions/project_detail.html"

    def refine_queryset(self, queryset: QuerySet[ImprovementProject]) -> QuerySet[ImprovementProject]:
        return queryset.select_related("enterprise", "verified_by", "created_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        project: ImprovementProject = self.object
        photos = list(project.photos.all())
        context.update(
            can_operate=self.user_can(project, Action.OPERATE),
            can_verify=project.status == ProjectStatus.COMPLETED and self.user_can(project, Action.COACH),
            can_propose=project.status == ProjectStatus.COMPLETED
            and (self.user_can(project, Action.OPERATE) or self.user_can(project, Action.COACH)),
            measurements=project.measurements.all(),
            before_photos=[p for p in photos if p.kind == PhotoKind.BEFORE],
            after_photos=[p for p in photos if p.kind == PhotoKind.AFTER],
            suggestions=Suggestion.objects.visible_to(self.request.user).filter(project=project),
            cases=CaseStudy.objects.visible_to(self.request.user).filter(project=project),
        )
        return context


class ProjectCreateView(ScopedFormView):
    """A new project; ``?suggestion=<pk>`` makes it from a suggestion, which joins it."""

    model = ImprovementProject
    scope_action = Action.OPERATE
    form_class = ProjectForm
    title = _("New improvement project")
    success_message = _("The project was created.")

    def source_suggestion(self) -> Suggestion | None:
        pk = self.request.POST.get("suggestion") or self.request.GET.get("suggestion")
        if not pk:
            return None
        return get_visible_or_404(Suggestion, self.request.user, Action.OPERATE, pk=pk)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["suggestion"] = self.source_suggestion()
        return kwargs

    def perform(self, form: BaseForm) -> ImprovementProject:
        data = dict(form.cleaned_data)
        enterprise = data.pop("enterprise")
        suggestion = self.source_suggestion()
        return services.project_create(
            actor=self.request.user, enterprise=enterprise, data=data, suggestions=[suggestion] if suggestion else []
        )


class ProjectUpdateView(ScopedFormView):
    model = ImprovementProject
    scope_action = Action.OPERATE
    form_class = ProjectForm
    title = _("Edit improvement project")

    def perform(self, form: BaseForm) -> ImprovementProject:
        assert isinstance(self.object, ImprovementProject)
        return services.project_update(actor=self.request.user, project=self.object)


class MeasurementAddView(ScopedFormView):
    model = ImprovementProject
    scope_action = Action.OPERATE
    form_class = MeasurementForm
    title = _("Add a measurement")

    def get_form_instance(self) -> None:
        return None

    def perform(self, form: BaseForm) -> ImprovementProject:
        assert isinstance(self.object, ImprovementProject)
        services.project_add_measurement(actor=self.request.user, project=self.object, data=form.cleaned_data)
        return self.object


class ProjectPhotoAddView(ScopedFormView):
    model = ImprovementProject
    scope_action = Action.OPERATE
    form_class = ProjectPhotoForm
    title = _("Add a before or after photo")

    def perform(self, form: BaseForm) -> ImprovementProject:
        assert isinstance(self.object, ImprovementProject)
        data = form.cleaned_data
        photo = services.clean_photos([data["photo"]], limit=1)[0]
        services.project_add_photo(
            actor=self.request.user, project=self.object, photo=photo, kind=data["kind"], caption=data["caption"]
        )
        return self.object


class VerifySavingsView(ScopedFormView):
    """A trainer confirms the savings of a completed project."""

    model = ImprovementProject
    scope_action = Action.COACH
    form_class = VerifySavingsForm
    title = _("Verify the savings")
    success_message = _("The savings are recorded as verified.")

    def perform(self, form: BaseForm) -> ImprovementProject:
        assert isinstance(self.object, ImprovementProject)
        return services.project_verify_savings(
            actor=self.request.user,
            project=self.object,
            amount=form.cleaned_data["amount"],
            note=form.cleaned_data["note"],
        )


# --- The good-practice library --------------------------------------------------------------------------


class CaseStudyProposeView(ScopedFormView):
    """Propose a completed project (the URL's record) for the library."""

    model = ImprovementProject
    #: Proposing is for the enterprise's team (``operate``) and its trainers (``coach``): either will do.
    #: Everyone else, officials included, gets the same answer as for a project that does not exist.
    scope_actions: ClassVar[tuple[str, ...]] = (Action.OPERATE, Action.COACH)
    form_class = CaseStudyForm
    title = _("Propose a case study")
    success_message = _("The case study was proposed; the programme office will review it.")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scope = scope_for(request.user)
        held = [action for action in self.scope_actions if scope.can_anywhere(action)]
        if not held:
            raise OutOfScope
        # An instance attribute: this request's action for the base class's checks, the first one held.
        setattr(self, "scope_action", held[0])  # noqa: B010
        return super().dispatch(request, *args, **kwargs)

    def get_object_or_none(self) -> Any:
        pk = self.kwargs["pk"]
        for action in self.scope_actions:
            project = ImprovementProject.objects.visible_to(self.request.user, action).filter(pk=pk).first()
            if project is not None:
                return project
        raise OutOfScope

    def get_form_instance(self) -> None:
        return None

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["project"] = self.object
        return kwargs

    def perform(self, form: BaseForm) -> CaseStudy:
        assert isinstance(self.object, ImprovementProject)
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("before_photo", "after_photo")}
        return services.case_study_propose(
            actor=self.request.user,
            project=self.object,
            data=data,
            before_photo=form.cleaned_data.get("before_photo"),
            after_photo=form.cleaned_data.get("after_photo"),
        )


class CaseStudyEditView(ScopedFormView):
    """Correct a proposed or returned case study; it goes back to the programme office for approval."""

    model = CaseStudy
    scope_action = Action.OPERATE
    form_class = CaseStudyForm
    title = _("Edit the case study")
    success_message = _("The case study was sent to the programme office again.")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._approved_redirect() or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self._approved_redirect() or super().post(request, *args, **kwargs)

    def _approved_redirect(self) -> HttpResponse | None:
        """An approved case study is in the library as approved: back to it, with a word why."""
        assert isinstance(self.object, CaseStudy)
        if self.object.status != CaseStudyStatus.APPROVED:
            return None
        messages.info(self.request, _("This case study is approved and in the library; it can no longer be edited."))
        return HttpResponseRedirect(self.object.get_absolute_url())

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["project"] = self.object.project  # type: ignore[union-attr]
        return kwargs

    def perform(self, form: BaseForm) -> CaseStudy:
        assert isinstance(self.object, CaseStudy)
        return services.case_study_update(
            actor=self.request.user,
            case=self.object,
            before_photo=form.cleaned_data.get("before_photo"),
            after_photo=form.cleaned_data.get("after_photo"),
        )


class CaseStudyListView(ScopedListView):
    model = CaseStudy
    table_class = CaseStudyTable
    filterset_class = CaseStudyFilter
    title = _("Good-practice library")


class CaseStudyDetailView(ScopedDetailView):
    model = CaseStudy
    template_name = "suggestions/case_detail.html"

    def refine_queryset(self, queryset: QuerySet[CaseStudy]) -> QuerySet[CaseStudy]:
        return queryset.select_related("enterprise__region")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        case: CaseStudy = self.object
        context.update(
            can_edit=case.status != CaseStudyStatus.APPROVED and self.user_can(case, Action.OPERATE),
            can_approve=case.status != CaseStudyStatus.APPROVED and self.user_can(case, Action.MANAGE),
            can_return=self.user_can(case, Action.MANAGE),
            return_form=ReturnCaseForm(),
            can_see_project=is_visible(case.project, self.request.user),
        )
        return context


@require_http_methods(["GET"])
def case_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable case study (A4 PDF)."""
    case = get_visible_or_404(CaseStudy, request.user, Action.VIEW, pk=pk)
    from .pdf import case_study_pdf

    response = HttpResponse(case_study_pdf(case), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="case-study-{case.pk}.pdf"'
    return response


case_pdf.model = CaseStudy  # type: ignore[attr-defined]


class CaseStudyApproveView(ScopedActionView):
    model = CaseStudy
    scope_action = Action.MANAGE
    success_message = _("Approved: the case study is now in the library.")

    def perform(self, obj: CaseStudy) -> str:
        services.case_study_approve(actor=self.request.user, case=obj)
        return obj.get_absolute_url()


class CaseStudyReturnView(ScopedFormView):
    model = CaseStudy
    scope_action = Action.MANAGE
    form_class = ReturnCaseForm
    title = _("Return the case study for changes")
    success_message = _("The case study was returned with your note.")

    def perform(self, form: BaseForm) -> CaseStudy:
        assert isinstance(self.object, CaseStudy)
        return services.case_study_return(actor=self.request.user, case=self.object, note=form.cleaned_data["note"])


# --- Posters --------------------------------------------------------------------------------------------


class PosterListView(ScopedViewMixin, ListView):  # type: ignore[type-arg]
    """The posters (QR links) of the enterprises the user operates.  Their tokens are shown to nobody else."""

    model = Poster
    scope_action = Action.OPERATE
    template_name = "suggestions/poster_list.html"
    paginate_by = 50

    def refine_queryset(self, queryset: QuerySet[Poster]) -> QuerySet[Poster]:
        self.filterset = PosterFilter(self.request.GET or None, queryset=queryset, request=self.request)
        return (
            self.filterset.qs.select_related("enterprise")
            .annotate(suggestion_count=Count("suggestions"))
            .order_by("enterprise__name_zh", "workshop", "-created_at")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        for poster in context["object_list"]:
            poster.public_link = public_submission_url(self.request, poster)
        context.update(
            title=_("Suggestion posters"),
            filter=self.filterset,
            can_create=scope_for(self.request.user).can_anywhere(Action.OPERATE),
        )
        return context


class PosterCreateView(ScopedFormView):
    model = Poster
    scope_action = Action.OPERATE
    form_class = PosterForm
    title = _("New suggestion poster")
    success_message = _("The poster is ready: print it and put it up where workers pass.")

    def perform(self, form: BaseForm) -> Poster:
        return services.poster_create(
            actor=self.request.user, enterprise=form.cleaned_data["enterprise"], workshop=form.cleaned_data["workshop"]
        )


class PosterRevokeView(ScopedActionView):
    model = Poster
    scope_action = Action.OPERATE
    success_message = _("The poster's link no longer works. Print a new poster to replace it.")

    def perform(self, obj: Poster) -> str:
        services.poster_revoke(actor=self.request.user, poster=obj)
        return reverse("suggestions:poster-list")


@require_http_methods(["GET"])
def poster_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable A4 poster: bilingual, a big QR code to the submission page, short instructions."""
    poster = get_visible_or_404(Poster, request.user, Action.OPERATE, pk=pk, revoked_at__isnull=True)
    from .pdf import poster_pdf as render_poster

    response = HttpResponse(
        render_poster(poster, public_submission_url(request, poster)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="suggestion-poster-{poster.pk}.pdf"'
    return response


poster_pdf.model = Poster  # type: ignore[attr-defined]
# The poster carries the link (its token): only the enterprise's own people print it, as on the poster list.
poster_pdf.scope_action = Action.OPERATE  # type: ignore[attr-defined]


# --- Tabs on the enterprise page, numbers ---------------------------------------------------------------


def _default_period() -> Period:
    today = timezone.localdate()
    return Period(today.replace(month=1, day=1), today)


def _period_from(request: HttpRequest) -> Period:
    try:
        start = dt.date.fromisoformat(request.GET.get("start", ""))
        end = dt.date.fromisoformat(request.GET.get("end", ""))
        return Period(start, end)
    except ValueError:
        return _default_period()


class EnterpriseSuggestionsView(ScopedDetailView):
    """The "Suggestions" tab of an enterprise: its numbers, the latest suggestions, its posters."""

    model = Enterprise
    scope_action = Action.HISTORY
    template_name = "suggestions/enterprise_suggestions.html"
    active_tab = "suggestions:enterprise-suggestions"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        enterprise: Enterprise = self.object
        period = _period_from(self.request)
        suggestions = Suggestion.objects.visible_to(self.request.user).filter(enterprise=enterprise)
        context.update(
            period=period,
            numbers=suggestion_numbers(enterprises=Enterprise.objects.filter(pk=enterprise.pk), period=period),
            counts=status_counts(suggestions),
            latest=suggestions.order_by("-submitted_at")[:10],
            overdue=suggestions.overdue().count(),  # type: ignore[attr-defined]
            can_operate=self.user_can(enterprise, Action.OPERATE),
        )
        return context


class EnterpriseProjectsView(ScopedDetailView):
    model = Enterprise
    scope_action = Action.HISTORY
    template_name = "suggestions/enterprise_projects.html"
    active_tab = "suggestions:enterprise-projects"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        projects = (
            ImprovementProject.objects.visible_to(self.request.user)
            .filter(enterprise=self.object)
            .prefetch_related(Prefetch("suggestions", queryset=Suggestion.objects.only("pk", "project_id")))
        )
        context.update(projects=projects, can_operate=self.user_can(self.object, Action.OPERATE))
        return context


class NumbersView(ScopedViewMixin, TemplateView):
    """The suggestion scheme's numbers for everything the user sees, for a chosen period."""

    model = Enterprise
    template_name = "suggestions/numbers.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        period = _period_from(self.request)
        enterprises = self.get_queryset()
        context.update(
            title=_("Suggestion numbers"),
            period=period,
            numbers=suggestion_numbers(enterprises=enterprises, period=period),
            enterprise_count=enterprises.count(),
        )
        return context
