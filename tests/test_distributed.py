"""Data-parallel training (`genq.distributed`): two CPU processes (gloo), launched by torchrun, against one process with
the same global batch. The runs are in `ddp_runs.py`."""
import os, subprocess, sys
from pathlib import Path
import torch
import ddp_runs                                     # tests/ddp_runs.py

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
    two, one = torch.load(tmp_path / 'two.pt'), ddp_runs.runs()
    for family in ('vae', 'gan', 'diffusion', 'lm'):
        assert two[family].shape == one[family].shape == (ddp_runs.STEPS, one[family].shape[1])
        assert gap(two[family], one[family]) < 1e-4, (family, gap(two[family], one[family]))
    assert gap(two['dcgan'], one['dcgan']) > 1e-2      # per-process BatchNorm statistics: a different run
    assert gap(two['resumed'], one['vae']) < 1e-4       # a checkpoint written on two processes resumes exactly
