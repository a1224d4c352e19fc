"""A survey of bad calls across genq's public API (issue 15).

Each function in `calls()` is first called with valid, cheap arguments; then once for every (argument, bad value):
one argument replaced by a value of the wrong type, out of its range, NaN, of the wrong shape or in the wrong pixel
range, chosen from the argument's kind (`bad_values`), not by hand per function. Each call ends as

- `clear`: a TypeError or ValueError whose message names the argument;
- `unclear`: a TypeError or ValueError that does not name it;
- `crash`: any other exception (from deep inside PyTorch, NumPy, pandas...);
- `accepted`: no error, a wrong result unless the value is one the function documents (`DOCUMENTED`).

Every tensor, set and file given is compared before and after each call, and a model given to a call that failed.

    python tests/bad_call_survey.py     # counts by module, then every call that is not clear
"""
from __future__ import annotations

import inspect
import math
import re
import sys
import warnings
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import torch
from PIL import Image

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from genq import audit as A, augment as G, classifier as L, clean as C, corrupt as K, data as D, diffusion as F
from genq import experiment as E, metrics as M, models as Mo, resample as R, train as T
from genq import text as X, lm as Lm, text_audit as XA, text_study as XS

COUNTS = {'n', 'k', 'steps', 'batch_size', 'batch', 'epochs', 'folds', 'copies', 'width', 'subsets', 'subset_size',
          'repeats', 'nrow', 'components', 'latent', 'z_dim', 'T', 'sample_steps', 'log_every', 'checkpoint_every',
          'samples', 'modes', 'min_count', 'n_boot', 'size', 'chunk', 'm', 'channels', 'vocab', 'context', 'depth',
          'heads', 'most', 'mentions', 'prefix', 'length'}
RATES = {'rate', 'fraction', 'threshold', 'level', 'near_threshold', 'min_candidate', 'min_share', 'p_uncond',
         'ema_decay', 'ratio', 'block', 'relabel_min'}
POSITIVE = {'lr', 'std', 'radius', 'spread', 'min_std', 'data_range', 'beta', 'strength', 'spacing', 'max_period',
            'temperature', 'exponent'}
CHOICES = {'kind', 'loss', 'method', 'likelihood', 'schedule', 'source', 'near', 'defect', 'cond', 'model', 'remedy',
           'dataset', 'policy', 'metric', 'name_or_path', 'how'}
LABELS = {'y', 'labels', 'truth', 'flags'}


def _bad_tensor(name, t: torch.Tensor):
    "Bad values for a tensor argument, by what it holds."
    if name in LABELS and not t.is_floating_point():
        if t.dtype == torch.bool: return [('numbers', t.long() * 2), ('wrong length', t[:-1])]
        return [('fractions', t.float() + 0.5), ('out of range', t + 99), ('wrong length', t[:-1])]
    if name == 'probs': return [('wrong width', t[:, :3]), ('not probabilities', t * 5), ('wrong length', t[:-1])]
    if not t.is_floating_point(): return []
    nan = t.clone(); nan.view(-1)[0] = math.nan
    bad = [('a string', 'text'), ('NaN', nan)]
    if t.ndim == 4: bad += [('3-D', t[:, 0]), ('0-255 pixels', (t + 1) * 127.5)]
    elif t.ndim == 2: bad += [('1-D', t[0])]
    return bad


