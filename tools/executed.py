"""Executed notebooks, kept so that one execution serves both the tests and the book.

The notebook test run (pytest --nbval-lax over nbs/, with nbs/conftest.py) writes each notebook that ran without a
failure, outputs included, to _build/executed/nbs/NAME.ipynb, stamped with a fingerprint of what produced it: the
notebook file, every file of the package and the scale (GENQ_QUICK). `python3 tools/dev.py book` builds the book from
those copies and re-executes only the notebooks whose copy is missing or stale. A notebook that failed leaves no copy,
so a failure is never rendered as if it had passed. Standard library only: tools/dev.py imports it before any
install.
"""
import hashlib, json, os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY = 'genq_execution'


def package_sha(root: Path = ROOT) -> str:
    "A hash of every file of the package (code, shipped weights and results), by path and content."
    h = hashlib.sha256()
    for path in sorted((root / 'genq').rglob('*')):
        if path.is_file() and '__pycache__' not in path.parts:
            h.update(path.relative_to(root).as_posix().encode() + b'\0' + path.read_bytes() + b'\0')
    return h.hexdigest()


def fingerprint(notebook: Path, package: str | None = None, root: Path = ROOT) -> dict:
    "What an execution of `notebook` depends on: its bytes, the package's files and the scale."
    return dict(notebook=hashlib.sha256(Path(notebook).read_bytes()).hexdigest(),
                package=package or package_sha(root), quick=os.environ.get('GENQ_QUICK', ''))


def executed_path(notebook: Path, root: Path = ROOT) -> Path:
    "Where the executed copy of `notebook` (a path under root) is kept."
    return root / '_build' / 'executed' / Path(notebook).resolve().relative_to(root)


def has_code(notebook: Path) -> bool:
    "Whether `notebook` has a code cell (a page of prose alone, like the references, is its own executed copy)."
    return any(c['cell_type'] == 'code' for c in json.loads(Path(notebook).read_text())['cells'])


def rendered(notebook: Path, root: Path = ROOT) -> Path:
    "The notebook the book shows for `notebook`: its executed copy, or itself when it has no code."
    return executed_path(notebook, root) if has_code(notebook) else Path(notebook)


def is_current(notebook: Path, package: str | None = None, root: Path = ROOT) -> bool:
    "Whether `notebook` has an executed copy made from this notebook, this package and this scale (or needs none)."
    if not has_code(notebook): return True
    copy = executed_path(notebook, root)
    if not copy.exists(): return False
    try: stamp = json.loads(copy.read_text())['metadata'].get(KEY, {})
    except (ValueError, KeyError): return False
    want = fingerprint(notebook, package, root)
    return all(stamp.get(k) == v for k, v in want.items())
