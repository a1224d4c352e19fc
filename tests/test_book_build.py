"""The book build never passes a failure off as a good build: a notebook that fails fails the build, and every rerun,
until it is fixed; the HTML check rejects pages with tracebacks."""
import importlib.util, json, sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
    return module


def tiny_book(path: Path, code: str):
    "A book with a cover page and one chapter whose only code cell is `code`."
    (path / '_config.yml').write_text('title: tiny\nexecute:\n  execute_notebooks: force\n  timeout: '
                                      '120\nonly_build_toc_files: true\nexclude_patterns: ["_build"]\n')
    (path / '_toc.yml').write_text('format: jb-book\nroot: index\nchapters:\n- file: chapter\n')
    (path / 'index.md').write_text('# Tiny\n\nA cover.\n')
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell('# Chapter'), nbformat.v4.new_code_cell(code)],
                                  metadata={'kernelspec': {'name': 'python3', 'display_name': 'Python 3',
                                                           'language': 'python'}})
    nbformat.write(nb, path / 'chapter.ipynb')


@pytest.mark.skipif(not (Path(sys.executable).parent / 'jupyter-book').exists(), reason='jupyter-book is not installed')
@pytest.mark.slow
def test_a_failing_chapter_fails_the_build_and_every_rerun_until_fixed(tmp_path):
    dev = load_tool('dev')
    dev.BIN = Path(sys.executable).parent
    tiny_book(tmp_path, "print('before'); 1 / 0")
    assert dev.build_book(tmp_path) != 0
    assert dev.build_book(tmp_path) != 0                        # nothing changed: the rerun fails too
    assert not (tmp_path / '_build' / '.book-passed').exists()
    tiny_book(tmp_path, "print('fixed')")
    assert dev.build_book(tmp_path) == 0 and (tmp_path / '_build' / '.book-passed').exists()
    assert 'fixed' in (tmp_path / '_build' / 'html' / 'chapter.html').read_text()


def test_the_html_check_rejects_tracebacks_and_pages_without_outputs(tmp_path):
    check_html = load_tool('check_html')
    tiny_book(tmp_path, "print('hello')")
    html = tmp_path / '_build' / 'html'; html.mkdir(parents=True)
    (html / 'index.html').write_text('<html><body><p>cover</p></body></html>')
    good = ('<div class="cell docutils container"><div class="cell_output docutils container"><div class="output '
            'stream highlight-myst-ansi notranslate"><pre>hello</pre></div></div></div>')
    (html / 'chapter.html').write_text(f'<html><body>{good}</body></html>')
    assert check_html.check(html, tmp_path) == []
    bad = ('<div class="cell_output docutils container"><div class="output traceback highlight-ipythontb '
           'notranslate"><pre>ZeroDivisionError</pre></div></div>')
    (html / 'chapter.html').write_text(f'<html><body>{bad}</body></html>')
    assert any('traceback' in p for p in check_html.check(html, tmp_path))
    (html / 'chapter.html').write_text('<html><body><p>no outputs</p></body></html>')
    assert any('without any cell output' in p for p in check_html.check(html, tmp_path))


