"""The suite's own layout: no test module imports another (shared set-up lives in named
helper modules such as tests/roster.py or tests/worker.py, in factories, or in conftest
fixtures), and no package imports another package's conftest (fixtures shared across
packages belong in tests/conftest.py)."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _module_name(path: Path, root: Path) -> str:
    return ".".join(("tests", *path.relative_to(root).with_suffix("").parts))


def _imported_modules(path: Path, importer: str) -> list[tuple[int, str]]:
    """Every module the file imports, relative imports resolved, with their line numbers."""
    package = importer.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[: len(parent) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            found.append((node.lineno, base))
            # `from tests.registration import test_roster` imports a module too.
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _is_test_module(name: str) -> bool:
    return name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_")


def _foreign_conftest(importer: str, name: str) -> bool:
    """A conftest of another package than the importer's own (the root one is shared)."""
    if not name.endswith(".conftest") or name == "tests.conftest":
        return False
    return not importer.startswith(name.removesuffix("conftest"))


def layout_problems(root: Path = TESTS) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        importer = _module_name(path, root)
        for line, name in _imported_modules(path, importer):
            where = f"{path.relative_to(root.parent)}:{line}"
            if _is_test_module(name):
                problems.append(f"{where} imports the test module {name}")
            elif _foreign_conftest(importer, name):
                problems.append(f"{where} imports another package's conftest {name}")
    return problems


def test_no_test_module_imports_another_nor_another_packages_conftest():
    assert layout_problems() == []


def test_the_check_names_an_import_of_a_test_module(tmp_path):
    package = tmp_path / "tests" / "registration"
    package.mkdir(parents=True)
    (package / "test_a.py").write_text(
        "from tests.registration.test_roster import enrol\n"
        "from .test_cart import bundle_choice\n"
        "from . import test_outbox\n"
        "from tests.certificates.conftest import brn\n"
        "from tests.conftest import _missing\n"
        "from tests.roster import trainee\n"
    )
    assert [p.split(" ", 1)[1] for p in layout_problems(tmp_path / "tests")] == [
        "imports the test module tests.registration.test_roster",
        "imports the test module tests.registration.test_cart",
        "imports the test module tests.registration.test_outbox",
        "imports another package's conftest tests.certificates.conftest",
    ]
