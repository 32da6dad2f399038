"""The installed package's version, from its metadata (floor: imports nothing of pprl)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version(name: str = "pprl") -> str | None:
    """The installed version of ``name``, or None when it is not installed."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


#: pprl's own version; ``0.0.0.dev0`` when running from a source tree that is not installed.
__version__ = package_version() or "0.0.0.dev0"
