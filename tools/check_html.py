"""Check the built book as a reader meets it: every chapter of _toc.yml rendered with outputs and without an error
output (a traceback), no broken internal link, every image there. Prints one line per problem and exits 1 if there
is any.

    python tools/check_html.py [_build/html] [--root BOOK_SOURCE]
"""
import json, sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit
import yaml

ROOT = Path(__file__).resolve().parents[1]


class Page(HTMLParser):
    "The links, images, element ids and cell outputs of one HTML page."
    def __init__(self):
        super().__init__()
        self.links, self.images, self.ids, self.outputs, self.output_images, self.errors = [], [], set(), 0, 0, 0
        self._in_output = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a: self.ids.add(a['id'])
        cls = a.get('class') or ''
        if 'cell_output' in cls: self.outputs += 1
        if 'traceback' in cls.split() or 'highlight-ipythontb' in cls or 'output error' in cls: self.errors += 1
        if tag == 'a' and a.get('href'): self.links.append(a['href'])
        if tag == 'img' and a.get('src'):
            self.images.append(a['src'])
            if 'data:image' in a['src'] or '_images/' in a['src']: self.output_images += 1


def parse(path: Path) -> Page:
    page = Page(); page.feed(path.read_text(encoding='utf-8', errors='replace')); return page


def toc_files(root: Path = ROOT) -> list:
    toc = yaml.safe_load((root / '_toc.yml').read_text())
    chapters = toc.get('chapters', []) + [ch for part in toc.get('parts', []) for ch in part['chapters']]
    return [toc['root']] + [ch['file'] for ch in chapters]


def has_code(f: str, root: Path = ROOT) -> bool:
    "Whether the notebook behind a toc entry has a code cell that shows output (the cover's are mostly hidden)."
    path = root / f'{f}.ipynb'
    if not path.exists(): return False                                    # a markdown page
    cells = json.loads(path.read_text())['cells']
    return any(c['cell_type'] == 'code' and 'remove' not in str(c['metadata'].get('tags', [])) for c in cells)


def outputs_expected(f: str, root: Path = ROOT) -> int:
    "How many visible code cells of the notebook behind a toc entry hold outputs (0 for a clean notebook)."
    path = root / f'{f}.ipynb'
    if not path.exists(): return 0
    cells = json.loads(path.read_text())['cells']
    return sum(1 for c in cells if c['cell_type'] == 'code' and c.get('outputs')
               and not {'remove-cell', 'remove-output'} & set(c['metadata'].get('tags', [])))


def check(html: Path, root: Path = ROOT) -> list:
    problems, pages = [], {p: parse(p) for p in html.rglob('*.html') if '_static' not in p.parts}
    for f in toc_files(root):
        page = html / f'{f}.html'
        if page not in pages: problems.append(f'{f}: not rendered ({page} missing)'); continue
        if has_code(f, root) and pages[page].outputs == 0: problems.append(f'{f}: rendered without any cell output')
        want = outputs_expected(f, root)
        if pages[page].outputs < want:
            problems.append(f'{f}: {pages[page].outputs} of the {want} cells with outputs rendered')
        if pages[page].errors: problems.append(f'{f}: {pages[page].errors} cell(s) rendered with an error (traceback)')
    for path, page in pages.items():
        for ref in page.links + page.images:
            parts = urlsplit(ref)
            if parts.scheme or ref.startswith(('//', 'mailto:', 'data:')):
                continue      # external links are not checked offline
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.exists(): problems.append(f'{path.relative_to(html)}: broken link or image {ref}'); continue
            if parts.fragment and target.suffix == '.html':
                ids = pages[target].ids if target in pages else parse(target).ids
                if parts.fragment not in ids: problems.append(f'{path.relative_to(html)}: missing anchor {ref}')
    return problems


if __name__ == '__main__':
    args = sys.argv[1:]
    root = ROOT
    if '--root' in args:
        i = args.index('--root'); root = Path(args[i + 1]).resolve(); del args[i:i + 2]
    html = Path(args[0]) if args else root / '_build' / 'html'
    problems = check(html, root)
    for p in problems: print(p)
    n = len(list(html.rglob('*.html')))
    print(f"checked {n} pages: {len(problems)} problems")
    sys.exit(1 if problems else 0)
