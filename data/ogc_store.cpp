#include "data/ogc_store.hpp"

#include "data/db.hpp"
#include "data/text.hpp"

#include <pqxx/pqxx>

namespace wangge::data {

namespace {

// Which rows a token reads: its towns (none listed, or admin: all) and, for a platform
// token, its platform's reports only (as ReportDesk::list).
struct Scope {
    std::optional<std::string> towns;  // a text[] literal, or all
    std::optional<std::string> platform;
};

Scope scope_of(const Principal& caller) {
    Scope s;
    if (caller.role != Role::admin && !caller.towns.empty()) s.towns = pg_text_array(caller.towns);
    if (caller.role == Role::platform && caller.platform) s.platform = caller.platform;
    return s;
}

std::optional<long long> epoch(const std::optional<Timestamp>& t) {
    if (!t) return std::nullopt;
    return static_cast<long long>(t->time_since_epoch().count());
}

// RFC 3339 in Asia/Shanghai, as every other time of the API.
#define WANGGE_SQL_TIME(col) "to_char(" col " AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"')"

// A grid version as a GeoJSON Feature; id = grid id (stable across versions), flat
// properties so that GDAL and QGIS map each to a column. No phone numbers here.
constexpr const char* k_grid_feature = R"sql(
SELECT json_build_object(
  'type', 'Feature', 'id', g.id, 'geometry', ST_AsGeoJSON(g.geom, 9)::json,
  'properties', json_build_object(
    'code', g.code, 'name', g.name, 'town', g.town, 'version', g.version,
    'valid_from', )sql" WANGGE_SQL_TIME("g.valid_from") R"sql(,
    'valid_to', )sql" WANGGE_SQL_TIME("g.valid_to") R"sql(,
    'leader_id', l.id, 'leader_name', l.name, 'worker_id', w.id, 'worker_name', w.name,
    'area_m2', round(ST_Area(g.geom::geography)::numeric, 2)))::text
FROM grids g
LEFT JOIN grid_staff sl ON sl.town = g.town AND sl.grid = g.id AND sl.role = 'leader'
LEFT JOIN workers l ON l.town = sl.town AND l.id = sl.worker
LEFT JOIN grid_staff sw ON sw.town = g.town AND sw.grid = g.id AND sw.role = 'worker'
LEFT JOIN workers w ON w.town = sw.town AND w.id = sw.worker
)sql";

constexpr const char* k_report_feature = R"sql(
SELECT json_build_object(
  'type', 'Feature', 'id', r.id, 'geometry', ST_AsGeoJSON(r.geom, 9)::json,
  'properties', json_build_object(
    'town', r.town, 'category', r.category, 'platform', r.platform, 'status', r.status,
    'source', r.source, 'description', r.description,
    'reported_at', )sql" WANGGE_SQL_TIME("r.reported_at") R"sql(,
    'grid', r.grid, 'grid_version', r.grid_version, 'assign_method', r.assign_method,
    'due_at', )sql" WANGGE_SQL_TIME("r.due_at") R"sql(,
    'closed_at', )sql" WANGGE_SQL_TIME("r.closed_at") R"sql())::text
FROM reports r
)sql";

#undef WANGGE_SQL_TIME

// $1 towns, $2 platform, $3 time mode, $4 start, $5 end, $6..$9 bbox: both collections
// take the same parameters, and PostgreSQL must see every one of them used and typed,
// hence the no-op "$2 IS NULL OR true" (grids have no platform) and "$3 IS NOT NULL"
// (reports have one time semantics).
constexpr const char* k_grid_where = R"sql(
WHERE ($1::text[] IS NULL OR g.town = ANY($1::text[]))
  AND ($2::text IS NULL OR true)
  AND CASE $3::text
        WHEN 'current' THEN g.valid_to IS NULL
        WHEN 'instant' THEN g.valid_from <= to_timestamp($4) AND (g.valid_to IS NULL OR g.valid_to > to_timestamp($4))
        ELSE ($5::bigint IS NULL OR g.valid_from <= to_timestamp($5))
             AND ($4::bigint IS NULL OR g.valid_to IS NULL OR g.valid_to > to_timestamp($4))
      END
  AND ($6::float8 IS NULL OR ST_Intersects(g.geom, ST_MakeEnvelope($6, $7, $8, $9, 4490)))
)sql";

constexpr const char* k_report_where = R"sql(
WHERE ($1::text[] IS NULL OR r.town = ANY($1::text[]))
  AND ($2::text IS NULL OR r.platform = $2)
  AND ($3::text IS NOT NULL)
  AND ($4::bigint IS NULL OR r.reported_at >= to_timestamp($4))
  AND ($5::bigint IS NULL OR r.reported_at <= to_timestamp($5))
  AND ($6::float8 IS NULL OR ST_Intersects(r.geom, ST_MakeEnvelope($6, $7, $8, $9, 4490)))
)sql";

