"""URL kwargs other than ``pk`` for the authorization test, and the public views (see docs/developing.md)."""

from __future__ import annotations

from collections.abc import Callable


def _notice_board_token() -> str:
    from scorehub.enterprises.models import Enterprise
    from scorehub.safety.models import NoticeBoard
    from scorehub.safety.services import notice_board_for

    board = NoticeBoard.objects.filter(enterprise__region_id="330503").order_by("pk").first()
    if board is None:
        board = notice_board_for(Enterprise.objects.filter(region_id="330503").order_by("pk").first())
    return board.token


SAMPLES: dict[str, Callable[[], object]] = {
    # Keyed by URL name: "token" alone is also the suggestion poster's kwarg.
    "safety:notice-board-public": lambda: {"token": _notice_board_token()},
}

PUBLIC_URL_NAMES: dict[str, str] = {
    "safety:notice-board-public": (
        "Workers' hidden-hazard notice board (Work Safety Law art. 41) behind the enterprise's QR poster; "
        "unguessable per-enterprise token, lists hazards and their status without any personal data."
    ),
}
