"""The attribute actions of records (DynamoDB items).

``Action`` is a ``str`` enum: every member *is* its name as a string, so
``Action.SIGN_ONLY == "SIGN_ONLY"`` and either form is accepted wherever an
action is.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING


class Action(str, enum.Enum):
    """What :func:`mrkenv.encrypt_record` does with one attribute."""

    ENCRYPT_AND_SIGN = "ENCRYPT_AND_SIGN"
    """Encrypt the value (stored as ``B``) and cover it by the record tag.
    Not allowed for the partition or sort key."""
    SIGN_ONLY = "SIGN_ONLY"
    """Keep the value in the clear and cover it by the record tag."""
    SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT = "SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT"
    """Like ``SIGN_ONLY``, and also put the value (``S``, ``N`` or ``B``) in
    the encryption context, so it reaches KMS."""
    DO_NOTHING = "DO_NOTHING"
    """Keep the value in the clear, unauthenticated: it may change freely."""

    def __str__(self) -> str:
        return self.value

    if TYPE_CHECKING:
        # What runs is Enum's ``__new__(cls, value)`` (a lookup by value), not
        # ``str.__new__``, which type checkers would otherwise assume.
        def __new__(cls, value: str) -> "Action": ...
