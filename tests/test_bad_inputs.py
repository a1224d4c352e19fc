"""Bad input across the public API: each call is refused with a TypeError or ValueError whose message names the
argument, before any work is done, and nothing it was given changes (issue 15)."""
import json

import pytest
import torch

from genq import audit as A, augment as G, classifier as L, clean as C, corrupt as K, data as D, metrics as M
from genq import models as Mo
from genq import resample as R, train as T


@pytest.fixture(scope='module')
def ds():
    return D.digits().subset(range(300))


@pytest.fixture(scope='module')
def feats():
    g = torch.Generator().manual_seed(0)
    return torch.randn(50, 8, generator=g), torch.randn(60, 8, generator=g)


def _snapshot(ds):
    return ds.x.clone(), None if ds.y is None else ds.y.clone(), ds.ids.clone()


def _unchanged(ds, snap):
    x, y, ids = snap
    return torch.equal(ds.x, x) and (y is None or torch.equal(ds.y, y)) and torch.equal(ds.ids, ids)


CORRUPT = [
    (lambda d: K.label_noise(d, '0.1'), TypeError, 'rate should be a number'),
    (lambda d: K.label_noise(d, 1.5), ValueError, 'rate should lie in [0, 1]'),
    (lambda d: K.label_noise(d, float('nan')), ValueError, 'rate should lie in'),
    (lambda d: K.label_noise(d, 0.1, seed=1.5), TypeError, 'seed should be a whole number'),
    (lambda d: K.duplicates(d, 0.1, copies=0), ValueError, 'copies should be at least 1'),
    (lambda d: K.duplicates(d, 0.1, copies=2.0), TypeError, 'copies should be a whole number'),
    (lambda d: K.missing_pixels(d, 0.1, block=1.5), ValueError, 'block should lie in (0, 1)'),
    (lambda d: K.missing_pixels(d, 0.1, block=0), ValueError, 'block should lie in (0, 1)'),
    (lambda d: K.long_tail(d, 0.5), ValueError, 'ratio'),
    (lambda d: K.long_tail(d.subset(d.y < 3), 10), ValueError, 'long_tail needs an image of every class'),
    (lambda d: K.scarcity(d, 0), ValueError, 'fraction should lie in (0, 1]'),
    (lambda d: K.scarcity(d, '1'), TypeError, 'fraction should be a number'),
    (lambda d: K.scarcity(d, 0.6, half=0), ValueError, 'fraction should lie in (0, 0.5]'),
    (lambda d: K.scarcity(d, 0.1, half=2), ValueError, 'half should be 0 or 1'),
    (lambda d: K.scarcity(d, 0.1, half=True), ValueError, 'half should be 0 or 1'),
    (lambda d: K.outliers(d, 1.0), ValueError, 'rate should lie in [0, 1)'),
    (lambda d: K.corrupt(d.x, 'label_noise', 0.1), TypeError, 'ds should be an ImageSet'),
    (lambda d: K.corrupt(d, 'typos', 0.1), ValueError, 'Unknown defect'),
]

AUDIT = [
    (lambda d: A.audit(d, folds=1), ValueError, 'folds should be at least 2'),
    (lambda d: A.audit(d, folds=2.0), TypeError, 'folds should be a whole number'),
    (lambda d: A.audit(d, checks='label'), TypeError, 'checks should be a list'),
    (lambda d: A.audit(d, near_threshold=2), ValueError, 'near_threshold should lie in [0, 1]'),
    (lambda d: A.audit(d, reference=d.x), TypeError, 'reference should be an ImageSet'),
    (lambda d: A.audit(d, checks=['label'], probs=torch.rand(len(d), 3)), ValueError,
     'probs should hold one row of 10'),
    (lambda d: A.audit(d, checks=['label'], probs=torch.rand(len(d), 10) * 5), ValueError,
     'probs should be probabilities'),
    (lambda d: L.out_of_fold_probs(d, folds=0), ValueError, 'folds should be at least 2'),
]

RESAMPLE = [
    (lambda d: R.smote(d, k=0), ValueError, 'k should be at least 1'),
    (lambda d: R.smote(d, k=2.5), TypeError, 'k should be a whole number'),
    (lambda d: R.oversample(d.x), TypeError, 'ds should be an ImageSet'),
    (lambda d: R.undersample(d, seed='a'), TypeError, 'seed should be a whole number'),
]


