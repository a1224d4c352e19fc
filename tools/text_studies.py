"""Run chapter 21's text case studies over seeds and save each study's rows with provenance.

    python tools/text_studies.py OUT_DIR [STUDY ...] [--seeds 0 1 2 3 4] [--jobs N]
    # default: every study of genq.text_study.TEXT_STUDIES, seeds 0-4, one process per study

The same functions the chapter calls (`duplicates_rows`, ...), at the scale GENQ_QUICK selects (the quick model on a
CPU: a few minutes for five seeds; `GENQ_QUICK=0` on a GPU: the full model). Each study is written to
OUT_DIR/text_<study>.json by `genq.experiment.save_results`, its meta naming the scale, the seeds and the model
settings. Copy the files into genq/results/ to ship them; chapter 21 reads them and prints whether this code computed
them.
"""
import argparse, os, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

LONGEST_FIRST = ['junk', 'contradictions', 'duplicates', 'augmentation', 'long_tail']     # measured on a CPU


def one(name: str, seeds: list, out: str) -> str:
    "Run study `name` over `seeds` on one thread and save it; the path and the seconds it took."
    import torch
    torch.set_num_threads(1)
    from genq.data import quick_mode
    from genq.experiment import save_results
    from genq.text_study import TEXT_STUDIES, lm_scale
    t0 = time.perf_counter()
    rows = TEXT_STUDIES[name](seeds)
    seconds = round(time.perf_counter() - t0)
    path = save_results(rows, Path(out) / f'text_{name}.json', study=f'text_{name}', seeds=seeds,
                        scale='quick' if quick_mode() else 'full', lm=lm_scale(), seconds=seconds)
    return f"{path}: {len(rows)} rows in {seconds} s"


def main():
    from genq.text_study import TEXT_STUDIES
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('out'); p.add_argument('studies', nargs='*', help=f"of {', '.join(TEXT_STUDIES)} (all)")
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2, 3, 4])
    p.add_argument('--jobs', type=int, default=min(len(TEXT_STUDIES), os.cpu_count() or 1))
    a = p.parse_args()
    names = a.studies or sorted(TEXT_STUDIES, key=lambda n: LONGEST_FIRST.index(n) if n in LONGEST_FIRST else 99)
    unknown = sorted(set(names) - set(TEXT_STUDIES))
    if unknown: p.error(f"unknown studies {unknown}: choose from {', '.join(TEXT_STUDIES)}")
    Path(a.out).mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(a.jobs) as pool:
        for line in pool.map(one, names, [a.seeds] * len(names), [a.out] * len(names)): print(line, flush=True)


if __name__ == '__main__':
    main()
