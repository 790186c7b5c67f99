"""Import, export and list; bad files are refused whole, each problem named by row and column."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from civicloop import cli
from civicloop.addresses import cli as addresses_cli, service
from civicloop.addresses.models import AddressRegistry, StandardAddress
from civicloop.db import transaction
from civicloop.errors import InvalidInput, NotFound
from tests.addresses.conftest import CELLS, D, PREFIX, SMALL_CSV

HEADER = SMALL_CSV.splitlines()[0]
GOOD = SMALL_CSV.splitlines()[1]


def _import(world, content, *, name="a.csv", replace=False):
    with transaction(world.engine) as s:
        return service.import_addresses(s, D, service.read_file(name, content), replace=replace)


def _count(world) -> int:
    with transaction(world.engine) as s:
        return s.scalar(select(func.count()).select_from(StandardAddress))


def test_import_list_export_round_trip(world):
    summary = _import(world, SMALL_CSV.encode("utf-8-sig"))  # a BOM, as spreadsheets write it
    assert (summary.rows, summary.added, summary.updated, summary.total) == (6, 6, 0, 6)
    with transaction(world.engine) as s:
        in_cell = service.list_addresses(s, grid_code=CELLS[2])
        assert sorted(a.text.removeprefix(PREFIX) for a in in_cell) == ["第2社区友谊路8号金桂花园3栋",
                                                                         "第2社区友谊路8号金桂花园3栋2单元"]
        door = service.list_addresses(s, q="１０２号")  # full-width in the query
        assert len(door) == 1 and door[0].grid_code == CELLS[0]  # from its point
        assert door[0].community_code == "420106001001" and door[0].street_code == "420106001"
        registry = s.get(AddressRegistry, D)
        assert registry.full_name == "湖北省武汉市武昌区" and registry.source == "imported"
        version = registry.version
        exported_csv = service.export_csv(s, D)
        exported_geojson = service.export_geojson(s, D)
    assert exported_geojson["coordinate_system"] == "GCJ-02"
    again = _import(world, exported_csv)
    assert (again.added, again.updated, again.total) == (0, 6, 6)
    from_geojson = _import(world, json.dumps(exported_geojson, ensure_ascii=False), name="a.geojson")
    assert (from_geojson.added, from_geojson.updated, from_geojson.total) == (0, 6, 6)
    with transaction(world.engine) as s:
        assert s.get(AddressRegistry, D).version == version + 2  # every import tells the matchers
        assert service.export_csv(s, D) == exported_csv


def test_replace_removes_what_the_file_lacks(world):
    _import(world, SMALL_CSV)
    summary = _import(world, "\n".join(SMALL_CSV.splitlines()[:3]), replace=True)
    assert (summary.added, summary.updated, summary.removed, summary.total) == (0, 2, 4, 2)


BAD = [
    (b"", "empty CSV"),
    (HEADER.encode(), "no addresses"),
    (b"address,colour\nx,red\n", "unknown column(s) 'colour'"),
    (b"road,door_number\n\xe5\x92\x8c,1\n", "'address'"),
    ((HEADER + "\n" + GOOD + ",extra,fields").encode(), "row 1: 13 fields, the header has 11"),
    ((HEADER + "\n" + GOOD + "\n" + GOOD).encode(), "row 2, column address: the same address as row 1"),
    ((HEADER + "\n" + GOOD.replace(CELLS[0], "4201060010019999")).encode(), "row 1, column grid_code: no grid cell"),
    ((HEADER + "\n" + "某地1号,某路,1,,,,,,,abc,30.545").encode(), "row 1, column lon: 'abc' is not a longitude"),
    ((HEADER + "\n" + "某地1号,某路,1,,,,,,,116.4,39.9").encode(), "row 1, column lon: (116.4, 39.9) lies in no grid cell"),
    ((HEADER + "\n" + f"某地1号,某路,1,,,,,{CELLS[1]},,114.305,30.545").encode(),
     f"row 1, column grid_code: the point (114.305, 30.545) lies in grid cell {CELLS[0]}, not {CELLS[1]}"),
    ((HEADER + "\n" + f"某地1号,某路,1,,,,,{CELLS[0]},420106001002,,").encode(), "row 1, column community_code"),
    ((HEADER + "\n" + f"某地,,,,,,,{CELLS[0]},,,").encode(), "row 1, column road: a road with a door number"),
    ((HEADER + "\n" + "某地1号,某路,1,,,,,,,,").encode(), "row 1, column grid_code: a grid cell (grid_code) or a point"),
    ((HEADER + "\n" + "某" * 301 + f",某路,1,,,,,{CELLS[0]},,,").encode(), "row 1, column address: at most 300"),
    ("address\n翠柳苑\n".encode("gbk"), "not UTF-8"),
    ((HEADER + "\n" + GOOD + '\n"unclosed,quote').encode(), "row 2"),
]


@pytest.mark.parametrize("content, says", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_csv_is_refused_whole(world, content, says):
    with pytest.raises(InvalidInput) as caught:
        _import(world, content)
    assert says in caught.value.detail, caught.value.detail
    assert _count(world) == 0
    with transaction(world.engine) as s:
        assert s.get(AddressRegistry, D) is None


def test_every_problem_is_listed_and_nothing_written(world):
    _import(world, SMALL_CSV)
    rows = [HEADER, GOOD.replace("翠柳苑1栋", "翠柳苑9栋").replace(",1,,,", ",9,,,"),
            "x1号,某路,1,,,,,nope,,,", "x2号,某路,2,,,,,,,abc,def"]
    with pytest.raises(InvalidInput) as caught:
        _import(world, "\n".join(rows))
    problems = caught.value.extra["problems"]
    assert any(p.startswith("row 2, column grid_code") for p in problems)
    assert any(p.startswith("row 3, column lon") for p in problems) and any(
        p.startswith("row 3, column lat") for p in problems)
    assert _count(world) == 6  # the good first row was not added either


def _feature(geometry: str) -> str:
    return ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"address": "x", '
            f'"road": "r", "door_number": "1"}}, "geometry": {geometry}}}]}}')


@pytest.mark.parametrize("content, says", [
    ('{"type": "Feature"}', "FeatureCollection"),
    ("{not json", "not JSON"),
    (_feature('{"type": "Polygon", "coordinates": []}'), "features[0].geometry: a Point"),
    (_feature('{"type": "Point", "coordinates": [0, 0]}'), "features[0], geometry"),
    ('{"type": "FeatureCollection", "features": [{"properties": {"addr": "x"}}]}', "unknown 'addr'"),
])
def test_bad_geojson_is_refused(world, content, says):
    with pytest.raises(InvalidInput) as caught:
        _import(world, content, name="a.geojson")
    assert says in caught.value.detail
    assert _count(world) == 0


def test_a_file_of_another_kind_and_a_district_not_set_up(world):
    with pytest.raises(InvalidInput, match="csv or .geojson"):
        service.read_file("a.xlsx", b"PK")
    with transaction(world.engine) as s, pytest.raises(NotFound):
        service.import_addresses(s, "310104", service.read_csv(SMALL_CSV))


runner = CliRunner()


def test_cli_import_match_export(world, monkeypatch, tmp_path):
    monkeypatch.setattr(addresses_cli, "transaction", lambda: transaction(world.engine))
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(SMALL_CSV, encoding="utf-8")
    bad.write_text(HEADER + "\n" + GOOD.replace(CELLS[0], "123"), encoding="utf-8")
    result = runner.invoke(cli.app, ["addresses", "import", str(good), "--district", D])
    assert result.exit_code == 0, result.output
    assert "新增 6" in result.output
    refused = runner.invoke(cli.app, ["addresses", "import", str(bad), "--district", D])
    assert refused.exit_code != 0 and "row 1, column grid_code" in str(refused.exception)
    matched = runner.invoke(cli.app, ["addresses", "match", "翠柳苑二号楼附近", "--district", D])
    assert matched.exit_code == 0 and CELLS[1] in matched.output
    flagged = runner.invoke(cli.app, ["addresses", "match", "第2社区3栋", "--district", D])
    assert flagged.exit_code == 1 and "歧义" in flagged.output and CELLS[2] in flagged.output
    out = tmp_path / "out.geojson"
    assert runner.invoke(cli.app, ["addresses", "export", "--district", D, "--out", str(out)]).exit_code == 0
    assert len(json.loads(out.read_text(encoding="utf-8"))["features"]) == 6
