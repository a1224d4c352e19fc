#!/usr/bin/env python3
"""The project's commands; they need nothing but python3 (3.10+).

    python3 tools/dev.py book     build the book into _build/html from the executed notebooks (executing only those
                                  whose executed copy is missing or stale), warnings as errors, then check its HTML
    python3 tools/dev.py test     every check: tests/ (sync, clean notebooks, ...), the notebooks under nbval (two at a
                                  time, each one's time printed), then the book built from what they executed
    python3 tools/dev.py export   notebooks -> genq/ (nbdev_export)
    python3 tools/dev.py clean    strip notebook outputs (nbdev_clean)
    python3 tools/dev.py bench    run bench/*.py, one JSON line each
    python3 tools/dev.py env NAME the package's tests in a fresh environment NAME of ENVIRONMENTS: `floor` (the oldest
                                  Python and requirement versions genq declares) or `py313` (Python 3.13, Colab's)
    python3 tools/dev.py release  build the wheel and the sdist into dist/ and check them (twine check)
    python3 tools/dev.py sync     write every chapter's Colab install cell from settings.ini (version, repository)

Each first creates .venv and installs genq with its dev requirements, again whenever settings.ini, setup.py or
pyproject.toml change.
"""
import hashlib, os, re, shutil, subprocess, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import executed                                     # tools/executed.py: the executed notebooks the book renders

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / '.venv'
BIN = VENV / 'bin'
INSTALL_INPUTS = ('settings.ini', 'setup.py', 'pyproject.toml')


# torch's OpenMP threads spin while they wait: on a busy 2-core machine that made genq's work several times slower
# (measured: the audit 5×). Passive waiting makes it slow down in proportion to the cores it gets. python
# bench/threads.py measures the trade: on an idle machine passive waiting costs small models about 1.6×; beside other
# work, spinning costs 3.4×. The notebooks run on one thread each, where the policy does not matter.
QUIET_THREADS = dict(OMP_WAIT_POLICY='PASSIVE')

# Seconds a notebook cell may run before nbval stops it (nbs/conftest.py then names the chapter, the cell and its time).
# The slowest cells (case-study grids, 28×28 DCGANs) take a few minutes on an idle 2-core machine; this leaves room
# for a machine shared with work of the same size (pytest --durations, printed by `test`, lists the slowest cells).
CELL_TIMEOUT = 1800


def test_jobs() -> str:
    "How many pytest workers run test files or notebooks side by side (GENQ_TEST_JOBS, default 2)."
    jobs = os.environ.get('GENQ_TEST_JOBS', '2')
    if not jobs.isdigit() or int(jobs) < 1: sys.exit(f"GENQ_TEST_JOBS should be a whole number ≥ 1. Got {jobs!r}.")
    return jobs


def run(*cmd, check=True, **env) -> int:
    "Run `cmd` in the repository root, echoing it; raise on failure when `check`."
    print('+', ' '.join(map(str, cmd)), flush=True)
    rc = subprocess.run(list(map(str, cmd)), cwd=ROOT, env={**os.environ, **QUIET_THREADS, **env}).returncode
    if check and rc: sys.exit(rc)
    return rc


def setup():
    "Create .venv and install genq in it (editable, with dev requirements) unless that install is current."
    stamp = VENV / '.genq-install'
    want = hashlib.sha256(b''.join((ROOT / f).read_bytes() for f in INSTALL_INPUTS)).hexdigest()
    if stamp.exists() and stamp.read_text() == want: return
    if not (BIN / 'python').exists(): run(sys.executable, '-m', 'venv', VENV)
    run(BIN / 'python', '-m', 'pip', 'install', '-qq', '-e', '.[dev]', PIP_DISABLE_PIP_VERSION_CHECK='1')
    stamp.write_text(want)


def export(): run(BIN / 'nbdev_export')
def clean(): run(BIN / 'nbdev_clean')


BUILT = ('html', '.doctrees', 'jupyter_execute', '.jupyter_cache')     # what a build writes under _build


