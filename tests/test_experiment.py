"""genq.experiment: settings are checked, the cache is keyed by settings and code, grids resume, summaries are right."""
import json
import pandas as pd
import pytest
import torch
from genq import experiment as E
from genq.corrupt import label_noise, noise_matrix

TINY = dict(dataset='digits', steps=5, width=8)


def test_settings_refuse_what_they_do_not_know():
    with pytest.raises(ValueError, match='Unknown settings'): E.settings(rates=0.1)
    with pytest.raises(ValueError, match='remedy should be'): E.settings(remedy='magic')
    with pytest.raises(ValueError, match='GAN remedy'): E.settings(model='vae', remedy='diffaugment')
    with pytest.raises(ValueError, match='conditional'): E.settings(remedy='noise_aware')
    with pytest.raises(ValueError, match='list of values'): E.grid(rate=0.1)
    runs = E.grid(dict(defect='outliers'), rate=[0, 0.1], remedy=['none', 'clean'], seed=[0, 1, 2])
    assert len(runs) == 12 and runs[0].rate == 0.0 and all(r.defect == 'outliers' for r in runs)
    with pytest.raises(ValueError, match='dataset should be one of'): E.settings(dataset='mnist5K')
    with pytest.raises(ValueError, match='defect should be one of'): E.settings(defect='label-noise')
    with pytest.raises(TypeError, match='base should be Settings'): E.settings(['rate', 0.1])


def test_settings_are_values_that_cannot_change():
    import dataclasses, pickle
    s = E.settings(defect='duplicates', rate=0.01, defect_args={'copies': 3})
    with pytest.raises(dataclasses.FrozenInstanceError): s.rate = 0.5
    with pytest.raises(TypeError): s.defect_args['copies'] = 5  # the defect's arguments are read-only too
    assert pickle.loads(pickle.dumps(s)) == s == E.settings(s.as_dict()) and len({s, E.settings(s.as_dict())}) == 1
    t = s.replace(rate=0.02)
    assert (t.rate, s.rate, t.defect_args['copies']) == (0.02, 0.01, 3)
    args = {'copies': 3}
    u = E.settings(defect='duplicates', defect_args=args)
    args['copies'] = 7                                                           # the caller's dict is copied
    assert u.defect_args['copies'] == 3 and E.run_key(u) == E.run_key(u.as_dict())


def test_each_study_is_one_table_entry():
    for name, st in E.STUDIES.items():
        runs = E.study(name)
        assert runs and all(isinstance(s, E.Settings) for s in runs)
        rows = st.columns(pd.DataFrame([s.as_dict() | {f'defect_{k}': v for k, v in s.defect_args.items()}
                                        for s in runs]))
        assert {st.dose, st.clean_dose} <= set(rows[st.x])                     # the cover's doses are on its grid


def test_the_key_depends_on_settings_and_code(monkeypatch):
    a, b = E.settings(rate=0.1), E.settings(rate=0.2)
    assert E.run_key(a) == E.run_key(a.as_dict()) != E.run_key(b)
    monkeypatch.setattr(E, 'code_fingerprint', lambda: 'other code')
    key_other = E.run_key(a)
    monkeypatch.undo()
    assert key_other != E.run_key(a)


def test_grids_are_cached_and_resume(tmp_path):
    runs = E.grid(dict(TINY, defect='outliers'), rate=[0, 0.2], remedy=['none'])
    first = E.run_grid(runs[:1], cache=tmp_path, progress=False)             # an interrupted grid: one run done
    both = E.run_grid(runs, cache=tmp_path, progress=False)
    assert first.cached.tolist() == [False] and both.cached.tolist() == [True, False]
    assert both.fid[0] == first.fid[0] and both.dirty_rows[1] > both.dirty_rows[0]
    assert not list(tmp_path.glob('*.tmp'))
    model = E.model_for(runs[1], cache=tmp_path)
    assert model.sample(3).shape == (3, 1, 8, 8)


def test_study_sets_are_disjoint_and_stratified():
    sets = E.study_sets('digits')
    ids = {k: set(v.ids.tolist()) for k, v in sets.items()}
    assert all(not (ids[a] & ids[b]) for a in ids for b in ids if a < b)
    assert sum(map(len, ids.values())) == 1797
    n = len(sets['train']) + len(sets['reference']) + len(sets['fresh'])
    assert abs(len(sets['train']) - 0.6 * n) < 12 and abs(len(sets['reference']) - len(sets['fresh'])) < 12
    assert (sets['reference'].class_counts() > 0).all()


