"""Chapter notebooks are committed clean: valid nbformat, no outputs, kernel `python3`.

Outputs belong to the build (the book executes every notebook), not to the repository.
To clean a notebook in JupyterLab: Edit > Clear Outputs of All Cells, then save.
"""

from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((REPO / "chapters").glob("*.ipynb"))


def test_there_is_at_least_one_chapter():
    assert CHAPTERS, "no notebooks found under chapters/"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_notebook_is_valid_and_clean(path):
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    assert nb.nbformat == 4, f"{path.name}: nbformat {nb.nbformat}, expected 4"
    nbformat.validate(nb)  # raises ValidationError with the offending field

    kernel = nb.metadata.get("kernelspec", {}).get("name")
    assert kernel == "python3", (
        f"{path.name}: kernelspec name is {kernel!r}; it must be 'python3' "
        "(any other name breaks the book build and nbval with NoSuchKernel)"
    )

    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, (
        f"{path.name}: code cells {dirty} have outputs or execution counts; "
        "clear all outputs and save before committing"
    )
    assert "widgets" not in nb.metadata, (
        f"{path.name}: saved widget state in the notebook metadata; clear outputs and save "
        "without widget state (Settings > Save Widget State Automatically: off)"
    )