def build_book(src: Path, out: Path | None = None) -> int:
    """Build the Jupyter Book in `src` into `out`/_build (warnings are errors) and check its HTML; 0 only when both
    pass.

    Sphinx rebuilds only pages whose source changed, so a page whose notebook failed would be kept, broken, by the next
    build and reported as built. A stamp written after a build that passed marks the build as good; a build that finds
    none starts from scratch, so a failure fails every rerun until the notebook is fixed."""
    out = (out or src) / '_build'
    stamp = out / '.book-passed'
    if not stamp.exists():
        for part in (out / p for p in BUILT if (out / p).exists()):
            print(f"+ rm -r {part} (the last build did not pass)", flush=True)
            shutil.rmtree(part)
    stamp.unlink(missing_ok=True)
    rc = run(BIN / 'jupyter-book', 'build', '-W', '--keep-going', src, '--path-output', out.parent, check=False)
    index = out / 'html' / 'index.html'
    if rc == 0 and not index.exists(): print(f"the build left no {index}"); rc = 1
    if rc == 0: rc = run(BIN / 'python', ROOT / 'tools' / 'check_html.py', out / 'html', '--root', src, check=False)
    if rc == 0: stamp.write_text('passed\n')
    return rc


def toc_notebooks() -> list:
    "The notebooks of _toc.yml in order (read without a YAML library: this runs before any install)."
    names = re.findall(r'^\s*(?:-\s*file|root):\s*(\S+)\s*$', (ROOT / '_toc.yml').read_text(), re.M)
    return [ROOT / f'{n}.ipynb' for n in names if (ROOT / f'{n}.ipynb').exists()]


def _copy_if_changed(text: bytes, dest: Path):
    "Write `text` to `dest` unless it holds it already (Sphinx rebuilds what changed, by time stamp)."
    if not dest.exists() or dest.read_bytes() != text:
        dest.parent.mkdir(parents=True, exist_ok=True); dest.write_bytes(text)


def assemble_book() -> Path:
    """_build/book: the book's files with the executed notebooks in place of the clean ones, and execution off, so the
    book shows exactly what the notebook tests ran."""
    src = ROOT / '_build' / 'book'
    config = (ROOT / '_config.yml').read_text()
    rendered = config.replace('execute_notebooks: force', 'execute_notebooks: "off"')
    if rendered == config: sys.exit("_config.yml should say 'execute_notebooks: force' (the book build turns it off)")
    _copy_if_changed(rendered.encode(), src / '_config.yml')
    for name in ('_toc.yml', 'references.bib'): _copy_if_changed((ROOT / name).read_bytes(), src / name)
    wanted = set()
    for nb in toc_notebooks():
        wanted.add(src / nb.relative_to(ROOT))
        _copy_if_changed(executed.rendered(nb).read_bytes(), src / nb.relative_to(ROOT))
    for old in set((src / 'nbs').glob('*.ipynb')) - wanted: old.unlink()
    return src


# Two workers take the notebooks in the order given (xdist would reorder them by their number of cells, which says
# little about their time: --no-loadscope-reorder keeps ours). Started last, the longest chapters would run alone on
# one core while the other idles (the case-study chapters take minutes each), so they go first (longest processing
# time first, from the times conftest.py prints); the summary goes last, reading the studies' runs from the cache
# they filled.
FIRST = ('21_text_studies', '07_train', '03_audit', '12_duplicates', '11_label_noise', '15_limited_data',
         '16_synthetic_data', '09_resample', '08_augment', '13_outliers', '14_imbalance', '07a_diffusion', '05_metrics',
         '12a_generalization', '19_lm')
LAST = ('17_summary',)


def notebook_order(paths) -> list:
    "`paths` with the longest notebooks (`FIRST`) first and `LAST` last, the rest in their order between."
    rank = lambda p: (FIRST.index(p.stem) if p.stem in FIRST else len(FIRST) + (p.stem in LAST))
    return sorted(paths, key=rank)


def execute_notebooks(notebooks, extra=()) -> int:
    """Run `notebooks` under nbval, two at a time, each kernel on one thread: the book's small models use a second core
    poorly (measured here: 1.35× the speed for 2× the cores), so two single-threaded kernels do more work per minute.
    nbs/conftest.py keeps each notebook that passes, with its outputs, for the book, and prints each one's time."""
    return run(BIN / 'python', '-m', 'pytest', '-p', 'no:cacheprovider', '--nbval-lax', '--nbval-current-env',
               f'--nbval-cell-timeout={CELL_TIMEOUT}', '--durations=10', '-n', test_jobs(), '--dist', 'loadfile',
               '--no-loadscope-reorder', *notebooks, *extra, check=False, OMP_NUM_THREADS='1')