def test_runs_leave_their_data_alone_and_repeat_exactly(tmp_path):
    half = E.study_sets('digits')['train']
    before = half.x.clone()
    s = E.settings(**TINY, defect='duplicates', rate=0.05, defect_args={'copies': 3}, remedy='clean')
    a, b = E.run(s), E.run(s)
    assert torch.equal(half.x, before)
    assert a['removed'] >= round(0.05 * len(half)) * 3 * 0.9 and 0 <= a['repeated_share'] <= 1
    assert 0 <= a['extraction_rate'] <= 1 and 0 <= a['closer_than_real'] <= 1
    assert {k: v for k, v in a.items() if k != 'seconds'} == {k: v for k, v in b.items() if k != 'seconds'}


def test_a_duplicates_clean_run_measures_the_same_images():
    from genq.corrupt import duplicates
    half = E.study_sets('digits')['train']
    for copies in (1, 5):
        dirty = duplicates(half, 0.05, copies=copies, seed=3).ds
        assert set(dirty.meta['duplicate_of'].values()) == E.designated(half, 0.05, 3)
    s = E.settings(**TINY, defect='duplicates', rate=0.05, defect_args={'copies': 0})
    data, repeated = E.dirty_set(s)
    assert data is half and repeated == E.designated(half, 0.05, 0)
    assert 0 <= E.run(s)['repeated_share'] <= 1


def test_same_rows_ignores_order_and_ids_but_not_labels_or_pixels():
    half = E.study_sets('digits')['train']
    flipped = half.subset(torch.arange(len(half) - 1, -1, -1)).replace(ids=torch.arange(len(half)) + 10_000)
    assert E.same_rows(half, flipped)
    assert not E.same_rows(half, half.replace(y=(half.y + 1) % 10))
    assert not E.same_rows(half, half.subset(torch.arange(len(half) - 1)))
    x = half.x.clone(); x[0, 0, 0, 0] = -x[0, 0, 0, 0] - 0.5
    assert not E.same_rows(half, half.replace(x=x.clamp(-1, 1)))


def test_controls_floor_and_memorizer():
    c = E.controls('digits')
    assert c.copy_rate['memorizer'] == 1.0 and c.copy_rate['real vs real'] < 0.2
    assert c.label_accuracy['real vs real'] > 0.9


def test_noise_transition_estimates_the_noise():
    from genq.data import digits
    from genq.metrics import evaluator_split
    _, half = evaluator_split(digits())                                     # 898 rows: enough for a 0.08 tolerance
    noisy = label_noise(half, 0.3, seed=0).ds
    probs = torch.nn.functional.one_hot(half.y, 10).float() * 0.9 + 0.01  # a near-perfect classifier of the true class
    T = E.noise_transition(probs, noisy.y)
    assert torch.allclose(T.sum(1), torch.ones(10))
    assert (T.diagonal() - 0.7).abs().max() < 0.1                            # 30% of each class moved...
    off = T - torch.diag(T.diagonal())
    assert (off - 0.3 * noise_matrix(10)).abs().max() < 0.08                 # ...uniformly to the other classes


def _study(clean, dirty, remedies: dict, metric='fid', rebuilt=()) -> pd.DataFrame:
    "Rows of a study: per seed, a clean and a dirty run and one run per remedy at rate 0.3."
    rows = [dict(remedy='none', rate=0., seed=i, **{metric: v}) for i, v in enumerate(clean)]
    rows += [dict(remedy='none', rate=0.3, seed=i, **{metric: v}) for i, v in enumerate(dirty)]
    rows += [dict(remedy=r, rate=0.3, seed=i, rebuilt_clean=r in rebuilt, **{metric: v}) for r, vs in remedies.items()
             for i, v in enumerate(vs)]
    return pd.DataFrame(rows).assign(rebuilt_clean=lambda d: d.rebuilt_clean.fillna(False).astype(bool))


