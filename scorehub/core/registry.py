"""Extension points through which each app plugs into the shared shell.

Apps register in their ``AppConfig.ready``:

* navigation entries (the top menu),
* tabs on another app's detail page (e.g. "Suggestions" on the enterprise page),
* "needs attention" providers for the home page,

so that adding a capability never means editing the core templates.  Demo data comes from each app's
``demo.py`` module (see ``scorehub.core.demo``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.urls import reverse

from .scoping import scope_for

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    icon: str = "circle"
    #: Shown only to users who hold this action somewhere; None shows it to every signed-in user.
    action: str | None = "view"
    order: int = 100

    def url(self) -> str:
        return reverse(self.url_name)


@dataclass(frozen=True)
class Tab:
    """A tab on a detail page.  ``url_name`` takes the host object's ``pk``."""

    label: str | Promise
    url_name: str
    action: str = "view"
    order: int = 100
    #: Optional filter: given the host object, whether the tab applies to it.
    applies: Callable[[Any], bool] | None = None


@dataclass(frozen=True)
class AttentionItem:
    label: str | Promise
    count: int
    url: str
    level: str = "warning"  # Bootstrap contextual class


AttentionProvider = Callable[["HttpRequest"], list[AttentionItem]]


@dataclass
class Registry:
    nav: list[NavItem] = field(default_factory=list)
    tabs: dict[str, list[Tab]] = field(default_factory=dict)
    attention: list[AttentionProvider] = field(default_factory=list)

    def add_nav(self, item: NavItem) -> None:
        if item not in self.nav:
            self.nav.append(item)
            self.nav.sort(key=lambda i: i.order)

    def add_tab(self, model_label: str, tab: Tab) -> None:
        tabs = self.tabs.setdefault(model_label, [])
        if tab not in tabs:
            tabs.append(tab)
            tabs.sort(key=lambda t: t.order)

    def add_attention(self, provider: AttentionProvider) -> None:
        if provider not in self.attention:
            self.attention.append(provider)

    def nav_for(self, request: HttpRequest) -> list[NavItem]:
        scope = scope_for(request.user)
        return [item for item in self.nav if item.action is None or scope.can_anywhere(item.action)]

    def tabs_for(self, request: HttpRequest, obj: Any) -> list[tuple[Tab, str]]:
        from .scoping import is_visible

        label = obj._meta.label_lower
        result = []
        for tab in self.tabs.get(label, []):
            if tab.applies is not None and not tab.applies(obj):
                continue
            if tab.action != "view" and not is_visible(obj, request.user, tab.action):
                continue
            result.append((tab, reverse(tab.url_name, kwargs={"pk": obj.pk})))
        return result

    def attention_for(self, request: HttpRequest) -> list[AttentionItem]:
        items: list[AttentionItem] = []
        for provider in self.attention:
            items.extend(i for i in provider(request) if i.count)
        return items


registry = Registry()
