"""`pip install` of the built wheel, into a fresh virtual environment, gives a genq that works without nbdev,
Jupyter Book or Jupyter."""
import os, subprocess, sys, venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'bench'))
from _common import readme_snippets                                  # noqa: E402  bench/_common.py

SMOKE = """
import importlib.util, matplotlib
matplotlib.use('Agg')
for dev in ('nbdev', 'fastcore', 'jupyter_book', 'nbval', 'IPython', 'ipykernel', 'nbformat'):
    assert importlib.util.find_spec(dev) is None, f'{dev} should not be installed with genq'
import genq, torch
assert callable(genq.clean.make_plan) and 'audit' in dir(genq)                      # submodules on first use
from genq.data import digits, mnist5k, show
d = digits()
a, b = d.split(0.5, seed=0)
assert len(a) + len(b) == 1797 and len(mnist5k()) == 5000
assert sum(len(x) for x, _ in a.batches(128, seed=0)) == len(a)
show(a)
from genq.metrics import load_feature_network, evaluate
scores = evaluate(a, b, load_feature_network('digits'))   # shipped weights travel in the wheel
assert scores['precision'] > 0.8, scores
from genq.models import gan, vae
from genq.train import train_gan, train_vae
model, hist = train_gan(gan(a.shape, width=8), a, steps=5, batch_size=32)          # with its progress bar
assert hist.losses.shape == (5, 4) and model.sample(3).shape == (3, 1, 8, 8)
assert train_vae(vae(a.shape, width=8, classes=10), a, steps=5, batch_size=32, progress=False)[1].steps == 5
print('genq', genq.__version__, 'works with torch', torch.__version__)
"""


def test_import_genq_gives_its_submodules_on_first_use():
    import genq
    assert callable(genq.audit.audit) and {'data', 'experiment'} <= set(dir(genq))
    with pytest.raises(AttributeError, match="no attribute 'nope'"): genq.nope


@pytest.fixture(scope='module')
def wheel_python(tmp_path_factory) -> Path:
    """The python of a fresh virtual environment with nothing but the wheel (and what it requires) installed; the
    wheel is built from the sdist, as a package index builds it, so a file the sdist lacks fails here."""
    tmp = tmp_path_factory.mktemp('wheel')
    subprocess.run([sys.executable, 'setup.py', '-q', 'egg_info', '--egg-base', tmp, 'sdist', '--dist-dir', tmp],
                   check=True, cwd=ROOT, capture_output=True)          # a fresh egg-info: no file list left from before
    sdist, = tmp.glob('genq-*.tar.gz')
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '-qq', '--no-deps', '--no-build-isolation', '-w', tmp, sdist],
                   check=True, cwd=tmp)
    wheel, = tmp.glob('genq-*.whl')
    venv.create(tmp / 'env', with_pip=True)
    py = tmp / 'env' / 'bin' / 'python'
    subprocess.run([py, '-m', 'pip', 'install', '-qq', wheel], check=True)
    return py


@pytest.mark.slow
def test_wheel_installs_and_runs_without_dev_tools(wheel_python, tmp_path):
    r = subprocess.run([wheel_python, '-c', SMOKE], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'genq 0.1.0 works' in r.stdout


def test_the_readme_has_its_two_examples():
    snippets = readme_snippets()
    assert len(snippets) == 2 and all("'cuda' if torch.cuda.is_available() else 'cpu'" in s for s in snippets)
    assert all('held_out' in s and 'evaluate(held_out' in s for s in snippets)        # scored on unseen images


@pytest.mark.slow
@pytest.mark.parametrize('n', range(2))
def test_each_readme_example_runs_verbatim_on_the_cpu_with_only_the_wheel(wheel_python, tmp_path, n):
    env = {**os.environ, 'CUDA_VISIBLE_DEVICES': '', 'MPLBACKEND': 'Agg'}
    r = subprocess.run([wheel_python, '-c', readme_snippets()[n]], capture_output=True, text=True, cwd=tmp_path,
                       env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'precision' in r.stdout
