"""The README's Python examples, each run verbatim in a fresh process on the CPU and timed; one JSON line.

    python bench/readme.py [--repeats 1]

The README states how long each takes on two CPU cores: this is where those figures come from. Each runs with
CUDA hidden (the README's times are CPU times) and the plots drawn to nowhere (matplotlib's Agg backend).
"""
import argparse, json, os, subprocess, sys, tempfile, time
from _common import cpu_name, readme_snippets      # bench/_common.py


def timed(code: str) -> float:
    "Seconds to run `code` in a fresh interpreter, on the CPU; raises with its output if it fails."
    env = {**os.environ, 'CUDA_VISIBLE_DEVICES': '', 'MPLBACKEND': 'Agg', 'OMP_WAIT_POLICY': 'PASSIVE'}
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env, cwd=tempfile.gettempdir())
    if r.returncode: raise RuntimeError(f"the README example failed:\n{r.stderr[-3000:]}")
    return time.perf_counter() - t0


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--repeats', type=int, default=1)
    args = ap.parse_args()
    import torch
    seconds = [[round(timed(code), 1) for _ in range(args.repeats)] for code in readme_snippets()]
    print(json.dumps(dict(bench='readme', cpu=cpu_name(), threads=torch.get_num_threads(), seconds=seconds)))
