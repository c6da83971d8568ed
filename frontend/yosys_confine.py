"""What a Verilog file makes Yosys read, checked before Yosys runs, and the copies it reads instead.

Yosys reads other files for `` `include "f" `` and for `$readmemh("f", mem)` / `$readmemb`.
Each such name must be a string literal (not a macro, a parameter or a string built by
macros), and must resolve, symlinks followed, inside the input file's own folder: no absolute
path and no `..`, unless it lies under a folder given with `--allow-read DIR`
(`options["allow_read"]`). Anything else is refused with an error located at the name, before
Yosys starts. The files that pass are copied into Yosys' private folder and the names in the
text are rewritten to those copies, so Yosys never needs a host path: the input becomes
`input.v`, files of its folder `src/<same relative path>`, files of the k-th allowed folder
`allowed<k>/<path below it>`. Included files are scanned the same way (each once).

A name is looked up the way Yosys does with the input's folder as its working folder: there
first, then beside the file that names it. Spellings that could assemble one of these
constructs through macros are refused as well: a `$` name that is a proper prefix of
`$readmemh`/`$readmemb` (`$read`, `$`) and a backtick followed by a proper prefix of `include`
(`` `inc ``, a lone backtick), since Yosys joins macro text with the text after it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import NoReturn

from axc.ir import FileLoc, InputError

__all__ = ["confined_sources"]

_READ_TASKS = ("$readmemh", "$readmemb")
_TOKEN = re.compile(
    r'(?P<string>"(?:[^"\\\n]|\\.)*")'
    r"|(?P<escaped>\\[!-~]+)"
    r"|(?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z))"
    r"|(?P<ident>[A-Za-z_][A-Za-z0-9_$]*)"
    r"|(?P<system>\$[A-Za-z0-9_$]*)"
    r"|(?P<directive>`[A-Za-z_][A-Za-z0-9_$]*|``|`\"|`\\`\"|`)",
    re.DOTALL,
)
_INCLUDE_NAME = re.compile(r'[ \t]*(?:"([^"\\\n]*)"|<([^>\\\n]*)>)')
_READ_NAME = re.compile(r'\s*\(\s*"([^"\\\n]*)"\s*[,)]')


@dataclass
class _Confinement:
    """The files handed to Yosys so far, by host path, and where they go in its folder."""

    input_dir: Path
    allowed: list[Path]
    names: dict[Path, str] = field(default_factory=dict)
    files: dict[str, str | bytes] = field(default_factory=dict)

    def private_name(self, host: Path) -> str:
        """The name under Yosys' folder for `host` (a resolved path already found allowed)."""
        if host not in self.names:
            if host.is_relative_to(self.input_dir):
                name = "src/" + host.relative_to(self.input_dir).as_posix()
            else:
                k, root = next((k, d) for k, d in enumerate(self.allowed, 1) if host.is_relative_to(d))
                name = f"allowed{k}/" + host.relative_to(root).as_posix()
            self.names[host] = name
        return self.names[host]


def confined_sources(path: str, text: str, source_name: str, allow_read: Sequence[str] = ()) -> dict[str, str | bytes]:
    """The files Yosys needs for `path` (text `text`, given to Yosys as `source_name`).

    Raises `InputError` located at the first name Yosys must not read.
    """
    allowed = []
    for folder in [allow_read] if isinstance(allow_read, str) else allow_read:
        resolved = Path(folder).expanduser().resolve()
        if not resolved.is_dir():
            raise InputError(f"--allow-read '{folder}' is not a folder")
        allowed.append(resolved)
    box = _Confinement(Path(path).absolute().parent.resolve(), allowed)
    box.names[Path(path).resolve()] = source_name
    box.files[source_name] = _confined_text(box, path, Path(path).absolute().parent, text)
    return box.files


def _confined_text(box: _Confinement, shown: str, folder: Path, text: str) -> str:
    """`text` (of the file shown as `shown`, in `folder`) with every file name it reads rewritten."""
    edits: list[tuple[int, int, str]] = []
    for tok in _TOKEN.finditer(text):
        kind, word = tok.lastgroup, tok.group()
        if kind == "system" and any(t.startswith(word) for t in _READ_TASKS):
            name = _READ_NAME.match(text, tok.end()) if word in _READ_TASKS else None
            if name is None:
                _refuse(shown, text, tok.start(), _hidden_reason(word, "file name"))
            edits.append((name.start(1), name.end(1), _admit(box, shown, text, name.start(1),
                                                             name.group(1), folder, word, scan=False)))
        elif kind == "directive" and "`include".startswith(word) and word not in ('`"', "``"):
            name = _INCLUDE_NAME.match(text, tok.end()) if word == "`include" else None
            if name is None:
                _refuse(shown, text, tok.start(), _hidden_reason(word, "file name"))
            group = 1 if name.group(1) is not None else 2
            edits.append((name.start(group), name.end(group), _admit(
                box, shown, text, name.start(group), name.group(group), folder, word, scan=True)))
    for start, end, replacement in reversed(edits):
        text = text[:start] + replacement + text[end:]
    return text


def _hidden_reason(word: str, what: str) -> str:
    if word in _READ_TASKS or word == "`include":
        return (f"'{word}' needs its {what} as a plain string literal (no macro, parameter or "
                "escape), so that axc-opt can check what Yosys reads")
    return (f"'{word}' could spell a file-reading construct through macro text; not accepted "
            "with --frontend yosys")


def _admit(box: _Confinement, shown: str, text: str, at: int, name: str, folder: Path,
           word: str, *, scan: bool) -> str:
    """Check the file `name` read by `word`; copy it into Yosys' folder; return its new name."""
    relative = PurePosixPath(name)
    plain = bool(name) and not relative.is_absolute() and ".." not in relative.parts
    candidates = [box.input_dir / name, folder / name] if plain else [Path(name)]
    found = next((c for c in candidates if c.exists()), candidates[0])
    host = found.resolve()
    inside = plain and host.is_relative_to(box.input_dir)
    if not inside and not any(host.is_relative_to(d) for d in box.allowed):
        _refuse(shown, text, at, f"{word} names '{name}', outside the input's folder {box.input_dir}; "
                                 "Yosys reads only files there unless --allow-read DIR names their folder")
    if not found.exists():
        _refuse(shown, text, at, f"{word} names '{name}', which does not exist (looked in {box.input_dir})")
    if not host.is_file():
        _refuse(shown, text, at, f"{word} names '{name}', which is not a regular file")
    known = host in box.names
    private = box.private_name(host)
    if not known:
        try:
            if scan:
                box.files[private] = ""
                nested = host.read_text(errors="replace")
                box.files[private] = _confined_text(box, str(found), found.parent, nested)
            else:
                box.files[private] = host.read_bytes()
        except OSError as err:
            _refuse(shown, text, at, f"cannot read '{name}' for {word}: {err.strerror}")
    return private


def _refuse(shown: str, text: str, at: int, message: str) -> NoReturn:
    line = text.count("\n", 0, at) + 1
    col = at - (text.rfind("\n", 0, at) + 1) + 1
    raise InputError(message, FileLoc(shown, line, col), source=text)
