"""genq.data: bad input gives a clear ValueError, nothing is changed in place, seeds repeat, ids survive."""
import struct, urllib.error, warnings

import numpy as np
import pytest
import torch
from PIL import Image

from genq import data
from genq.data import ImageSet, MISSING


def images(n=6, c=1, h=8, w=8, seed=0):
    return torch.rand(n, c, h, w, generator=torch.Generator().manual_seed(seed)) * 2 - 1


@pytest.fixture
def ds():
    return ImageSet(images(), torch.tensor([0, 1, 2, 0, 1, 2]), name='tiny')


# ---- bad input --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('x, msg, error', [
    (images()[:, 0], 'add a channel axis', ValueError),
    (torch.zeros(6, 64), '4 dimensions', ValueError),
    (torch.zeros(6, 1, 1, 8, 8), '4 dimensions', ValueError),
    (torch.zeros(0, 1, 8, 8), 'empty', ValueError),
    (torch.zeros(6, 1, 8, 8, dtype=torch.uint8), 'float tensor', ValueError),
    (images() * 3, 'values in [-1, 1]', ValueError),
    (np.zeros((6, 1, 8, 8)), 'torch.Tensor', TypeError),
])
def test_bad_images_are_refused(x, msg, error):
    with pytest.raises(error, match=msg.replace('[', r'\[').replace(']', r'\]')): ImageSet(x)


def test_nan_and_inf_pixels_name_the_rows():
    x = images(); x[3, 0, 2, 2] = float('nan')
    with pytest.raises(ValueError, match=r'NaN pixels \(rows 3\).*allow_nan=True'): ImageSet(x)
    assert torch.isnan(ImageSet(x, allow_nan=True).x).sum() == 1
    x = images(); x[4, 0, 0, 0] = float('-inf')
    with pytest.raises(ValueError, match=r'infinite pixels \(rows 4\)'): ImageSet(x, allow_nan=True)
    with pytest.raises(ValueError, match='only NaN'): ImageSet(torch.full((2, 1, 4, 4), float('nan')), allow_nan=True)


@pytest.mark.parametrize('y, classes, msg', [
    (torch.tensor([0, 1, 2]), (), 'one label per image, 6 in all'),
    (torch.tensor([0, 1, 2, 0, 1, 5]), ('a', 'b', 'c'), r'0\.\.2.*Got \[5\] \(rows 5\)'),
    (torch.tensor([0, 1, 2, 0, 1, -2]), (), r'Got \[-2\]'),
    (torch.tensor([0., 1, 2, 0, 1, 2]), (), 'integer class indices'),
    (torch.zeros(6, 2, dtype=torch.long), (), 'one label per image'),
])
def test_bad_labels_are_refused(y, classes, msg):
    with pytest.raises(ValueError, match=msg): ImageSet(images(), y, classes=classes)


def test_missing_labels_are_allowed_and_not_counted():
    s = ImageSet(images(), torch.tensor([0, 1, MISSING, 0, 1, 1]))
    assert s.class_counts().tolist() == [2, 3]


@pytest.mark.parametrize('ids', [torch.tensor([0, 1, 2, 3, 4, 4]), torch.tensor([0, 1, 2, 3, 4, -1]), torch.arange(5)])
def test_bad_ids_are_refused(ids):
    with pytest.raises(ValueError, match='ids should be'): ImageSet(images(), ids=ids)


def test_bad_arguments_name_the_fix(ds):
    with pytest.raises(ValueError, match='strictly between 0 and 1'): ds.split(0)
    with pytest.raises(ValueError, match='leaves one part empty'): ImageSet(images(2)).split(0.1)
    with pytest.raises(ValueError, match='one entry per row'): ds.subset(torch.tensor([True, False]))
    with pytest.raises(ValueError, match='empty'): ds.subset(torch.zeros(6, dtype=torch.bool))
    with pytest.raises(ValueError, match='batch_size should be at least 1'): next(ds.batches(0))
    with pytest.raises(ValueError, match='no labels'): ImageSet(images()).class_counts()
    with pytest.raises(ValueError, match='Choose one of: digits'): data.load('imagenet')
    with pytest.raises(ValueError, match='hi should be greater'): data.to_unit_range(torch.zeros(1), 1, 1)


# ---- nothing changes in place; ids survive; seeds repeat ---------------------------------------------------------

def test_operations_never_change_their_input(ds):
    before = [ds.x.clone(), ds.y.clone(), ds.ids.clone()]
    ds.subset([1, 2]); ds.split(0.5, seed=0); ds.to('cpu'); list(ds.batches(4, seed=0)); ds.replace(name='other')
    for t, b in zip((ds.x, ds.y, ds.ids), before): assert torch.equal(t, b)
    with pytest.raises(AttributeError): ds.x = None  # frozen


