"""Run chapter 21's text case studies over seeds and save each study's rows with provenance.

    python tools/text_studies.py OUT_DIR [STUDY ...] [--seeds 0 1 2 3 4] [--jobs N] [--until SECONDS]
    # default: every study of genq.text_study.TEXT_STUDIES, seeds 0-4, one worker process per CPU core

The same runs the chapter makes (each study is a `TextStudy`: its runs over the seeds, then the table of their
results), at the scale GENQ_QUICK selects (the quick model on a CPU: a few minutes for five seeds; `GENQ_QUICK=0` on a
GPU: the full model). `--jobs N` worker processes share one queue of every run of the studies named, the longest
first (the junk study's runs that train on its junk for longer). A worker claims the next run nobody has claimed (an
exclusive claim file), makes it on one thread and writes its result to the cache ($GENQ_CACHE/text, keyed by the
study, the run, the scale, the model settings and genq's code), so a rerun resumes: cached runs are not made again.
`--until S` stops workers taking new runs S seconds after the start, and stops a run still going a minute later,
for a machine lent for a fixed time. Then each study is built from the cache and written to OUT_DIR/text_<study>.json
by `genq.experiment.save_results`, its meta naming the scale, the seeds and the model settings: whole, or, where runs
are missing, the seeds whose runs all finished (none: not written). Copy the files into genq/results/ to ship them;
chapter 21 reads them and prints whether this code computed them.

On a GPU, through MPS, with the cache packed into $OUT to carry into a later call:
    TOOL=tools/text_studies.py BENCH=0 bash tools/gpu_full_scale.sh UNTIL JOBS [STUDY ...]
"""
import argparse, hashlib, json, os, pickle, subprocess, sys, time, traceback
from functools import cache
from pathlib import Path

from full_scale import claim, stop          # the image studies' queue: the same claim files and deadline
from genq.data import quick_mode
from genq.experiment import cache_dir, code_fingerprint, save_results
from genq.text_study import TEXT_STUDIES, lm_scale


def scale() -> str: return 'quick' if quick_mode() else 'full'


def weight(name: str, call: dict) -> float:
    "A run's training steps relative to `lm_scale()`'s: the junk study's equal-exposure runs of kept junk train longer."
    if name == 'junk' and call.get('remedy', 'none') == 'none' and call.get('exposure', 'equal') == 'equal':
        return 1. + call['junk']
    return 1.


def queue(names: list, seeds: list) -> list:
    "Every run (study, keyword arguments) of the studies `names` over `seeds`: the longest first, else as named."
    runs = [(name, call) for name in names for call in TEXT_STUDIES[name].calls(seeds)]
    return sorted(runs, key=lambda r: -weight(*r))


@cache
def _code() -> str: return code_fingerprint()


def entry(name: str, call: dict) -> Path:
    "The cache file of one run: keyed by its study, its keyword arguments, the scale, `lm_scale()` and genq's code."
    key = json.dumps(dict(study=name, call=call, scale=scale(), lm=lm_scale(), code=_code()), sort_keys=True)
    return cache_dir() / 'text' / f'{hashlib.sha256(key.encode()).hexdigest()[:16]}.pkl'


def write(path: Path, obj):
    "Write `obj` to `path` whole (a rename), so that a reader never sees half a file."
    tmp = path.with_name(path.name + '.tmp')
    tmp.write_bytes(pickle.dumps(obj))
    os.replace(tmp, path)


def worker(index: int, deadline: float, names: list, seeds: list) -> int:
    "Make unclaimed runs into the cache until none is left or `deadline` (time.time()) has passed; how many failed."
    import torch
    torch.set_num_threads(1)
    t0, done, failed = time.perf_counter(), 0, 0
    for name, call in queue(names, seeds):
        if time.time() > deadline: break
        path = entry(name, call)
        if not claim(path): continue
        t = time.perf_counter()
        try: result = TEXT_STUDIES[name].run(**call)
        except Exception:
            failed += 1
            print(f'worker {index}: run failed: {name} {call}\n{traceback.format_exc()}', flush=True)
            continue
        write(path, dict(result=result, seconds=time.perf_counter() - t))
        done += 1
    print(f'worker {index}: {done} runs ({failed} failed) in {time.perf_counter() - t0:.0f} s', flush=True)
    return failed


def save_finished(out: Path, name: str, seeds: list, jobs: int) -> str:
    "Save study `name` from the cache: whole when every run is there, else the seeds whose runs all are."
    study = TEXT_STUDIES[name]
    done = [entry(name, c).exists() for c in study.calls(seeds)]
    whole = [s for s in seeds if all(entry(name, c).exists() for c in study.calls([s]))]
    head = f'{name}: {sum(done)} of {len(done)} runs; seeds finished {whole}'
    if not whole: return f'{head}: not saved'
    runs = [pickle.loads(entry(name, c).read_bytes()) for c in study.calls(whole)]
    rows = study.table([r['result'] for r in runs])
    path = save_results(rows, out / f'text_{name}.json', study=f'text_{name}', seeds=whole, scale=scale(),
                        lm=lm_scale(), jobs=jobs,
                        run_seconds=round(sum(r['seconds'] for r in runs)))
    return f'{head}: {len(rows)} rows in {path}'


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('out'); p.add_argument('studies', nargs='*', help=f"of {', '.join(TEXT_STUDIES)} (all)")
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2, 3, 4])
    p.add_argument('--jobs', type=int, default=os.cpu_count() or 1)
    p.add_argument('--until', type=float, help='stop taking runs this many seconds after the start')
    p.add_argument('--worker', type=int, help=argparse.SUPPRESS)
    p.add_argument('--deadline', type=float, help=argparse.SUPPRESS)
    a = p.parse_args()
    names = a.studies or list(TEXT_STUDIES)
    unknown = sorted(set(names) - set(TEXT_STUDIES))
    if unknown: p.error(f"unknown studies {unknown}: choose from {', '.join(TEXT_STUDIES)}")
    if a.jobs < 1: p.error(f'--jobs should be 1 or more. Got {a.jobs}.')
    if min(a.seeds) < 0 or len(set(a.seeds)) < len(a.seeds):
        p.error(f'--seeds should be distinct whole numbers, 0 or more. Got {a.seeds}.')
    if a.worker is not None: sys.exit(1 if worker(a.worker, a.deadline, names, a.seeds) else 0)
    t0, out = time.perf_counter(), Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (cache_dir() / 'text').mkdir(parents=True, exist_ok=True)
    for f in (cache_dir() / 'text').glob('*.claim'): f.unlink()        # claims of an earlier, interrupted run
    deadline = time.time() + (a.until if a.until is not None else 10 ** 9)
    todo = sum(not entry(*r).exists() for r in queue(names, a.seeds))
    jobs = max(1, min(a.jobs, todo))
    print(f'{todo} runs to make ({scale()} scale), {jobs} workers', flush=True)
    if jobs == 1: failed = [worker(0, deadline, names, a.seeds)]
    else:
        procs = [subprocess.Popen([sys.executable, __file__, a.out, *names, '--seeds', *map(str, a.seeds),
                                   '--worker', str(i), '--deadline', str(deadline)]) for i in range(jobs)]
        failed = [stop(proc, deadline + 60.) for proc in procs]
    for f in (cache_dir() / 'text').glob('*.claim'): f.unlink()
    for name in names: print(save_finished(out, name, a.seeds, jobs), flush=True)
    print(f'{len(names)} studies with {jobs} workers in {time.perf_counter() - t0:.0f} s', flush=True)
    if any(f > 0 for f in failed): sys.exit('a run failed: see its worker above')


if __name__ == '__main__':
    main()
