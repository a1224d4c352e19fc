"""Past one machine: data-parallel training (`genq.distributed`) on two CPU processes (gloo), launched by torchrun,
against one process with the same global batch (the runs are in `ddp_runs.py`); the audit's duplicate, outlier and
MinHash checks on a local Dask cluster of two workers against one process, on real data."""
import os, subprocess, sys
from pathlib import Path
import pandas as pd
import pytest
import torch
import ddp_runs                                     # tests/ddp_runs.py
from genq.audit import audit
from genq.corrupt import duplicates, outliers
from genq.data import mnist5k
from genq.text import corpus, near_duplicate_docs, people
from genq.text_audit import audit_text

HERE = Path(__file__).parent


def gap(a: torch.Tensor, b: torch.Tensor) -> float:
    "The largest difference of any logged loss at any step, against the losses' mean size."
    return ((a - b).abs().max() / b.abs().mean()).item()


def test_two_processes_train_the_one_process_run(tmp_path):
    "Every family on two processes logs the losses of one process to float rounding; BatchNorm (on CPU) does not."
    env = dict(os.environ, OMP_NUM_THREADS='1')
    done = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node=2',
                           str(HERE / 'ddp_runs.py'), str(tmp_path / 'two.pt'), str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    two, one = torch.load(tmp_path / 'two.pt'), ddp_runs.runs('cpu')
    for family in ('vae', 'gan', 'diffusion', 'lm'):
        assert two[family].shape == one[family].shape == (ddp_runs.STEPS, one[family].shape[1])
        assert gap(two[family], one[family]) < 1e-4, (family, gap(two[family], one[family]))
    assert gap(two['dcgan'], one['dcgan']) > 1e-2      # per-process BatchNorm statistics: a different run
    assert gap(two['resumed'], one['vae']) < 1e-4       # a checkpoint written on two processes resumes exactly


@pytest.fixture(scope='module')
def client():
    "A Dask cluster of two worker processes on this machine, one thread each."
    dd = pytest.importorskip('dask.distributed', reason='dask is not installed (pip install dask distributed)')
    Client, LocalCluster = dd.Client, dd.LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as c: yield c


def test_the_audit_on_two_workers_flags_what_one_process_flags(client):
    "Exact and near duplicates, label conflicts and outliers in MNIST digits: the same table, flag for flag and score."
    ds = mnist5k()
    bad = duplicates(duplicates(ds, 0.03, copies=2, seed=1).ds, 0.03, seed=2, near='shift').ds
    bad = outliers(bad, 0.02, seed=3).ds
    checks = ['exact_duplicate', 'label_conflict', 'near_duplicate', 'outlier']
    one, two = audit(bad, checks=checks), audit(bad, checks=checks, client=client)
    pd.testing.assert_frame_equal(one.table, two.table)
    assert (one.summary.set_index('issue').rows[['exact_duplicate', 'near_duplicate', 'outlier']] > 50).all()


def test_minhash_on_two_workers_finds_the_pairs_one_process_finds(client):
    "Paraphrased biographies: the MinHash signatures computed on the workers give the same near-duplicate flags."
    ts = near_duplicate_docs(corpus(people(1500, seed=0), seed=0), 0.2, seed=0).ds
    one = audit_text(ts, checks=['near_duplicate_text'])
    two = audit_text(ts, checks=['near_duplicate_text'], client=client)
    pd.testing.assert_frame_equal(one.table, two.table)
    assert one.table.is_near_duplicate_text_issue.sum() > 200


def test_a_client_must_be_a_dask_client():
    with pytest.raises(TypeError, match='Dask client'):
        audit(mnist5k().subset(range(100)), checks=['outlier'], client='local')
