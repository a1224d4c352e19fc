"""genq.corrupt, genq.audit and genq.clean: bad input, inputs never changed, properties of the detectors, and
cross-checks against cleanlab where it is installed."""
import numpy as np
import pytest
import torch

from genq import audit as A, classifier as L, clean as C, corrupt as K
from genq.data import ImageSet, MISSING, digits


@pytest.fixture(scope='module')
def ds():
    return digits()


def frozen(ds):
    return [t.clone() for t in (ds.x.nan_to_num(7), ds.y, ds.ids)]


def unchanged(ds, before):
    return all(torch.equal(a, b) for a, b in zip((ds.x.nan_to_num(7), ds.y, ds.ids), before))


# ---- corrupt ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('defect, rate, kw', [
    ('label_noise', 0.2, {}), ('label_noise', 0.2, dict(kind='pairwise')), ('duplicates', 0.1, dict(copies=3)),
    ('duplicates', 0.1, dict(near='brightness')), ('outliers', 0.1, {}),
                                              ('corrupt_images', 0.2, dict(kind='occlusion')),
    ('missing_pixels', 0.1, {}), ('missing_labels', 0.1, {}), ('long_tail', 10, {}), ('scarcity', 0.5, {})])
def test_every_defect_keeps_its_input_and_repeats_with_a_seed(ds, defect, rate, kw):
    before = frozen(ds)
    a, b = K.corrupt(ds, defect, rate, seed=3, **kw), K.corrupt(ds, defect, rate, seed=3, **kw)
    assert unchanged(ds, before)
    assert len(a.mask) == len(a.ds) and torch.equal(a.mask, b.mask) and torch.equal(a.ds.x.nan_to_num(7),
                                                                                    b.ds.x.nan_to_num(7))
    assert a.ds.meta['defects'][-1]['kind'] == defect


def test_rates_are_exact(ds):
    assert int(K.label_noise(ds, 0.25, seed=1).mask.sum()) == round(0.25 * len(ds))
    out = K.outliers(ds, 0.2, seed=1)
    assert abs(out.mask.float().mean().item() - 0.2) < 1e-3
    dup = K.duplicates(ds, 0.1, copies=5, seed=1)
    assert len(dup.ds) == len(ds) + 5 * round(0.1 * len(ds))
    tail = K.long_tail(ds, 100).ds.class_counts()
    assert tail[0] == ds.class_counts().min() and tail[-1] == max(1, round(int(ds.class_counts().min()) / 100))


def test_label_noise_follows_a_transition_matrix(ds):
    t = torch.zeros(10, 10); t[3, 8] = t[8, 3] = 1; t[torch.arange(10), (torch.arange(10) + 1) % 10] += 1e-9
    noisy, m = K.label_noise(ds, 1.0, kind=t)
    assert torch.equal(noisy.y[m & (ds.y == 3)].unique(), torch.tensor([8]))


@pytest.mark.parametrize('call, msg', [
    (lambda d: K.label_noise(d, -0.1), r'rate should lie in \[0, 1\]'),
    (lambda d: K.label_noise(d, 0.1, kind='diagonal'), "kind should be 'symmetric' or 'pairwise'"),
    (lambda d: K.label_noise(d.replace(y=None), 0.1), 'no labels'),
    (lambda d: K.duplicates(d, 0.1, copies=0), 'copies should be at least 1'),
    (lambda d: K.outliers(d, 1.0), r'rate should lie in \[0, 1\)'),
    (lambda d: K.outliers(d, 0.1, source='cats'), "source should be 'noise', 'blank' or an ImageSet"),
    (lambda d: K.corrupt_images(d, 0.1, kind='jpeg'), 'kind should be one of'),
    (lambda d: K.long_tail(d, 0.5), 'ratio .* should be at least 1'),
    (lambda d: K.scarcity(d, 0), r'fraction should lie in \(0, 1\]'),
    (lambda d: K.corrupt(d, 'typos', 0.1), 'Choose one of: label_noise'),
])
def test_bad_corruption_arguments(ds, call, msg):
    with pytest.raises(ValueError, match=msg): call(ds)


# ---- audit -----------------------------------------------------------------------------------------------------------

def test_flagged_rows_score_lower_than_the_rest(ds):
    dirty, m = K.outliers(ds, 0.05, source='noise', seed=0)
    t = A.find_outliers(dirty)
    assert t.outlier_score[m.numpy()].max() < t.outlier_score[~m.numpy()].median()
    dirty, m = K.duplicates(ds, 0.1, near='noise', seed=0)
    t = A.find_near_duplicates(dirty)
    assert t.is_near_duplicate_issue.values[m.numpy()].mean() > 0.95
    assert t.is_near_duplicate_issue.values[~m.numpy()].mean() < 0.02