def bad_values(name: str, value, annotation='') -> list:
    "(label, value) pairs that no function should take for an argument `name` whose valid value is `value`."
    ann = str(annotation)
    if value is None:    # an optional argument: its kind from the annotation
        if 'ImageSet' in ann: value = D.digits().subset(range(2))
        elif 'int' in ann: value = 1
        elif 'float' in ann: value = 0.5
        else: return []
    if isinstance(value, D.ImageSet): return [('a tensor', value.x), ('a string', 'digits')]
    if isinstance(value, X.TextSet): return [('a list of strings', value.docs), ('a string', 'text')]
    if isinstance(value, X.TokenSet): return [('a tensor', value.x)]
    if isinstance(value, pd.DataFrame) and name == 'truth':
        return [('a string', 'truth'), ('an empty table', value.iloc[:0])]
    if isinstance(value, bool): return [('a string', 'no')]
    if isinstance(value, int):
        bad = [('a string', '3'), ('a fraction', 2.5)]
        if name in COUNTS: bad += [('zero', 0), ('negative', -1)]
        if name == 'classes': bad += [('negative', -1)]
        return bad
    if isinstance(value, float):
        bad = [('a string', '0.5'), ('NaN', math.nan)]
        if name in RATES: bad += [('negative', -0.5), ('above one', 1.5)]
        if name in POSITIVE: bad += [('negative', -1.0)]
        return bad
    if isinstance(value, str) and name in CHOICES: return [('an unknown name', 'nonsense'), ('a number', 3)]
    if isinstance(value, torch.Tensor): return _bad_tensor(name, value)
    if name == 'shape': return [('a zero side', (1, 0, 8)), ('a string', 'shape'), ('two sides', (8, 8))]
    if isinstance(value, torch.nn.Module): return [('a string', 'model'), ('None', None)]
    if isinstance(value, Path): return [('a missing path', value.parent / 'missing' / value.name)]
    if name == 'device': return [('an unknown device', 'gpu9')]
    if name == 'rows': return [('fractions', [0.5, 1.0]), ('out of range', [10 ** 6]),
                               ('a mask of the wrong length', torch.ones(2, dtype=torch.bool))]
    if name == 'text': return [('a list of words', ['was', 'born']), ('a number', 3)]
    if name == 'attributes': return [('an unknown name', ['height']), ('none', [])]
    return []


# Values a function takes on purpose, with the reason: they count as right, not as accepted.
PER_STEP = "a per-step augmentation checks its batch's shape and type, never its values (that would stall the GPU)"
DOCUMENTED = {
    ('data.ImageSet', 'y', 'out of range'): "without class names, the labels define the classes (0..max)",
    ('data.to_unit_range', 'x', '3-D'): "it maps values of any shape",
    ('data.show', 'ds', 'a tensor'): "show draws a tensor's first images",
    ('data.image_grid', 'x', 'NaN'): "NaN pixels are missing ones: the grid shows them in red",
    ('data.image_grid', 'x', '0-255 pixels'): "the grid clips what lies beyond [-1, 1] (an augmented batch may)",
    ('metrics.features', 'net', 'None'): "net=None: features are the flat pixels",
    **{(f'metrics.{f}', 'x', v): "the network reads any batch: missing (NaN) pixels as background, augmented images "
       "beyond [-1, 1] as they are (evaluate checks generated images' range)"
       for f in ('features', 'class_probs') for v in ('NaN', '0-255 pixels')},
    ('metrics.inception_score', 'probs', 'wrong length'): "any number of rows is a set of probabilities",
    ('corrupt.long_tail', 'ratio', 'above one'): "ratio is most / fewest images per class: any value from 1 up",
    ('text.junk_docs', 'rate', 'above one'): "junk documents per document: junk may outnumber the corpus",
    ('experiment.settings', 'rate', 'above one'): "a defect's dose: long_tail's is a ratio, from 1 up",
    ('metrics.point_modes', 'fake', '0-255 pixels'): "points far from every mode are valid: they cover none",
    **{(f'augment.{f}', 'x', v): PER_STEP for f in ('translation', 'cutout', 'DiffAugment()')
       for v in ('NaN', '0-255 pixels')},
}


@dataclass
class Outcome:
    call: str
    arg: str
    bad: str
    result: str          # clear, unclear, crash, accepted, documented
    message: str = ''
    mutated: bool = False


