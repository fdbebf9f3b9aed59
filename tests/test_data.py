"""The data loader: good data loads with every reference resolved; bad data
gives one clear error naming the file, the line, the record and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import osteo_teach
from osteo_teach.data import DataError, load, schemas
from osteo_teach.records import SCHEMAS, SourcedText

from .conftest import BROKEN, DATA, broken_data_dir


def test_every_data_file_loads_and_every_table_has_records():

    data = load()
    # The core files and the files that lessons declare (Lesson(tables=...)).
    assert set(data.tables) == set(schemas()) and set(SCHEMAS) <= set(data.tables)
    for name, records in data.tables.items():
        assert records, f"data/{name}.yaml has no records"


def test_load_is_cached_per_folder():
    assert load() is load()
    assert load(DATA) is load()


def test_every_source_key_resolves_to_a_full_reference():
    data = load()
    for key in data.table("sources"):
        reference = data.cite(key)
        assert reference.startswith(f"[{key}]")
        assert "tier" in reference


def _statements(value):
    """Every sourced statement inside a value (the package's one record walker)."""
    from osteo_teach.data import iter_cited

    return (cited for cited in iter_cited(value) if isinstance(cited, SourcedText))


def test_every_statement_is_cited_by_verified_sources_or_marked_illustrative():
    data = load()
    sources = data.table("sources")
    count = 0
    for records in data.tables.values():
        for statement in _statements(list(records.values())):
            count += 1
            if statement.illustrative:
                assert statement.reason
                continue
            assert statement.sources
            for key in statement.sources:
                assert sources[key].verified, key
    assert count > 40


def test_the_anchor_facts_of_the_article_are_in_the_data():
    data = load()
    fact = data.get("key_facts", "most_bones_heal_in_6_weeks")
    assert fact.value == 6 and fact.unit == "weeks"
    assert "health_library_article" in fact.statement.sources
    assert set(data.table("procedures")) == {
        "open_reduction",
        "closed_reduction",
        "vertebroplasty",
        "balloon_kyphoplasty",
    }


def test_unknown_id_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown procedure id 'arthroscopy': expected one of open_reduction"):
        load().get("procedures", "arthroscopy")


# Each broken fixture and the exact message an editor sees.
BROKEN_CASES = {
    "blocked_host": "data/sources.yaml, line 6, record #1 (id 'chapter_copy'), field 'url': 'aneskey.com' is never cited (a forum, AI-generated Q&A site, blog, or a copy on a host unrelated to the publisher): expected the publisher's own page, PubMed or PMC, or the guideline body's site",
    "consumer_publisher": "data/sources.yaml, line 5, record #1 (id 'consumer_site_hip'), field 'publisher': tier-C (patient information) sources must come from a reputable publisher; 'Verywell Health' is not one: expected one of NHS, NIH, MedlinePlus, AAOS OrthoInfo, Mayo Clinic, Cleveland Clinic, Royal Osteoporosis Society, Bone Health and Osteoporosis Foundation, International Osteoporosis Foundation, Versus Arthritis, EBSCO Health Library (the seed article)",
    "duplicate_id": "data/fracture_sites.yaml, line 10, record #2 (id 'wrist'), field 'id': duplicate id 'wrist': already used by the record on line 2; expected every id to be unique",
    "duplicate_key": "data/fracture_sites.yaml, line 7: YAML syntax error: duplicate key 'healing_weeks' (first given on line 4); expected each field once per record",
    "empty_file": "data/key_facts.yaml: file is empty: expected a list of records, each starting with '- id:'",
    "inverted_range": "data/fracture_sites.yaml, line 4, record #1 (id 'wrist'), field 'healing_weeks': inverted range: min (8) is greater than max (6); expected min <= max",
    "legacy_encoding": "data/key_facts.yaml, line 5: not valid UTF-8 text (byte 0xe9 cannot be decoded): the file was probably saved in a legacy encoding; expected UTF-8 (in your editor: 'Save with encoding' > UTF-8)",
    "missing_field": "data/fracture_sites.yaml, line 10, record #2 (id 'hip'), field 'name': missing required field",
    "negative_count": "data/trials.yaml, line 10, record #1 (id 'vertos_iv'), field 'participants': -180 is not a possible count: expected a value of at least 0",
    "negative_pain_score": "data/key_facts.yaml, line 7, record #1 (id 'vertos4_clinically_relevant_difference'), field 'value': -3 is not a possible value in VAS points: expected a value from 0 to 10",
    "negative_range": "data/healing_phases.yaml, line 5, record #1 (id 'inflammation'), field 'starts': negative range (-1 to 0 weeks): time after a fracture cannot be negative",
    "negative_weeks": "data/key_facts.yaml, line 7, record #1 (id 'most_bones_heal_in_6_weeks'), field 'value': -6 is not a possible value in weeks: expected a value of at least 0",
    "not_a_list": "data/key_facts.yaml, line 1: expected a list of records (each starting with '- id:'), found a dict",
    "number_from_patient_page": "data/key_facts.yaml, line 6, record #1 (id 'phases_differ_between_sources'), field 'statement.sources': a statement with a number cites only patient-information (tier C) sources (nhs_leaflet_example): a number taught as fact needs at least one primary study, guideline or review (tier P, G or R)",
    "pathway_cast_without_end": "data/pathways.yaml, line 10, record #1 (id 'wrist_closed_reduction_cast'), field 'steps[0]': an immobilisation step needs 'ends': when the cast, splint or sling comes off",
    "pathway_negative_days": "data/pathways.yaml, line 13, record #1 (id 'hip_internal_fixation'), field 'steps[0].starts': negative range (-1 to 1 days): time after a fracture cannot be negative",
    "percent_over_100": "data/key_facts.yaml, line 7, record #1 (id 'vertos2_spontaneous_relief'), field 'value': 530 is not a possible value in % of eligible patients: expected a value from 0 to 100",
    "syntax_error": "data/key_facts.yaml, line 7: YAML syntax error: expected ',' or ']', but got ':' (while parsing a flow sequence, which started on line 6)",
    "tier_l_cited": "data/key_facts.yaml, line 6, record #1 (id 'phases_differ_between_sources'), field 'statement.sources[0]': source key 'forum_thread' cannot be cited: it is tier L (a forum, AI-generated Q&A site, blog or low-authority page), which the source policy never cites; expected a tier P, G, R or C source",
    "unknown_field": "data/fracture_sites.yaml, line 5, record #1 (id 'wrist'), field 'healing_wekes': unknown field: expected only these fields: id, name, healing_weeks, central_weeks, qualifier, measure, statement, measured_after",
    "unknown_procedure": "data/comparisons.yaml, line 4, record #1 (id 'fracture_reduction'), field 'procedures[1]': unknown procedure id 'closed_reductoin': expected one of the ids in data/procedures.yaml",
    "unknown_source": "data/key_facts.yaml, line 6, record #1 (id 'most_bones_heal_in_6_weeks'), field 'statement.sources[1]': unknown source key 'made_up_2024': expected one of the ids in data/sources.yaml",
    "unknown_unit": "data/key_facts.yaml, line 8, record #1 (id 'most_bones_heal_in_6_weeks'), field 'unit': unknown unit 'wks': expected one of weeks, days, months, years, minutes, patients, people, fractures, treated levels, degrees, VAS points, VAS points (change), NRS points, SF-36 points (change), ratio, or a percentage ('% of ...')",
    "value_from_patient_page": "data/key_facts.yaml, line 5, record #1 (id 'most_bones_heal_in_6_weeks'), field 'statement': a key fact with a value cites only patient-information (tier C) sources (nhs_leaflet_example): a number taught as fact needs at least one primary study, guideline or review (tier P, G or R)",
    "wrong_type": "data/fracture_sites.yaml, line 4, record #1 (id 'wrist'), field 'healing_weeks.min': Input should be a valid number (got 'six')",
}


def test_every_broken_fixture_has_an_expected_message():
    assert {p.name for p in BROKEN.iterdir()} == set(BROKEN_CASES)


@pytest.mark.parametrize("case", sorted(BROKEN_CASES))
def test_broken_file_gives_one_clear_error(case, make_broken_data):
    directory = make_broken_data(case)
    with pytest.raises(DataError) as caught:
        load(directory)
    # Paths of copies are shown in full; show them relative to the copy for comparison.
    message = str(caught.value).replace(str(directory), "data")
    assert message == BROKEN_CASES[case]


def test_start_stops_with_the_loaders_message_not_a_deep_traceback(make_broken_data):
    directory = make_broken_data("inverted_range")
    with pytest.raises(DataError, match="inverted range") as caught:
        osteo_teach.start(data_dir=str(directory))
    frames = []
    tb = caught.value.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert frames[-1] == "start", frames


def test_citing_an_unverified_source_is_refused(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    sources = target / "sources.yaml"
    text = sources.read_text(encoding="utf-8")
    marker = "- id: health_library_article\n"
    start = text.index(marker)
    flag = text.index("verified: true", start)
    sources.write_text(text[:flag] + "verified: false" + text[flag + len("verified: true") :], encoding="utf-8")
    with pytest.raises(
        DataError,
        match=r"source key 'health_library_article' cannot be cited: it is marked "
        r"'verified: false'",
    ):
        load(target)


def test_missing_file_is_named(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    (target / "aspects.yaml").unlink()
    with pytest.raises(DataError, match=r"aspects\.yaml: file not found"):
        load(target)


def test_environment_variable_points_at_another_folder(make_broken_data, monkeypatch):
    directory = make_broken_data("empty_file")
    monkeypatch.setenv(osteo_teach.data.DATA_ENV_VAR, str(directory))
    with pytest.raises(DataError, match="file is empty"):
        load()


def test_data_files_are_not_changed_by_loading():
    before = {p: p.read_bytes() for p in Path(DATA).iterdir()}
    osteo_teach.data._load_uncached(DATA.resolve())
    assert before == {p: p.read_bytes() for p in Path(DATA).iterdir()}


def test_check_lists_every_problem_in_every_file_not_only_the_first(tmp_path):
    from osteo_teach.data import check

    directory = broken_data_dir("negative_weeks", tmp_path / "one")
    for name in ("fracture_sites.yaml", "pathways.yaml"):  # two more broken files in the same folder
        source = (
            broken_data_dir(
                "inverted_range" if name == "fracture_sites.yaml" else "pathway_negative_days", tmp_path / name
            )
            / name
        )
        shutil.copy(source, directory / name)
    messages = [str(problem).replace(str(directory), "data") for problem in check(directory)]
    assert any("key_facts.yaml" in m and "-6 is not a possible value in weeks" in m for m in messages)
    assert any("fracture_sites.yaml" in m and "inverted range" in m for m in messages)
    assert any("pathways.yaml" in m for m in messages), "a later file is checked too"
    assert check() == [], "the course's own data has no problem"


def test_the_command_line_lists_files_and_citations_by_tier():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "osteo_teach"], capture_output=True, text=True, check=True)
    assert "data/sources.yaml:" in done.stdout and "Citations by source tier:" in done.stdout
    assert "  L (low-authority page, never cited): 0" in done.stdout
    checked = subprocess.run([sys.executable, "-m", "osteo_teach", "check"], capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stdout.strip() == "0 problems found."


def test_the_source_policy_holds_for_the_whole_bibliography():
    from osteo_teach.data import citations_by_tier
    from osteo_teach.records import BLOCKED_HOSTS, CONSUMER_PUBLISHERS, Source

    data = load()
    sources = data.records(Source)
    assert not [s.id for s in sources if s.tier == "L"], "tier L sources are removed, not kept"
    assert all(s.publisher in CONSUMER_PUBLISHERS for s in sources if s.tier == "C")
    assert not [s.id for s in sources if s.url and any(host in s.url for host in BLOCKED_HOSTS)]
    tiers = citations_by_tier(data)
    assert tiers["L"] == 0 and tiers["P"] + tiers["G"] + tiers["R"] > 3 * tiers["C"]
