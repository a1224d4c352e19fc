"""Open the built book in headless Chromium, as a reader's browser would, and save screenshots of its pages.

    python3 tools/screenshots.py OUT_DIR [--mathjax DIR] [PAGE[#ANCHOR] ...]

PAGE is a path under _build/html without .html (default: the cover and three views of the metrics chapter: its
equations, its speed table, its blur explorer). Build the book first (python3 tools/dev.py book) and install Debian's
chromium (apt-get install chromium). The book loads MathJax from a CDN; on a machine without internet pass --mathjax
with the es5 folder of a local copy (`npm pack mathjax@3`, then `tar xzf mathjax-3*.tgz`: package/es5) so that the
equations render: the pages are copied to a temporary folder and pointed at it. ipywidgets' web components also come
from a CDN; offline the explorers show only their static figures, which is what the pages are designed to show.
"""
import argparse, re, shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / '_build' / 'html'
PAGES = ['index', 'nbs/05_metrics#frechet-distance', 'nbs/05_metrics#speed', 'nbs/05_metrics#explore-blur-against-the-metrics']
MATHJAX_CDN = re.compile(r'https://cdn\.jsdelivr\.net/npm/mathjax@3/es5/')


def copy_book(dest: Path, mathjax: Path | None) -> Path:
    "The built book copied to `dest`, its MathJax script pointed at a local copy when one is given."
    book = dest / 'html'
    shutil.copytree(HTML, book)
    if mathjax:
        shutil.copytree(mathjax, book / '_static' / 'mathjax-es5')
        for page in book.rglob('*.html'):
            rel = Path(*(['..'] * (len(page.relative_to(book).parts) - 1))) / '_static' / 'mathjax-es5'
            page.write_text(MATHJAX_CDN.sub(rel.as_posix() + '/', page.read_text()))
    return book


def screenshot(book: Path, page: str, out: Path, width: int = 1280, height: int = 1800) -> Path:
    "One viewport of `page` (path#anchor) after its scripts have run."
    path, _, anchor = page.partition('#')
    url = (book / f'{path}.html').as_uri() + (f'#{anchor}' if anchor else '')
    png = out / (re.sub(r'[^A-Za-z0-9]+', '_', page).strip('_') + '.png')
    subprocess.run(['chromium', '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
                    f'--window-size={width},{height}', '--virtual-time-budget=15000', f'--screenshot={png}', url],
                   check=True, capture_output=True, timeout=180)
    return png


def main(out: Path, pages: list, mathjax: Path | None) -> None:
    if not (HTML / 'index.html').exists(): sys.exit(f"no built book at {HTML}: run python3 tools/dev.py book first")
    if not shutil.which('chromium'): sys.exit("chromium is not installed: apt-get install chromium")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        book = copy_book(Path(tmp), mathjax)
        for page in pages: print(screenshot(book, page, out))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('out', type=Path); p.add_argument('pages', nargs='*', default=PAGES)
    p.add_argument('--mathjax', type=Path, help="a local copy of MathJax 3's es5 folder, for offline machines")
    a = p.parse_args()
    main(a.out, a.pages, a.mathjax)
