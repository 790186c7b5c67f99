"""Grid and community import: every problem found before anything is written."""
from __future__ import annotations

import copy
import datetime as dt

import pytest
import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import select

from civicloop.cases.models import Case
from civicloop.db import transaction
from civicloop.errors import Conflict, InvalidInput, NotFound
from civicloop.regions import service
from civicloop.regions.models import GridCell

CODE = "310104"


def export(engine) -> dict:
    with transaction(engine) as session:
        return service.export_grids(session, CODE)


def import_grids(engine, collection) -> service.ImportSummary:
    with transaction(engine) as session:
        return service.import_grids(session, CODE, collection)


def refused(engine, collection) -> InvalidInput:
    before = export(engine)
    with pytest.raises(InvalidInput) as exc:
        import_grids(engine, collection)
    assert export(engine) == before, "a refused import must leave the grid as it was"
    return exc.value


def bowtie_at(feature) -> dict:
    """A self-intersecting ring around a cell's representative point."""
    p = shape(feature["geometry"]).representative_point()
    d = 0.0005
    ring = [[p.x - d, p.y - d], [p.x + d, p.y + d], [p.x + d, p.y - d], [p.x - d, p.y + d], [p.x - d, p.y - d]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_export_then_import_round_trips(engine, xuhui):
    exported = export(engine)
    assert exported["coordinate_system"] == "GCJ-02" and len(exported["features"]) == xuhui.cells
    props = exported["features"][0]["properties"]
    assert set(props) == {"code", "community_code", "community", "street", "area_m2", "worker_id"}
    assert props["community"].endswith(("居委会", "村委会", "社区")) and props["street"]

    summary = import_grids(engine, exported)
    assert summary.cells == xuhui.cells and summary.coverage == pytest.approx(1.0, abs=1e-6)
    again = export(engine)
    assert [f["properties"]["code"] for f in again["features"]] == [f["properties"]["code"] for f in exported["features"]]
    with transaction(engine) as session:
        assert set(session.scalars(select(GridCell.source))) == {"imported"}


def test_codes_are_generated_when_absent_and_locate_sees_the_new_grid(engine, xuhui):
    exported = export(engine)
    first = exported["features"][0]
    centre = shape(first["geometry"]).representative_point()
    with transaction(engine) as session:
        assert service.locate(session, CODE, centre.x, centre.y).grid_code == first["properties"]["code"]

    # Reversed and without codes: each community numbers its cells again, the other way round.
    features = list(reversed(copy.deepcopy(exported["features"])))
    for f in features:
        del f["properties"]["code"]
    import_grids(engine, {"type": "FeatureCollection", "features": features})
    community = first["properties"]["community_code"]
    same_community = [f for f in features if f["properties"]["community_code"] == community]
    expected = f"{community}{len(same_community):04d}"  # it is now the last of its community
    with transaction(engine) as session:
        found = service.locate(session, CODE, centre.x, centre.y)
    assert found.grid_code == expected and found.community_code == community
    assert found.street_code == community[:9] and found.district_code == CODE


@pytest.mark.parametrize("collection, field", [
    ({"type": "Feature", "geometry": None}, "geojson"),
    ({"type": "FeatureCollection", "features": []}, "geojson.features"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                                  "geometry": {"type": "Point", "coordinates": [121.4, 31.2]}}]},
     "features[0].geometry"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                                  "geometry": {"type": "Polygon", "coordinates": [[1, 2]]}}]},
     "features[0].geometry"),
    ({"type": "FeatureCollection", "features": ["not a feature"]}, "features[0]"),
])
def test_malformed_geojson_is_refused_naming_the_place(engine, xuhui, collection, field):
    error = refused(engine, collection)
    assert error.field == field or any(p["field"] == field for p in error.extra["problems"])


def test_self_intersecting_polygon_names_feature_and_reason(engine, xuhui):
    collection = export(engine)
    collection["features"][3]["geometry"] = bowtie_at(collection["features"][3])
    error = refused(engine, collection)
    messages = [p for p in error.extra["problems"] if p["field"] == "features[3].geometry"]
    assert messages and "Self-intersection" in messages[0]["detail"]


def test_overlapping_features_name_both(engine, xuhui):
    collection = export(engine)
    collection["features"].append(copy.deepcopy(collection["features"][5]))
    del collection["features"][-1]["properties"]["code"]
    last = len(collection["features"]) - 1
    error = refused(engine, collection)
    assert any(p["field"] == f"features[{last}].geometry" and "overlaps features[5]" in p["detail"]
               for p in error.extra["problems"])


def test_unknown_community_and_bad_codes(engine, xuhui):
    collection = export(engine)
    features = collection["features"]
    features[0]["properties"]["community_code"] = "310104999999"
    features[1]["properties"]["code"] = "4201060010010001"  # not of its community
    # Two cells of one community given the same code: the second is reported.
    i, j = next((i, i + 1) for i in range(2, len(features) - 1)
                if features[i]["properties"]["community_code"] == features[i + 1]["properties"]["community_code"])
    features[j]["properties"]["code"] = features[i]["properties"]["code"]
    error = refused(engine, collection)
    fields = {p["field"] for p in error.extra["problems"]}
    assert {"features[0].properties.community_code", "features[1].properties.code",
            f"features[{j}].properties.code"} <= fields
    assert "310104999999" in error.detail and "310104 徐汇区" in error.detail


