"""The audit's nearest-neighbour search at 10⁴ to 10⁶ rows: exact against FAISS, time, peak memory, recall@k.

    python bench/scale.py [--rows 10000 100000 1000000] [--nprobe 8 16 32] [--k 10] [--queries 10000]
                          [--workers 2] [--save PATH]

Rows are synthetic 64-d features, unit length: 1,000 clusters with noise (a stand-in for a feature network's
embeddings of a large image set). Each configuration runs in a fresh process, so its peak memory (`peak_mb`, the
process's maximum resident size) is its own. The exact search is `genq.audit.nearest(approximate=False)`: at 10⁶ rows
its all-pairs pass would take hours, so it runs on the first `--queries` rows only and its time is scaled to all rows
(`exact_scaled`); it holds at most 2²⁷ similarities at a time (512 MB). The
approximate search is `genq.audit.approximate_nearest` at each `--nprobe`, on every row, index building included.
recall@k: the share of each query row's exact k nearest rows that the approximate search also returns, over the
first `--queries` rows.

One process against the engine's workers: the same exact search as `nearest(..., client=)` runs it, on a local Dask
cluster of `--workers` worker processes of one thread each (the one-process search uses every core's thread),
started before the clock. Its time is the rows' broadcast to the workers (`transfer_s`) plus the blocks' tasks scaled
to all rows, as for the exact search; `worker_peak_mb` is the largest worker's peak memory. --save writes the line
with its provenance; genq/results/scale_cpu.json was written that way.
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
import numpy as np
import torch
from _common import cpu_name, save                  # bench/_common.py


def features(n: int, d: int = 64, clusters: int = 1000, seed: int = 0) -> torch.Tensor:
    "n unit rows around `clusters` random centres, the same for every process."
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(clusters, d, generator=g)
    x = centres[torch.randint(clusters, (n,), generator=g)] + 0.5 * torch.randn(n, d, generator=g)
    return x / x.norm(dim=1, keepdim=True)


def peak_mb() -> float:
    "This process's peak resident memory in MB."
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def exact_search(x: torch.Tensor, k: int, queries: int) -> torch.Tensor:
    "The first `queries` rows' k nearest other rows, exactly."
    from genq.audit import nearest
    q = x[:queries]
    idx = nearest(q, x, k=k + 1, approximate=False)[1]                   # q is x's first rows: drop each own entry
    own = idx == torch.arange(len(q))[:, None]
    return idx.gather(1, own.int().argsort(dim=1, stable=True))[:, :k]


def on_workers(x: torch.Tensor, k: int, queries: int, workers: int) -> tuple[torch.Tensor, dict]:
    """The exact search of the first `queries` rows on a local Dask cluster of `workers` one-thread processes, as
    `nearest(..., client=)` runs it, timed in its two parts: the rows' broadcast to the workers, then the blocks'
    tasks (`genq.audit.dealt`). Returns the neighbours, the transfer and the search seconds."""
    from dask.distributed import Client, LocalCluster
    from genq.audit import BLOCK_ROWS, _nearest_block, dealt
    chunk = max(1, min(BLOCK_ROWS, 2 ** 27 // len(x)))                  # nearest's default block
    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        t0 = time.perf_counter(); remote = client.scatter(x, broadcast=True); transfer = time.perf_counter() - t0
        blocks = [(x[i:i + chunk], i) for i in range(0, queries, chunk)]
        t0 = time.perf_counter(); parts = dealt(client, _nearest_block, blocks, remote, k + 1, chunk, False)
        search = time.perf_counter() - t0
        worker_peak = max(client.run(peak_mb).values())
    idx = torch.cat([i for _, i in parts])
    own = idx == torch.arange(len(idx))[:, None]                              # drop each row's own entry, as above
    return idx.gather(1, own.int().argsort(dim=1, stable=True))[:, :k], dict(transfer_s=transfer, search_s=search,
                                                                              worker_peak_mb=worker_peak)


def child(n: int, method: str, nprobe: int, k: int, queries: int, out: str, workers: int = 2):
    "One configuration: time it, save the first `queries` rows' neighbours to `out`, print seconds and peak memory."
    from genq.audit import approximate_nearest
    x = features(n)
    extra, t0 = {}, time.perf_counter()
    if method == 'exact': idx = exact_search(x, k, queries)
    elif method == 'dask': idx, extra = on_workers(x, k, queries, workers)
    else: idx = approximate_nearest(x, k=k, nprobe=nprobe)[1][:queries]
    seconds = time.perf_counter() - t0
    np.save(out, idx.numpy())
    print(json.dumps(dict(seconds=seconds, peak_mb=peak_mb(), **extra)))


def run(n, method, nprobe, k, queries, tmp, workers=2) -> tuple[dict, np.ndarray]:
    out = os.path.join(tmp, f'{n}-{method}-{nprobe}.npy')
    r = subprocess.run([sys.executable, __file__, '--child', str(n), method, str(nprobe), str(k), str(queries), out,
                        str(workers)], capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1]), np.load(out)


def recall(exact: np.ndarray, approx: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / len(a) for a, b in zip(exact.tolist(), approx.tolist())]))


def main(rows, nprobe, k, queries, workers) -> dict:
    result = dict(bench='scale', d=64, k=k, queries=queries, cpu=cpu_name(), threads=torch.get_num_threads(),
                  workers=workers, rows=[])
    with tempfile.TemporaryDirectory() as tmp:
        for n in rows:
            q = min(queries, n)
            ex, ex_idx = run(n, 'exact', 0, k, q, tmp)
            line = dict(n=n, exact_s=round(ex['seconds'] * n / q, 1), exact_scaled=q < n,
                        exact_peak_mb=round(ex['peak_mb']), approximate=[])
            for p in nprobe:
                ap, ap_idx = run(n, 'faiss', p, k, q, tmp)
                line['approximate'].append(dict(nprobe=p, seconds=round(ap['seconds'], 1),
                                                peak_mb=round(ap['peak_mb']), recall=round(recall(ex_idx, ap_idx), 4),
                                                speedup=round(line['exact_s'] / ap['seconds'], 1)))
            dk, dk_idx = run(n, 'dask', 0, k, q, tmp, workers)
            dask_s = dk['transfer_s'] + dk['search_s'] * n / q
            line['dask'] = dict(seconds=round(dask_s, 1), transfer_s=round(dk['transfer_s'], 2),
                                peak_mb=round(dk['peak_mb']), worker_peak_mb=round(dk['worker_peak_mb']),
                                recall=round(recall(ex_idx, dk_idx), 4),
                                vs_one_process=round(dask_s / line['exact_s'], 2))
            print(json.dumps(line), file=sys.stderr, flush=True)
            result['rows'].append(line)
    return result


if __name__ == '__main__':
    if sys.argv[1:2] == ['--child']:
        n, method, nprobe, k, queries, out, workers = sys.argv[2:]
        child(int(n), method, int(nprobe), int(k), int(queries), out, int(workers)); sys.exit()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--rows', type=int, nargs='+', default=[10_000, 100_000, 1_000_000])
    p.add_argument('--nprobe', type=int, nargs='+', default=[8, 16, 32])
    p.add_argument('--k', type=int, default=10); p.add_argument('--queries', type=int, default=10_000)
    p.add_argument('--workers', type=int, default=2, help="Dask workers (one thread each) for the engine's search")
    p.add_argument('--save')
    args = vars(p.parse_args()); path = args.pop('save')
    row = main(**args)
    print(json.dumps(row))
    if path: save(row, path, 'python ' + ' '.join(sys.argv), 'bench_scale')
