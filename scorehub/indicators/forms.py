from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from scorehub.core.forms import BootstrapFormMixin
from scorehub.enterprises.models import Enterprise

from .catalogue import module_choices
from .models import Assessment, Kpi, Practice, ReportFormat
from .services import recordable_enterprises

#: Above this many enterprises a select box is no help: the form asks for the credit code instead.
SELECT_LIMIT = 300


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m")


class MonthField(forms.DateField):
    """A calendar month (``2024-03``), cleaned to its first day."""

    widget = MonthInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m", "%Y-%m-%d", "%Y/%m"])
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.date | None:
        day = super().to_python(value)
        return day.replace(day=1) if day else None


class EnterpriseField(forms.Field):
    """An enterprise the user may record for: a select, or a credit code when they reach very many."""

    def __init__(self, *, queryset: Any, **kwargs: Any) -> None:
        self.queryset = queryset
        self.use_select = queryset.count() <= SELECT_LIMIT
        if self.use_select:
            choices = [("", "---------")] + [
                (e.pk, f"{e.name} · {e.credit_code}") for e in queryset.order_by("name_zh")
            ]
            kwargs["widget"] = forms.Select(choices=choices)
        else:
            kwargs["widget"] = forms.TextInput(attrs={"placeholder": _("unified social credit code")})
            kwargs.setdefault("help_text", _("The enterprise's 18-character unified social credit code."))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Enterprise):
            return value.pk if self.use_select else value.credit_code
        return value

    def clean(self, value: Any) -> Enterprise:
        value = super().clean(value)
        text = str(value or "").strip()
        lookup = {"pk": text} if self.use_select and text.isdigit() else {"credit_code": text.upper()}
        enterprise = self.queryset.filter(**lookup).first()
        if enterprise is None:
            raise forms.ValidationError(_("Choose an enterprise you record KPIs for."))
        return enterprise  # type: ignore[no-any-return]


def kpi_field_name(kpi: Kpi) -> str:
    return f"kpi_{kpi.code}"


class KpiRecordForm(BootstrapFormMixin, forms.Form):
    month = MonthField(label=_("Month"))
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(
        self, *args: Any, user: Any, instance: Any = None, enterprise: Enterprise | None = None, **kwargs: Any
    ):
        self.instance = instance
        self.kpis = list(Kpi.objects.filter(is_active=True).order_by("order", "code"))
        initial = kwargs.setdefault("initial", {})
        if instance is not None:
            initial.update(month=instance.month, note=instance.note, enterprise=instance.enterprise)
            for value in instance.values.all():
                initial[f"kpi_{value.kpi.code}"] = value.value.normalize()
        elif enterprise is not None:
            initial["enterprise"] = enterprise
        super().__init__(*args, **kwargs)
        self.fields = {
            "enterprise": EnterpriseField(label=_("Enterprise"), queryset=recordable_enterprises(user)),
            **self.fields,
        }
        for kpi in self.kpis:
            self.fields[kpi_field_name(kpi)] = forms.DecimalField(
                label=f"{kpi.name} ({kpi.unit})",
                required=False,
                min_value=Decimal(0),
                max_digits=16,
                decimal_places=4,
                help_text=kpi.description,
            )
        self.apply_bootstrap()

    def kpi_values(self) -> dict[Kpi, Decimal | None]:
        return {kpi: self.cleaned_data.get(kpi_field_name(kpi)) for kpi in self.kpis}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.kpis and all(cleaned.get(kpi_field_name(k)) is None for k in self.kpis):
            raise forms.ValidationError(_("Enter at least one KPI value."))
        return cleaned


ANSWER_CHOICES = [("", _("not assessed")), ("yes", _("yes")), ("no", _("no"))]