def render_book(execute_stale: bool = True) -> int:
    "Build the book from the executed notebooks into _build/html (execute the missing or stale ones first, if allowed)."
    package = executed.package_sha()
    stale = [nb for nb in toc_notebooks() if not executed.is_current(nb, package)]
    if stale and not execute_stale:
        print(f"no current executed copy of {', '.join(nb.stem for nb in stale)} after the notebook tests passed")
        return 1
    if stale:
        print(f"executing {len(stale)} notebooks with no current executed copy: {', '.join(nb.stem for nb in stale)}")
        rc = execute_notebooks([nb.relative_to(ROOT) for nb in stale])
        if rc: return rc
    return build_book(assemble_book(), ROOT)


def book():
    "Export the package, then build the book from the executed notebooks; warnings are errors."
    export()
    rc = render_book()
    if rc: sys.exit(rc)
    print(f"the book is at {ROOT / '_build' / 'html' / 'index.html'}")


def test():
    """pytest over tests/, then every notebook under nbval (two at a time), then the book from what they executed (no
    notebook runs twice). The first failing exit code is ours."""
    # the wheel's install test waits on pip: other files run beside it
    rc = run(BIN / 'python', '-m', 'pytest', '-p', 'no:cacheprovider', '--durations=15', '-n', test_jobs(), '--dist',
             'loadfile', 'tests', *sys.argv[2:], check=False, OMP_NUM_THREADS='1')
    rc_nbs = execute_notebooks([p.relative_to(ROOT) for p in notebook_order(sorted((ROOT / 'nbs').glob('*.ipynb')))],
                               sys.argv[2:])
    rc_book = render_book(execute_stale=False) if rc_nbs == 0 else 0
    sys.exit(rc or rc_nbs or rc_book)


def bench():
    "Run every benchmark script in bench/."
    for script in sorted((ROOT / 'bench').glob('[!_]*.py')): run(BIN / 'python', script)     # _common.py is shared


def settings() -> dict:
    "settings.ini's values (nbdev 2 keeps the version, the requirements and the oldest Python there)."
    import configparser
    cfg = configparser.ConfigParser(delimiters=['='])
    cfg.read(ROOT / 'settings.ini', encoding='utf-8')
    return dict(cfg['DEFAULT'])


def install_cell() -> str:
    """Every chapter's first code cell: on Colab, install the genq the book was built from (settings.ini's version,
    as its tag) with the `book` extra, what the chapters import beside it. `python3 tools/dev.py sync` writes it."""
    s = settings()
    package = f"genq[book] @ git+{s['git_url']}@v{s['version']}"
    return ("#| hide\n"
            f"# On Colab, install genq {s['version']}, the version this book was built from, with what the chapters\n"
            "# import beside it. Elsewhere, install it first in a terminal: pip install \"GENQ\" (GENQ as below).\n"
            "import subprocess, sys\n"
            f"GENQ = '{package}'\n"
            "if 'google.colab' in sys.modules:\n"
            "    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', GENQ], check=True)")


def sync():
    "Write `install_cell()` into every notebook that has code (in place of its Colab install cell), then clean them."
    import json
    for nb in sorted((ROOT / 'nbs').glob('*.ipynb')):
        book = json.loads(nb.read_text())
        code = [c for c in book['cells'] if c['cell_type'] == 'code']
        if not code: continue
        cell = next((c for c in code if 'google.colab' in ''.join(c['source'])), None)
        if cell is None: sys.exit(f"{nb.name} has no Colab install cell: add one with 'google.colab' in it.")
        cell['source'] = install_cell().splitlines(keepends=True)
        nb.write_text(json.dumps(book, indent=1, ensure_ascii=False) + '\n')
    clean()