def test_audit_edge_cases(ds):
    r = A.audit(ds.replace(y=None), checks=('missing', 'invalid', 'label'))
    assert r.notes == ['no labels: the label check was skipped.'] and 'is_invalid_issue' in r.table
    assert A.audit(ds.subset(ds.y == 2),
                   checks=('label',)).notes == ['fewer than two classes: the label check was skipped.']
    same = ImageSet(ds.x[[0] * 10], ds.y[[0] * 10])
    assert A.audit(same, checks=('exact_duplicate', 'near_duplicate')).table.is_exact_duplicate_issue.sum() == 9
    holes = K.missing_pixels(ds, 0.1).ds
    before = frozen(holes)
    r = A.audit(holes, checks=('missing', 'invalid', 'exact_duplicate', 'near_duplicate', 'outlier'))
    assert unchanged(holes, before) and r.table.is_missing_issue.sum() == round(0.1 * len(ds))
    assert list(r.table.id) == holes.ids.tolist()
    with pytest.raises(ValueError, match='Choose from: missing'): A.audit(ds, checks=('typos',))
    with pytest.raises(TypeError, match='ds should be an ImageSet'): A.audit(ds.x)


def test_out_of_fold_probabilities_repeat_with_a_seed(ds):
    small = ds.subset(range(400))
    a = L.out_of_fold_probs(small, folds=2, epochs=1, width=8, seed=1)
    torch.rand(3)  # the caller's random state must not matter
    assert torch.equal(a, L.out_of_fold_probs(small, folds=2, epochs=1, width=8, seed=1))
    assert torch.allclose(a.sum(1), torch.ones(len(small)))


def test_the_label_check_shows_progress_without_changing_its_result(ds, capsys):
    small = ds.subset(range(400))
    calls = []
    L.fit_classifier(small.x, small.y, 10, epochs=3, width=8, on_epoch=lambda: calls.append(1))
    assert len(calls) == 3                                         # one call per epoch
    quiet = L.out_of_fold_probs(small, folds=2, epochs=2, width=8, seed=1)
    assert torch.equal(quiet, L.out_of_fold_probs(small, folds=2, epochs=2, width=8, seed=1, progress=True))
    assert '4/4' in capsys.readouterr().err                         # 2 CNNs × 2 epochs
    shown = A.audit(small, checks=('label',), folds=2, epochs=2, width=8, seed=1, progress=True)
    assert '4/4' in capsys.readouterr().err
    assert shown.table.equals(A.audit(small, checks=('label',), folds=2, epochs=2, width=8, seed=1).table)


def test_the_fast_label_check_is_scikit_learns_knn_on_principal_components(ds):
    "knn_probs: sklearn's PCA distances and its distance-weighted KNeighborsClassifier, fold by fold; no leakage."
    pytest.importorskip('sklearn')
    from sklearn.decomposition import PCA
    from sklearn.neighbors import KNeighborsClassifier
    noisy = K.label_noise(ds, 0.1, seed=3)[0]
    before = frozen(noisy)
    x = noisy.x.flatten(1).double()
    ours, theirs = L.principal_components(x, 20), torch.as_tensor(PCA(20, svd_solver='full').fit_transform(x.numpy()))
    assert torch.allclose(ours.abs(), theirs.abs(), atol=1e-8)          # the same axes, up to each one's sign
    probs, fold = L.knn_probs(noisy, folds=3, seed=2, k=7, components=20), L.fold_ids(noisy.y, 3, 2)
    for f in range(3):
        knn = KNeighborsClassifier(7, weights='distance').fit(ours[fold != f].numpy(), noisy.y[fold != f].numpy())
        assert np.allclose(probs[fold == f].numpy(), knn.predict_proba(ours[fold == f].numpy()), atol=1e-6)
    flipped = noisy.replace(y=noisy.y.clone()); flipped.y[5] = (noisy.y[5] + 1) % 10
    assert torch.equal(L.knn_probs(flipped, folds=3, seed=2, k=7, components=20)[5], probs[5])   # no leakage
    copies = ImageSet(torch.cat([noisy.x[:300], noisy.x[:300]]), torch.cat([noisy.y[:300], noisy.y[:300]]))
    same = L.knn_probs(copies, folds=2, seed=0)                          # an exact copy in the other fold decides
    fold = L.fold_ids(copies.y, 2, 0)
    split = fold[:300] != fold[300:]
    assert torch.equal(same[:300][split].argmax(1), copies.y[:300][split])
    fast = A.audit(noisy, checks={'label': dict(method='knn')}, progress=True)
    assert fast.table.is_label_issue.sum() > 0
    with pytest.raises(ValueError, match="method should be one of 'cnn', 'knn'. Got 'svm'"):
        A.find_label_issues(noisy, method='svm')
    with pytest.raises(ValueError, match='k should be'): L.knn_probs(noisy, k=0)
    assert unchanged(noisy, before)


