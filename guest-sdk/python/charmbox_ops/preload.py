"""Build-time imports.

componentize-py snapshots the interpreter after the component's entry module
is imported; a module that was not imported then cannot be imported when an
event runs (the source files are not in the component). So the build
imports everything a charm may import lazily: the imports of the entry
point, every module of the charm's ``src/`` and ``lib/`` trees, every module
of its requirements, and a list of standard-library modules. A module that
fails to import at build time is skipped (a charm that imports it at run
time gets the ``ModuleNotFoundError`` then).
"""

from __future__ import annotations

import ast
import importlib
import linecache
import os
import pkgutil
import sys
from collections.abc import Iterable

# Standard-library modules charms and their libraries use, imported whether
# the charm does at build time or not.
STDLIB = """
    abc argparse ast base64 binascii bisect calendar collections collections.abc
    configparser contextlib copy csv dataclasses datetime decimal difflib email
    email.message email.mime.text email.parser email.utils enum errno fnmatch
    fractions functools getpass gettext glob graphlib gzip hashlib heapq hmac html
    html.parser http http.client http.cookies importlib importlib.metadata
    importlib.resources inspect io ipaddress itertools json locale logging
    logging.config logging.handlers lzma math mimetypes numbers operator os
    pathlib pickle platform pprint queue random re secrets shlex shutil signal
    socket stat statistics string struct subprocess tarfile tempfile textwrap
    threading time timeit tomllib traceback types typing unicodedata urllib
    urllib.error urllib.parse urllib.request uuid warnings weakref zipfile zlib
    zoneinfo
""".split()

# Packages whose submodules are not walked: test suites and tools that only
# run on a developer's machine.
SKIP_PACKAGES = ("test", "tests", "testing", "_pytest", "pytest", "setuptools", "pip")


def import_quietly(name: str) -> bool:
    try:
        importlib.import_module(name)
        return True
    except BaseException:  # noqa: BLE001 - anything a module may raise at import
        return False


def entry_imports(source: str, filename: str) -> list[tuple[ast.stmt, bool]]:
    """The import statements of a module's top level, in order, each with
    whether it is guarded (inside a top-level ``if`` or ``try`` block, where
    the charm expects it may fail or not run)."""
    found: list[tuple[ast.stmt, bool]] = []

    def visit(body: Iterable[ast.stmt], guarded: bool) -> None:
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                found.append((node, guarded))
            elif isinstance(node, ast.If):
                visit(node.body, True)
                visit(node.orelse, True)
            elif isinstance(node, ast.Try):
                visit(node.body, True)
                for h in node.handlers:
                    visit(h.body, True)
                visit(node.orelse, True)
                visit(node.finalbody, True)

    visit(ast.parse(source, filename).body, False)
    return found


def run_imports(source: str, filename: str) -> None:
    """Run the entry point's imports (not the rest of it) in a scratch
    namespace. An unguarded import that fails would fail every event: it
    fails the build instead."""
    for node, guarded in entry_imports(source, filename):
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        code = compile(ast.Module(body=[node], type_ignores=[]), filename, "exec")
        try:
            exec(code, {"__name__": "__charmbox_preload__"})
        except BaseException as e:  # noqa: BLE001
            if not guarded:
                raise RuntimeError(
                    f"charmbox: {os.path.basename(filename)} line {node.lineno}: "
                    f"`{ast.unparse(node)}` fails at build time ({type(e).__name__}: {e}); "
                    "is the package in requirements.txt? Modules with native code "
                    "(C extensions) cannot run in a WebAssembly component"
                ) from e


def tree_modules(root: str) -> list[str]:
    """Module names of the ``.py`` files under ``root``, packages first."""
    names: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d.isidentifier() and d not in SKIP_PACKAGES)
        rel = os.path.relpath(dirpath, root)
        parts = [] if rel == "." else rel.split(os.sep)
        if parts and "__init__.py" not in filenames:
            continue
        for f in sorted(filenames):
            if not f.endswith(".py") or not f[:-3].isidentifier():
                continue
            mod = parts if f == "__init__.py" else [*parts, f[:-3]]
            if mod:
                names.append(".".join(mod))
    return names


def walk_package(name: str) -> None:
    """Import a package and all its submodules (skipping test packages)."""
    if not import_quietly(name):
        return
    module = sys.modules.get(name)
    path = getattr(module, "__path__", None)
    if path is None:
        return
    for info in pkgutil.walk_packages(path, prefix=name + ".", onerror=lambda _: None):
        last = info.name.rsplit(".", 1)[-1]
        if last in SKIP_PACKAGES or last.startswith("test_") or last == "__main__":
            continue
        import_quietly(info.name)


def site_packages(root: str) -> list[str]:
    """Top-level importable names installed in a ``pip install --target`` dir."""
    names = []
    for entry in sorted(os.listdir(root)):
        full = os.path.join(root, entry)
        if entry.startswith("_") or entry.endswith((".dist-info", ".egg-info", ".data")):
            continue
        if os.path.isdir(full) and entry.isidentifier():
            names.append(entry)
        elif entry.endswith(".py") and entry[:-3].isidentifier():
            names.append(entry[:-3])
    return names


def cache_sources(root: str) -> None:
    """Keep the charm's own sources in ``linecache``, so a traceback shows
    its lines (the files are not in the component)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for f in sorted(filenames):
            if f.endswith(".py"):
                path = os.path.join(dirpath, f)
                try:
                    with open(path, encoding="utf-8") as src:
                        lines = src.read().splitlines(keepends=True)
                except (OSError, UnicodeDecodeError):
                    continue
                linecache.cache[path] = (sum(map(len, lines)), None, lines, path)


def preload(entry_source: str, entry_file: str, roots: dict[str, str]) -> None:
    """Import everything the charm may need at run time."""
    for name in STDLIB:
        import_quietly(name)
    # Every codec: `bytes.decode("unicode-escape")` (jinja2's lexer) or
    # `str.encode("idna")` look theirs up at run time.
    walk_package("encodings")
    venv = roots.get("venv")
    if venv:
        for name in site_packages(venv):
            if name not in SKIP_PACKAGES and name != "bin":
                walk_package(name)
    run_imports(entry_source, entry_file)
    entry_module = os.path.splitext(os.path.basename(entry_file))[0]
    for role in ("src", "lib"):
        root = roots.get(role)
        if root and os.path.isdir(root):
            cache_sources(root)
            for name in tree_modules(root):
                if not (role == "src" and name == entry_module):
                    import_quietly(name)