def test_ids_survive_subsets_and_splits(ds):
    a, b = ds.split(0.5, seed=0)
    assert sorted(a.ids.tolist() + b.ids.tolist()) == list(range(6))
    inner = a.subset([1]).subset([0])
    assert torch.equal(inner.x[0], ds.x[int(inner.ids[0])])


def test_split_is_stratified_and_seeded():
    d = data.digits()
    a, b = d.split(0.2, seed=3)
    assert torch.all((a.class_counts().float() / d.class_counts().float() - 0.2).abs() < 0.01)
    assert torch.equal(a.ids, d.split(0.2, seed=3)[0].ids)
    assert not torch.equal(a.ids, d.split(0.2, seed=4)[0].ids)


def test_batches_cover_every_row_once_and_repeat_with_a_seed(ds):
    d = data.digits()
    seen = torch.cat([yb for _, yb in d.batches(100, seed=1)])
    assert len(seen) == len(d) and torch.equal(seen.sort().values, d.y.sort().values)
    assert all(torch.equal(a, b) for (a, _), (b, _) in zip(d.batches(64, seed=2), d.batches(64, seed=2)))
    assert not torch.equal(next(d.batches(64, seed=2))[0], next(d.batches(64, seed=3))[0])
    assert [len(x) for x, _ in ds.batches(4, shuffle=False, drop_last=True)] == [4]


def test_works_with_a_dataloader(ds):
    xb, yb = next(iter(torch.utils.data.DataLoader(ds, batch_size=6)))
    assert torch.equal(xb, ds.x) and torch.equal(yb, ds.y)
    assert ImageSet(images())[0].shape == (1, 8, 8)


# ---- datasets ------------------------------------------------------------------------------------------------------

def test_embedded_datasets():
    d, m = data.digits(), data.mnist5k()
    assert (len(d), d.shape, len(m), m.shape) == (1797, (1, 8, 8), 5000, (1, 28, 28))
    assert m.class_counts().tolist() == [500] * 10 and m.classes == data.DIGIT_CLASSES
    assert -1 <= m.x.min() and m.x.max() <= 1
    r, g = data.ring(n=800), data.grid()
    assert r.class_counts().tolist() == [100] * 8 and g.num_classes == 25
    assert torch.equal(data.ring(seed=5).x, data.ring(seed=5).x)
    centres = torch.stack([r.x[r.y == k].flatten(1).mean(0) for k in range(8)])
    assert torch.allclose(centres.norm(dim=1), torch.full((8,), 0.8), atol=0.01)


def write_idx(path, arr, magic):
    with open(path, 'wb') as f:
        f.write(struct.pack('>i', magic) + struct.pack(f'>{arr.ndim}i', *arr.shape) + arr.tobytes())


def test_mnist_reads_torchvision_files(tmp_path):
    raw = tmp_path / 'MNIST' / 'raw'; raw.mkdir(parents=True)
    imgs = np.arange(5 * 28 * 28, dtype=np.int64).reshape(5, 28, 28).astype(np.uint8)
    for split in ('train', 't10k'):
        write_idx(raw / f'{split}-images-idx3-ubyte', imgs, 2051)
        write_idx(raw / f'{split}-labels-idx1-ubyte', np.array([0, 1, 2, 3, 9], dtype=np.uint8), 2049)
    m = data.mnist(root=tmp_path, train=False)
    assert (len(m), m.shape, m.name) == (5, (1, 28, 28), 'mnist-test')
    assert m.y.tolist() == [0, 1, 2, 3, 9] and torch.allclose(m.x[0, 0, 0, :3],
                                                              torch.tensor([-1, -1 + 2 / 255, -1 + 4 / 255]))


def test_fashion_mnist_reads_and_checks_idx_files(tmp_path, monkeypatch):
    import gzip, hashlib
    raw = tmp_path / 'FashionMNIST' / 'raw'; raw.mkdir(parents=True)
    imgs = (np.arange(3 * 28 * 28) % 256).astype(np.uint8).reshape(3, 28, 28)
    write_idx(raw / 't10k-images-idx3-ubyte', imgs, 2051)
    labels = np.array([0, 9, 4], dtype=np.uint8)
    with gzip.open(raw / 't10k-labels-idx1-ubyte.gz', 'wb') as f:
        f.write(struct.pack('>II', 2049, 3) + labels.tobytes())
    monkeypatch.setattr(data, 'FASHION_DIRS', ())                     # only tmp_path, not a system copy
    with pytest.raises(ValueError, match='checksum'): data.fashion_mnist(root=tmp_path, train=False)
    sums = {p.name.removesuffix('.gz'): hashlib.sha256(data._idx_bytes(p)).hexdigest() for p in raw.iterdir()}
    monkeypatch.setattr(data, 'FASHION_SHA256', sums)
    f = data.fashion_mnist(root=tmp_path, train=False)
    assert (len(f), f.shape, f.classes[9]) == (3, (1, 28, 28), 'Ankle boot') and f.y.tolist() == [0, 9, 4]
    assert torch.allclose(f.x[0, 0, 0, :2], torch.tensor([-1, -1 + 2 / 255]))
    (raw / 't10k-images-idx3-ubyte').write_bytes((raw / 't10k-images-idx3-ubyte').read_bytes()[:-5])
    with pytest.raises(ValueError, match='truncated'): data.read_idx(raw / 't10k-images-idx3-ubyte')
    (raw / 'junk').write_bytes(b'\x01\x02\x03\x04')
    with pytest.raises(ValueError, match='not an IDX file'): data.read_idx(raw / 'junk')
    (raw / 'bad.gz').write_bytes(b'not gzip at all')
    with pytest.raises(ValueError, match='could not be read'): data.read_idx(raw / 'bad.gz')
    with pytest.raises(data.DatasetUnavailableError, match='dataset-fashion-mnist'):
        data.fashion_mnist(root=tmp_path / 'none')