def synthetic_probs(n=3000, k=10, rate=0.2, seed=0):
    "Noisy labels, the truth, and probabilities of a good but imperfect classifier."
    g = torch.Generator().manual_seed(seed)
    true = torch.randint(k, (n,), generator=g)
    logits = torch.randn(n, k, generator=g) * 1.5
    logits[torch.arange(n), true] += 3.5
    flip = torch.rand(n, generator=g) < rate
    given = torch.where(flip, (true + torch.randint(1, k, (n,), generator=g)) % k, true)
    return logits.softmax(1), given, given != true


def test_confident_learning_agrees_with_cleanlab():
    cleanlab = pytest.importorskip('cleanlab.filter', reason='cleanlab is not installed')
    for seed, rate in [(0, 0.1), (1, 0.3)]:
        probs, given, truth = synthetic_probs(rate=rate, seed=seed)
        ours = A.prune_by_noise_rate(probs, given).numpy()
        theirs = cleanlab.find_label_issues(given.numpy(), probs.numpy())
        jaccard = (ours & theirs).sum() / (ours | theirs).sum()
        assert jaccard > 0.95, f"genq and cleanlab flag different rows (Jaccard {jaccard:.3f})"
        f = lambda flags: 2 * (flags & truth.numpy()).sum() / (flags.sum() + truth.sum().item())
        assert abs(f(ours) - f(theirs)) < 0.01


def test_confident_joint_counts_confident_examples():
    probs = torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.7, 0.3]])
    given = torch.tensor([0, 0, 1, 1])
    # thresholds: class 0 = mean(.9, .8) = .85; class 1 = mean(.8, .3) = .55
    assert A.confident_joint(probs, given).tolist() == [[1, 0], [0, 1]]
    # thresholds: class 0 = .9, class 1 = (.9 + .05 + .8) / 3; row 3 (labelled 1) is confidently a 0, and the largest-
    # margin one
    flags = A.prune_by_noise_rate(torch.tensor([[.9, .1], [.9, .1], [.1, .9], [.95, .05], [.2, .8]]),
                                  torch.tensor([0, 0, 1, 1, 1]))
    assert flags.tolist() == [False, False, False, True, False]
    assert not A.prune_by_noise_rate(probs, torch.tensor([0, MISSING, 1, 1]))[1]


# ---- clean -----------------------------------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def dirty_and_report():
    d = digits()
    dirty = K.duplicates(K.missing_pixels(d, 0.1, seed=1).ds, 0.1, seed=2).ds
    probs, _, _ = synthetic_probs(n=len(dirty), rate=0.1)
    return dirty, A.audit(dirty, probs=probs, seed=0)


def test_plan_replays_from_json_and_never_changes_its_input(dirty_and_report, tmp_path):
    dirty, report = dirty_and_report
    before = frozen(dirty)
    cleaned, plan = C.clean(dirty, report)
    assert unchanged(dirty, before)
    assert not torch.isnan(cleaned.x).any() and not cleaned.allow_nan
    assert A.find_exact_duplicates(cleaned).is_exact_duplicate_issue.sum() == 0
    again = C.apply_plan(dirty, C.CleaningPlan.load(plan.save(tmp_path / 'plan.json')))
    assert torch.equal(again.x, cleaned.x) and torch.equal(again.y, cleaned.y) and torch.equal(again.ids, cleaned.ids)
    assert (plan.rows.reason.str.len() > 0).all()


def test_policy_keep_changes_nothing(dirty_and_report):
    dirty, report = dirty_and_report
    plan = C.make_plan(report, {issue: 'keep' for issue in C.allowed_actions()})
    assert len(plan.rows) == 0
    same = C.apply_plan(dirty, plan)
    assert torch.equal(same.ids, dirty.ids) and torch.equal(same.x.nan_to_num(7), dirty.x.nan_to_num(7))