def _state(v):
    "What a call must not change: a tensor's values, a set's rows, a model's weights, a file's bytes."
    if isinstance(v, torch.Tensor): return v.clone()
    if isinstance(v, D.ImageSet): return tuple(None if t is None else t.clone() for t in (v.x, v.y, v.ids))
    if isinstance(v, torch.nn.Module): return {k: t.clone() for k, t in v.state_dict().items()}
    if isinstance(v, Path) and v.is_file(): return v.read_bytes()
    return None


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b) or (a.shape == b.shape and torch.equal(a.isnan(), b.isnan())
                                     and torch.equal(a.nan_to_num(), b.nan_to_num()))
    if isinstance(a, tuple): return all(x is None and y is None or _same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict): return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _names_arg(message: str, arg: str, value) -> bool:
    "Whether `message` names the argument `arg`, or quotes its value (a name or a path)."
    if isinstance(value, (str, Path)) and str(value) in message: return True
    return re.search(rf'(?<![A-Za-z0-9_]){re.escape(arg)}(?![A-Za-z0-9_])', message) is not None


def attempt(label: str, fn, kwargs: dict, arg: str, bad: str) -> Outcome:
    "Call `fn(**kwargs)` and classify how it ends."
    before = {k: _state(v) for k, v in kwargs.items()}
    result, message = 'accepted', ''
    try: fn(**kwargs)
    except (TypeError, ValueError, FileNotFoundError) as e:
        message = str(e).splitlines()[0] if str(e) else type(e).__name__
        result = 'clear' if _names_arg(str(e), arg, kwargs[arg]) else 'unclear'
    except Exception as e:  # noqa: BLE001 - the survey's point is to see them
        result, message = 'crash', f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    plt.close('all')
    if result == 'accepted' and (label, arg, bad) in DOCUMENTED: result = 'documented'
    failed = result != 'accepted'
    mutated = any(before[k] is not None and not _same(before[k], _state(v)) for k, v in kwargs.items()
                  if failed or not isinstance(v, torch.nn.Module))
    return Outcome(label, arg, bad, result, message[:160], mutated)


def _folder(root: Path) -> Path:
    folder = root / 'images'
    for c in ('a', 'b'):
        (folder / c).mkdir(parents=True, exist_ok=True)
        for i in range(3):
            Image.fromarray(np.full((10, 10), 40 * i + (c == 'b') * 100, np.uint8)).save(folder / c / f'{i}.png')
    return folder


