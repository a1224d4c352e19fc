#!/usr/bin/env python3
"""The project's commands; they need nothing but python3 (3.10+).

    python3 tools/dev.py book     build the book into _build/html (every chapter executed at its default scale)
    python3 tools/dev.py test     every check: sync, clean notebooks, tests/, then the notebooks under nbval (two at a time)
    python3 tools/dev.py export   notebooks -> genq/ (nbdev_export)
    python3 tools/dev.py clean    strip notebook outputs (nbdev_clean)
    python3 tools/dev.py bench    run bench/*.py, one JSON line each

Each first creates .venv and installs genq with its dev requirements, again whenever settings.ini, setup.py or
pyproject.toml change.
"""
import hashlib, os, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / '.venv'
BIN = VENV / 'bin'
INSTALL_INPUTS = ('settings.ini', 'setup.py', 'pyproject.toml')


# torch's OpenMP threads spin while they wait: on a busy 2-core machine that made genq's work several times slower
# (measured: the audit 5×). Passive waiting makes it slow down in proportion to the cores it gets.
QUIET_THREADS = dict(OMP_WAIT_POLICY='PASSIVE')


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


def build_book(src: Path) -> int:
    """Build the Jupyter Book in `src` (warnings are errors) and check its HTML; 0 only when both pass.

    Sphinx rebuilds only pages whose source changed, so a page whose notebook failed would be kept, broken, by the next
    build and reported as built. A stamp written after a build that passed marks `_build` as good; a build that finds
    `_build` without it starts from scratch, so a failure fails every rerun until the notebook is fixed."""
    out, stamp = src / '_build', src / '_build' / '.book-passed'
    if out.exists() and not stamp.exists():
        print(f"+ rm -r {out} (the last build did not pass)", flush=True)
        shutil.rmtree(out)
    stamp.unlink(missing_ok=True)
    rc = run(BIN / 'jupyter-book', 'build', '-W', '--keep-going', src, check=False)
    index = out / 'html' / 'index.html'
    if rc == 0 and not index.exists(): print(f"the build left no {index}"); rc = 1
    if rc == 0: rc = run(BIN / 'python', ROOT / 'tools' / 'check_html.py', out / 'html', '--root', src, check=False)
    if rc == 0: stamp.write_text('passed\n')
    return rc


def book():
    "Export the package, then build the book with every notebook executed; warnings are errors."
    export()
    rc = build_book(ROOT)
    if rc: sys.exit(rc)
    print(f"the book is at {ROOT / '_build' / 'html' / 'index.html'}")


def test():
    """pytest over tests/, then every notebook under nbval, two notebooks at a time, each on one thread: the book's
    small models use a second core poorly (measured here: 1.35× the speed for 2× the cores), so two single-threaded
    kernels do more work per minute. The first failing exit code is ours."""
    pytest = [BIN / 'python', '-m', 'pytest', '-p', 'no:cacheprovider', '--durations=15']
    rc = run(*pytest, 'tests', *sys.argv[2:], check=False)
    jobs = os.environ.get('GENQ_TEST_JOBS', '2')
    rc_nbs = run(*pytest, 'nbs', '--nbval-lax', '--nbval-current-env', '--nbval-cell-timeout=1800', '-n', jobs,
                 '--dist', 'loadfile', *sys.argv[2:], check=False, OMP_NUM_THREADS='1')
    sys.exit(rc or rc_nbs)


def bench():
    "Run every benchmark script in bench/."
    for script in sorted((ROOT / 'bench').glob('*.py')): run(BIN / 'python', script)


COMMANDS = dict(book=book, test=test, export=export, clean=clean, bench=bench)

if __name__ == '__main__':
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS: sys.exit(__doc__)
    setup()
    COMMANDS[sys.argv[1]]()
