"""pytest plugin for the notebook tests: keeps each executed notebook for the book, reports each chapter's time, and
names every cell that ran past the cell timeout (chapter, cell, its first line, the seconds it ran and the limit).

nbval runs a notebook's code cells one by one in a kernel; this plugin puts each cell's outputs back into the notebook
and, once every cell of it has run without a failure, writes it to _build/executed/ with a fingerprint of what
produced it (tools/executed.py). `python3 tools/dev.py book` renders those copies instead of executing every chapter
a second time. A notebook with a failing cell leaves no copy (an old one is removed).
"""
import json, sys, time
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'tools'))
import executed  # noqa: E402

_failed, _started, _package = set(), {}, {}
_seconds = defaultdict(float)
_timeouts = []


def _timed_out(call) -> bool:
    "Whether nbval stopped the cell for taking longer than its timeout (its message: 'Timeout of N seconds exceeded')."
    return call.excinfo is not None and 'Timeout of' in str(call.excinfo.value)


def _first_line(source: str) -> str:
    "The cell's first line of code, to name it in a report."
    return next((l.strip() for l in source.splitlines() if l.strip() and not l.lstrip().startswith('#')), '')[:70]


def _is_cell(item) -> bool: return hasattr(item, 'test_outputs') and hasattr(item, 'cell')


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if not _is_cell(item): return
    report = outcome.get_result()
    path = Path(str(item.fspath))
    _started.setdefault(path, time.time())
    if report.failed: _failed.add(path)
    if report.failed and call.when == 'call' and _timed_out(call):        # carried to the controller under xdist
        report.user_properties.append(('timed_out', dict(line=_first_line(item.cell.source),
                                                         limit=float(item.config.option.nbval_cell_timeout))))
    if call.when == 'call' and item.test_outputs is not None:
        item.cell['outputs'] = list(item.test_outputs)
        item.cell['execution_count'] = item.cell_num + 1
        for out in item.cell['outputs']:
            if out.get('output_type') == 'execute_result': out['execution_count'] = item.cell_num + 1


def pytest_runtest_teardown(item, nextitem):
    if not _is_cell(item): return
    path = Path(str(item.fspath))
    if nextitem is not None and Path(str(nextitem.fspath)) == path: return       # the notebook is not finished
    copy = executed.executed_path(path)
    copy.unlink(missing_ok=True)
    nb = item.parent.nb
    unrun = [c for c in nb.cells if c.cell_type == 'code' and c.get('execution_count') is None
             and 'nbval-skip' not in c.metadata.get('tags', []) and '# NBVAL_SKIP' not in c.source]
    if path in _failed or unrun: return                   # a failure, or only some cells selected: nothing to keep
    if 'package' not in _package: _package['package'] = executed.package_sha()
    nb.metadata[executed.KEY] = dict(executed.fingerprint(path, _package['package']),
                                     seconds=round(time.time() - _started.get(path, time.time()), 1))
    nbformat.validate(nb)
    copy.parent.mkdir(parents=True, exist_ok=True)
    tmp = copy.with_suffix('.tmp')
    nbformat.write(nb, str(tmp))
    tmp.replace(copy)


def pytest_runtest_logreport(report):
    "On the controller (and without xdist): add up each notebook's seconds."
    if '.ipynb' in report.nodeid: _seconds[report.nodeid.split('::')[0]] += report.duration
    timed_out = dict(report.user_properties).get('timed_out')
    if timed_out:
        _timeouts.append(f"{report.nodeid} ({timed_out['line']!r}) stopped after {report.duration:.0f} s: the limit "
                         f"is {timed_out['limit']:g} s a cell (--nbval-cell-timeout)")


def pytest_terminal_summary(terminalreporter):
    if _timeouts:
        terminalreporter.write_sep('!', 'cells that ran past the timeout')
        for line in _timeouts: terminalreporter.write_line(line)
    if not _seconds: return
    terminalreporter.write_sep('-', 'seconds per notebook (cells and kernel start)')
    for name, s in sorted(_seconds.items(), key=lambda kv: -kv[1]):
        terminalreporter.write_line(f'{s:8.1f}  {name}')
    terminalreporter.write_line(f'{sum(_seconds.values()):8.1f}  in all (summed over workers)')