def floor_pins() -> list:
    "Each requirement pinned to the oldest version it declares (`torch>=2.3` -> `torch==2.3`, which is 2.3.0)."
    pins = []
    for req in settings()['requirements'].split():
        name, sep, low = req.partition('>=')
        if not sep: sys.exit(f"settings.ini: requirement {req!r} should declare its oldest version as name>=version.")
        pins.append(f'{name}=={low}')
    return pins


# The environments `env` tests: the interpreter's version and what is installed beside genq.
ENVIRONMENTS = dict(floor=lambda: (settings()['min_python'], floor_pins()),
                    py313=lambda: ('3.13', []))
# tests/ minus the project's own checks (notebooks, book, wheel), which need the dev tools
PACKAGE_TESTS_SKIP = ('test_project.py', 'test_book_build.py', 'test_packaging.py')


def interpreter(version: str) -> str:
    "A working python of this version: pythonX.Y on PATH, else one under pyenv's versions."
    pyenv = Path(os.environ.get('PYENV_ROOT', Path.home() / '.pyenv')) / 'versions'
    for cand in [shutil.which(f'python{version}'), *sorted(pyenv.glob(f'{version}.*/bin/python{version}'))]:
        if cand and subprocess.run([cand, '-c', ''], capture_output=True).returncode == 0: return str(cand)
    sys.exit(f"No working python{version} here: install one (pyenv install {version}) or put it on PATH.")


def env():
    """Create .venv-NAME with the environment's Python and pins, install genq from this checkout (not editable) and
    run the package's tests (tests/ but the project's own checks, `-m "not slow"`) against the installed copy."""
    if len(sys.argv) < 3 or sys.argv[2] not in ENVIRONMENTS:
        sys.exit(f"Which environment? One of: {', '.join(ENVIRONMENTS)}.")
    name = sys.argv[2]
    version, pins = ENVIRONMENTS[name]()
    where = ROOT / f'.venv-{name}'
    shutil.rmtree(where, ignore_errors=True)
    run(interpreter(version), '-m', 'venv', where)
    py = where / 'bin' / 'python'
    run(py, '-m', 'pip', 'install', '-qq', '--upgrade', 'pip', PIP_DISABLE_PIP_VERSION_CHECK='1')
    run(py, '-m', 'pip', 'install', '-qq', '.', *pins, 'pytest', PIP_DISABLE_PIP_VERSION_CHECK='1')
    run(py, '-m', 'pip', 'list', '--format=freeze', PIP_DISABLE_PIP_VERSION_CHECK='1')
    tests = [t for t in sorted((ROOT / 'tests').glob('test_*.py')) if t.name not in PACKAGE_TESTS_SKIP]
    # the `pytest` script, not `python -m pytest`: the checkout is not on sys.path, so the installed genq is tested
    sys.exit(run(where / 'bin' / 'pytest', '-q', '-m', 'not slow', '-p', 'no:cacheprovider', *tests, check=False,
                 OMP_NUM_THREADS='1', MPLBACKEND='Agg'))


def release():
    "Build the wheel and the sdist into dist/ from a clean tree and check them with twine; print how to publish."
    if subprocess.run(['git', 'status', '--porcelain'], cwd=ROOT, capture_output=True, text=True).stdout.strip():
        sys.exit("Commit first: a release is built from a clean tree, so that its version names one commit.")
    run(BIN / 'python', '-m', 'pip', 'install', '-qq', 'build==1.6.1', 'twine==6.2.0',
        PIP_DISABLE_PIP_VERSION_CHECK='1')
    shutil.rmtree(ROOT / 'dist', ignore_errors=True)
    run(BIN / 'python', '-m', 'build', '--outdir', ROOT / 'dist', ROOT)
    built = sorted((ROOT / 'dist').iterdir())
    run(BIN / 'python', '-m', 'twine', 'check', '--strict', *built)
    version = settings()['version']
    print(f"Built and checked: {', '.join(p.name for p in built)}.\nTo publish genq {version}: git tag v{version} && "
          f"git push origin v{version} (the chapters' install cells install that tag), then "
          f"python -m twine upload dist/*")


COMMANDS = dict(book=book, test=test, export=export, clean=clean, bench=bench, env=env, release=release, sync=sync)

if __name__ == '__main__':
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS: sys.exit(__doc__)
    setup()
    COMMANDS[sys.argv[1]]()
