""".ci/clean_notebooks.py: what JupyterLab would rewrite is written its way; widget reprs become a hint nbval ignores."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from labutil import ROOT

spec = importlib.util.spec_from_file_location("clean_notebooks", ROOT / ".ci" / "clean_notebooks.py")
clean_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(clean_notebooks)

WIDGET = "application/vnd.jupyter.widget-view+json"
REPR = "VBox(children=(HBox(children=(IntSlider(value=3),)), Output()))"


def widget_output():
    return new_output("execute_result", execution_count=2,
                      data={WIDGET: {"model_id": "abc", "version_major": 2, "version_minor": 0},
                            "text/plain": REPR})


def as_nbconvert_writes_it(path):
    """A notebook as `nbconvert --execute` leaves it: "Python 3", timestamps, widget state."""
    nb = new_notebook(metadata={"kernelspec": {"display_name": "Python 3", "language": "python",
                                               "name": "python3"},
                                "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}})
    nb.cells = [new_markdown_cell("# Title"),
                new_code_cell("x = 1", execution_count=1, metadata={"execution": {"iopub.status.idle": "t"}}),
                new_code_cell("live(...)", execution_count=2, outputs=[widget_output()],
                              metadata={"tags": ["nbval-ignore-output", "remove-output"]}),
                new_code_cell("VBox(...)", execution_count=3, outputs=[widget_output()])]
    nbformat.write(nb, path)
    raw = json.loads(path.read_text())
    del raw["cells"][0]["id"]                  # a cell written by an older tool
    path.write_text(json.dumps(raw))


@pytest.mark.filterwarnings("ignore::nbformat.warnings.MissingIDFieldWarning")
def test_clean_writes_what_jupyterlab_writes(tmp_path, capsys):
    path = tmp_path / "nb.ipynb"
    as_nbconvert_writes_it(path)
    clean_notebooks.clean(path)
    nb = nbformat.read(path, as_version=4)
    assert nb["metadata"]["kernelspec"] == {"display_name": "Python 3 (ipykernel)", "language": "python",
                                           "name": "python3"}
    assert "widgets" not in nb["metadata"] and (nb["nbformat"], nb["nbformat_minor"]) >= (4, 5)
    ids = [c.get("id") for c in nb["cells"]]
    assert all(ids) and len(set(ids)) == len(ids)
    assert "execution" not in nb["cells"][1]["metadata"]
    # the tagged widget cell: the repr is gone, one hint line instead (no prompt: display_data)
    assert nb["cells"][2]["outputs"] == [{"output_type": "display_data", "metadata": {},
                                          "data": {"text/plain": clean_notebooks.WIDGET_HINT}}]
    # an untagged one is left alone (nbval compares its output), with a warning
    assert nb["cells"][3]["outputs"][0]["data"]["text/plain"] == REPR
    assert "cell 3: widget output in a cell not tagged nbval-ignore-output" in capsys.readouterr().err
    # cleaning again changes nothing
    before = path.read_bytes()
    clean_notebooks.clean(path)
    assert path.read_bytes() == before


def test_installed_kernel_has_the_display_name_written():
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.display_name == clean_notebooks.KERNELSPEC["display_name"]


def test_an_nbformat_4_4_notebook_gets_cell_ids(tmp_path):
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 4, "metadata": {},
                                "cells": [{"cell_type": "markdown", "metadata": {}, "source": "a"},
                                          {"cell_type": "markdown", "metadata": {}, "source": "b"}]}))
    clean_notebooks.clean(path)
    raw = json.loads(path.read_text())
    assert raw["nbformat_minor"] == 5 and len({c["id"] for c in raw["cells"]}) == 2


@pytest.mark.parametrize("tagged", [True, False])
def test_nbval_ignores_the_hint_only_in_tagged_cells(tmp_path, tagged):
    # A real widget cell, executed, cleaned, then re-run by nbval: the stored hint differs
    # from the fresh widget output, which nbval accepts only under nbval-ignore-output.
    path = tmp_path / "w.ipynb"
    nb = new_notebook(metadata={"kernelspec": {"display_name": "Python 3", "language": "python",
                                               "name": "python3"}})
    tags = ["nbval-ignore-output"] if tagged else []
    nb.cells = [new_code_cell("import ipywidgets as W\nW.VBox([W.IntSlider(value=3)])", metadata={"tags": tags})]
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    assert WIDGET in nb.cells[0].outputs[0]["data"]
    if not tagged:                                  # what cleaning would do if it ignored the tag
        nb.cells[0].outputs = [clean_notebooks.widget_hint_output()]
    nbformat.write(nb, path)
    if tagged:
        clean_notebooks.clean(path)
        assert nbformat.read(path, as_version=4)["cells"][0]["outputs"][0]["data"] == \
            {"text/plain": clean_notebooks.WIDGET_HINT}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "--nbval", str(path), "-p", "no:cacheprovider"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert (result.returncode == 0) == tagged, result.stdout[-2000:]
