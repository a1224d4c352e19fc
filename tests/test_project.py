"""The single-source loop: genq/ is what the notebooks export, notebooks are committed clean, the book's table of
contents, configuration and repository URL agree, and the book's structure builds without a warning."""
import ast, configparser, json, re, subprocess, sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SETTINGS = configparser.ConfigParser(delimiters=['='])
SETTINGS.read(ROOT / 'settings.ini')
GIT_URL = SETTINGS['DEFAULT']['git_url']
NOTEBOOKS = sorted((ROOT / 'nbs').glob('*.ipynb'))
sys.path.insert(0, str(ROOT / 'tools'))
import dev                                                    # noqa: E402  tools/dev.py: install_cell, settings


def toc_files() -> list[str]:
    "Every notebook the table of contents names, root first, as paths without '.ipynb'."
    toc = yaml.safe_load((ROOT / '_toc.yml').read_text())
    return [toc['root']] + [ch['file'] for part in toc['parts'] for ch in part['chapters']]


def package_files() -> dict:
    return {p: p.read_bytes() for p in sorted((ROOT / 'genq').rglob('*.py'))}


def test_package_is_in_sync_with_the_notebooks():
    before = package_files()
    subprocess.run([BIN / 'nbdev_export'], cwd=ROOT, check=True)
    after = package_files()
    changed = sorted(str(p.relative_to(ROOT)) for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    assert not changed, f"nbdev_export changed {changed}: genq/ was out of step with nbs/. Commit the export."


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_committed_clean(nb):
    cells = json.loads(nb.read_text())['cells']
    dirty = [i for i, c in enumerate(cells) if c['cell_type'] == 'code'
             and (c.get('outputs') or c.get('execution_count'))]
    assert not dirty, f"{nb.name} has outputs in cells {dirty}: run `python3 tools/dev.py clean`."


def test_every_toc_entry_exists_and_every_notebook_is_in_the_toc():
    listed = toc_files()
    missing = [f for f in listed if not (ROOT / f'{f}.ipynb').exists()]
    assert not missing, f"_toc.yml names notebooks that do not exist: {missing}"
    orphans = [str(p.relative_to(ROOT).with_suffix('')) for p in NOTEBOOKS] 
    orphans = [p for p in orphans if p not in listed and not Path(p).name.startswith('_')]
    assert not orphans, f"notebooks missing from _toc.yml: {orphans}"


def test_the_test_command_runs_every_notebook_once_the_longest_first_and_the_summary_last():
    "tools/dev.py names chapters by their stem (FIRST, LAST): a renamed chapter would silently lose its place."
    notebooks = sorted((ROOT / 'nbs').glob('*.ipynb'))
    stems = {p.stem for p in notebooks}
    assert set(dev.FIRST) | set(dev.LAST) <= stems, sorted(set(dev.FIRST) | set(dev.LAST) - stems)
    order = [p.stem for p in dev.notebook_order(notebooks)]
    assert sorted(order) == sorted(stems) and order[:len(dev.FIRST)] == list(dev.FIRST) and order[-1] == '17_summary'


def test_the_repository_url_comes_from_settings_ini():
    config = yaml.safe_load((ROOT / '_config.yml').read_text())
    assert config['repository']['url'] == GIT_URL
    assert config['launch_buttons']['colab_url'] == 'https://colab.research.google.com'
    for nb in NOTEBOOKS:
        cells = json.loads(nb.read_text())['cells']
        if not any(c['cell_type'] == 'code' for c in cells): continue        # a page with no code (the references)
        install = [''.join(c['source']) for c in cells if 'google.colab' in ''.join(c['source'])]
        need = f"{nb.name} should install on Colab the version it was built from: run `python3 tools/dev.py sync`"
        assert install == [dev.install_cell()], need
    assert f"git+{GIT_URL}@v{SETTINGS['DEFAULT']['version']}" in (ROOT / 'README.md').read_text()


# import name -> the distribution that provides it, where they differ
DISTRIBUTIONS = dict(PIL='pillow', sklearn='scikit-learn', yaml='pyyaml', scipy='scikit-learn', faiss='faiss-cpu')


def imported_packages(nb: Path) -> set:
    "The top-level packages a notebook's code cells import (magics and shell lines skipped)."
    found = set()
    for c in json.loads(nb.read_text())['cells']:
        if c['cell_type'] != 'code': continue
        src = '\n'.join(line for line in ''.join(c['source']).splitlines() if not line.lstrip().startswith(('%', '!')))
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Import): found |= {a.name.split('.')[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0: found.add(node.module.split('.')[0])
    return found


def test_the_install_cell_installs_everything_the_chapters_import():
    cfg = SETTINGS['DEFAULT']
    declared = {re.split('[<>=!]', r)[0].lower() for r in f"{cfg['requirements']} {cfg['book_requirements']}".split()}
    supplied = {'genq', 'IPython'} | set(sys.stdlib_module_names)   # IPython: every Jupyter kernel has it
    missing = {nb.name: sorted(m for m in imported_packages(nb) - supplied
                               if DISTRIBUTIONS.get(m, m).lower() not in declared) for nb in NOTEBOOKS}
    missing = {name: m for name, m in missing.items() if m}
    assert not missing, f"chapters import what requirements and book_requirements lack: {missing}"
    assert imported_packages(ROOT / 'nbs' / '03_audit.ipynb') >= {'fastcore', 'ipywidgets'}      # the check sees them


def test_readme_maps_every_chapter():
    readme = (ROOT / 'README.md').read_text()
    assert not [f for f in toc_files() if f'{f}.ipynb' not in readme], "README's chapter map misses a chapter"


def test_the_book_structure_builds_without_warnings(tmp_path):
    config = yaml.safe_load((ROOT / '_config.yml').read_text())
    config['execute']['execute_notebooks'] = 'off'
    (tmp_path / '_config.yml').write_text(yaml.safe_dump(config))
    r = subprocess.run([BIN / 'jupyter-book', 'build', ROOT, '--config', tmp_path / '_config.yml',
                        '--path-output', tmp_path, '-W', '--keep-going'], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    html = tmp_path / '_build' / 'html'
    for f in toc_files(): assert (html / f'{f}.html').exists(), f"{f}.html was not built"


@pytest.mark.parametrize('nb', [p for p in NOTEBOOKS if p.stem not in ('index', 'references')], ids=lambda p: p.name)
def test_every_chapter_says_what_it_teaches_and_ends_with_a_summary_and_exercises(nb):
    text = '\n'.join(''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'markdown')
    for part in ('In this chapter you will learn', '## Summary', '## Exercises'):
        assert part in text, f"{nb.name} lacks '{part}'"


LAYERS = dict(                         # what each module may import from genq: data is the ground floor
    data=set(), classifier={'data'}, corrupt={'data'}, audit={'data', 'classifier'}, clean={'data', 'audit'},
    metrics={'data', 'classifier'}, augment={'data'}, resample={'data'}, distributed={'data'},
    models={'data', 'distributed'}, train={'data', 'models', 'distributed'},
    diffusion={'data', 'models', 'train', 'distributed'}, text={'data', 'corrupt'},
    lm={'data', 'train', 'text', 'distributed'},
    text_audit={'data', 'audit', 'clean', 'text'},
    text_study={'data', 'corrupt', 'audit', 'text', 'lm', 'text_audit', 'experiment'},
    experiment={'data', 'classifier', 'corrupt', 'audit', 'clean', 'augment', 'resample', 'models', 'train',
                'diffusion', 'metrics'})


def test_modules_import_only_the_layers_below_them():
    "audit and metrics share the classifier and import neither each other nor corrupt; nothing imports sideways."
    import ast
    for path in sorted((ROOT / 'genq').glob('*.py')):
        if path.stem in ('__init__', '_modidx'): continue
        used = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1: used.add(node.module.split('.')[0])
            if isinstance(node, ast.ImportFrom) and (node.module or '').startswith('genq.'):
                used.add(node.module.split('.')[1])
        assert path.stem in LAYERS, f"genq/{path.name} is new: add it to LAYERS with what it may import"
        outside = sorted(used - LAYERS[path.stem])
        assert used <= LAYERS[path.stem], f"genq.{path.stem} imports {outside}, outside its layers"


def test_code_lines_fit_the_book_column():
    "No line of code in the notebooks, tests, tools or benchmarks is wider than the book's column (see pyproject.toml)."
    r = subprocess.run([sys.executable, '-m', 'ruff', 'check', '--output-format', 'concise', '.'], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-1000:]
