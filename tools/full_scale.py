"""Run the book's case studies at full scale and save each study's rows with provenance (see genq.experiment).

    GENQ_QUICK=0 python tools/full_scale.py OUT_DIR [STUDY ...] [--jobs N] [--until SECONDS]
    # default: every study, then stacked MNIST and the generalization chapter's pairs

Uses the same grids as the chapters (`genq.experiment.study`), at the full scale that `GENQ_QUICK=0` selects. The
book's models are small: one of them leaves most of a GPU idle. `--jobs N` starts N worker processes that share one
queue: the runs of the studies named, in the order named, each study seed by seed. A worker claims the next run nobody
has claimed (an exclusive claim file beside the run's cache entry), trains it and writes it to the experiment cache,
which takes concurrent writers (each file is written whole, by a rename); a slow run holds up no one else's share.
`--until S` stops workers taking new runs S seconds after the start, so a run on a machine lent for a fixed time ends
with whole runs saved; a run still training a minute later is stopped. The parent then saves each study from the
cache: whole, or, where runs are missing, the seeds that finished (`seeds_done` in the file says how many). Without
`--jobs`, a study's file is rewritten after each seed. Either way runs are cached, so a rerun resumes. Copy the JSON
files into genq/results/ to ship them (then run `python tools/headline.py`): the chapters show them on pages built
without a GPU.
"""
import os, subprocess, sys, time, traceback
from pathlib import Path
from genq.data import by_scale
from genq.experiment import (STUDIES, cache_dir, generalization_runs, run_grid, run_key, same_noise, save_results,
                             stacked_mnist, study, study_results)
EXTRA = ('stacked_mnist', 'generalization')          # not grids of runs: saved by `sequential` in their own way


def runs_of(name: str) -> list:
    "The runs of study `name`, seed by seed, or the generalization pairs (none for stacked MNIST)."
    if name == 'generalization': return generalization_runs()
    return sorted(study(name), key=lambda s: s.seed) if name in STUDIES else []


def queue(names: list[str]) -> list:
    "Every run of the studies `names`, in the order named."
    return [s for name in names for s in runs_of(name)]


def entry(s) -> Path:
    "The cache entry (row) of run `s`."
    return cache_dir() / f'{run_key(s)}.json'


def claim(path: Path) -> bool:
    "Claim the run whose cache entry is `path` for this process; False when it is cached or another process claimed it."
    if path.exists(): return False
    try: os.close(os.open(path.with_suffix('.claim'), os.O_CREAT | os.O_EXCL))
    except FileExistsError: return False
    return True


def worker(index: int, deadline: float, names: list[str]):
    "Train unclaimed runs of `names` into the cache until the queue is empty or `deadline` (time.time()) has passed."
    t0, done, failed = time.perf_counter(), 0, 0
    cache_dir().mkdir(parents=True, exist_ok=True)
    for s in queue(names):
        if time.time() > deadline: break
        if not claim(entry(s)): continue
        try: run_grid([s], progress=False); done += 1
        except Exception:
            failed += 1
            print(f'worker {index}: run failed: {s}\n{traceback.format_exc()}', flush=True)
    print(f'worker {index}: {done} runs ({failed} failed) in {time.perf_counter() - t0:.0f} s', flush=True)


def save_finished(out: Path, name: str, jobs: int):
    "Save study `name` from the cache: whole when every run is there, else the seeds whose runs all are."
    runs = runs_of(name)
    done = [entry(s).exists() for s in runs]
    if name == 'generalization':
        if all(done): save_results(same_noise(runs), out / f'{name}.json', name, jobs=jobs)
        else: print(f'{name}: {sum(done)} of {len(runs)} runs: not saved', flush=True)
        return
    whole = [k for k in sorted({s.seed for s in runs}) if all(d for s, d in zip(runs, done) if s.seed == k)]
    print(f'{name}: {sum(done)} of {len(runs)} runs; seeds finished: {whole}', flush=True)
    if not whole: return
    keep = [s for s in runs if s.seed in whole]
    rows = study_results(name) if len(keep) == len(runs) else STUDIES[name].columns(run_grid(keep, progress=False))
    save_results(rows, out / f'{name}.json', name, seeds_done=len(whole), jobs=jobs)


def stop(proc, when: float) -> int:
    "Wait for worker `proc` until `when` (time.time()), then stop it; its exit code (-9 if stopped)."
    try: return proc.wait(timeout=max(0., when - time.time()))
    except subprocess.TimeoutExpired:
        proc.kill(); print(f'a worker still training at the deadline was stopped (pid {proc.pid})', flush=True)
        return proc.wait()


def parallel(out: Path, names: list[str], jobs: int, until: float | None, grace: float = 60.):
    """Share the queue of runs among `jobs` worker processes, then save each study from the cache. With `until`, runs
    still training `grace` seconds after it are stopped (their runs are lost; finished ones are cached)."""
    t0 = time.perf_counter()
    for f in cache_dir().glob('*.claim'): f.unlink()                  # claims of an earlier, interrupted run
    deadline = time.time() + (until if until is not None else 10 ** 9)
    procs = [subprocess.Popen([sys.executable, __file__, '--worker', str(i), str(deadline), *names])
             for i in range(jobs)]
    failed = [stop(p, deadline + grace) for p in procs]
    for f in cache_dir().glob('*.claim'): f.unlink()
    for name in names:
        if name == 'stacked_mnist': sequential(out, [name])
        else: save_finished(out, name, jobs)
    print(f'{len(names)} studies with {jobs} workers in {time.perf_counter() - t0:.0f} s', flush=True)
    if any(f > 0 for f in failed): sys.exit('a worker failed: see its output above')


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
        runs, done = runs_of(name), []
        for seed in sorted({s.seed for s in runs}):
            done += [s for s in runs if s.seed == seed]
            rows = study_results(name) if len(done) == len(runs) else run_grid(done, progress=False)
            save_results(rows, out / f'{name}.json', name, seeds_done=seed + 1)
            print(f'{name}: {len(rows)} rows, seed {seed} done at {time.perf_counter() - t0:.0f} s', flush=True)


def option(args: list, flag: str, kind):
    "Remove `flag VALUE` from `args` and return VALUE as `kind` (None when absent)."
    if flag not in args: return None
    i = args.index(flag); value = kind(args[i + 1]); del args[i:i + 2]
    return value


if __name__ == '__main__':
    args = sys.argv[1:]
    if args[:1] == ['--worker']: worker(int(args[1]), float(args[2]), args[3:]); sys.exit()
    jobs, until = option(args, '--jobs', int) or 1, option(args, '--until', float)
    if not args: sys.exit(__doc__)
    out, names = Path(args[0]), args[1:] or [*STUDIES, *EXTRA]
    unknown = [n for n in names if n not in STUDIES and n not in EXTRA]
    if unknown: sys.exit(f"unknown studies {unknown}: choose from {', '.join([*STUDIES, *EXTRA])}")
    if until is not None and jobs == 1: sys.exit('--until needs --jobs N (N > 1)')
    out.mkdir(parents=True, exist_ok=True)
    parallel(out, names, jobs, until) if jobs > 1 else sequential(out, names)
