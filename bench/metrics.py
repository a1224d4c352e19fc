"""genq's metrics against the reference implementations at equal threads, idle and beside other work; one JSON line.

    python bench/metrics.py [--n 10000] [--fid-dim 2048] [--prdc-dim 64] [--k 5] [--threads T] [--repeats 5]
                            [--load idle,busy] [--load-procs P] [--save PATH]

Every side runs on the same `--threads` (default: every core): torch's threads for genq and torchmetrics, and for the
prdc package both of its own settings that use T threads (sklearn's `n_jobs=T` with one BLAS thread, and `n_jobs=1`
with T BLAS threads; the faster is its equal-threads time), beside prdc as shipped (`n_jobs=8`, every BLAS thread).
Each time is the best of `--repeats`, the sides taking turns so that all meet the same load. `busy` repeats the
comparison while other work shares the cores (`--load-procs` single-threaded processes of float64 matrix products,
by default one per core: a steady demand of every core); `ratio_drift` is how far each ratio moved from idle to busy.
At one thread a side cannot gain from a second core, parallel or serial, so both meet the same load: that is where a
ratio is a property of the code alone. At every core, a ratio also measures how each side's parallelism meets load.

FID on n×fid_dim features: genq.metrics.fid against torchmetrics' computation (its update's float64 feature sums and
outer products, then its compute: covariances and torch.linalg.eigvals of Σ1Σ2). Precision/recall/density/coverage on
n×prdc_dim features: genq.metrics.prdc against the prdc package. Values are reported too, to show they agree.

Why a ratio moves under load: `slowdown` is each side's busy time over its idle time. Work that keeps its T threads
busy shares the cores with P other single-threaded processes, so it slows by `proportional_slowdown`, (T + P) / cores
where that exceeds 1, when it keeps all T threads busy; a serial part slows less (with T = 2 and P = 2 on two cores:
2x for parallel work, 1.5x for a serial step). `serial` times torchmetrics'
last step, the general eigenvalue solve of a d×d matrix, at 1 thread and at T: when those are equal it is serial.

Near the limit: each metric's floating-point work (counted from its algorithm) and the memory traffic it cannot avoid
(reading its inputs once), against this machine's peaks measured in the same run at the same threads: a float64
matrix product of 2,048² (the best rate BLAS reaches here) and a 256 MB copy, both on the idle machine. `flop_share`
is the share of that peak rate the metric reached (1.0 would be the limit); `traffic_s` the seconds its unavoidable
traffic needs at the copy's bandwidth.

--save writes the line with its provenance (date, CPU, commit) to PATH as JSON; genq/results/metrics_speed_cpu.json,
shown in the metrics chapter, was written that way.
"""
import argparse, contextlib, io, json, os, platform, subprocess, sys, time, warnings
import torch
from _common import save                     # bench/_common.py

LOAD = r"""
import torch
torch.set_num_threads(1)
a = torch.randn(512, 512, dtype=torch.float64)
while True: a = torch.mm(a, a).div_(a.norm())
"""


def timed_turns(fns: dict, repeats: int) -> tuple[dict, dict]:
    "Best-of-`repeats` seconds of each computation in `fns`, run in turns so that all meet the same load; and results."
    best, out = {k: float('inf') for k in fns}, {}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter(); out[name] = fn(); best[name] = min(best[name], time.perf_counter() - t0)
    return {k: round(v, 3) for k, v in best.items()}, out


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


def prdc_package(real, fake, k: int, n_jobs: int | None, blas_threads: int | None) -> dict:
    "The prdc package's compute_prdc with sklearn's `n_jobs` and numpy's BLAS threads set (None: as shipped)."
    import prdc.prdc as ref
    import sklearn.metrics
    from threadpoolctl import threadpool_limits
    shipped = ref.compute_pairwise_distance
    def distances(x, y=None):
        return sklearn.metrics.pairwise_distances(x, x if y is None else y, metric='euclidean', n_jobs=n_jobs)
    if n_jobs is not None: ref.compute_pairwise_distance = distances
    try:
        with threadpool_limits(blas_threads, user_api='blas'), contextlib.redirect_stdout(io.StringIO()):
            return ref.compute_prdc(real, fake, nearest_k=k)
    finally:
        ref.compute_pairwise_distance = shipped


