"""Citation labels: short enough to read at a glance, still saying where a sentence comes from."""

from __future__ import annotations

import pytest

from knowledge import KnowledgeBase, format_label
from knowledge.models import byline


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("Guillen-Morales DdJ, Cruz-Cortes I. The symbiosis. Hygiene. 2025;5(46).", "Guillen-Morales 2025"),
        ("Smith, J. A. (2019). Milk and immunity. Journal, 3, 1-9.", "Smith 2019"),
        ("J. Smith and A. Doe (2020) Colostrum", "Smith 2020"),
        ("Li J, Wang X (2021)", "Li 2021"),
        ("Li, J. (2021)", "Li 2021"),
        ("World Health Organization. Guideline. Geneva; 2017.", "World Health Organization 2017"),
        ("Lactation handbook (2024)", "Lactation handbook 2024"),
        ("An undated leaflet", "An undated leaflet"),
        ("", ""),
    ],
)
def test_byline_reads_the_first_author_and_year(reference, expected):
    assert byline(reference) == expected


def test_label_prefers_the_innermost_section_and_shortens_long_titles():
    reference = "Doe J (2020)"
    assert format_label("Title", "Milk › Secretory IgA", None, reference) == "Secretory IgA · Doe 2020"
    long_title = "A very long document title that goes on and on about the immune system of the breast"
    label = format_label(long_title, "", 4, reference)
    assert label.startswith("A very long document title") and "…, p. 4 · Doe 2020" in label
    assert len(label.split(" · ")[0]) <= 60
    assert format_label("Title", "Section") == "Section"


def test_every_passage_of_the_built_in_article_has_a_short_label(tmp_path):
    kb = KnowledgeBase.default(state_dir=tmp_path)
    labels = [kb.hit(p.id).label() for p in kb.passages]
    assert all(label.endswith(" · Guillen-Morales 2025") and len(label) <= 80 for label in labels), labels
