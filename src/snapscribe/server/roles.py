"""What each API-key role may do; the one place the server's permissions are decided.

========  =====================================  ==========================================
role      sees                                   may
========  =====================================  ==========================================
uploader  only images it uploaded (list, record,  upload
          thumbnail, audit trail, search)
reviewer  every image, the review queue          upload; approve/reject review items
                                                 (never its own uploads)
admin     every image, the review queue          as reviewer
========  =====================================  ==========================================

Refusals are ``403 {"error": {"code": "forbidden", ...}}``; an image an uploader does not own
answers 404, as if it did not exist (its id is a content hash: a 403 would confirm that someone
uploaded that picture).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

from .errors import ApiError

if TYPE_CHECKING:
    from .auth import Principal

Role = Literal["uploader", "reviewer", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
REVIEWERS: frozenset[str] = frozenset({"reviewer", "admin"})


def sees_all(who: Principal) -> bool:
    """True when the key reads every image; uploaders read only their own."""
    return who.role in REVIEWERS


def require_reviewer(who: Principal, action: str = "review images") -> None:
    if who.role not in REVIEWERS:
        raise ApiError(
            403, "forbidden", f"key {who.name!r} has role {who.role!r}: only reviewer or admin keys may {action}"
        )


def forbid_own_upload(who: Principal, owners: set[str], image_id: str) -> None:
    if who.name in owners:
        raise ApiError(
            403,
            "forbidden",
            f"key {who.name!r} uploaded image {image_id}: an upload is never reviewed by its uploader",
            image_id=image_id,
        )