def calls(tmp: Path) -> list:
    "(module, name, function, valid keyword arguments): the public API a user calls, each with a cheap valid call."
    torch.manual_seed(0)
    ds = D.digits().subset(range(120)); x, y, shape = ds.x, ds.y, ds.shape
    real, fake = torch.randn(50, 8), torch.randn(60, 8)
    probs = torch.softmax(torch.randn(len(ds), 10), 1)
    dirty = K.duplicates(ds, 0.05).ds                      # a set the audit flags, so the plan has rows
    report = A.audit(dirty, checks=['exact_duplicate', 'near_duplicate'])
    plan = C.make_plan(report)
    plan_path = plan.save(tmp / 'plan.json')
    folder = _folder(tmp)
    net = L.SmallCNN(shape, 10).eval()
    gan, cgan = Mo.gan(shape), Mo.gan(shape, classes=10)
    vae, dif = Mo.vae(shape), F.diffusion(shape, width=8)
    flags = torch.zeros(len(ds), dtype=torch.bool); flags[:5] = True
    ring = D.ring(n=200)
    short = dict(steps=2, batch_size=16, progress=False)
    flip = G.classic_transforms(8)['horizontal flip']
    df = pd.DataFrame(dict(rate=[0.0, 0.0, 0.3, 0.3], remedy=['none'] * 4, fid=[1.0, 1.1, 2.0, 2.1], seed=[0, 1, 0, 1]))
    truth = X.people(12, seed=0); ts = X.corpus(truth); vocab = X.Vocab.of(); rows = X.tokens(ts, vocab)
    lm = Lm.LM(len(vocab), context=rows.x.shape[1], width=16, depth=1, heads=2)
    tiny_lm = dict(steps=2, batch_size=4)                # the studies' runs, a model trained for two steps
    return [
        ('text', 'people', X.people, dict(n=10, seed=0)),
        ('text', 'corpus', X.corpus, dict(truth=truth, mentions=2, seed=0)),
        ('text', 'zipf_mentions', X.zipf_mentions, dict(n=10, most=5, exponent=1.0)),
        ('text', 'tokens', X.tokens, dict(ts=ts, vocab=vocab)),
        ('text', 'TextSet.subset', ts.subset, dict(rows=torch.tensor([0, 2]))),
        ('text', 'Vocab.encode', vocab.encode, dict(text=ts.docs[0])),
        ('text', 'duplicate_docs', X.duplicate_docs, dict(ts=ts, rate=0.2, copies=2, seed=0)),
        ('text', 'near_duplicate_docs', X.near_duplicate_docs, dict(ts=ts, rate=0.2, how='paraphrase', seed=0)),
        ('text', 'contradictions', X.contradictions, dict(ts=ts, truth=truth, rate=0.2, seed=0)),
        ('text', 'junk_docs', X.junk_docs, dict(ts=ts, rate=0.2, seed=0)),
        ('text', 'truncate_docs', X.truncate_docs, dict(ts=ts, rate=0.2, seed=0)),
        ('text_audit', 'audit_text', XA.audit_text, dict(ts=ts, near_threshold=0.6)),
        ('text_audit', 'clean_text', XA.clean_text, dict(ts=ts)),
        ('text_audit', 'apply_text_plan', XA.apply_text_plan, dict(ts=ts, plan=XA.make_plan(XA.audit_text(ts)))),
        ('text_audit', 'find_near_duplicate_text', XA.find_near_duplicate_text, dict(ts=ts, threshold=0.6, n=3)),
        ('text_audit', 'find_junk', XA.find_junk, dict(ts=ts, spread=6.0, reference=X.corpus(X.people(8)))),
        ('lm', 'LM', Lm.LM, dict(vocab=len(vocab), context=16, width=16, depth=1, heads=2)),
        ('lm', 'train_lm', Lm.train_lm, dict(model=lm, ds=rows, steps=2, batch_size=4, lr=1e-3, progress=False)),
        ('lm', 'answers', Lm.answers, dict(model=lm, vocab=vocab, truth=truth)),
        ('lm', 'answer_steps', Lm.answer_steps, dict(attributes=['city', 'employer'])),
        ('lm', 'extractable', Lm.extractable, dict(model=lm, vocab=vocab, ts=ts, prefix=4, length=4)),
        ('lm', 'continuations', Lm.continuations, dict(model=lm, vocab=vocab, ts=ts, prefix=4, length=4)),
        ('text_study', 'duplicates_run', XS.duplicates_run, dict(seed=0, remedy='none', n=40, per=2, **tiny_lm)),
        ('text_study', 'augmentation_run', XS.augmentation_run, dict(seed=0, form='four copies', n=8, **tiny_lm)),
        ('text_study', 'long_tail_run', XS.long_tail_run, dict(seed=0, n=8, most=4, **tiny_lm)),
        ('text_study', 'contradiction_run', XS.contradiction_run,
         dict(seed=0, rate=0.5, arm='resolved', n=8, **tiny_lm)),
        ('text_study', 'junk_run', XS.junk_run, dict(seed=0, junk=1.0, remedy='filter', n=8, **tiny_lm)),
        ('text_study', 'companions', XS.companions, dict(ts=ts, truth=truth, person=[0, 1], seed=0)),
        ('lm', 'perplexity', Lm.perplexity, dict(model=lm, ds=rows, batch=8)),
        ('lm', 'generate', Lm.generate, dict(model=lm, prompts=rows.x[:3, :4], steps=2, temperature=0.5)),
        ('data', 'ImageSet', D.ImageSet, dict(x=x, y=y)),
        ('data', 'from_folder', D.from_folder, dict(path=folder, size=8)),
        ('data', 'folder_batches', D.folder_batches, dict(path=folder, batch_size=4, size=8)),
        ('data', 'as_stream', D.as_stream, dict(ds=ds, batch_size=10)),
        ('data', 'load', D.load, dict(name='digits')),
        ('data', 'to_unit_range', D.to_unit_range, dict(x=(x + 1) * 127.5)),
        ('data', 'image_grid', D.image_grid, dict(x=x[:10], nrow=5)),
        ('data', 'show', D.show, dict(ds=ds, n=10, nrow=5)),
        ('data', 'plot_class_counts', D.plot_class_counts, dict(ds=ds)),
        ('data', 'ring', D.ring, dict(n=100, modes=4)),
        ('data', 'grid', D.grid, dict(n=100, side=3)),
        ('corrupt', 'label_noise', K.label_noise, dict(ds=ds, rate=0.1)),
        ('corrupt', 'duplicates', K.duplicates, dict(ds=ds, rate=0.1, copies=1)),
        ('corrupt', 'outliers', K.outliers, dict(ds=ds, rate=0.1, source='noise')),
        ('corrupt', 'corrupt_images', K.corrupt_images, dict(ds=ds, rate=0.1, kind='noise')),
        ('corrupt', 'missing_pixels', K.missing_pixels, dict(ds=ds, rate=0.1)),
        ('corrupt', 'missing_labels', K.missing_labels, dict(ds=ds, rate=0.1)),
        ('corrupt', 'long_tail', K.long_tail, dict(ds=ds, ratio=5.0)),
        ('corrupt', 'scarcity', K.scarcity, dict(ds=ds, fraction=0.5)),
        ('corrupt', 'corrupt', K.corrupt, dict(ds=ds, defect='label_noise', rate=0.1)),
        ('corrupt', 'noise_matrix', K.noise_matrix, dict(k=10, kind='symmetric')),
        ('audit', 'find_missing', A.find_missing, dict(ds=ds)),
        ('audit', 'find_invalid', A.find_invalid, dict(ds=ds)),
        ('audit', 'find_exact_duplicates', A.find_exact_duplicates, dict(ds=ds)),
        ('audit', 'find_near_duplicates', A.find_near_duplicates, dict(ds=ds)),
        ('audit', 'find_outliers', A.find_outliers, dict(ds=ds)),
        ('audit', 'find_label_issues', A.find_label_issues, dict(ds=ds, probs=probs)),
        ('audit', 'find_label_conflicts', A.find_label_conflicts, dict(ds=ds)),
        ('audit', 'audit', A.audit, dict(ds=ds, checks=['exact_duplicate'])),
        ('audit', 'class_imbalance', A.class_imbalance, dict(ds=ds)),
        ('audit', 'audit_stream', A.audit_stream, dict(stream=D.as_stream(ds, 40), checks=['missing', 'outlier'],
                                                       progress=False)),
        ('audit', 'nearest', A.nearest, dict(a=real, b=fake, k=3)),
        ('audit', 'defect_flags', A.defect_flags, dict(report=report, defect='duplicates')),
        ('audit', 'prf', A.prf, dict(flags=flags, truth=flags)),
        ('audit', 'checks_for', A.checks_for, dict(defect='duplicates')),
        ('audit', 'show_flags', A.show_flags, dict(ds=ds, truth=flags, flags=flags, n=10, nrow=5)),
        ('classifier', 'fit_classifier', L.fit_classifier, dict(x=x, y=y, classes=10, epochs=1)),
        ('classifier', 'out_of_fold_probs', L.out_of_fold_probs, dict(ds=ds, folds=2, epochs=1)),
        ('classifier', 'knn_probs', L.knn_probs, dict(ds=ds, k=5, components=10)),
        ('classifier', 'principal_components', L.principal_components, dict(x=real, components=4)),
        ('classifier', 'neighbour_vote', L.neighbour_vote, dict(z=real, y=torch.arange(len(real)) % 3, num_classes=3)),
        ('classifier', 'SmallCNN', L.SmallCNN, dict(shape=shape, classes=10, width=8)),
        ('clean', 'check_policy', C.check_policy, dict(policy={'label': 'review'})),
        ('clean', 'make_plan', C.make_plan, dict(report=report)),
        ('clean', 'apply_plan', C.apply_plan, dict(ds=dirty, plan=plan)),
        ('clean', 'clean', C.clean, dict(ds=dirty, checks=['exact_duplicate'])),
        ('clean', 'CleaningPlan.load', C.CleaningPlan.load, dict(path=plan_path)),
        ('metrics', 'fid', M.fid, dict(real=real, fake=fake)),
        ('metrics', 'kid', M.kid, dict(real=real, fake=fake, subsets=5, subset_size=20)),
        ('metrics', 'prdc', M.prdc, dict(real=real, fake=fake, k=3)),
        ('metrics', 'fid_infinity', M.fid_infinity, dict(real=real, fake=fake, sizes=(20, 40), repeats=2)),
        ('metrics', 'memorization', M.memorization, dict(train=real, fake=fake)),
        ('metrics', 'data_copying', M.data_copying, dict(train=real, held_out=real[:40], fake=fake)),
        ('metrics', 'extraction_rate', M.extraction_rate, dict(train=real, fake=fake, targets=torch.arange(5))),
        ('metrics', 'psnr', M.psnr, dict(x=x, y=x.flip(0))),
        ('metrics', 'ssim', M.ssim, dict(x=x, y=x.flip(0))),
        ('metrics', 'features', M.features, dict(net=net, x=x)),
        ('metrics', 'class_probs', M.class_probs, dict(net=net, x=x)),
        ('metrics', 'inception_score', M.inception_score, dict(probs=probs)),
        ('metrics', 'evaluate', M.evaluate, dict(real=ds, fake=x.flip(0), net=net, k=3)),
        ('metrics', 'evaluator_split', M.evaluator_split, dict(ds=ds)),
        ('metrics', 'feature_network', M.feature_network, dict(train=ds, epochs=1, width=8)),
        ('metrics', 'mode_coverage', M.mode_coverage, dict(generated=y, real=y, modes=10)),
        ('metrics', 'point_modes', M.point_modes, dict(real=ring, fake=ring.x[:50], radius=0.1)),
        ('metrics', 'stacked', M.stacked, dict(ds=ds, n=10)),
        ('metrics', 'load_feature_network', M.load_feature_network, dict(name='digits')),
        ('models', 'gan', Mo.gan, dict(shape=shape, classes=0, z_dim=8, width=8)),
        ('models', 'vae', Mo.vae, dict(shape=shape, latent=4, width=8)),
        ('models', 'Generator', Mo.Generator, dict(shape=shape, z_dim=8, width=8)),
        ('models', 'Discriminator', Mo.Discriminator, dict(shape=shape, width=8)),
        ('models', 'GAN.sample', cgan.sample, dict(n=4, labels=torch.tensor([1, 2, 3, 4]))),
        ('models', 'VAE.sample', vae.sample, dict(n=4)),
        ('models', 'VAE.reconstruct', vae.reconstruct, dict(x=x[:4])),
        ('train', 'train_gan', T.train_gan, dict(model=gan, ds=ds, lr=0.0002, log_every=1, samples=4, **short)),
        ('train', 'train_vae', T.train_vae, dict(model=vae, ds=ds, lr=0.001, checkpoint_every=1, **short)),
        ('train', 'batch_drawer', T.batch_drawer, dict(ds=ds, batch_size=16)),
        ('diffusion', 'diffusion', F.diffusion, dict(shape=shape, classes=0, width=8, T=50)),
        ('diffusion', 'train_diffusion', F.train_diffusion, dict(model=dif, ds=ds, lr=0.001, **short)),
        ('diffusion', 'Diffusion.sample', dif.sample, dict(n=4, steps=2, eta=0.0)),
        ('diffusion', 'noise_schedule', F.noise_schedule, dict(T=10, kind='cosine')),
        ('diffusion', 'UNet', F.UNet, dict(shape=shape, width=8, classes=0)),
        ('diffusion', 'MLPDenoiser', F.MLPDenoiser, dict(shape=shape, width=8, classes=0)),
        ('augment', 'augment_images', G.augment_images, dict(x=x, transform=flip)),
        ('augment', 'augmented', G.augmented, dict(ds=ds, transform=flip, copies=1)),
        ('augment', 'classic_transforms', G.classic_transforms, dict(size=8)),
        ('augment', 'DiffAugment', G.DiffAugment, dict(policy='color,cutout')),
        ('augment', 'DiffAugment()', G.DiffAugment(), dict(x=x)),
        ('augment', 'translation', G.translation, dict(x=x, ratio=0.125)),
        ('augment', 'cutout', G.cutout, dict(x=x, ratio=0.5)),
        ('resample', 'undersample', R.undersample, dict(ds=ds)),
        ('resample', 'oversample', R.oversample, dict(ds=ds)),
        ('resample', 'smote', R.smote, dict(ds=ds, k=3)),
        ('resample', 'balanced_sampler', R.balanced_sampler, dict(ds=ds)),
        ('resample', 'generative_oversample', R.generative_oversample, dict(ds=ds, model=cgan)),
        ('experiment', 'settings', E.settings, dict(model='vae', width=16, rate=0.1, steps=10, batch_size=16)),
        ('experiment', 'bootstrap_mean', E.bootstrap_mean, dict(values=[1.0, 2.0, 3.0], n_boot=100, level=0.9)),
        ('experiment', 'recovery', E.recovery, dict(df=df, metric='fid', rate=0.3, n_boot=100, level=0.9)),
        ('experiment', 'load_results', E.load_results, dict(name_or_path='label_noise')),
    ]


