-- Towns are data (issue 14): a province has some 1,300 towns, loaded and corrected in the
-- database, not compiled into the service. Each belongs to a county-level division
-- (县级行政区), which the province's reports and rankings group by. Services keep the
-- towns in memory (data/town_directory.hpp) and follow them through the change feed,
-- topic 'towns' (docs/data.md "Towns and counties").

-- A county-level division: 市辖区 (district), 县 (county) or 县级市 (city), under its
-- prefecture-level city. A reference table like categories: small, read by every node,
-- no town column (Citus: create_reference_table).
CREATE TABLE counties (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),  -- GB/T 2260, e.g. 330702
    name        text NOT NULL,                                 -- 婺城区
    kind        text NOT NULL CHECK (kind IN ('district', 'county', 'city')),
    city        text NOT NULL,                                 -- 金华市
    geom        geometry(MultiPolygon, 4490) NOT NULL CHECK (ST_IsValid(geom)),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX counties_geom_gist ON counties USING gist (geom);

ALTER TABLE towns ADD COLUMN county text REFERENCES counties (code);
CREATE INDEX towns_county ON towns (county);

-- A database from before this migration holds the four pilot towns, all in 婺城区: its
-- outline is taken to be theirs until a real one is loaded.
INSERT INTO counties (code, name, kind, city, geom)
SELECT '330702', '婺城区', 'district', '金华市', ST_Multi(ST_Union(geom)) FROM towns HAVING count(*) > 0;
UPDATE towns SET county = '330702';
ALTER TABLE towns ALTER COLUMN county SET NOT NULL;
-- A town's division code (乡级区划代码) is 9 digits and extends its county's 6: a town filed
-- under the wrong county is refused when it is loaded, not found in a ranking later.
ALTER TABLE towns ADD CONSTRAINT towns_admin_code_in_county
    CHECK (admin_code ~ '^[0-9]{9}$' AND left(admin_code, 6) = county);

-- Every write to what the directory keeps is announced (migration 0008's change feed),
-- so each node re-reads it at once instead of refusing a new town or accepting one that
-- is gone. Not an outline, nor the grid generation that every grid edit bumps: a grid
-- edit must not make every node re-read every town.
INSERT INTO change_counters (topic, seq) VALUES ('towns', 1);
CREATE TRIGGER towns_directory_change
    AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF town, name, kind, admin_code, county ON towns
    FOR EACH STATEMENT EXECUTE FUNCTION announce_change('towns');
CREATE TRIGGER counties_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON counties
    FOR EACH STATEMENT EXECUTE FUNCTION announce_change('towns');