def test_recovery_is_paired_with_intervals_and_claims_only_measurable_losses():
    df = _study([1.0, 1.1, 0.9, 1.2, 1.0], [3.0, 3.2, 2.9, 3.1, 3.0],
                {'clean': [1.5, 1.6, 1.4, 1.7, 1.5], 'other': [4, 4, 4, 4, 4]})
    r = E.recovery(df, 'fid', rate=0.3)
    assert r.loss['none'] == pytest.approx(2.0) and r.loss_lo['none'] > 0 and r.verdict['none'] == 'loss measured'
    assert r.recovered['clean'] == pytest.approx(1.5 / 2.0)
    assert r.recovered_lo['clean'] <= 0.75 <= r.recovered_hi['clean']
    assert r.recovered['other'] == pytest.approx((3.04 - 4) / 2.0) and r.verdict['clean'].startswith('recovers 75%')
    assert r.change['clean'] == pytest.approx(-1.5) and r.change_hi['clean'] < 0
    assert r.verdict['other'] == 'makes it worse (-48%)'
    much_worse = E.recovery(_study([1, 1.1, 0.9], [1.2, 1.3, 1.1], {'aug': [3, 3.5, 2.5]}), 'fid', rate=0.3)
    assert much_worse.verdict['aug'] == 'makes it worse, by more than twice the loss'
    assert (r.seeds == 5).all()
    # pairing: a shift shared by the seeds' clean and dirty runs does not widen the loss's interval
    shared = _study([1, 5, 9, 2, 7], [3, 7, 11, 4, 9], {'clean': [1, 5, 9, 2, 7]})
    s = E.recovery(shared, 'fid', rate=0.3)
    assert s.loss_lo['none'] == s.loss_hi['none'] == pytest.approx(2.0)
    # no share of a loss whose interval holds zero
    noisy = _study([1, 2, 3, 4, 5], [2, 1, 4, 3, 5], {'clean': [1, 1, 1, 1, 1]})
    n = E.recovery(noisy, 'fid', rate=0.3)
    assert n.loss_lo['none'] <= 0 <= n.loss_hi['none'] and n.verdict['clean'] == 'no measurable loss'
    assert pd.isna(n.recovered['clean'])
    one = E.recovery(df[df.seed == 0], 'fid', rate=0.3)
    assert one.verdict['clean'] == '1 seed: no interval' and pd.isna(one.recovered['clean'])
    built = E.recovery(_study([1, 1.1], [3, 3.1], {'clean': [1, 1.1]}, rebuilt=('clean',)), 'fid', rate=0.3)
    assert built.verdict['clean'] == 'rebuilds the clean set' and built.recovered['clean'] == pytest.approx(1.0)
    acc = _study([0.9, 0.92], [0.3, 0.32], {'clean': [0.8, 0.82]}, metric='label_accuracy')
    assert E.recovery(acc, 'label_accuracy', rate=0.3).recovered['clean'] == pytest.approx(5 / 6)
    with pytest.raises(ValueError, match="remedy='none'"): E.recovery(df, 'fid', rate=0.5)


def test_bootstrap_agrees_with_scipy():
    scipy_stats = pytest.importorskip('scipy.stats')
    import numpy as np
    values = np.array([0.31, 0.27, 0.35, 0.22, 0.30, 0.41, 0.26])
    mean, lo, hi = E.bootstrap_mean(values, n_boot=20_000)
    ref = scipy_stats.bootstrap((values,), np.mean, n_resamples=20_000, method='percentile', confidence_level=0.95,
                                random_state=0).confidence_interval
    assert mean == pytest.approx(values.mean())
    assert lo == pytest.approx(ref.low, abs=0.004) and hi == pytest.approx(ref.high, abs=0.004)
    assert all(np.isnan(E.bootstrap_mean([1.0])[1:]))


def test_cover_table_picks_the_remedy_that_moves_the_metric_furthest():
    acc = _study([0.9, 0.92], [0.3, 0.32], {'clean': [0.8, 0.82], 'noise_aware': [0.35, 0.36]}, metric='label_accuracy')
    t = E.cover_table({'label_noise': acc.assign(rate=acc.rate.replace(0.3, 0.5))})
    assert t.best_remedy['label_noise'] == 'clean' and t.recovered['label_noise'] == pytest.approx(5 / 6)
    assert '| label noise | label_accuracy ↑ |' in E.cover_markdown(t)


def test_results_keep_their_provenance(tmp_path):
    df = pd.DataFrame(dict(rate=[0., 0.1], fid=[0.1, 0.2], cached=[True, False]))
    path = E.save_results(df, tmp_path / 'r.json', 'demo', rates=[0, 0.1])
    rows, prov = E.load_results(path)
    assert rows.columns.tolist() == ['rate', 'fid'] and prov['study'] == 'demo' and prov['rates'] == [0, 0.1]
    assert {'date', 'device', 'code', 'torch', 'commit'} <= set(prov)
    with pytest.raises(FileNotFoundError, match='none shipped'): E.load_results('no such study')
    assert prov['protocol'] == E.PROTOCOL and E.result_status(prov) == 'current'
    for name in E.STUDIES:                                                   # every study's full-scale results ship
        rows, prov = E.load_results(name)
        assert len(rows) and prov['device'].startswith('cuda')


