"""Small shared types."""

from __future__ import annotations

import enum
from typing import Final, Literal


class _Unset(enum.Enum):
    """Marks an argument the caller did not give (distinct from None, which means "empty")."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> Literal[False]:
        return False


UNSET: Final = _Unset.UNSET
Unset = Literal[_Unset.UNSET]
