"""What `make run` installs is enough for what the stack runs: every third-party module that
workers/ imports, at the top of a file or inside a function (an optional decoder imported when a
client first needs it), comes from a runtime dependency of pyproject.toml, not only from the test
extras that `make test` adds. The test environment has both, so no other test can see the gap: a
Sentry SDK that compresses with brotli, refused by a stack installed with `make run`, went unseen."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from workers.settings import REPO_ROOT


def distribution_names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(requirement).name) for requirement in requirements}


def installed_with(distributions: set[str]) -> set[str]:
    """The distributions and everything they require (not their optional extras), as pip installs them."""
    closure, todo = set(), list(distributions)
    while todo:
        name = todo.pop()
        if name in closure:
            continue
        closure.add(name)
        for requirement in map(Requirement, importlib.metadata.requires(name) or []):
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    return closure


def imported_top_level_modules() -> dict[str, str]:
    """Each module name imported anywhere in workers/, with one file importing it."""
    modules: dict[str, str] = {}
    for path in sorted((REPO_ROOT / "workers").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                modules.setdefault(name.split(".")[0], str(path.relative_to(REPO_ROOT)))
    return modules


def test_every_module_the_stack_imports_is_installed_by_make_run():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    runtime = installed_with(distribution_names(project["dependencies"]))
    test_only = distribution_names(project["optional-dependencies"]["test"]) - runtime
    providers = importlib.metadata.packages_distributions()

    missing = {}
    for module, where in imported_top_level_modules().items():
        if module in sys.stdlib_module_names or module == "workers":
            continue
        distributions = {canonicalize_name(name) for name in providers.get(module, [])}
        assert distributions, f"{module} (imported by {where}) is installed by no distribution"
        if not distributions & runtime:
            missing[module] = (where, sorted(distributions & test_only) or sorted(distributions))
    assert not missing, f"imported by the stack but not a runtime dependency: {missing}"