def test_feature_outside_the_district(engine, xuhui):
    collection = export(engine)
    geom = shape(collection["features"][7]["geometry"])
    collection["features"][7]["geometry"] = mapping(shapely.affinity.translate(geom, xoff=0.5))
    error = refused(engine, collection)
    assert error.field == "features[7].geometry" and "outside 310104 徐汇区" in error.detail


def test_every_problem_is_reported_at_once(engine, xuhui):
    collection = export(engine)
    collection["features"][1]["geometry"] = bowtie_at(collection["features"][1])
    collection["features"][2]["properties"]["community_code"] = None
    error = refused(engine, collection)
    assert {p["field"] for p in error.extra["problems"]} >= {"features[1].geometry",
                                                             "features[2].properties.community_code"}


def test_import_needs_a_district(engine):
    with pytest.raises(NotFound) as exc, transaction(engine) as session:
        service.import_grids(session, CODE, {"type": "FeatureCollection", "features": []})
    assert exc.value.field == "district"


def add_case(engine, grid_code):
    now = dt.datetime(2026, 3, 2, 9, 0)
    with transaction(engine) as session:
        session.add(Case(channel="hotline", state="registered", title="井盖缺失",
                         body="井盖缺失", district_code=CODE, grid_code=grid_code, reported_at=now, updated_at=now))


def test_grids_used_by_cases_are_not_replaced(engine, xuhui, coarse_m2):
    collection = export(engine)
    used = collection["features"][0]["properties"]["code"]
    add_case(engine, used)
    with pytest.raises(Conflict) as exc, transaction(engine) as session:
        service.init_district(session, CODE, cell_area_m2=coarse_m2, replace=True)
    assert used in exc.value.detail
    # An import that keeps the code is fine; one that drops it is refused.
    import_grids(engine, collection)
    collection["features"][0]["properties"]["code"] = used[:12] + "9999"
    with pytest.raises(Conflict):
        import_grids(engine, collection)
    assert export(engine)["features"][0]["properties"]["code"] == used


def test_existing_district_needs_replace(engine, xuhui, coarse_m2):
    with pytest.raises(Conflict) as exc, transaction(engine) as session:
        service.init_district(session, CODE, cell_area_m2=coarse_m2)
    assert exc.value.field == "district" and "310104 徐汇区" in exc.value.detail


def test_surveyed_communities_replace_derived_ones(engine, xuhui, coarse_m2):
    with transaction(engine) as session:
        communities = service.list_communities(session, CODE)
    # "Surveyed" areas: the derived ones shrunk a little, so the grid must change with them.
    features = [{"type": "Feature", "properties": {"code": c.code},
                 "geometry": mapping(shapely.from_geojson(c.geometry).buffer(-0.0002))} for c in communities]
    with transaction(engine) as session:
        summary = service.import_communities(session, CODE, {"type": "FeatureCollection", "features": features},
                                             cell_area_m2=coarse_m2)
        streets = service.list_streets(session, CODE)
        tree = service.region_tree(session, CODE)
    assert summary.features == len(communities) and 0.8 < summary.coverage < 1.0
    assert {s.geometry_source for s in streets} == {"imported"}
    assert all(c.cells >= 1 for s in tree.children for c in s.children)
    cells = export(engine)["features"]
    shrunk = {f["properties"]["code"]: shape(f["geometry"]) for f in features}
    for cell in cells:
        community = shapely.buffer(shrunk[cell["properties"]["community_code"]], 1e-9)
        assert community.covers(shape(cell["geometry"]))

    # A community missing from the file is refused.
    with pytest.raises(InvalidInput) as exc, transaction(engine) as session:
        service.import_communities(session, CODE, {"type": "FeatureCollection", "features": features[1:]})
    assert communities[0].code in exc.value.detail


def test_worker_ids_must_be_users(engine, xuhui):
    collection = export(engine)
    collection["features"][0]["properties"]["worker_id"] = 424242  # no such user
    error = refused(engine, collection)
    assert error.field == "features[0].properties.worker_id"


def test_workers_stay_with_their_cells(engine, xuhui):
    from civicloop.users.models import User

    with transaction(engine) as session:
        worker = User(username="wanggrid", name="王网格", role="grid_worker")
        session.add(worker)
        session.flush()
        worker_id = worker.id
        first = session.scalars(select(GridCell).order_by(GridCell.code)).first()
        first.worker_id, code = worker_id, first.code
    collection = export(engine)
    assert collection["features"][0]["properties"]["worker_id"] == worker_id
    for f in collection["features"]:
        del f["properties"]["worker_id"]  # not said: kept
    import_grids(engine, collection)
    with transaction(engine) as session:
        assert session.get(GridCell, code).worker_id == worker_id
    collection["features"][0]["properties"]["worker_id"] = None  # said: none
    import_grids(engine, collection)
    with transaction(engine) as session:
        assert session.get(GridCell, code).worker_id is None
