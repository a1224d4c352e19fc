__version__ = "0.1.0"

import importlib as _importlib

_SUBMODULES = ('data', 'corrupt', 'audit', 'classifier', 'clean', 'metrics', 'models', 'train', 'diffusion', 'augment',
               'resample', 'experiment', 'text', 'lm', 'text_audit', 'text_study')


def __getattr__(name):
    "`genq.audit` and the other submodules, imported on first use (so `import genq` stays light)."
    if name in _SUBMODULES: return _importlib.import_module(f'{__name__}.{name}')
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__(): return sorted([*globals(), *_SUBMODULES])