@pytest.mark.parametrize('call,error,message', CORRUPT + AUDIT + RESAMPLE)
def test_data_functions_refuse_bad_arguments_and_change_nothing(ds, call, error, message):
    snap = _snapshot(ds)
    with pytest.raises(error) as e: call(ds)
    assert message in str(e.value), str(e.value)
    assert _unchanged(ds, snap)


METRICS = [
    (lambda r, f: M.kid(r, f, subset_size=1), ValueError, 'subset_size should be at least 2'),
    (lambda r, f: M.kid(r, f, subsets=0), ValueError, 'subsets should be at least 1'),
    (lambda r, f: M.kid(r, f[:, :4]), ValueError, 'should have the same width'),
    (lambda r, f: M.fid(r, f[:, :4]), ValueError, 'should have the same width'),
    (lambda r, f: M.prdc(r, f[:, :4]), ValueError, 'should have the same width'),
    (lambda r, f: M.prdc(r, f, k=0), ValueError, 'k should lie in 1..'),
    (lambda r, f: M.prdc(r, f, k=2.0), TypeError, 'k should be a whole number'),
    (lambda r, f: M.memorization(r, f[:, :4]), ValueError, 'train and fake (training and generated rows) should'),
    (lambda r, f: M.memorization(r, f, threshold=0), ValueError, 'threshold should lie in (0, 1]'),
    (lambda r, f: M.fid_infinity(r, f, sizes=(20,)), ValueError, 'sizes should hold at least two different'),
    (lambda r, f: M.fid_infinity(r, f, sizes=(20, 20)), ValueError, 'sizes should hold at least two different'),
    (lambda r, f: M.fid_infinity(r, f, sizes=(20, 30.5)), TypeError, 'sizes should be a whole number'),
    (lambda r, f: M.fid_infinity(r, f, sizes=(20, 30), repeats=0), ValueError, 'repeats should be at least 1'),
    (lambda r, f: M.fid(r, torch.full_like(f, float('nan'))), ValueError, 'fake features holds NaN'),
]


@pytest.mark.parametrize('call,error,message', METRICS)
def test_metrics_refuse_bad_arguments(feats, call, error, message):
    real, fake = feats
    before = real.clone(), fake.clone()
    with pytest.raises(error) as e: call(real, fake)
    assert message in str(e.value), str(e.value)
    assert torch.equal(real, before[0]) and torch.equal(fake, before[1])


def test_evaluate_refuses_fakes_that_are_not_images_and_nets_that_cannot_read_them(ds):
    net = M.load_feature_network('digits')
    real = ds
    nan = real.x.clone(); nan[3, 0, 2, 2] = float('nan')
    cases = [(real.x * 127.5 + 127.5, ValueError, 'fake: x should have values in [-1, 1]'),
             (nan, ValueError, 'fake: x has NaN pixels')]
    for fake, error, message in cases:
        with pytest.raises(error, match=None) as e: M.evaluate(real, fake, net)
        assert message in str(e.value), str(e.value)
    with pytest.raises(TypeError, match='net should be the dataset'): M.evaluate(real, real.x, None)
    with pytest.raises(ValueError, match='net cannot read images of shape'):
        M.evaluate(real, real.x, M.load_feature_network('mnist5k'))
    with pytest.raises(TypeError, match='real should be an ImageSet'): M.evaluate(real.x, real.x, net)
    assert not net.training or True


MODELS = [
    (lambda: Mo.gan((1, 8, 8), width=0), ValueError, 'width should be at least 1'),
    (lambda: Mo.gan((1, 8, 8), classes=-2), ValueError, 'classes should be at least 0'),
    (lambda: Mo.gan((1, 8, 8), width=32.0), TypeError, 'width should be a whole number'),
    (lambda: Mo.gan((1, 8, 8), kind='stylegan'), ValueError, "kind should be one of 'dcgan', 'mlp'"),
    (lambda: Mo.gan((1, 10, 10), kind='dcgan'), ValueError, 'Convolutional models need square images'),
    (lambda: Mo.gan((8, 8)), ValueError, 'shape should be (channels, height, width)'),
    (lambda: Mo.gan((1, 8, 8), cond='film'), ValueError, "cond should be one of 'projection', 'concat'"),
    (lambda: Mo.vae((1, 8, 8), latent=0), ValueError, 'latent should be at least 1'),
    (lambda: Mo.vae((1, 8, 8), beta=-1), ValueError, 'beta should be at least 0'),
    (lambda: Mo.gan((1, 8, 8), classes=10).sample(4, labels=[0.7, 1.2, 0, 1]), ValueError,
     'labels should hold integer class indices'),
    (lambda: Mo.gan((1, 8, 8), classes=10).sample(2, labels=[0, 10]), ValueError, 'labels should lie in 0..9'),
    (lambda: Mo.gan((1, 8, 8), classes=10).sample(2, labels=[0, -1]), ValueError, 'labels should lie in 0..9'),
    (lambda: Mo.gan((1, 8, 8), classes=10).sample(3, labels=[0, 1]), ValueError,
     'labels should hold one label per image, 3'),
    (lambda: Mo.gan((1, 8, 8)).sample(0), ValueError, 'n should be at least 1'),
    (lambda: Mo.vae((1, 8, 8)).sample(2.0), TypeError, 'n should be a whole number'),
    (lambda: G.DiffAugment()(torch.zeros(8, 8)), ValueError, 'x should be a float batch of images, N×C×H×W'),
    (lambda: G.DiffAugment(['color']), TypeError, 'policy should be a comma-separated string'),
]