def peaks(threads: int) -> dict:
    "This machine's float64 matrix-product rate (GFLOP/s) and copy bandwidth (GB/s) at `threads` threads."
    a = torch.randn(2048, 2048, dtype=torch.float64)
    big = torch.empty(2 ** 25, dtype=torch.float64).fill_(1.0)            # 256 MB
    dest = torch.empty_like(big)
    mm, _ = timed_turns(dict(mm=lambda: torch.mm(a, a)), 5)
    copy, _ = timed_turns(dict(copy=lambda: dest.copy_(big)), 5)
    return dict(f64_gemm_gflops=round(2 * 2048 ** 3 / mm['mm'] / 1e9, 1),
                copy_gbps=round(2 * big.numel() * 8 / copy['copy'] / 1e9, 1), threads=threads)


def serial_part(d: int, threads: int) -> dict:
    "Seconds of torchmetrics' last FID step, torch.linalg.eigvals of a d×d product of covariances, at 1 and T threads."
    g = torch.Generator().manual_seed(1)
    a = torch.randn(d, d, dtype=torch.float64, generator=g)
    s = a @ a.T / d
    m = s @ (s + torch.eye(d, dtype=torch.float64))
    out = {}
    for t in (1, threads):
        torch.set_num_threads(t)
        out[t] = timed_turns(dict(e=lambda: torch.linalg.eigvals(m)), 3)[0]['e']
    torch.set_num_threads(threads)
    return dict(eigvals_1_thread_s=out[1], eigvals_s=out[threads], threads=threads)


def fid_work(n: int, d: int) -> dict:
    """genq's FID: the covariances' upper blocks (2·n·d² each, 10 of 16 blocks for d ≥ 1,024), a Cholesky (d³/3), LᵀΣ2L
    (4·d³) and symmetric eigenvalues (4/3·d³); the inputs read once (float32)."""
    cov = 2 * 2 * n * d * d * (10 / 16 if d >= 1024 else 1)
    return dict(flops=cov + d ** 3 / 3 + 4 * d ** 3 + 4 / 3 * d ** 3, bytes=2 * n * d * 4)


def prdc_work(n: int, d: int) -> dict:
    "genq's PRDC: three n×n distance matrices by matrix product (2·n²·d each), in float64; the inputs read once."
    return dict(flops=3 * 2 * n * n * d, bytes=2 * n * d * 8)


def near_limit(work: dict, seconds: float, peak: dict) -> dict:
    "The work's rate against the machine's peaks: the floating-point share, and the time the traffic alone needs."
    return dict(gflop=round(work['flops'] / 1e9, 1), mbytes=round(work['bytes'] / 1e6, 1),
                gflops=round(work['flops'] / seconds / 1e9, 1),
                flop_share=round(work['flops'] / seconds / 1e9 / peak['f64_gemm_gflops'], 2),
                traffic_s=round(work['bytes'] / peak['copy_gbps'] / 1e9, 4))


