"""Write notebooks as plain text and back, so nobody edits notebook JSON by hand.

The text format is jupytext's "percent" format with raw (unprefixed) markdown:

    # %% [markdown]
    # Title
    Some prose.
    # %% tags=["remove-cell"]
    #| hide
    import genq

Usage:
    python tools/nbtext.py to-nb chapter.txt nbs/01_data.ipynb   # text -> notebook, cleaned by nbdev_clean
    python tools/nbtext.py to-text nbs/01_data.ipynb > chapter.txt   # notebook -> text
"""
import hashlib, json, re, shutil, subprocess, sys
import nbformat
from pathlib import Path

MARK = re.compile(r'^# %%( \[markdown\])?(?: tags=(\[.*\]))?\s*$')
KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _cell_id(src: str, taken: set) -> str:
    """A cell id from the cell's source alone, so that an edit elsewhere changes no other cell's id (the ids appear in
    the exported modules, whose text is the experiments' code fingerprint); a repeated source gets a counter."""
    for k in range(len(taken) + 1):
        cid = hashlib.sha1(f"{src}#{k}".encode() if k else src.encode()).hexdigest()[:8]
        if cid not in taken: return cid


def text_to_notebook(text: str) -> nbformat.NotebookNode:
    "Parse percent-format text into a notebook with no outputs."
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNEL})
    kind, tags, lines = None, [], []

    def flush():
        if kind is None: return
        src = "\n".join(lines).strip("\n")
        make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        cell = make(src)
        cell.id = _cell_id(src, {c.id for c in nb.cells})
        if tags: cell.metadata["tags"] = tags
        nb.cells.append(cell)

    for line in text.splitlines():
        m = MARK.match(line)
        if m:
            flush()
            kind, tags, lines = ("md" if m.group(1) else "code"), json.loads(m.group(2) or "[]"), []
        else:
            lines.append(line)
    flush()
    return nb


def notebook_to_text(nb) -> str:
    "Render a notebook as percent-format text (outputs dropped)."
    out = []
    for c in nb.cells:
        head = "# %% [markdown]" if c.cell_type == "markdown" else "# %%"
        tags = c.get("metadata", {}).get("tags")
        if tags: head += " tags=" + json.dumps(tags)
        out += [head, c.source, ""]
    return "\n".join(out)


def write_notebook(nb, path):
    "Write `nb`, then let nbdev_clean put it in the form that is committed."
    nbformat.write(nb, path)
    clean = shutil.which("nbdev_clean") or str(Path(sys.executable).parent / "nbdev_clean")
    subprocess.run([clean, "--fname", str(path)], check=True)


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    if cmd == "to-nb": write_notebook(text_to_notebook(open(args[0]).read()), args[1])
    elif cmd == "to-text": sys.stdout.write(notebook_to_text(nbformat.read(args[0], as_version=4)))
    else: sys.exit(__doc__)
