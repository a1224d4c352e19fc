"""genq's metrics against the reference implementations, timed in one run; prints one JSON line.

    python bench/metrics.py [--n 10000] [--fid-dim 2048] [--prdc-dim 64] [--k 5] [--save PATH]

Each timing is the best of 5 runs, genq's and the reference's taking turns so that both meet the same machine load.
FID on n×fid_dim features: genq.metrics.fid against torchmetrics' computation (its update's float64 feature sums and
outer products, then its compute: covariances and torch.linalg.eigvals of Σ1Σ2). Precision/recall/density/coverage on
n×prdc_dim features: genq.metrics.prdc against the prdc package. Values are reported too, to show they agree. --save
also writes the line with its provenance (date, CPU, commit) to PATH as JSON; genq/results/metrics_speed_cpu.json,
shown in the metrics chapter, was written that way.
"""
import argparse, contextlib, io, json, platform, time, warnings
from pathlib import Path
import torch


def timed_pair(ours, theirs, repeats=5):
    """Best-of-`repeats` seconds of two computations run alternately (so both meet the same machine load), and their
    results."""
    best, out = [float('inf')] * 2, [None] * 2
    for _ in range(repeats):
        for i, fn in enumerate((ours, theirs)):
            t0 = time.perf_counter(); out[i] = fn(); best[i] = min(best[i], time.perf_counter() - t0)
    return out, [round(b, 3) for b in best]


def torchmetrics_fid(real, fake) -> float:
    "FID as torchmetrics' FrechetInceptionDistance computes it from features (its update, then its compute)."
    from torchmetrics.image.fid import _compute_fid
    stats = []
    for f in (real, fake):
        f = f.double()
        n, s, cov_sum = len(f), f.sum(0), f.T @ f
        mean = (s / n)[None]
        stats += [mean[0], (cov_sum - n * mean.T @ mean) / (n - 1)]
    return float(_compute_fid(*stats))


def main(n, fid_dim, prdc_dim, k) -> dict:
    from genq.metrics import fid, prdc
    from prdc import compute_prdc
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(n, fid_dim, generator=g), torch.randn(n, fid_dim, generator=g) * 1.1 + 0.1
    (ours, theirs), (t_ours, t_theirs) = timed_pair(lambda: fid(real, fake), lambda: torchmetrics_fid(real, fake))
    pr, pf = real[:, :prdc_dim].double(), fake[:, :prdc_dim].double()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter('ignore')
        (p_ours, p_ref), (tp_ours, tp_ref) = timed_pair(lambda: prdc(pr, pf, k=k),
                                                         lambda: compute_prdc(pr.numpy(), pf.numpy(), nearest_k=k))
    return dict(bench='metrics', n=n, cpu_threads=torch.get_num_threads(), python=platform.python_version(),
                torch=torch.__version__,
                fid_dim=fid_dim, fid_genq_s=t_ours, fid_torchmetrics_s=t_theirs,
                fid_speedup=round(t_theirs / t_ours, 2),
                fid_genq=ours, fid_torchmetrics=theirs, fid_rel_diff=abs(ours - theirs) / abs(theirs),
                prdc_dim=prdc_dim, prdc_genq_s=tp_ours, prdc_package_s=tp_ref, prdc_speedup=round(tp_ref / tp_ours, 2),
                prdc_max_abs_diff=max(abs(p_ours[m] - float(p_ref[m])) for m in p_ours))


def cpu_name() -> str:
    "The CPU's model name, from /proc/cpuinfo where there is one."
    try:
        return next(l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines()
                    if l.startswith('model name'))
    except (OSError, StopIteration): return platform.processor() or 'unknown CPU'


def save(row: dict, path, command: str) -> None:
    "Write the bench's line with its provenance to `path`."
    from genq.experiment import provenance
    meta = {**provenance('cpu'), 'cpu': cpu_name(), 'command': command}
    Path(path).write_text(json.dumps(dict(provenance=meta, bench_metrics=row), indent=1) + '\n')


if __name__ == '__main__':
    import sys
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--n', type=int, default=10_000); p.add_argument('--fid-dim', type=int, default=2048)
    p.add_argument('--prdc-dim', type=int, default=64); p.add_argument('--k', type=int, default=5)
    p.add_argument('--save', help='also write the result with its provenance to this JSON file')
    args = vars(p.parse_args()); path = args.pop('save')
    row = main(**args)
    print(json.dumps(row))
    if path: save(row, path, 'python ' + ' '.join(sys.argv))
