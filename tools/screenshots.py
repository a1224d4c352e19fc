"""Open the built book in headless Chromium, as a reader's browser would, and save screenshots of its pages.

    .venv/bin/python tools/screenshots.py OUT_DIR [--mathjax DIR] [--height PIXELS] [PAGE ...]

PAGE is a path under _build/html without .html (default: the cover and the metrics chapter). Each page is captured
in a window `--height` pixels tall (headless Chromium does not scroll to #anchors before it captures) and saved in
tiles 1,800 pixels tall: PAGE_00.png, PAGE_01.png, ... Build the book first (python3 tools/dev.py book, which also
makes .venv, with Pillow) and install Debian's chromium (apt-get install chromium). The book loads MathJax from a
CDN; on a machine without internet pass --mathjax with the es5 folder of a local copy (`npm pack mathjax@3`, then
`tar xzf mathjax-3*.tgz`: package/es5) so that the equations render: the pages are copied to a temporary folder and
pointed at it. ipywidgets' web components also come from a CDN; offline the explorers show only their static
figures, which is what the pages are designed to show.
"""
import argparse, re, shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / '_build' / 'html'
PAGES = ['index', 'nbs/05_metrics']
TILE = 1800
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


def screenshot(book: Path, page: str, out: Path, height: int, width: int = 1280) -> list:
    "`page` captured `height` pixels deep after its scripts have run, saved as tiles TILE pixels tall."
    from PIL import Image
    full = out / (re.sub(r'[^A-Za-z0-9]+', '_', page).strip('_') + '_full.png')
    subprocess.run(['chromium', '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
                    f'--window-size={width},{height}', '--virtual-time-budget=20000', f'--screenshot={full}',
                    (book / f'{page}.html').as_uri()], check=True, capture_output=True, timeout=300)
    image, tiles = Image.open(full), []
    for i, top in enumerate(range(0, image.height, TILE)):
        tiles.append(full.with_name(full.name.replace('_full', f'_{i:02d}')))
        image.crop((0, top, image.width, min(top + TILE, image.height))).save(tiles[-1])
    full.unlink()
    return tiles


def main(out: Path, pages: list, mathjax: Path | None, height: int) -> None:
    if not (HTML / 'index.html').exists(): sys.exit(f"no built book at {HTML}: run python3 tools/dev.py book first")
    if not shutil.which('chromium'): sys.exit("chromium is not installed: apt-get install chromium")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        book = copy_book(Path(tmp), mathjax)
        for page in pages: print(*screenshot(book, page, out, height), sep='\n')


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('out', type=Path); p.add_argument('pages', nargs='*', default=PAGES)
    p.add_argument('--mathjax', type=Path, help="a local copy of MathJax 3's es5 folder, for offline machines")
    p.add_argument('--height', type=int, default=30_000, help='how deep to capture each page, in pixels')
    a = p.parse_args()
    main(a.out, a.pages, a.mathjax, a.height)
