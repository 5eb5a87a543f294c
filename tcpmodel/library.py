"""The built-in spec catalogue: the specs that ship inside the package.

In the repository the catalogue is the top-level ``specs/`` folder; a built wheel carries the
same files as the package data ``tcpmodel/catalogue/`` (pyproject.toml maps one onto the
other, so there is one copy in git). Commands name a spec by file, by folder, or by the name
of a built-in spec (``rfc9293``); with no argument and no ``specs/`` folder in the working
directory, ``check`` checks the whole catalogue.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import List, Optional, Tuple

from .errors import SpecError, TcpModelError

_PACKAGE = Path(__file__).resolve().parent


def catalogue_dir() -> Path:
    """Where the built-in specs are: the package's ``catalogue/`` in an installed wheel, the
    repository's ``specs/`` in a source tree (or an editable install)."""
    for candidate in (_PACKAGE / "catalogue", _PACKAGE.parent / "specs"):
        if candidate.is_dir() and any(candidate.glob("*.toml")):
            return candidate
    raise TcpModelError(f"the built-in spec catalogue is missing: neither {_PACKAGE / 'catalogue'} "
                        f"nor {_PACKAGE.parent / 'specs'} holds *.toml specs (a broken install?)")


def builtin_names() -> List[str]:
    return sorted(p.stem for p in catalogue_dir().glob("*.toml"))


def builtin_path(name: str) -> Path:
    """The file of the built-in spec ``name`` (``rfc9293`` or ``rfc9293.toml``)."""
    stem = name[:-5] if name.endswith(".toml") else name
    path = catalogue_dir() / f"{stem}.toml"
    if "/" in stem or "\\" in stem or not path.is_file():
        raise SpecError(name, "", f"no such file, folder or built-in spec; built-in specs: {', '.join(builtin_names())}")
    return path


def resolve(arg: str) -> Path:
    """A command-line spec argument: an existing file or folder as given, else a built-in name
    (a bare name: an argument with a folder part is a path only)."""
    if str(arg) == "":  # Path("") is the current folder
        raise SpecError("''", "", "an empty file name; give a spec file or a folder")
    p = Path(arg)
    if p.exists():
        return p
    if len(p.parts) > 1:
        raise SpecError(p, "", "no such file or folder")
    return builtin_path(arg)


def resolve_all(args: Optional[List[str]], local: str = "specs") -> Tuple[List[Path], Optional[str]]:
    """The spec paths for ``check``, and a note to show when the built-in catalogue is used
    because no argument was given and there is no ``specs/`` folder here."""
    if args:
        return [resolve(a) for a in args], None
    if Path(local).is_dir():
        return [Path(local)], None
    return [catalogue_dir()], (f"no {local}/ folder here: checking the built-in catalogue "
                               f"({len(builtin_names())} specs; `tcpmodel specs` lists them)")


def listing() -> List[Tuple[str, str]]:
    """(name, description) of every built-in spec."""
    from .spec import load

    return [(p.stem, load(p).description) for p in sorted(catalogue_dir().glob("*.toml"))]


def copy_out(name: str, folder: str = ".") -> Path:
    """Copy the built-in spec ``name`` into ``folder`` for editing; never overwrites."""
    src = builtin_path(name)
    dest_dir = Path(folder)
    if dest_dir.exists() and not dest_dir.is_dir():
        raise TcpModelError(f"{folder}: not a folder")
    dest = dest_dir / src.name
    if dest.exists():
        raise TcpModelError(f"{dest}: already exists; not overwritten (remove it or copy to another folder)")
    dest_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return dest