@pytest.mark.parametrize('name', [*E.STUDIES, 'stacked_mnist'])
def test_shipped_results_match_their_code_or_say_why_not(name):
    _, prov = E.load_results(name)
    status = E.result_status(prov)
    assert status == 'current' or len(prov.get('stale', '')) > 40, f"genq/results/{name}.json: {status}"


@pytest.mark.parametrize('name', ['duplicates', 'augmentation', 'contradictions', 'junk', 'long_tail'])
def test_shipped_text_results_match_their_code(name):
    "Chapter 21 reads them as this code's: after a change to genq's code, `python tools/text_studies.py genq/results`."
    from genq.text_study import TEXT_STUDIES
    assert name in TEXT_STUDIES
    rows, prov = E.load_results(f'text_{name}')
    status = E.result_status(prov)
    assert status == 'current' or len(prov.get('stale', '')) > 40, (
        f"genq/results/text_{name}.json: {status}: rerun python tools/text_studies.py genq/results (5 min, 2 cores)")
    assert prov['seeds'] == [0, 1, 2, 3, 4] and set(rows.seed) == set(prov['seeds'])


def test_readme_headline_is_generated_from_the_shipped_results():
    import importlib.util
    from pathlib import Path
    spec = importlib.util.spec_from_file_location('headline',
                                                  Path(__file__).resolve().parents[1] / 'tools' / 'headline.py')
    headline = importlib.util.module_from_spec(spec); spec.loader.exec_module(headline)
    for name, (_, _, generate) in headline.SECTIONS.items():
        stale = f"README's {name} table is stale: run python tools/headline.py"
        assert headline.current_section(name) == generate(), stale


def test_a_diffusion_model_runs_through_the_pipeline_with_no_special_case():
    s = E.settings(**TINY, model='diffusion', conditional=True, defect='label_noise', rate=0.2, remedy='clean')
    row, model = E.run_with_model(s)
    assert row['model'] == 'diffusion' and 0 <= row['label_accuracy'] <= 1 and row['fid'] > 0
    assert type(model).__name__ == 'Diffusion'
    with pytest.raises(ValueError, match='GAN remedy'): E.settings(model='diffusion', remedy='diffaugment')


def test_halves_share_no_image_and_pair_different_seeds():
    runs = E.halves_runs([0.02, 0.2], pairs=2, steps=5, width=8)
    assert len(runs) == 8 and [s.seed for s in runs[:4]] == [0, 1, 2, 3]
    assert [s.defect_args['half'] for s in runs[:4]] == [0, 1, 0, 1]
    a, b = (E.dirty_set(s)[0] for s in runs[-2:])
    assert not set(a.ids.tolist()) & set(b.ids.tolist()) and abs(len(a) - len(b)) <= 10
    assert len(E.dirty_set(runs[0])[0]) == 10                     # one image of each class: the batch is the set


def test_image_similarity_is_one_for_the_same_image_and_near_zero_by_chance():
    g = torch.Generator().manual_seed(0)
    x, y, mean = torch.rand(500, 1, 8, 8, generator=g), torch.rand(500, 1, 8, 8, generator=g), torch.full((1, 8, 8), .5)
    assert torch.allclose(E.image_similarity(x, x, mean), torch.ones(500))
    assert abs(E.image_similarity(x, y, mean).mean().item()) < 0.05
    assert torch.allclose(E.image_similarity(x, 2 * (x - mean) + mean, mean), torch.ones(500))   # scale-free


def test_same_noise_compares_a_pair_from_the_same_noise(tmp_path):
    runs = E.halves_runs([0.06], pairs=1, steps=5, width=8)
    df = E.same_noise(runs, n=50, cache=tmp_path)
    assert len(df) == 1 and df.train_rows[0] == len(E.dirty_set(runs[0])[0])
    assert 0 <= df.copy_rate[0] <= 1 and -1 <= df.other_noise[0] <= 1 and -1 <= df.same_noise[0] <= 1
    x = E.samples(E.model_for(runs[0], tmp_path), 50, seed=0)
    assert torch.equal(x, E.samples(E.model_for(runs[0], tmp_path), 50, seed=0))     # the same noise, the same images


def test_halves_and_same_noise_refuse_what_is_not_a_pair():
    with pytest.raises(ValueError, match='pairs should be'): E.halves_runs([0.1], pairs=0, steps=5)
    with pytest.raises(ValueError, match='each of rates'): E.halves_runs([0.6], pairs=1, steps=5)
    runs = E.halves_runs([0.06], pairs=1, steps=5, width=8)
    with pytest.raises(ValueError, match='runs should be pairs'): E.same_noise(runs[:1])
    with pytest.raises(ValueError, match='runs should be pairs'): E.same_noise(runs[::-1])