def test_bad_plans_and_policies(dirty_and_report, ds):
    dirty, report = dirty_and_report
    with pytest.raises(ValueError, match='label can be handled by relabel, review, drop, keep'):
        C.make_plan(report, {'label': 'impute'})
    plan = C.make_plan(report)
    with pytest.raises(ValueError, match='was it made for another set'): C.apply_plan(ds.subset(range(50)), plan)
    nan_everywhere = K.missing_pixels(ds.subset(range(20)), 1.0).ds
    with pytest.raises(ValueError, match='nothing to impute from'): C.impute_pixels(nan_everywhere, torch.arange(20))


def test_audit_works_on_a_folder_of_images(tmp_path):
    from PIL import Image
    from genq.data import from_folder
    d = digits()
    for c in ('3', '5'):
        (tmp_path / c).mkdir()
        for r in torch.nonzero(d.y == int(c)).flatten()[:12].tolist():
            Image.fromarray(((d.x[r, 0].numpy() + 1) * 127.5).round().astype(np.uint8)).save(tmp_path / c / f'{r}.png')
    (tmp_path / '3' / 'copy.png').write_bytes(next((tmp_path / '3').glob('*.png')).read_bytes())
    mine = from_folder(tmp_path, size=8)
    r = A.audit(mine, checks=('missing', 'invalid', 'exact_duplicate', 'near_duplicate', 'outlier', 'label'))
    flagged = [mine.meta['paths'][i] for i in r.table.id[r.table.is_exact_duplicate_issue]]
    assert len(flagged) == 1 and flagged[0].endswith('copy.png')    # the later file of the pair is the copy
    assert 'is_label_issue' in r.table and not r.notes
    plan = C.make_plan(r)  # plan rows carry the file; a copy names its original
    copy_row = plan.rows[plan.rows.path.str.endswith('copy.png')].iloc[0]
    original = int(r.table.exact_duplicate_of[r.table.is_exact_duplicate_issue].iloc[0])
    assert copy_row['drop'] and f'exact_duplicate of id {original} ({mine.meta["paths"][original]})' in copy_row.reason
    (tmp_path / '5' / 'conflict.png').write_bytes(next((tmp_path / '3').glob('*.png')).read_bytes())
    conflicted = A.audit(from_folder(tmp_path, size=8), checks=['label_conflict'])
    assert conflicted.table.is_label_conflict_issue.sum() == 3          # the image is a 3 twice and a 5 once
    saved = plan.save(tmp_path / 'plan.json')
    assert C.CleaningPlan.load(saved).rows.path.tolist() == plan.rows.path.tolist()
    import json
    old = json.loads(saved.read_text()); old['format'] = 1                # a plan written before rows had paths
    for row in old['rows']: row.pop('path')
    (tmp_path / 'old.json').write_text(json.dumps(old))
    assert (C.CleaningPlan.load(tmp_path / 'old.json').rows.path == '').all()


def test_explorer_outcomes_and_frames(ds):
    "defect_flags against the injected truth; show_flags frames each shown row by its outcome, a fair share of each."
    import matplotlib; matplotlib.use('Agg')
    from genq.data import image_grid
    dirty, truth = K.corrupt(ds, 'duplicates', 0.1, seed=1)
    flags = A.defect_flags(A.audit(dirty, checks=['exact_duplicate'], seed=1), 'duplicates')
    assert len(dirty) == len(truth) == len(flags) and truth.sum() == flags.sum() == round(0.1 * len(ds))
    truth, flags = torch.zeros(40, dtype=torch.bool), torch.zeros(40, dtype=torch.bool)
    truth[:10], flags[5:20] = True, True                        # 5 found, 5 missed, 10 false alarms
    rows, outcomes = A._outcome_rows(truth, flags, 12, seed=0)
    assert [outcomes.count(k) for k in A.OUTCOMES] == [4, 4, 4] and len(set(rows.tolist())) == 12
    assert all(truth[r] == (o != 'false_alarm') and flags[r] == (o != 'missed')
               for r, o in zip(rows.tolist(), outcomes))
    assert A._outcome_rows(truth, flags, 100, seed=0)[0].numel() == 20      # every injected or flagged row, no more
    x = torch.zeros(3, 1, 8, 8)
    grid = image_grid(x, nrow=3, frames=[(1., 0, 0)] * 3)
    assert grid.shape == (8 + 2 + 2, 3 * (8 + 2) + 4,
                          3) and tuple(grid[1, 1]) == (1., 0, 0) and tuple(grid[2, 2]) == (0.5, 0.5, 0.5)
    with pytest.raises(ValueError, match='one RGB colour per image'): image_grid(x, frames=[(1., 0, 0)])
    with pytest.raises(ValueError, match='no check looks for'): A.checks_for('scarcity')
    with pytest.raises(ValueError, match='ran none of the checks'):
        A.defect_flags(A.audit(ds, checks=['missing']), 'duplicates')