@pytest.mark.parametrize('call,error,message', MODELS)
def test_models_refuse_bad_arguments(call, error, message):
    with pytest.raises(error) as e: call()
    assert message in str(e.value), str(e.value)


def test_conditional_sample_takes_one_class_for_all():
    m = Mo.gan((1, 8, 8), classes=10)
    assert m.sample(3, labels=4).shape == (3, 1, 8, 8)


TRAIN = [
    (dict(steps=-1), ValueError, 'steps should be at least 1'),
    (dict(steps=10.0), TypeError, 'steps should be a whole number'),
    (dict(batch_size=64.0), TypeError, 'batch_size should be a whole number'),
    (dict(batch_size=10_000), ValueError, "batch_size should be between 1 and the set's size"),
    (dict(lr=0), ValueError, 'lr should be greater than 0'),
    (dict(log_every=0), ValueError, 'log_every should be at least 1'),
    (dict(loss='wgan'), ValueError, "loss should be one of 'bce', 'hinge'"),
    (dict(augment='color'), TypeError, 'augment should be a function'),
    (dict(sampler=[1, 2]), TypeError, 'sampler should be a function'),
    (dict(log_evry=10), TypeError, "Unknown training options ['log_evry']"),
    (dict(label_noise=torch.eye(3)), ValueError, 'label_noise needs a conditional GAN'),
]


@pytest.mark.parametrize('options,error,message', TRAIN)
def test_a_refused_training_call_leaves_the_model_and_files_untouched(ds, tmp_path, options, error, message):
    model = Mo.gan(ds.shape, width=8)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ckpt = tmp_path / 'run.pt'
    with pytest.raises(error) as e:
        T.train_gan(model, ds, **{'steps': 3, 'progress': False, 'checkpoint': ckpt, **options})
    assert message in str(e.value), str(e.value)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items()) and not ckpt.exists()


def test_train_refuses_what_is_not_a_model_or_a_set(ds):
    with pytest.raises(TypeError, match='model should be a GAN'): T.train_gan(Mo.vae(ds.shape), ds, steps=1)
    with pytest.raises(TypeError, match='model should be a VAE'): T.train_vae(Mo.gan(ds.shape), ds, steps=1)
    with pytest.raises(TypeError, match='ds should be an ImageSet'): T.train_gan(Mo.gan(ds.shape), ds.x, steps=1)


def test_checkpoints_of_another_architecture_or_broken_files_are_refused_before_any_copy(ds, tmp_path):
    ckpt = tmp_path / 'run.pt'
    T.train_gan(Mo.gan(ds.shape, width=8), ds, steps=2, progress=False, checkpoint=ckpt, checkpoint_every=1,
                log_every=1)
    for other in (Mo.gan(ds.shape, width=16), Mo.gan(ds.shape, width=8, classes=10)):
        before = {k: v.clone() for k, v in other.state_dict().items()}
        with pytest.raises(ValueError, match='architecture') as e:
            T.train_gan(other, ds, steps=4, progress=False, checkpoint=ckpt)
        assert str(ckpt) in str(e.value)
        assert all(torch.equal(v, before[k]) for k, v in other.state_dict().items())
    for name, content in (('empty.pt', b''), ('truncated.pt', ckpt.read_bytes()[:100]), ('foreign.pt', None)):
        bad = tmp_path / name
        if content is None: torch.save({'weights': torch.zeros(2)}, bad)
        else: bad.write_bytes(content)
        model = Mo.gan(ds.shape, width=8)
        before = {k: v.clone() for k, v in model.state_dict().items()}
        with pytest.raises(ValueError) as e: T.train_gan(model, ds, steps=4, progress=False, checkpoint=bad)
        assert str(bad) in str(e.value), str(e.value)
        assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