def compare(n, fid_dim, prdc_dim, k, threads, repeats, peak) -> dict:
    "One comparison of FID and PRDC at `threads` threads (each side's values, times and ratios; shares of `peak`)."
    from genq.metrics import fid, prdc
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(n, fid_dim, generator=g), torch.randn(n, fid_dim, generator=g) * 1.1 + 0.1
    t, v = timed_turns(dict(genq=lambda: fid(real, fake), torchmetrics=lambda: torchmetrics_fid(real, fake)), repeats)
    pr, pf = real[:, :prdc_dim].double(), fake[:, :prdc_dim].double()
    nr, nf = pr.numpy(), pf.numpy()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        tp, vp = timed_turns(dict(genq=lambda: prdc(pr, pf, k=k),
                                  jobs=lambda: prdc_package(nr, nf, k, n_jobs=threads, blas_threads=1),
                                  blas=lambda: prdc_package(nr, nf, k, n_jobs=1, blas_threads=threads),
                                  shipped=lambda: prdc_package(nr, nf, k, n_jobs=None, blas_threads=None)), repeats)
    equal = min(('jobs', 'blas'), key=tp.get)
    return dict(fid_genq_s=t['genq'], fid_torchmetrics_s=t['torchmetrics'],
                fid_speedup=round(t['torchmetrics'] / t['genq'], 2),
                fid_rel_diff=abs(v['genq'] - v['torchmetrics']) / abs(v['torchmetrics']),
                prdc_genq_s=tp['genq'], prdc_package_s=tp[equal],
                prdc_package_setting=f'n_jobs={threads}, 1 BLAS thread' if equal == 'jobs'
                else f"n_jobs=1, {threads} BLAS thread{'s' if threads > 1 else ''}",
                prdc_speedup=round(tp[equal] / tp['genq'], 2),
                prdc_package_shipped_s=tp['shipped'], prdc_speedup_vs_shipped=round(tp['shipped'] / tp['genq'], 2),
                prdc_max_abs_diff=max(abs(vp['genq'][m] - float(vp[equal][m])) for m in vp['genq']),
                fid_genq_limit=near_limit(fid_work(n, fid_dim), t['genq'], peak),
                prdc_genq_limit=near_limit(prdc_work(n, prdc_dim), tp['genq'], peak))


@contextlib.contextmanager
def busy(procs: int):
    "Other work on the cores meanwhile: `procs` single-threaded processes of float64 matrix products."
    others = [subprocess.Popen([sys.executable, '-c', LOAD]) for _ in range(procs)]
    try:
        time.sleep(3); yield
    finally:
        for p in others: p.kill(); p.wait()


def main(n, fid_dim, prdc_dim, k, threads, repeats, load, load_procs) -> dict:
    torch.set_num_threads(threads)
    row = dict(bench='metrics', n=n, fid_dim=fid_dim, prdc_dim=prdc_dim, k=k, threads=threads, cores=os.cpu_count(),
               load_procs=load_procs,
               omp_wait_policy=os.environ.get('OMP_WAIT_POLICY', 'default'), python=platform.python_version(),
               torch=torch.__version__, peaks=peaks(threads),                   # the idle machine's peaks
               serial=serial_part(fid_dim, threads))
    for cond in load:
        with busy(load_procs) if cond == 'busy' else contextlib.nullcontext():
            row[cond] = compare(n, fid_dim, prdc_dim, k, threads, repeats, row['peaks'])
    if {'idle', 'busy'} <= set(row):
        row['ratio_drift'] = {m: round(row['busy'][m] / row['idle'][m] - 1, 2) for m in ('fid_speedup', 'prdc_speedup')}
        row['slowdown'] = {m: round(row['busy'][f'{m}_s'] / row['idle'][f'{m}_s'], 2)
                           for m in ('fid_genq', 'fid_torchmetrics', 'prdc_genq', 'prdc_package')}
        row['proportional_slowdown'] = round(max(1.0, (threads + load_procs) / os.cpu_count()), 2)
    return row


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--n', type=int, default=10_000); p.add_argument('--fid-dim', type=int, default=2048)
    p.add_argument('--prdc-dim', type=int, default=64); p.add_argument('--k', type=int, default=5)
    p.add_argument('--threads', type=int, default=os.cpu_count()); p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--load', default='idle,busy', help='idle, busy or both, comma-separated')
    p.add_argument('--load-procs', type=int, default=os.cpu_count(), help='processes of other work when busy')
    p.add_argument('--save', help='also write the result with its provenance to this JSON file')
    args = vars(p.parse_args()); path = args.pop('save')
    args['load'] = args['load'].split(',')
    if not set(args['load']) <= {'idle', 'busy'}: sys.exit(f"--load should name idle and/or busy. Got {args['load']}.")
    row = main(**args)
    print(json.dumps(row))
    if path: save(row, path, 'python ' + ' '.join(sys.argv), 'bench_metrics')