def test_the_html_check_counts_the_cells_with_outputs(tmp_path):
    "A page must show every visible cell that has outputs in the executed notebook it was rendered from."
    check_html = load_tool('check_html')
    tiny_book(tmp_path, "print('hello')")
    nb = nbformat.read(tmp_path / 'chapter.ipynb', as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print('again')"))
    for c in nb.cells[1:]: c.outputs = [nbformat.v4.new_output('stream', name='stdout', text='x\n')]
    nbformat.write(nb, tmp_path / 'chapter.ipynb')
    html = tmp_path / '_build' / 'html'; html.mkdir(parents=True)
    (html / 'index.html').write_text('<html><body><p>cover</p></body></html>')
    one = '<div class="cell_output docutils container"><pre>x</pre></div>'
    (html / 'chapter.html').write_text(f'<html><body>{one}</body></html>')
    assert any('1 of the 2 cells with outputs rendered' in p for p in check_html.check(html, tmp_path))
    (html / 'chapter.html').write_text(f'<html><body>{one}{one}</body></html>')
    assert check_html.check(html, tmp_path) == []


def test_the_notebook_tests_keep_what_they_executed_for_the_book(tmp_path):
    """nbs/conftest.py writes each notebook that passed, with its outputs and a fingerprint, and nothing for one that
    failed; a change to the package makes the copy stale."""
    import shutil, subprocess
    pytest.importorskip('nbval')
    (tmp_path / 'tools').mkdir(); (tmp_path / 'nbs').mkdir(); (tmp_path / 'genq').mkdir()
    shutil.copy(ROOT / 'tools' / 'executed.py', tmp_path / 'tools')
    shutil.copy(ROOT / 'nbs' / 'conftest.py', tmp_path / 'nbs')
    (tmp_path / 'genq' / 'code.py').write_text('x = 1\n')
    kernel = {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}}
    for name, code in [('good', "print('hello')"), ('bad', "1 / 0")]:
        cells = [nbformat.v4.new_markdown_cell('# A'), nbformat.v4.new_code_cell('x = 6 * 7'),
                 nbformat.v4.new_code_cell(code)]
        nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=kernel), tmp_path / 'nbs' / f'{name}.ipynb')
    run = subprocess.run([sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '-p', 'no:xdist', '--nbval-lax',
                          '--nbval-current-env', 'nbs'], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 1 and 'seconds per notebook' in run.stdout, run.stdout[-2000:]
    spec = importlib.util.spec_from_file_location('executed_copy', tmp_path / 'tools' / 'executed.py')
    executed = importlib.util.module_from_spec(spec); spec.loader.exec_module(executed)
    good, bad = tmp_path / 'nbs' / 'good.ipynb', tmp_path / 'nbs' / 'bad.ipynb'
    assert not executed.executed_path(bad, tmp_path).exists()
    copy = nbformat.read(executed.executed_path(good, tmp_path), as_version=4)
    assert copy.cells[2].outputs[0].text == 'hello\n' and copy.cells[2].execution_count == 2
    assert executed.is_current(good, root=tmp_path)
    (tmp_path / 'genq' / 'code.py').write_text('x = 2\n')
    assert not executed.is_current(good, root=tmp_path)


def test_a_cell_past_the_timeout_is_named_with_its_chapter_line_and_seconds(tmp_path):
    "A timeout names the chapter, the cell, its first line and the time it ran; the notebook leaves no executed copy."
    import shutil, subprocess
    pytest.importorskip('nbval'); pytest.importorskip('xdist')
    (tmp_path / 'tools').mkdir(); (tmp_path / 'nbs').mkdir(); (tmp_path / 'genq').mkdir()
    shutil.copy(ROOT / 'tools' / 'executed.py', tmp_path / 'tools')
    shutil.copy(ROOT / 'nbs' / 'conftest.py', tmp_path / 'nbs')
    cells = [nbformat.v4.new_code_cell('import time'), nbformat.v4.new_code_cell('# a long cell\ntime.sleep(60)'),
             nbformat.v4.new_code_cell("print('after')")]
    kernel = {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}}
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata=kernel), tmp_path / 'nbs' / 'slow.ipynb')
    run = subprocess.run([sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider', '-n', '1', '--nbval-lax',
                          '--nbval-current-env', '--nbval-cell-timeout=3', 'nbs'], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 1, run.stdout[-2000:]
    report = run.stdout.split('cells that ran past the timeout')[-1]
    assert "nbs/slow.ipynb::Cell 1 ('time.sleep(60)') stopped after" in report, run.stdout[-2000:]
    seconds = float(report.split('stopped after ')[1].split(' s')[0])
    assert 3 <= seconds < 60 and 'the limit is 3 s a cell' in report
    assert not (tmp_path / '_build' / 'executed' / 'nbs' / 'slow.ipynb').exists()


def test_a_page_without_code_needs_no_execution(tmp_path):
    "The references page has no code cell: nbval runs nothing there, and the book shows the notebook itself."
    dev = load_tool('dev')
    refs = ROOT / 'nbs' / 'references.ipynb'
    assert not dev.executed.has_code(refs) and dev.executed.is_current(refs) and dev.executed.rendered(refs) == refs
    assert dev.executed.has_code(ROOT / 'nbs' / '01_data.ipynb')


def test_the_book_and_the_notebook_tests_share_one_cell_timeout(monkeypatch):
    "A plain `jupyter-book build .` and `tools/dev.py` stop a cell after the same time; a bad job count is refused."
    import yaml
    dev = load_tool('dev')
    config = yaml.safe_load((ROOT / '_config.yml').read_text())
    assert config['execute']['timeout'] == dev.CELL_TIMEOUT
    monkeypatch.setenv('GENQ_TEST_JOBS', '3')
    assert dev.test_jobs() == '3'
    for bad in ('0', 'two', '1.5'):
        monkeypatch.setenv('GENQ_TEST_JOBS', bad)
        with pytest.raises(SystemExit, match='GENQ_TEST_JOBS should be'): dev.test_jobs()
