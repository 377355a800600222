#include "data/tile_store.hpp"

#include "data/db.hpp"
#include "data/prepared.hpp"
#include "data/text.hpp"

#include <pqxx/pqxx>

#include <set>
#include <utility>

namespace wangge::data {

namespace {

// The buckets' towns and grids as two text[] literals, in the same order. Buckets are
// matched as two arrays unnested, never as a list of (town, grid) pairs in the text:
// PostgreSQL took 2–3 ms to plan a few hundred pairs, 0.3 ms the arrays.
std::pair<std::string, std::string> bucket_arrays(const std::vector<BucketVersion>& only) {
    std::vector<std::string> towns, grids;
    for (const auto& b : only) towns.push_back(b.town), grids.push_back(b.grid);
    return {pg_text_array(towns), pg_text_array(grids)};
}

// "(town, grid) IN (…)" for a list of buckets, in statements run without parameters
// (a cursor's), the arrays escaped by the connection.
// (esc() appended piece by piece: pqxx's quote() trips GCC 12's false -Wrestrict.)
std::string bucket_condition(pqxx::transaction_base& tx, const std::vector<BucketVersion>& only,
                             const char* grid_expr) {
    const auto [towns, grids] = bucket_arrays(only);
    std::string out = "(town, ";
    out.append(grid_expr).append(") IN (SELECT * FROM unnest('");
    out.append(tx.esc(towns)).append("'::text[], '").append(tx.esc(grids)).append("'::text[]))");
    return out;
}

}  // namespace

std::vector<BucketVersion> tile_versions_since(Database& db, std::int64_t since) {
    std::vector<BucketVersion> out;
    db.run([&](pqxx::connection_base& c) {
        // Asked on every tile request: prepared once per connection (libpqxx 6 makes a
        // repeated identical prepare() a no-op), one round trip, no transaction.
        c.prepare("wangge_tile_versions_since", "SELECT town, grid, version FROM tile_versions WHERE version > $1");
        pqxx::nontransaction tx(c);
        for (const auto& r : tx.exec_prepared("wangge_tile_versions_since", since))
            out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::int64_t>()});
    });
    return out;
}

namespace {

constexpr const char* k_point_select =
    "SELECT id, town, coalesce(grid, ''), ST_X(geom), ST_Y(geom), extract(epoch FROM reported_at)::bigint, "
    "extract(epoch FROM due_at)::bigint, category, platform, status FROM reports";

void read_point(const pqxx::row& r, ReportPointRow& row) {
    row.id = r[0].as<std::int64_t>();
    row.town = r[1].as<std::string>();
    row.grid = r[2].as<std::string>();
    row.lon = r[3].as<double>();
    row.lat = r[4].as<double>();
    row.reported_at = r[5].as<std::int64_t>();
    row.due_at = r[6].is_null() ? std::nullopt : std::optional<std::int64_t>(r[6].as<std::int64_t>());
    row.category = r[7].as<std::string>();
    row.platform = r[8].as<std::string>();
    row.status = r[9].as<std::string>();
}

void stream_points(pqxx::transaction_base& tx, const std::string& sql, const std::function<void(const ReportPointRow&)>& fn) {
    ReportPointRow row;
    // Through a cursor, 50,000 rows at a time: a million rows as one libpq result
    // would hold a few hundred MB of text at once.
    pqxx::icursorstream cursor(tx, sql, "tile_points", 50000);
    pqxx::result block;
    while (cursor >> block)
        for (const auto& r : block) {
            read_point(r, row);
            fn(row);
        }
}

std::vector<BucketVersion> versions_since(pqxx::transaction_base& tx, std::int64_t since) {
    std::vector<BucketVersion> out;
    for (const auto& r : tx.exec_params("SELECT town, grid, version FROM tile_versions WHERE version > $1", since))
        out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::int64_t>()});
    return out;
}

std::vector<GridOutlineRow> outlines_in(pqxx::transaction_base& tx, const std::vector<BucketVersion>* only) {
    std::vector<GridOutlineRow> out;
    if (only != nullptr && only->empty()) return out;
    std::string sql =
        "SELECT town, id, name, ST_AsBinary(m), ST_X(l), ST_Y(l), ST_XMin(m), ST_YMin(m), ST_XMax(m), ST_YMax(m), stamp "
        "FROM (SELECT town, id, name, xmin::text::bigint AS stamp, ST_Transform(geom, 3857) AS m, ST_Transform(ST_PointOnSurface(geom), 3857) AS l "
        "      FROM grids WHERE valid_to IS NULL) g";
    if (only != nullptr) sql += " WHERE " + bucket_condition(tx, *only, "id");
    sql += " ORDER BY town, id";
    for (const auto& r : tx.exec(sql)) {
        GridOutlineRow g;
        g.town = r[0].as<std::string>();
        g.id = r[1].as<std::string>();
        g.name = r[2].as<std::string>();
        const pqxx::binarystring wkb(r[3]);
        g.wkb_3857 = wkb.str();
        g.label_x = r[4].as<double>();
        g.label_y = r[5].as<double>();
        for (int k = 0; k < 4; ++k) g.bbox[k] = r[6 + k].as<double>();
        g.stamp = r[10].as<std::int64_t>();
        out.push_back(std::move(g));
    }
    return out;
}

// Read-only and REPEATABLE READ: every statement sees the same committed state.
using SnapshotTx = pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::readwrite_policy::read_only>;

}  // namespace

void for_each_report_point(Database& db, const std::vector<BucketVersion>* only,
                           const std::function<void(const ReportPointRow&)>& fn) {
    if (only != nullptr && only->empty()) return;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        std::string sql = k_point_select;
        if (only != nullptr) sql += " WHERE " + bucket_condition(tx, *only, "coalesce(grid, '')");
        stream_points(tx, sql, fn);
    });
}

