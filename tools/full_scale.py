"""Run the book's case studies at full scale and save each study's rows with provenance (see genq.experiment).

    GENQ_QUICK=0 python tools/full_scale.py OUT_DIR [STUDY ...] [--jobs N]
    # default: every study, then stacked MNIST and the generalization chapter's pairs

Uses the same grids as the chapters (`genq.experiment.study`), at the full scale that `GENQ_QUICK=0` selects. The
book's models are small: one of them leaves most of a GPU idle. `--jobs N` starts N worker processes that share the
runs of every study named (run k goes to worker k mod N) and write them to the experiment cache, which takes
concurrent writers (each file is written whole, by a rename); the parent then reads every study back from the cache
and saves it. Without `--jobs`, a study's file is rewritten after each seed, so a run cut short keeps its finished
seeds; either way runs are cached, so a rerun resumes. Copy the JSON files into genq/results/ to ship them (then run
`python tools/headline.py`): the chapters show them on pages built without a GPU.
"""
import os, subprocess, sys, time
from pathlib import Path
from genq.data import by_scale
from genq.experiment import (STUDIES, generalization_runs, run_grid, same_noise, save_results, stacked_mnist, study,
                             study_results)
EXTRA = ('stacked_mnist', 'generalization')          # not grids of runs: saved by `sequential` in their own way


def worker(index: int, jobs: int, names: list[str]):
    "Compute this worker's share of the runs of `names` into the cache."
    runs = [s for name in names if name in STUDIES for s in study(name)]
    runs += generalization_runs() if 'generalization' in names else []
    mine = runs[index::jobs]
    t0 = time.perf_counter()
    run_grid(mine, progress=False)
    print(f'worker {index}: {len(mine)} runs in {time.perf_counter() - t0:.0f} s', flush=True)


def parallel(out: Path, names: list[str], jobs: int):
    "Share the runs among `jobs` worker processes, then save each study from the cache."
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, __file__, '--worker', str(i), str(jobs), *names]) for i in range(jobs)]
    if any(p.wait() for p in procs): sys.exit('a worker failed: see its output above')
    for name in names:
        if name in EXTRA: sequential(out, [name]); continue
        save_results(study_results(name), out / f'{name}.json', name, seeds_done=len({s.seed for s in study(name)}),
                     jobs=jobs)
    print(f'{len(names)} studies with {jobs} workers in {time.perf_counter() - t0:.0f} s', flush=True)


def sequential(out: Path, names: list[str]):
    "Run the studies one by one, saving each study after each seed."
    for name in names:
        t0 = time.perf_counter()
        if name == 'stacked_mnist':
            save_results(stacked_mnist(by_scale(400, 5000), by_scale(5000, 25000), by_scale(2000, 26000))[0],
                         out / f'{name}.json', name)
            print(f'{name}: done in {time.perf_counter() - t0:.0f} s', flush=True); continue
        if name == 'generalization':
            save_results(same_noise(generalization_runs()), out / f'{name}.json', name)
            print(f'{name}: done in {time.perf_counter() - t0:.0f} s', flush=True); continue
        runs, done = study(name), []
        for seed in sorted({s.seed for s in runs}):
            done += [s for s in runs if s.seed == seed]
            rows = study_results(name) if len(done) == len(runs) else run_grid(done, progress=False)
            save_results(rows, out / f'{name}.json', name, seeds_done=seed + 1)
            print(f'{name}: {len(rows)} rows, seed {seed} done at {time.perf_counter() - t0:.0f} s', flush=True)


if __name__ == '__main__':
    args = sys.argv[1:]
    if args[:1] == ['--worker']: worker(int(args[1]), int(args[2]), args[3:]); sys.exit()
    jobs = 1
    if '--jobs' in args:
        i = args.index('--jobs'); jobs = int(args[i + 1]); del args[i:i + 2]
    if not args: sys.exit(__doc__)
    out, names = Path(args[0]), args[1:] or [*STUDIES, *EXTRA]
    unknown = [n for n in names if n not in STUDIES and n not in EXTRA]
    if unknown: sys.exit(f"unknown studies {unknown}: choose from {', '.join([*STUDIES, *EXTRA])}")
    out.mkdir(parents=True, exist_ok=True)
    parallel(out, names, jobs) if jobs > 1 else sequential(out, names)
