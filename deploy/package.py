"""The deploy artefacts: each job's script, and the shared code as one zip for Glue.

Glue puts the `--extra-py-files` zip on the script's `sys.path`, so the zip holds the
`glue_scripts` package as it is imported: the whole shared library (`glue_scripts/lib`),
every other `glue_scripts` module a script imports (cross-imports work), and the package
`__init__.py` files. A script nobody imports is not in the zip, so changing it changes only
its own job. Artefacts are content-addressed (`<sha256[:12]>/<name>`): an upload never
replaces an object a running job may be reading, and re-deploying the same code uploads
nothing.
"""

from __future__ import annotations

import ast
import hashlib
import io
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import glue_scripts

PACKAGE = "glue_scripts"
SCRIPTS_DIR = Path(glue_scripts.__file__).parent
LIBRARY_ZIP = "glue_scripts.zip"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed zip timestamps: the same files give the same bytes


class PackagingError(ValueError):
    """A script cannot be packaged (missing file, import of a module that does not exist)."""


def module_imports(source: str, package: str = PACKAGE) -> tuple[set[str], set[str]]:
    """(modules that must exist, names that may be modules) a source imports from `package`.

    `import a.b` needs `a.b`; `from a.b import c` needs `a.b`, and `c` is a module or a name
    defined in `a.b`. Only absolute imports count (the scripts use no relative ones).
    """
    required: set[str] = set()
    optional: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            required.update(a.name for a in node.names if a.name.split(".")[0] == package)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == package
        ):
            required.add(node.module)
            optional.update(f"{node.module}.{a.name}" for a in node.names)
    return required, optional


def imported_modules(source: str, package: str = PACKAGE) -> set[str]:
    """Every `glue_scripts...` name a source imports that may be a module."""
    required, optional = module_imports(source, package)
    return required | optional


@dataclass(frozen=True)
class Artefact:
    """One object to upload: `name` under `<deploy prefix>/<digest>/`."""

    name: str
    body: bytes = field(repr=False)
    digest: str = ""

    def __post_init__(self) -> None:
        if not self.digest:
            object.__setattr__(self, "digest", hashlib.sha256(self.body).hexdigest()[:12])

    @property
    def relative_key(self) -> str:
        return f"{self.digest}/{self.name}"


@dataclass(frozen=True)
class Artefacts:
    scripts: Mapping[str, Artefact]  # job name -> script
    library: Artefact
    library_files: tuple[str, ...]

    def all(self) -> list[Artefact]:
        return [self.library, *self.scripts.values()]


def _module_file(root: Path, module: str) -> Path | None:
    relative = Path(*module.split(".")[1:])
    for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
        if relative.parts and candidate.is_file():
            return candidate
    return None


def _library_files(root: Path, scripts: Iterable[Path]) -> list[Path]:
    """lib/ entirely, plus the import closure of the scripts, plus package __init__ files."""
    wanted = {p for p in (root / "lib").rglob("*.py") if "__pycache__" not in p.parts}
    pending = [*wanted, *scripts]
    seen: set[Path] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        try:
            modules = imported_modules(path.read_text(encoding="utf-8"))
        except SyntaxError as err:
            raise PackagingError(f"{path} is not valid Python: {err}") from err
        for module in sorted(modules):
            found = _module_file(root, module)
            if found is not None:
                wanted.add(found)
                pending.append(found)
    for path in list(wanted):
        for parent in path.relative_to(root).parents:
            init = root / parent / "__init__.py"
            if init.is_file():
                wanted.add(init)
    return sorted(wanted)


def _zip(root: Path, files: list[Path]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(f"{PACKAGE}/{path.relative_to(root).as_posix()}", _EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def build_artefacts(scripts: Mapping[str, str], root: Path = SCRIPTS_DIR) -> Artefacts:
    """Args:
    scripts: job name -> script path relative to `root` (a `JobSpec.script`).
    root: the `glue_scripts` folder.
    """
    paths = {}
    for job, relative in sorted(scripts.items()):
        path = root / relative
        if not path.is_file():
            raise PackagingError(f"job {job}: script {path} does not exist; fix JobSpec.script")
        paths[job] = path
    files = _library_files(root, paths.values())
    # The digest of the zip comes from its files, not its bytes: another zlib may compress
    # the same files differently, and that must not look like new code.
    content = hashlib.sha256()
    for path in files:
        content.update(path.relative_to(root).as_posix().encode() + b"\0")
        content.update(hashlib.sha256(path.read_bytes()).digest())
    library = Artefact(LIBRARY_ZIP, _zip(root, files), content.hexdigest()[:12])
    return Artefacts(
        scripts={
            job: Artefact(path.relative_to(root).as_posix(), path.read_bytes())
            for job, path in paths.items()
        },
        library=library,
        library_files=tuple(f"{PACKAGE}/{f.relative_to(root).as_posix()}" for f in files),
    )
