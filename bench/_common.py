"""What the bench scripts share: the CPU's name, and saving a result with its provenance (not a bench itself)."""
import json, platform, re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_snippets() -> list:
    "The README's Python examples (its ```python blocks), in order: what the wheel test runs and bench/readme.py times."
    return re.findall(r'```python\n(.*?)```', (ROOT / 'README.md').read_text(), flags=re.S)


def cpu_name() -> str:
    "The CPU's model name, from /proc/cpuinfo where there is one."
    try:
        return next(l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines()
                    if l.startswith('model name'))
    except (OSError, StopIteration): return platform.processor() or 'unknown CPU'


def save(row: dict, path, command: str, key: str) -> None:
    "Write a bench's result `row` under `key`, with its provenance (date, CPU, commit, command), to `path` as JSON."
    from genq.experiment import provenance
    meta = {**provenance('cpu'), 'cpu': cpu_name(), 'command': command}
    Path(path).write_text(json.dumps({'provenance': meta, key: row}, indent=1) + '\n')