@pytest.mark.skipif(not data.FASHION_DIRS[0].is_dir(), reason='apt-get install dataset-fashion-mnist')
def test_fashion_mnist_from_the_system_package():
    train, test = data.fashion_mnist(root='/nonexistent'), data.fashion_mnist(root='/nonexistent', train=False)
    assert (len(train), len(test)) == (60_000, 10_000) and train.class_counts().tolist() == [6000] * 10


def test_missing_download_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(data, 'FASHION_DIRS', ())                     # as on a machine without the system package
    with pytest.raises(data.DatasetUnavailableError, match='Pass download=True'): data.fashion_mnist(root=tmp_path)

    def offline(*args, **kwargs): raise urllib.error.URLError('[Errno -3] Temporary failure in name resolution')
    monkeypatch.setattr('torchvision.datasets.CIFAR10', offline)
    with pytest.raises(data.DatasetUnavailableError, match='no internet access') as e:
        data.cifar10(root=tmp_path, download=True)
    assert e.value.__suppress_context__ and 'mnist5k()' in str(e.value)


def save_png(path, value, mode='L'):
    Image.new(mode, (10, 12), value).save(path)


def test_from_folder_skips_and_lists_unreadable_files(tmp_path):
    for c in ('cat', 'dog'):
        (tmp_path / c).mkdir()
        for i in range(3): save_png(tmp_path / c / f'{i}.png', 40 * i)
    (tmp_path / 'dog' / 'truncated.png').write_bytes((tmp_path / 'dog' / '0.png').read_bytes()[:30])
    (tmp_path / 'cat' / 'README.txt').write_text('not an image')
    (tmp_path / 'cat' / '.hidden.png').write_bytes(b'')
    with pytest.warns(UserWarning, match='skipped 2 unreadable'): s = data.from_folder(tmp_path, size=16)
    assert (len(s), s.shape, s.classes, s.class_counts().tolist()) == (6, (1, 16, 16), ('cat', 'dog'), [3, 3])
    assert sorted(p.split('/')[-1] for p, _ in s.meta['skipped']) == ['README.txt', 'truncated.png']
    assert all(p.endswith('.png') for p in s.meta['paths']) and len(s.meta['paths']) == 6
    assert torch.allclose(s.x[1], torch.full((1, 16, 16), 40 / 255 * 2 - 1))


def test_from_folder_colour_and_unlabelled(tmp_path):
    for i in range(4): save_png(tmp_path / f'{i}.png', (255, 0, 0), mode='RGB')
    s = data.from_folder(tmp_path, size=8, channels=3)
    assert s.y is None and s.shape == (3, 8, 8) and torch.allclose(s.x[:, 0], torch.ones(4, 8, 8))


def test_from_folder_refuses_bad_folders(tmp_path):
    with pytest.raises(ValueError, match='is not a folder'): data.from_folder(tmp_path / 'nope')
    with pytest.raises(ValueError, match='channels should be 1'): data.from_folder(tmp_path, channels=2)
    (tmp_path / 'a').mkdir(); (tmp_path / 'a' / 'x.png').write_text('garbage')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        with pytest.raises(ValueError, match='No readable images.*1 file'): data.from_folder(tmp_path)


# ---- scales --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('flag, quick', [('1', True), ('0', False), ('true', True), ('no', False)])
def test_scale_follows_genq_quick(monkeypatch, flag, quick):
    monkeypatch.setenv('GENQ_QUICK', flag)
    assert data.quick_mode() is quick and data.by_scale('q', 'f') == ('q' if quick else 'f')


def test_scale_without_flag_follows_the_gpu(monkeypatch):
    monkeypatch.delenv('GENQ_QUICK', raising=False)
    assert data.quick_mode() is (not torch.cuda.is_available())
    monkeypatch.setenv('GENQ_QUICK', 'perhaps')
    with pytest.raises(ValueError, match='GENQ_QUICK should be 1 or 0'): data.quick_mode()