def survey(tmp: Path) -> list:
    "Every bad call's outcome (see the module's docstring)."
    torch.set_num_threads(1); warnings.simplefilter('ignore')
    out = []
    for module, label, fn, base in calls(tmp):
        label = f'{module}.{label}'
        fn(**base)                   # the valid call must work, or the survey says nothing
        params = inspect.signature(fn).parameters
        names = [n for n, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        names += [n for n in base if n not in params]
        for name in names:
            p = params.get(name)
            value = base.get(name, p.default if p is not None else None)
            if value is inspect.Parameter.empty: continue
            for bad, v in bad_values(name, value, p.annotation if p is not None else ''):
                out.append(attempt(label, fn, {**base, name: v}, name, bad))
    return out


def summary(outcomes: list) -> pd.DataFrame:
    "Counts of each result by module, with the share of bad calls refused clearly (documented values aside)."
    df = pd.DataFrame([o.__dict__ for o in outcomes])
    df['module'] = df.call.str.split('.').str[0]
    t = df.groupby('module').result.value_counts().unstack(fill_value=0)
    for c in ('clear', 'unclear', 'crash', 'accepted', 'documented'):
        if c not in t: t[c] = 0
    t = t[['clear', 'unclear', 'crash', 'accepted', 'documented']]
    t['mutated'] = df.groupby('module')['mutated'].sum()      # not .mutated: pandas < 2 has a GroupBy.mutated
    t.loc['all'] = t.sum()
    t['clear_share'] = (t.clear / (t[['clear', 'unclear', 'crash', 'accepted']].sum(axis=1))).round(3)
    return t


if __name__ == '__main__':
    with tempfile.TemporaryDirectory() as d: outcomes = survey(Path(d))
    pd.set_option('display.width', 200)
    print(summary(outcomes).to_string())
    for o in outcomes:
        if o.result != 'clear' or o.mutated:
            print(f"{o.result:9} {'MUTATED ' if o.mutated else ''}{o.call}({o.arg}={o.bad}): {o.message}")
    sys.exit(0)
