from __future__ import annotations

from django import forms


class BootstrapFormMixin:
    """Gives every widget its Bootstrap class and ties help and error text to the field for screen readers."""

    fields: dict[str, forms.Field]

    def apply_bootstrap(self) -> None:
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
            described = []
            if field.help_text:
                described.append(f"id_{name}_helptext")
            if described:
                widget.attrs["aria-describedby"] = " ".join(described)

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in getattr(self, "errors", {}):
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["aria-describedby"] = f"{widget.attrs.get('aria-describedby', '')} id_{name}_error".strip()


def style_filter_form(form: forms.Form) -> None:
    """Compact Bootstrap classes for the widgets of a list page's filter form."""
    for field in form.fields.values():
        widget = field.widget
        css = "form-select form-select-sm" if isinstance(widget, forms.Select) else "form-control form-control-sm"
        widget.attrs.setdefault("class", css)