std::vector<GridOutlineRow> current_grid_outlines(Database& db, const std::vector<BucketVersion>* only) {
    std::vector<GridOutlineRow> out;
    if (only != nullptr && only->empty()) return out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        out = outlines_in(tx, only);
    });
    return out;
}

TileDelta load_tile_delta(Database& db, std::int64_t since_version, std::int64_t since_change,
                          const std::function<bool(std::int64_t)>& skip,
                          const std::function<std::int64_t(const std::string&, const std::string&)>& grid_stamp,
                          std::size_t max_reports) {
    TileDelta out;
    db.run([&](pqxx::connection_base& c) {
        out = {};
        SnapshotTx tx(c);
        out.buckets = versions_since(tx, since_version);
        // Rows past since_change may have been pruned (migration 0011): reload everything.
        if (since_change < tx.exec("SELECT upto FROM report_changes_pruned")[0][0].as<std::int64_t>()) {
            out.too_many = true;
            return;
        }
        std::vector<std::string> towns, ids;
        for (const auto& r : tx.exec_params("SELECT id, town, report FROM report_changes WHERE id > $1 ORDER BY id", since_change)) {
            ReportChange ch{r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::int64_t>()};
            if (skip(ch.id)) continue;
            if (ch.town != "*") towns.push_back(ch.town), ids.push_back(std::to_string(ch.report));
            out.changes.push_back(std::move(ch));
        }
        if (ids.size() > max_reports) {
            out.too_many = true;
            return;
        }
        if (!ids.empty()) {
            ReportPointRow row;
            const auto rows = exec_prepared_sql(tx, std::string(k_point_select) +
                                                        " WHERE (town, id) IN (SELECT DISTINCT * FROM unnest($1::text[], $2::bigint[]))",
                                                pg_text_array(towns), pg_text_array(ids));
            for (const auto& r : rows) {
                read_point(r, row);
                out.points.push_back(row);
            }
        }
        // Report writes stamp their grid's bucket too: read the outline again only where
        // the current version of the grid is not the one the caller holds (an edit, a
        // retirement: then no row and the caller drops its outline).
        std::vector<BucketVersion> grid_buckets, redrawn;
        for (const auto& b : out.buckets)
            if (!b.grid.empty()) grid_buckets.push_back(b);
        if (grid_buckets.empty()) return;
        std::set<std::pair<std::string, std::string>> current;
        // Asked on every tile request after a write: prepared, the buckets as parameters.
        const auto [bucket_towns, bucket_grids] = bucket_arrays(grid_buckets);
        for (const auto& r : exec_prepared_sql(tx,
                                               "SELECT town, id, xmin::text::bigint FROM grids WHERE valid_to IS NULL AND "
                                               "(town, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
                                               bucket_towns, bucket_grids)) {
            current.emplace(r[0].as<std::string>(), r[1].as<std::string>());
            if (grid_stamp(r[0].as<std::string>(), r[1].as<std::string>()) != r[2].as<std::int64_t>())
                redrawn.push_back({r[0].as<std::string>(), r[1].as<std::string>(), 0});
        }
        for (const auto& b : grid_buckets)
            if (!current.contains({b.town, b.grid})) out.retired.push_back({b.town, b.grid});
        out.outlines = outlines_in(tx, &redrawn);
    });
    return out;
}

TileFullLoad load_all_tile_data(Database& db, std::int64_t window, const std::function<void()>& begin,
                                const std::function<void(const ReportPointRow&)>& point) {
    TileFullLoad out;
    db.run([&](pqxx::connection_base& c) {
        out = {};
        begin();
        SnapshotTx tx(c);
        out.buckets = versions_since(tx, 0);
        out.change_mark = tx.exec("SELECT coalesce(max(id), 0) FROM report_changes")[0][0].as<std::int64_t>();
        for (const auto& r : tx.exec_params("SELECT id FROM report_changes WHERE id > $1 ORDER BY id", out.change_mark - window))
            out.recent_changes.push_back(r[0].as<std::int64_t>());
        stream_points(tx, k_point_select, point);
        out.outlines = outlines_in(tx, nullptr);
    });
    return out;
}

GridNeighbours grid_neighbours(Database& db, const std::string& town, Contiguity contiguity) {
    GridNeighbours out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        for (const auto& r : tx.exec_params("SELECT id FROM grids WHERE town = $1 AND valid_to IS NULL ORDER BY id", town))
            out.grids.push_back(r[0].as<std::string>());
        out.neighbours.assign(out.grids.size(), {});
        // STATS.md "Spatial weights": hand-drawn boundaries are rarely coincident, so
        // grids closer than 0.5 m (metric CRS EPSG:4549) touch.
        const std::string rook = contiguity == Contiguity::rook
                                     ? " AND ST_Length(ST_Intersection(ST_Boundary(a.m), ST_Buffer(ST_Boundary(b.m), 0.5))) > 1.0"
                                     : "";
        const auto pairs = tx.exec_params(
            "WITH g AS MATERIALIZED (SELECT (row_number() OVER (ORDER BY id) - 1)::int AS i, ST_Transform(geom, 4549) AS m "
            "                        FROM grids WHERE town = $1 AND valid_to IS NULL) "
            "SELECT a.i, b.i FROM g a JOIN g b ON a.i < b.i AND ST_DWithin(a.m, b.m, 0.5)" + rook + " ORDER BY 1, 2",
            town);
        for (const auto& r : pairs) {
            const auto i = static_cast<std::size_t>(r[0].as<int>());
            const auto j = static_cast<std::size_t>(r[1].as<int>());
            out.neighbours[i].push_back(j);
            out.neighbours[j].push_back(i);
        }
    });
    return out;
}

}  // namespace wangge::data
