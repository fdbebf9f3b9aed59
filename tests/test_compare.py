"""The comparison widget, driven the way a student drives it: set a dropdown, read the table."""

from __future__ import annotations

import pytest

from osteo_teach.compare import ALL_ASPECTS, NOT_COVERED, ComparisonExplorer, comparison_rows, comparison_text
from osteo_teach.data import load


def test_every_comparison_aspect_is_defined_and_both_sides_resolve():
    data = load()
    for comparison in data.table("comparisons").values():
        rows = comparison_rows(comparison.id)
        assert [r.aspect.id for r in rows] == list(comparison.aspects)
        assert [p.id for p in rows[0].procedures] == list(comparison.procedures)


def test_a_missing_aspect_says_so_instead_of_inventing(tmp_path):
    import shutil

    import yaml

    from osteo_teach.data import load as load_from

    # Every fracture-reduction aspect is now sourced for both procedures, so drop one
    # statement in a copy of the data and check that the comparison says so.
    data_dir = tmp_path / "data"
    shutil.copytree(load().directory, data_dir)
    path = data_dir / "procedures.yaml"
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    closed = next(r for r in records if r["id"] == "closed_reduction")
    del closed["aspects"]["anaesthesia"]
    path.write_text(yaml.safe_dump(records, sort_keys=False, allow_unicode=True), encoding="utf-8")
    text = comparison_text("fracture_reduction", "anaesthesia", load_from(data_dir))
    assert "Closed reduction:" in text and NOT_COVERED in text


def test_unknown_aspect_raises_a_clear_error():
    with pytest.raises(KeyError, match="unknown aspect id 'price' for comparison 'fracture_reduction'"):
        comparison_rows("fracture_reduction", "price")


def test_widget_starts_with_all_aspects_of_open_vs_closed():
    explorer = ComparisonExplorer()
    assert explorer.pair_dropdown.value == "fracture_reduction"
    assert explorer.aspect_dropdown.value == ALL_ASPECTS
    assert "Open reduction" in explorer.table.value and "Closed reduction" in explorer.table.value
    assert "Sources:" in explorer.table.value


def test_choosing_each_aspect_shows_only_that_aspect_with_sources():
    explorer = ComparisonExplorer()
    data = load()
    for label, aspect_id in explorer.aspect_dropdown.options:
        explorer.aspect_dropdown.value = aspect_id
        assert explorer.text == comparison_text("fracture_reduction", aspect_id)
        if aspect_id == ALL_ASPECTS:
            continue
        assert explorer.text.splitlines()[0] == data.get("aspects", aspect_id).label.upper()
        assert f">{label}<" in explorer.table.value
        others = [shown for shown, a in explorer.aspect_dropdown.options if a not in (aspect_id, ALL_ASPECTS)]
        assert not any(f">{other}<" in explorer.table.value for other in others)


def test_choosing_the_pair_switches_procedures_and_aspect_options():
    explorer = ComparisonExplorer()
    explorer.aspect_dropdown.value = "risks"
    explorer.pair_dropdown.value = "vertebral_augmentation"
    assert explorer.aspect_dropdown.value == ALL_ASPECTS
    assert "Vertebroplasty" in explorer.table.value and "Balloon kyphoplasty" in explorer.table.value
    assert "Open reduction" not in explorer.table.value
    assert ("Cement leakage", "cement_leakage") in explorer.aspect_dropdown.options
    explorer.aspect_dropdown.value = "duration"
    assert explorer.text.startswith("DURATION")


def test_an_unexpected_value_shows_a_message_not_a_traceback():
    explorer = ComparisonExplorer()
    explorer.show("fracture_reduction", "price")
    assert explorer.error and "unknown aspect id 'price'" in explorer.error
    assert "Cannot show this" in explorer.table.value
    explorer.show("hip_replacement_vs_nail")
    assert explorer.error.startswith("unknown comparison id 'hip_replacement_vs_nail': expected one of")


def test_figure_panel_redraws_the_same_figure_and_shows_a_message_on_error():
    from osteo_teach.plots import is_blank_png
    from osteo_teach.widgets import FigurePanel

    panel = FigurePanel(4, 3)
    figure = panel.figure

    def draw(fig):
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, 1])
        ax.set_title("test")
        return "A rising line."

    panel.redraw(draw)
    assert panel.figure is figure and panel.png and not is_blank_png(panel.png)
    assert panel.summary == "A rising line." and "A rising line." in panel.caption.value
    # The image carries its summary as alt text (what a screen reader reads).
    assert panel.image.value.startswith('<img src="data:image/png;base64,')
    assert 'alt="A rising line."' in panel.image.value
    panel.show_error("unknown fracture site 'knee'")
    assert panel.png == b"" and panel.image.value == "" and "knee" in panel.caption.value
    assert 'role="alert"' in panel.caption.value


def test_table_cells_carry_their_style_inline():
    """JupyterLab strips <style> from untrusted outputs and right-aligns cells; inline styles survive."""
    from osteo_teach.cite import CELL_STYLE
    from osteo_teach.compare import comparison_html

    html = comparison_html("fracture_reduction")
    assert "<style>" not in html
    assert html.count("<td") == html.count(f'<td style="{CELL_STYLE}"')
    assert "text-align:left" in html
