"""Run the book's case studies at full scale and save each study's rows with provenance (see genq.experiment).

    GENQ_QUICK=0 python tools/full_scale.py OUT_DIR [STUDY ...]      # default: every study, then stacked MNIST

Uses the same grids as the chapters (`genq.experiment.study`), at the full scale that `GENQ_QUICK=0` selects. A
study's file is rewritten after each seed, so a run cut short keeps its finished seeds; runs are cached as usual, so
a rerun resumes. Copy the JSON files into genq/results/ to ship them: the chapters show them on pages built without
a GPU.
"""
import sys, time
from pathlib import Path
import pandas as pd
from genq.data import by_scale
from genq.experiment import STUDIES, run_grid, save_results, stacked_mnist, study, study_results

if __name__ == '__main__':
    out, names = Path(sys.argv[1]), sys.argv[2:] or [*STUDIES, 'stacked_mnist']
    for name in names:
        t0 = time.perf_counter()
        if name == 'stacked_mnist':
            save_results(stacked_mnist(by_scale(1000, 5000), by_scale(5000, 25000), by_scale(2000, 26000))[0], out / f'{name}.json', name)
            print(f'{name}: done in {time.perf_counter() - t0:.0f} s', flush=True); continue
        runs, done = study(name), []
        for seed in sorted({s['seed'] for s in runs}):
            done += [s for s in runs if s['seed'] == seed]
            rows = study_results(name) if len(done) == len(runs) else run_grid(done, progress=False)
            save_results(rows, out / f'{name}.json', name, seeds_done=seed + 1)
            print(f'{name}: {len(rows)} rows, seed {seed} done at {time.perf_counter() - t0:.0f} s', flush=True)