std::optional<std::array<double, 4>> bbox_of(const pqxx::row& r, int first) {
    if (r[first].is_null()) return std::nullopt;
    return std::array<double, 4>{r[first].as<double>(), r[first + 1].as<double>(), r[first + 2].as<double>(),
                                 r[first + 3].as<double>()};
}

std::optional<Timestamp> time_at(const pqxx::field& f) {
    if (f.is_null()) return std::nullopt;
    return Timestamp{std::chrono::seconds{f.as<long long>()}};
}

}  // namespace

std::optional<OgcCollection> parse_ogc_collection(std::string_view id) {
    if (id == "grids") return OgcCollection::grids;
    if (id == "reports") return OgcCollection::reports;
    return std::nullopt;
}

std::string_view collection_id(OgcCollection c) noexcept { return c == OgcCollection::grids ? "grids" : "reports"; }

OgcExtent ogc_extent(Database& db, OgcCollection collection, const Principal& caller) {
    const auto scope = scope_of(caller);
    OgcExtent out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        pqxx::result res;
        if (collection == OgcCollection::grids) {
            // The current grids' extent; time from the first version on, open at the end.
            res = tx.exec_params(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), "
                "       (SELECT extract(epoch FROM min(valid_from))::bigint FROM grids "
                "        WHERE $1::text[] IS NULL OR town = ANY($1::text[])), NULL::bigint "
                "FROM (SELECT ST_Extent(geom) AS e FROM grids "
                "      WHERE valid_to IS NULL AND ($1::text[] IS NULL OR town = ANY($1::text[]))) x",
                scope.towns);
        } else {
            res = tx.exec_params(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1 "
                "FROM (SELECT ST_Extent(geom) AS e, extract(epoch FROM min(reported_at))::bigint AS t0, "
                "             extract(epoch FROM max(reported_at))::bigint AS t1 FROM reports "
                "      WHERE ($1::text[] IS NULL OR town = ANY($1::text[])) AND ($2::text IS NULL OR platform = $2)) x",
                scope.towns, scope.platform);
        }
        out.bbox = bbox_of(res[0], 0);
        out.begin = time_at(res[0][4]);
        out.end = time_at(res[0][5]);
    });
    return out;
}

OgcPage ogc_items(Database& db, const OgcItemsQuery& q, const Principal& caller) {
    const auto scope = scope_of(caller);
    const bool grids = q.collection == OgcCollection::grids;
    std::string mode = "current";
    std::optional<long long> start, end;
    if (q.datetime) {
        mode = q.datetime->is_instant ? "instant" : "interval";
        start = epoch(q.datetime->start);
        end = epoch(q.datetime->end);
    }
    std::optional<double> w, s, e, n;
    if (q.bbox) w = (*q.bbox)[0], s = (*q.bbox)[1], e = (*q.bbox)[2], n = (*q.bbox)[3];
    const std::string where = grids ? k_grid_where : k_report_where;
    const std::string from = grids ? " FROM grids g " : " FROM reports r ";
    const std::string order = grids ? " ORDER BY g.town, g.id, g.version" : " ORDER BY r.id";

    OgcPage page;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        page.number_matched =
            tx.exec_params("SELECT count(*)" + from + where, scope.towns, scope.platform, mode, start, end, w, s, e, n)[0][0]
                .as<long long>();
        if (q.offset >= page.number_matched) return;
        const auto res = tx.exec_params(std::string(grids ? k_grid_feature : k_report_feature) + where + order +
                                            " LIMIT $10 OFFSET $11",
                                        scope.towns, scope.platform, mode, start, end, w, s, e, n, q.limit, q.offset);
        page.features.reserve(res.size());
        for (const auto& r : res) page.features.push_back(r[0].as<std::string>());
    });
    return page;
}

std::optional<std::string> ogc_item(Database& db, OgcCollection collection, const std::string& feature_id,
                                    const Principal& caller) {
    const auto scope = scope_of(caller);
    std::optional<std::string> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        pqxx::result res;
        if (collection == OgcCollection::grids) {
            res = tx.exec_params(std::string(k_grid_feature) +
                                     " WHERE g.id = $1 AND g.valid_to IS NULL AND ($2::text[] IS NULL OR g.town = ANY($2::text[]))",
                                 feature_id, scope.towns);
        } else {
            // Report ids are digits; anything else names no report.
            if (feature_id.empty() || feature_id.size() > 18 ||
                feature_id.find_first_not_of("0123456789") != std::string::npos)
                return;
            res = tx.exec_params(std::string(k_report_feature) +
                                     " WHERE r.id = $1::bigint AND ($2::text[] IS NULL OR r.town = ANY($2::text[]))"
                                     " AND ($3::text IS NULL OR r.platform = $3)",
                                 feature_id, scope.towns, scope.platform);
        }
        if (!res.empty()) out = res[0][0].as<std::string>();
    });
    return out;
}

}  // namespace wangge::data
