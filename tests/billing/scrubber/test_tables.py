"""The coding tables: the built-in files load, cite their sources, and a bad edit fails loudly."""

import shutil

import pytest

from billing.scrubber.tables import TABLES_DIR, TableFileError, coding_tables, load_tables


def test_the_built_in_tables_load_with_the_issue_s_pairs():
    tables = coding_tables()

    pairs = {code: set(primaries) for code, primaries in tables.add_on_primaries.items()}
    assert pairs.items() >= {"64480": {"64479"}, "64484": {"64483"}, "64491": {"64490"}, "64494": {"64493"},
                             "64634": {"64633"}, "64636": {"64635"}}.items()
    assert set(tables.imaging_guidance_codes) == {"77003", "77012"}
    assert {"62321", "62323", "64479", "64495", "64633", "64636"} <= tables.includes_imaging
    assert set(tables.third_level_facet_codes) == {"64492", "64495"}


def test_every_table_cites_its_sources():
    for path in TABLES_DIR.glob("*.yaml"):
        text = path.read_text()
        assert "Source" in text or "source" in text, path.name


def test_a_table_with_a_malformed_code_names_the_file_and_entry(tmp_path):
    for path in TABLES_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    broken = (tmp_path / "units.yaml").read_text().replace('"64483": {units: 1,', '"6448": {units: 1,')
    (tmp_path / "units.yaml").write_text(broken)

    with pytest.raises(TableFileError, match=r"tables/units.yaml: codes.6448: '6448' is not a CPT/HCPCS code"):
        load_tables(tmp_path)


def test_a_unit_limit_below_one_is_refused(tmp_path):
    for path in TABLES_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "units.yaml").write_text((tmp_path / "units.yaml").read_text().replace(
        '"64483": {units: 1,', '"64483": {units: 0,'))

    with pytest.raises(TableFileError, match="codes.64483.units"):
        load_tables(tmp_path)