class AssessmentForm(BootstrapFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    kpi_from = MonthField(label=_("KPI period from (month)"))
    kpi_to = MonthField(label=_("KPI period to (month)"))

    class Meta:
        model = Assessment
        fields = ["module", "stage", "assessed_on", "kpi_from", "kpi_to", "note"]
        widgets = {"assessed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, user: Any, enterprise: Enterprise | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance
        self.fields = {
            "enterprise": EnterpriseField(label=_("Enterprise"), queryset=recordable_enterprises(user)),
            **self.fields,
        }
        if instance.pk:
            self.initial["enterprise"] = instance.enterprise
        elif enterprise is not None:
            self.initial["enterprise"] = enterprise
        modules = list(Practice.objects.filter(is_active=True).values_list("module", flat=True).distinct())
        self.fields["module"] = forms.ChoiceField(label=_("Module"), choices=module_choices(sorted(set(modules))))
        self.fields["stage"].help_text = _(
            "The baseline is taken at intake; the follow-up at close-out. The change in each KPI compares the "
            "average of the follow-up months with that of the baseline months."
        )
        self.fields["kpi_from"].help_text = _("The first month whose KPI record belongs to this stage.")
        self.practices = list(Practice.objects.filter(is_active=True).order_by("order", "code"))
        existing = {a.practice_id: a.in_place for a in instance.answers.all()} if instance.pk else {}
        for practice in self.practices:
            name = f"practice_{practice.code}"
            self.fields[name] = forms.ChoiceField(
                label=f"{practice.module} · {practice.text}",
                choices=ANSWER_CHOICES,
                required=False,
                widget=forms.RadioSelect,
            )
            if practice.pk in existing:
                self.initial[name] = "yes" if existing[practice.pk] else "no"
        self.apply_bootstrap()
        for practice in self.practices:
            self.fields[f"practice_{practice.code}"].widget.attrs["class"] = "form-check-input"

    def practice_fields(self) -> list[Any]:
        return [self[f"practice_{p.code}"] for p in self.practices]

    def other_fields(self) -> list[Any]:
        names = {f"practice_{p.code}" for p in self.practices}
        return [f for f in self.visible_fields() if f.name not in names]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("enterprise") is not None:
            # Set before the model's own validation (uniqueness per enterprise, module and stage).
            self.instance.enterprise = cleaned["enterprise"]
        module = cleaned.get("module")
        for practice in self.practices:
            answer = cleaned.get(f"practice_{practice.code}")
            if answer and practice.module != module:
                self.add_error(
                    f"practice_{practice.code}",
                    _("This practice belongs to module %(module)s; leave it unassessed here.")
                    % {"module": practice.module},
                )
        return cleaned

    def answers(self) -> dict[Practice, bool | None]:
        result: dict[Practice, bool | None] = {}
        for practice in self.practices:
            answer = self.cleaned_data.get(f"practice_{practice.code}")
            result[practice] = None if not answer else answer == "yes"
        return result


class KpiForm(BootstrapFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Kpi
        fields = [
            "code",
            "name_zh",
            "name_en",
            "unit_zh",
            "unit_en",
            "better",
            "description_zh",
            "description_en",
            "order",
            "is_active",
        ]
        widgets = {
            "description_zh": forms.Textarea(attrs={"rows": 2}),
            "description_en": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Codes are used by imports, the API and exports: they do not change once used.
            self.fields["code"].disabled = True
        self.apply_bootstrap()


class PracticeForm(BootstrapFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Practice
        fields = ["code", "module", "text_zh", "text_en", "order", "is_active"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
        self.apply_bootstrap()


class KpiImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet"),
        help_text=_("Excel (.xlsx) or CSV (UTF-8 or GB18030), one row per enterprise and month."),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.csv"
        self.apply_bootstrap()

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = getattr(settings, "SCOREHUB_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
        if upload.size > limit:
            raise forms.ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)})
        return upload


class ReportForm(forms.Form):
    scope = forms.CharField(max_length=60, required=False, widget=forms.HiddenInput)
    period = forms.CharField(max_length=30, required=False, widget=forms.HiddenInput)
    format = forms.ChoiceField(choices=ReportFormat.choices)
