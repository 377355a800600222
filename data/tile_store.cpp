#include "data/tile_store.hpp"

#include "data/db.hpp"

#include <pqxx/pqxx>

namespace wangge::data {

namespace {

// "(town, grid) IN (…)" for a list of buckets, every value escaped by the connection.
// (Appended piece by piece: pqxx's quote() trips GCC 12's false -Wrestrict.)
std::string bucket_condition(pqxx::transaction_base& tx, const std::vector<BucketVersion>& only,
                             const char* grid_expr) {
    std::string out = "(town, ";
    out.append(grid_expr).append(") IN (");
    for (std::size_t i = 0; i < only.size(); ++i) {
        if (i > 0) out += ',';
        out.append("('").append(tx.esc(only[i].town)).append("','").append(tx.esc(only[i].grid)).append("')");
    }
    return out + ')';
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

void for_each_report_point(Database& db, const std::vector<BucketVersion>* only,
                           const std::function<void(const ReportPointRow&)>& fn) {
    if (only != nullptr && only->empty()) return;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        std::string sql =
            "SELECT town, coalesce(grid, ''), ST_X(geom), ST_Y(geom), extract(epoch FROM reported_at)::bigint, "
            "extract(epoch FROM due_at)::bigint, category, platform, status FROM reports";
        if (only != nullptr) sql += " WHERE " + bucket_condition(tx, *only, "coalesce(grid, '')");
        ReportPointRow row;
        // Through a cursor, 50,000 rows at a time: a million rows as one libpq result
        // would hold a few hundred MB of text at once.
        pqxx::icursorstream cursor(tx, sql, "tile_points", 50000);
        pqxx::result block;
        while (cursor >> block) {
            for (const auto& r : block) {
                row.town = r[0].as<std::string>();
                row.grid = r[1].as<std::string>();
                row.lon = r[2].as<double>();
                row.lat = r[3].as<double>();
                row.reported_at = r[4].as<std::int64_t>();
                row.due_at = r[5].is_null() ? std::nullopt : std::optional<std::int64_t>(r[5].as<std::int64_t>());
                row.category = r[6].as<std::string>();
                row.platform = r[7].as<std::string>();
                row.status = r[8].as<std::string>();
                fn(row);
            }
        }
    });
}

std::vector<GridOutlineRow> current_grid_outlines(Database& db, const std::vector<BucketVersion>* only) {
    std::vector<GridOutlineRow> out;
    if (only != nullptr && only->empty()) return out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        std::string sql =
            "SELECT town, id, name, ST_AsBinary(m), ST_X(l), ST_Y(l), ST_XMin(m), ST_YMin(m), ST_XMax(m), ST_YMax(m) "
            "FROM (SELECT town, id, name, ST_Transform(geom, 3857) AS m, ST_Transform(ST_PointOnSurface(geom), 3857) AS l "
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
            out.push_back(std::move(g));
        }
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
