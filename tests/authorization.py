"""The authorization matrix's vocabulary, shared by ``tests/test_authorization_matrix.py`` and
the per-area tables it gathers (``tests/intake/matrix_*.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tenancy.roles import Role

ALL = frozenset(Role)
OWNER = frozenset({Role.OWNER})
MANAGERS = frozenset({Role.OWNER, Role.SUPERVISOR})


@dataclass(frozen=True)
class Route:
    """Who may use each method of a route on their own organisation."""

    methods: dict[str, frozenset[Role]]
    # URL kwarg → kind of object it names (see OBJECT_MAKERS).
    objects: dict[str, str] = field(default_factory=dict)
