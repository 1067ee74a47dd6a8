"""docs/security.md's permission matrix says what the code's permission table does."""

from __future__ import annotations

from pathlib import Path

from chalicelib.services.identity.roles import PERMISSIONS, Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def documented_matrix() -> dict[str, set[str]]:
    roles = [role.value for role in Role]
    matrix = {}
    for line in DOC.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 + len(roles) and cells[0] in {p.value for p in PERMISSIONS}:
            matrix[cells[0]] = {role for role, cell in zip(roles, cells[2:], strict=True) if cell == "yes"}
    return matrix


def test_documented_matrix_matches_the_permission_table():
    in_code = {permission.value: {role.value for role in roles} for permission, roles in PERMISSIONS.items()}

    assert documented_matrix() == in_code


def referenced_tests() -> list[tuple[str, str]]:
    """(file, test) pairs named in the doc; `::name` belongs to the last file named before it."""
    import re

    pairs, current = [], ""
    for token in re.findall(r"`([\w/]+\.py)?(::\w+)?`", DOC.read_text()):
        path, name = token
        if path.rsplit("/", 1)[-1].startswith("test_"):
            current = path
        if name and current:
            pairs.append((current, name[2:]))
    return pairs


def test_every_test_the_doc_names_exists():
    tests_dir = DOC.parents[1] / "tests"
    pairs = referenced_tests()

    assert len(pairs) > 40
    for path, name in pairs:
        test_file = next(tests_dir.rglob(path.rsplit("/", 1)[-1])) if "/" not in path else tests_dir / path
        assert f"def {name}(" in test_file.read_text(), (path, name)
