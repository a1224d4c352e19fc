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
    assert len(runs) == 12 and runs[0]['rate'] == 0.0 and all(r['defect'] == 'outliers' for r in runs)


def test_the_key_depends_on_settings_and_code(monkeypatch):
    a, b = E.settings(rate=0.1), E.settings(rate=0.2)
    assert E.run_key(a) == E.run_key(dict(a)) != E.run_key(b)
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


def test_runs_leave_their_data_alone_and_repeat_exactly(tmp_path):
    _, half = E.halves('digits')
    before = half.x.clone()
    s = E.settings(**TINY, defect='duplicates', rate=0.05, defect_args={'copies': 3}, remedy='clean')
    a, b = E.run(s), E.run(s)
    assert torch.equal(half.x, before)
    assert a['removed'] >= round(0.05 * len(half)) * 3 * 0.9 and 0 <= a['repeated_share'] <= 1
    assert {k: v for k, v in a.items() if k != 'seconds'} == {k: v for k, v in b.items() if k != 'seconds'}


def test_noise_transition_estimates_the_noise():
    _, half = E.halves('digits')
    noisy = label_noise(half, 0.3, seed=0).ds
    probs = torch.nn.functional.one_hot(half.y, 10).float() * 0.9 + 0.01    # a near-perfect classifier of the true class
    T = E.noise_transition(probs, noisy.y)
    assert torch.allclose(T.sum(1), torch.ones(10))
    assert (T.diagonal() - 0.7).abs().max() < 0.1                            # 30% of each class moved...
    off = T - torch.diag(T.diagonal())
    assert (off - 0.3 * noise_matrix(10)).abs().max() < 0.08                 # ...uniformly to the other classes


def test_recovery_and_cover_table():
    df = pd.DataFrame(dict(remedy=['none', 'none', 'clean', 'other'], rate=[0., 0.3, 0.3, 0.3], fid=[1., 3., 1.5, 4.]))
    r = E.recovery(df, 'fid', rate=0.3)
    assert r.loc['clean', 'recovered'] == pytest.approx(0.75) and r.loc['other', 'recovered'] == pytest.approx(-0.5)
    assert r.loc['none', 'lost'] == pytest.approx(2.)
    acc = df.assign(label_accuracy=[0.9, 0.3, 0.8, 0.3])
    assert E.recovery(acc, 'label_accuracy', rate=0.3).loc['clean', 'recovered'] == pytest.approx(5 / 6)
    with pytest.raises(ValueError, match="remedy='none'"): E.recovery(df, 'fid', rate=0.5)
    t = E.cover_table({'label_noise': acc})
    assert t.loc['label_noise', 'best_remedy'] == 'clean'


def test_results_keep_their_provenance(tmp_path):
    df = pd.DataFrame(dict(rate=[0., 0.1], fid=[0.1, 0.2], cached=[True, False]))
    path = E.save_results(df, tmp_path / 'r.json', 'demo', rates=[0, 0.1])
    rows, prov = E.load_results(path)
    assert rows.columns.tolist() == ['rate', 'fid'] and prov['study'] == 'demo' and prov['rates'] == [0, 0.1]
    assert {'date', 'device', 'code', 'torch', 'commit'} <= set(prov)
    with pytest.raises(FileNotFoundError, match='none shipped'): E.load_results('no such study')
    for name in E.STUDIES:                                                   # every study's full-scale results ship
        rows, prov = E.load_results(name)
        assert len(rows) and prov['device'].startswith('cuda')
