"""Finding a charm's directory from its charm type, and building it once."""

from __future__ import annotations

import inspect
import pathlib

from .. import _native

_METADATA_FILES = ("charmcraft.yaml", "metadata.yaml")
# How far above the charm's module its charm directory may be
# (src/charm.py, src/<pkg>/charm.py, ...).
_MAX_LEVELS = 4
# Built in this process: {charm directory: component path}.
_BUILT: dict[pathlib.Path, str] = {}


class CharmRootError(ValueError):
    """The charm's directory cannot be found."""


def find_charm_root(charm_type: type, charm_root: str | pathlib.Path | None) -> pathlib.Path:
    """The charm directory: ``charm_root`` when it holds charmcraft.yaml (or
    metadata.yaml), else the nearest such directory above the charm type's
    module."""
    if charm_root is not None:
        root = pathlib.Path(charm_root).resolve()
        if any((root / f).is_file() for f in _METADATA_FILES):
            return root
    try:
        module = pathlib.Path(inspect.getfile(charm_type)).resolve()
    except (TypeError, OSError) as e:
        raise CharmRootError(
            f"cannot find the source file of {charm_type!r}: pass charm_root="
        ) from e
    for parent in list(module.parents)[:_MAX_LEVELS]:
        if any((parent / f).is_file() for f in _METADATA_FILES):
            return parent
    raise CharmRootError(
        f"no charmcraft.yaml (or metadata.yaml) within {_MAX_LEVELS} directories above "
        f"{module}: pass charm_root= (the charm directory charmbox builds)"
    )


def build_once(root: pathlib.Path) -> str:
    """The charm's component, built by ``charmbox build`` unless it is up to
    date (charmbox checks the sources' content; a second pytest session
    does not rebuild); once per process."""
    if root not in _BUILT:
        _BUILT[root] = _native.build(str(root), progress=True)
    return _BUILT[root]
