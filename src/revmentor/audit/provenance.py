"""What code and software a workflow step depends on, as fingerprints Snakemake can track.

Snakemake reruns a rule when its script changes, but not when a module the script imports
changes, nor when a package is upgraded in the virtual environment. Each rule therefore
gets two ``params``: the SHA-256 of every ``revmentor`` source file its script reaches
through imports, and the versions of the third-party packages those files import. A
change to either reruns the rule, and only the rules that really use the changed code.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import importlib.util
import subprocess
import sys
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

PACKAGE = "revmentor"


@cache
def imported_modules(path: Path) -> frozenset[str]:
    """Every module named in an import statement anywhere in the file (functions included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    modules: set[str] = set()
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules |= {f"{node.module}.{alias.name}" for alias in node.names}
    return frozenset(modules)


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, nested ones included; imports are statements, so expressions (most
    of a syntax tree) need not be visited."""
    for node in body:
        yield node
        for name in ("body", "orelse", "finalbody"):
            yield from _statements(getattr(node, name, []))
        for handler in getattr(node, "handlers", []):
            yield from _statements(handler.body)
        for case in getattr(node, "cases", []):
            yield from _statements(case.body)


@cache
def module_file(name: str) -> Path | None:
    """The source file of one of our modules (resolved), or ``None`` for anything else.
    Found on disk, without importing anything (an import here would cost seconds at every
    parse)."""
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        return None
    base = package_root().parent.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate.resolve()
    return None


def _parents(name: str) -> Iterable[str]:
    parts = name.split(".")
    return (".".join(parts[:end]) for end in range(1, len(parts) + 1))


@cache
def _direct_sources(path: Path) -> frozenset[Path]:
    """The ``revmentor`` files one file imports (and the packages above them)."""
    found = (module_file(name) for module in imported_modules(path) for name in _parents(module))
    return frozenset(source for source in found if source is not None)


@cache
def source_closure(script: Path) -> tuple[Path, ...]:
    """The script and every ``revmentor`` file it reaches through imports, sorted. Every
    file is parsed once per process, however many scripts reach it (the workflow asks for
    every rule's closure while it parses)."""
    seen: set[Path] = set()
    pending = [Path(script).resolve()]
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        pending.extend(_direct_sources(path) - seen)
    return tuple(sorted(seen))


@cache
def package_root() -> Path:
    return Path(importlib.util.find_spec(PACKAGE).origin).parent


def code_fingerprint(script: Path) -> str:
    """SHA-256 over the package files the script uses (names relative to the package)."""
    digest = hashlib.sha256()
    root = package_root().parent
    for path in source_closure(Path(script)):
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def third_party_imports(script: Path) -> frozenset[str]:
    """Top-level names of the non-standard-library packages the script's code imports."""
    names = set()
    for path in source_closure(Path(script)):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top != PACKAGE and top not in sys.stdlib_module_names and top != "snakemake":
                names.add(top)
    return frozenset(names)


@cache
def _distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


@cache
def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def distribution_versions(import_names: Iterable[str]) -> dict[str, str]:
    """Installed distribution versions behind import names (e.g. yaml -> PyYAML)."""
    versions = {}
    for name in sorted(import_names):
        for distribution in _distributions().get(name, [name]):
            version = _version(distribution)
            if version is not None:
                versions[distribution] = version
    return dict(sorted(versions.items(), key=lambda item: item[0].lower()))


def software_fingerprint(script: Path) -> str:
    """Python and the package versions the script's code imports, as one stable string."""
    versions = distribution_versions(third_party_imports(Path(script)))
    python = ".".join(map(str, sys.version_info[:3]))
    return ";".join([f"python=={python}", *(f"{name}=={v}" for name, v in versions.items())])


def git_state(folder: Path) -> dict[str, object]:
    """The checkout's commit and whether its tracked files differ from it (None outside git)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=folder, capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"git_commit": None, "git_dirty": None}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"git_commit": commit, "git_dirty": bool(status)}