def test_one_registry_serves_audit_scores_cleaning_and_experiments(ds, monkeypatch):
    "A check added to CHECKS alone is run by audit (with its own settings), scored, and found by checks_for."
    import pandas as pd
    def find_dark(d, level: float = -0.9):
        "Images whose mean pixel is below `level`."
        m = d.x.nan_to_num(0).flatten(1).mean(1).cpu()
        return pd.DataFrame(dict(is_dark_issue=(m < level).numpy(), dark_score=((m + 1) / 2).clamp(0, 1).numpy()))
    monkeypatch.setitem(A.CHECKS, 'dark', A.Check('dark', find_dark, 'usability', ('drop', 'keep'), ('outliers',)))
    dirty, truth = K.outliers(ds, 0.1, source='blank', seed=0)          # blank frames are dark
    r = A.audit(dirty, checks={'dark': dict(level=-0.59)})             # blank frames have a mean in [-1, -0.6]
    flags = torch.tensor(r.table.is_dark_issue.to_numpy(dtype=bool))
    assert flags[truth].all()
    assert r.quality['usability'] == pytest.approx((1 - flags.float().mean().item()) * A.class_balance(dirty))
    assert A.audit(dirty, checks=['dark']).table.is_dark_issue.sum() < flags.sum()      # the default level: fewer
    assert 'dark' in A.checks_for('outliers') and torch.equal(A.defect_flags(r, 'outliers'), flags)
    with pytest.raises(ValueError, match="has no setting colour. Its settings: level"):
        A.audit(ds, checks={'dark': dict(colour=1)})
    with pytest.raises(TypeError, match="settings of check 'invalid' should be a dict"):
        A.audit(ds, checks={'invalid': 0.1})
    with pytest.raises(TypeError, match='threshold should be a number'):
        A.audit(ds, checks={'near_duplicate': dict(threshold='0.9')})
    with pytest.raises(ValueError, match='k should be at least 1'): A.audit(ds, checks={'outlier': dict(k=0)})
    with pytest.raises(TypeError, match='only checks that train a classifier'):
        A.audit(ds, checks=['missing'], epochs=2)


def clustered_rows(n: int, d: int = 32, seed: int = 0) -> torch.Tensor:
    "Unit rows around 200 random centres: neighbours worth finding."
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(200, d, generator=g)
    x = centres[torch.randint(200, (n,), generator=g)] + 0.5 * torch.randn(n, d, generator=g)
    return x / x.norm(dim=1, keepdim=True)


def test_approximate_nearest_finds_the_exact_neighbours_and_never_the_row_itself():
    pytest.importorskip('faiss', reason='faiss-cpu is not installed')
    x, k = clustered_rows(20_000), 10
    se, ie = A.nearest(x, k=k, approximate=False)
    sa, ia = A.nearest(x, k=k, approximate=True)
    assert ia.shape == ie.shape == (len(x), k)
    recall = np.mean([len(set(a) & set(b)) / k for a, b in zip(ie.tolist(), ia.tolist())])
    assert recall >= 0.95, recall
    assert not (ia == torch.arange(len(x))[:, None]).any()                     # self excluded, as exact
    found = sa.gather(1, sa.argsort(dim=1, descending=True)) == sa                  # best first
    assert found.all()
    same = torch.isclose((x[:, None] * x[ia]).sum(-1), sa, atol=1e-5)              # similarities are the cosines
    assert same.all()
    q = x[:500]                                                                     # queries against another set
    assert A.nearest(q, x, k=3, approximate=True)[1][:, 0].eq(torch.arange(500)).float().mean() > 0.99


def test_nearest_goes_approximate_from_ann_rows_only_where_faiss_is(monkeypatch):
    called = []
    monkeypatch.setattr(A, 'approximate_nearest', lambda a, b=None, k=5: called.append(len(a)) or ('ann', None))
    x = clustered_rows(300)
    monkeypatch.setattr(A, 'ANN_ROWS', 200)
    monkeypatch.setattr(A, 'faiss_available', lambda: True)
    assert A.nearest(x, k=3)[0] == 'ann' and called == [300]
    assert A.nearest(x[:100], k=3)[0].shape == (100, 3)                             # below ANN_ROWS: exact
    monkeypatch.setattr(A, 'faiss_available', lambda: False)
    assert A.nearest(x, k=3)[0].shape == (300, 3)                                   # no FAISS: exact, no error
    with pytest.raises(ImportError, match='pip install faiss-cpu'): A.nearest(x, k=3, approximate=True)
