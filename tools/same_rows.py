"""Does this code compute the same rows as the code that measured a shipped study? Run and compare, then say so.

    python tools/same_rows.py OLD_COMMIT STUDY [STUDY ...] [--seeds 0] [--write]

A shipped results file (genq/results/STUDY.json) names the commit and the code fingerprint that measured it; a later
change to genq's code makes it read "not current", even when the change cannot touch its rows (a progress bar, a
choice made only on other hardware). This tool checks out OLD_COMMIT (a git worktree), confirms that its code has
the file's fingerprint, and runs each study's quick-scale runs of the given seeds twice on the CPU, in fresh
processes on one thread each, side by side: with the old genq and with this checkout's. Every row must be
identical, every value exactly, the run time aside. With `--write` it then records the check in the file's
provenance (`same_rows`: this code's fingerprint, the commit compared against, the runs compared, the date), which
`genq.experiment.result_status` accepts as current for this fingerprint only. A mismatch prints the runs and the
values that differ and writes nothing.

What it cannot see: code paths a CPU run never takes (CUDA graphs, the GPU's half precision). Say in the commit
message why those did not change.
"""
import datetime, json, os, subprocess, sys, tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import json, sys, genq, genq.experiment as E
assert genq.__file__.startswith(sys.argv[1]), genq.__file__
rows = [E.run(s) for s in json.loads(sys.argv[2])]
print(json.dumps(dict(code=E.code_fingerprint(), rows=[{k: v for k, v in r.items() if k != 'seconds'} for r in rows]),
                 default=float, sort_keys=True))
"""


def run_rows(source: Path, runs: list) -> dict:
    "The fingerprint and the rows (run time aside) that the genq under `source` computes for `runs`, on one thread."
    env = {**os.environ, 'PYTHONPATH': str(source), 'GENQ_QUICK': '1', 'OMP_NUM_THREADS': '1',
           'CUDA_VISIBLE_DEVICES': '', 'MPLBACKEND': 'Agg'}
    r = subprocess.run([sys.executable, '-c', CHILD, str(source / 'genq'), json.dumps(runs)], capture_output=True,
                       text=True, env=env, cwd=tempfile.gettempdir())
    if r.returncode: sys.exit(f"the runs failed under {source}:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def differences(old: list, new: list) -> list:
    "(run, column, old value, new value) for every value that differs."
    return [(i, k, a.get(k), b.get(k)) for i, (a, b) in enumerate(zip(old, new)) for k in sorted(a.keys() | b.keys())
            if json.dumps(a.get(k)) != json.dumps(b.get(k))]


def main(args: list):
    write = '--write' in args
    args = [a for a in args if a != '--write']
    seeds = [0]
    if '--seeds' in args:
        i = args.index('--seeds'); seeds = [int(s) for s in args[i + 1].split(',')]; del args[i:i + 2]
    if len(args) < 2: sys.exit(__doc__)
    commit, names = args[0], args[1:]
    os.environ['GENQ_QUICK'] = '1'
    sys.path.insert(0, str(ROOT))
    from genq.experiment import code_fingerprint, load_results, study
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / 'old'
        subprocess.run(['git', 'worktree', 'add', '--detach', '-q', old, commit], cwd=ROOT, check=True)
        try:
            for name in names:
                _, prov = load_results(name)
                runs = [s.as_dict() for s in study(name) if s.seed in seeds]
                with ThreadPoolExecutor(2) as pool:                             # the two codes side by side
                    before, after = pool.map(lambda source: run_rows(source, runs), (old, ROOT))
                if before['code'] != prov['code']: sys.exit(
                    f"{name}: commit {commit}'s code has fingerprint {before['code']}, but the file was measured by "
                    f"{prov['code']}. Compare against the commit that measured it ({prov.get('commit')}).")
                diff = differences(before['rows'], after['rows'])
                print(f"{name}: {len(runs)} runs, {before['code']} -> {after['code']}: "
                      + ('the same rows' if not diff else f"{len(diff)} values differ"))
                for i, col, a, b in diff[:20]: print(f"  run {i} ({runs[i]}): {col}: {a} -> {b}")
                if diff: sys.exit(1)
                if after['code'] != code_fingerprint(): sys.exit("the checkout changed while the runs ran: rerun.")
                if write:
                    path = ROOT / 'genq' / 'results' / f'{name}.json'
                    saved = json.loads(path.read_text())
                    saved['provenance']['same_rows'] = dict(code=after['code'], against=commit, runs=len(runs),
                                                            seeds=seeds, date=datetime.date.today().isoformat())
                    path.write_text(json.dumps(saved, indent=1, default=float))      # as save_results writes it
        finally:
            subprocess.run(['git', 'worktree', 'remove', '--force', old], cwd=ROOT, check=False)


if __name__ == '__main__':
    main(sys.argv[1:])