@pytest.fixture(scope='module')
def plan_file(ds, tmp_path_factory):
    dirty = K.label_noise(ds, 0.1, seed=0).ds
    report = A.audit(dirty, checks=['exact_duplicate', 'near_duplicate', 'outlier'])
    plan = C.make_plan(report)
    plan = C.CleaningPlan(C.plan_rows([dict(id=3, drop=True, relabel_to=-1, impute=False, reason='test'),
                                        dict(id=5, drop=False, relabel_to=2, impute=False, reason='test')]),
                          plan.policy, plan.source)
    return dirty, plan.save(tmp_path_factory.mktemp('plans') / 'plan.json')


def _edited(path, tmp_path, edit):
    d = json.loads(path.read_text()); edit(d)
    out = tmp_path / 'edited.json'; out.write_text(json.dumps(d))
    return out


def _set_row(key, value):
    def edit(d): d['rows'][0][key] = value
    return edit


PLANS = [
    (_set_row('drop', 'false'), "drop='false'"),
    (_set_row('relabel_to', 2.7), 'relabel_to=2.7'),
    (_set_row('relabel_to', -3), 'relabel_to=-3'),
    (_set_row('id', '3'), "id='3'"),
    (lambda d: d['rows'][0].pop('drop'), 'should have exactly the keys'),
    (lambda d: d.update(format=99), 'plan format 99'),
    (lambda d: d.pop('policy'), 'is not a plan file'),
    (lambda d: d['policy'].update(label='burn'), 'label can be handled by'),
]


@pytest.mark.parametrize('edit,message', PLANS)
def test_malformed_plan_files_are_refused_with_their_path(plan_file, tmp_path, edit, message):
    _, path = plan_file
    bad = _edited(path, tmp_path, edit)
    with pytest.raises(ValueError) as e: C.CleaningPlan.load(bad)
    assert message in str(e.value), str(e.value)


def test_plans_apply_only_to_their_own_set(plan_file, tmp_path):
    dirty, path = plan_file
    plan = C.CleaningPlan.load(path)
    snap = _snapshot(dirty)
    other = dirty.replace(name='someone else')
    with pytest.raises(ValueError, match="made for 'digits', not 'someone else'"): C.apply_plan(other, plan)
    assert len(C.apply_plan(other, plan, allow_other_source=True)) == len(dirty) - 1
    with pytest.raises(ValueError, match='relabels to class 12'):
        C.apply_plan(dirty, C.CleaningPlan(C.plan_rows([dict(id=3, drop=False, relabel_to=12, impute=False,
                                                             reason='x')]), plan.policy, plan.source))
    with pytest.raises(TypeError, match='plan should be a CleaningPlan'): C.apply_plan(dirty, str(path))
    (tmp_path / 'broken.json').write_text('{"rows": [')
    with pytest.raises(ValueError, match='broken.json is not a readable plan file'):
        C.CleaningPlan.load(tmp_path / 'broken.json')
    assert _unchanged(dirty, snap)
    replayed = C.apply_plan(dirty, plan)
    assert int(replayed.y[replayed.ids == 5]) == 2 and not (replayed.ids == 3).any()


def test_split_folder_and_experiment_settings_refuse_bad_values(tmp_path):
    ds = D.digits().subset(range(100))
    with pytest.raises(TypeError, match='frac should be a number'): ds.split('0.5')
    with pytest.raises(TypeError, match='seed should be a whole number'): ds.split(0.5, seed=0.5)
    (tmp_path / 'a').mkdir()
    with pytest.raises(TypeError, match='size should be a whole number'): D.from_folder(tmp_path, size=8.0)
    with pytest.raises(ValueError, match='size should be at least 1'): D.from_folder(tmp_path, size=0)
    from genq import experiment as E
    for bad, kind, words in [(dict(steps=0), ValueError, 'steps should be at least 1'),
                             (dict(batch_size=64.0), TypeError, 'batch_size should be a whole number'),
                             (dict(rate='0.1'), TypeError, 'rate should be a number'),
                             (dict(seed=-1), ValueError, 'seed should be at least 0'),
                             (dict(defect_args=[('copies', 3)]), TypeError, 'defect_args should be a dict')]:
        with pytest.raises(kind, match=words): E.settings(**bad)
