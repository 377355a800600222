#include "data/town_store.hpp"

#include "core/error.hpp"
#include "core/principal.hpp"
#include "data/audit.hpp"
#include "data/db.hpp"
#include "data/row_read.hpp"
#include "data/text.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <cmath>

namespace wangge::data {

namespace {

// Columns shared by every grid query; staff joined from grid_staff → workers.
constexpr const char* k_grid_select = R"sql(
SELECT g.town, g.id, g.code, g.name, g.version,
       extract(epoch FROM g.valid_from)::bigint, extract(epoch FROM g.valid_to)::bigint,
       ST_AsGeoJSON(g.geom, 9), ST_Area(g.geom::geography),
       l.id, l.name, l.phone, w.id, w.name, w.phone,
       encode(ST_AsBinary(g.geom), 'hex')
FROM grids g
LEFT JOIN grid_staff sl ON sl.town = g.town AND sl.grid = g.id AND sl.role = 'leader'
LEFT JOIN workers l ON l.town = sl.town AND l.id = sl.worker
LEFT JOIN grid_staff sw ON sw.town = g.town AND sw.grid = g.id AND sw.role = 'worker'
LEFT JOIN workers w ON w.town = sw.town AND w.id = sw.worker
)sql";

using detail::epoch;
using detail::person_at;

GridRecord grid_from_row(const pqxx::row& r) {
    GridRecord g;
    g.town = r[0].as<std::string>();
    g.id = r[1].as<std::string>();
    g.code = r[2].as<std::string>();
    g.name = r[3].as<std::string>();
    g.version = r[4].as<int>();
    g.valid_from = epoch(r[5]);
    g.valid_to = detail::epoch_or_null(r[6]);
    g.geometry_geojson = r[7].as<std::string>();
    g.area_m2 = r[8].as<double>();
    g.leader = person_at(r, 9);
    g.worker = person_at(r, 12);
    g.geometry_wkb_hex = r[15].as<std::string>();
    return g;
}

// Coordinates are stored to 1e-9°; print them so, not with binary noise.
double round9(double v) { return std::round(v * 1e9) / 1e9; }

// A town and its county: the first eight columns of both town queries.
constexpr const char* k_town_columns = R"sql(
SELECT t.town, t.name, t.kind, t.admin_code, c.code, c.name, c.kind, c.city
)sql";
constexpr const char* k_town_from = " FROM towns t JOIN counties c ON c.code = t.county";

TownRecord town_from_row(const pqxx::row& r) {
    return {r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>(),
            {r[4].as<std::string>(), r[5].as<std::string>(), r[6].as<std::string>(), r[7].as<std::string>()}};
}

const std::string k_summary_select = std::string(k_town_columns) + R"sql(,
       (SELECT count(*) FROM grids g WHERE g.town = t.town AND g.valid_to IS NULL)::int,
       ST_XMin(t.geom), ST_YMin(t.geom), ST_XMax(t.geom), ST_YMax(t.geom)
)sql" + k_town_from;

TownSummary summary_from_row(const pqxx::row& r) {
    TownSummary s{town_from_row(r)};
    s.grid_count = r[8].as<int>();
    s.bbox = {round9(r[9].as<double>()), round9(r[10].as<double>()), round9(r[11].as<double>()), round9(r[12].as<double>())};
    return s;
}

std::optional<GridRecord> current_grid(pqxx::transaction_base& tx, const std::string& grid_id) {
    auto res = tx.exec_params(std::string(k_grid_select) + " WHERE g.id = $1 AND g.valid_to IS NULL", grid_id);
    if (res.empty()) return std::nullopt;
    return grid_from_row(res[0]);
}

}  // namespace

std::vector<TownSummary> list_towns(Database& db) {
    std::vector<TownSummary> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        for (const auto& r : tx.exec(k_summary_select + " ORDER BY t.town")) out.push_back(summary_from_row(r));
    });
    return out;
}

std::optional<TownSummary> find_town_record(Database& db, const std::string& town) {
    std::optional<TownSummary> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        auto res = tx.exec_params(k_summary_select + " WHERE t.town = $1", town);
        if (!res.empty()) out = summary_from_row(res[0]);
    });
    return out;
}

std::vector<TownRecord> read_towns(Database& db) {
    std::vector<TownRecord> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::nontransaction tx(c);  // one statement: no BEGIN/COMMIT round trips
        for (const auto& r : tx.exec(std::string(k_town_columns) + k_town_from)) out.push_back(town_from_row(r));
    });
    return out;
}

std::optional<TownRecord> read_town(Database& db, const std::string& town) {
    std::optional<TownRecord> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::nontransaction tx(c);
        auto res = tx.exec_params(std::string(k_town_columns) + k_town_from + " WHERE t.town = $1", town);
        if (!res.empty()) out = town_from_row(res[0]);
    });
    return out;
}

std::vector<GridRecord> list_grids(Database& db, const std::string& town, std::optional<Timestamp> at) {
    std::vector<GridRecord> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        pqxx::result res;
        if (at) {
            res = tx.exec_params(std::string(k_grid_select) +
                                     " WHERE g.town = $1 AND g.valid_from <= to_timestamp($2) "
                                     "AND (g.valid_to IS NULL OR g.valid_to > to_timestamp($2)) ORDER BY g.id",
                                 town, static_cast<long long>(at->time_since_epoch().count()));
        } else {
            res = tx.exec_params(std::string(k_grid_select) + " WHERE g.town = $1 AND g.valid_to IS NULL ORDER BY g.id",
                                 town);
        }
        for (const auto& r : res) out.push_back(grid_from_row(r));
    });
    return out;
}

std::optional<GridRecord> find_grid(Database& db, const std::string& grid_id) {
    std::optional<GridRecord> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        out = current_grid(tx, grid_id);
    });
    return out;
}

std::vector<GridRecord> grid_history(Database& db, const std::string& grid_id) {
    std::vector<GridRecord> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        for (const auto& r : tx.exec_params(std::string(k_grid_select) + " WHERE g.id = $1 ORDER BY g.version DESC", grid_id))
            out.push_back(grid_from_row(r));
    });
    return out;
}

std::vector<WorkerRecord> list_workers(Database& db, const std::string& town) {
    std::vector<WorkerRecord> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        auto res = tx.exec_params(
            "SELECT w.id, w.name, w.phone, w.role, w.platform, "
            "       coalesce(array_to_string(array_agg(s.grid ORDER BY s.grid) FILTER (WHERE s.grid IS NOT NULL), ','), '') "
            "FROM workers w LEFT JOIN grid_staff s ON s.town = w.town AND s.worker = w.id "
            "WHERE w.town = $1 AND w.active GROUP BY w.town, w.id ORDER BY w.id",
            town);
        for (const auto& r : res) {
            out.push_back({*person_at(r, 0), r[3].as<std::string>(), detail::text_or_null(r[4]),
                           detail::split_commas(r[5].as<std::string>())});
        }
    });
    return out;
}

GridRecord set_grid_staff(Database& db, const std::string& grid_id, const StaffChange& change, const Principal& actor) {
    GridRecord result;
    db.run([&](pqxx::connection_base& c) {
        pqxx::work tx(c);
        auto grid = tx.exec_params("SELECT town FROM grids WHERE id = $1 AND valid_to IS NULL FOR UPDATE", grid_id);
        if (grid.empty()) throw Error(ErrorCode::not_found, "no grid " + grid_id);
        const auto town = grid[0][0].as<std::string>();
        nlohmann::json details = nlohmann::json::object();
        auto assign = [&](const char* role, const std::optional<std::string>& worker) {
            if (!worker) return;
            auto w = tx.exec_params("SELECT role FROM workers WHERE town = $1 AND id = $2 AND active", town, *worker);
            if (w.empty())
                throw Error(ErrorCode::unprocessable, std::string(role) + ": no active worker " + *worker + " in " + town,
                            nlohmann::json{{"field", role}});
            const auto worker_role = w[0][0].as<std::string>();
            if (worker_role != "grid_leader" && worker_role != "grid_worker")
                throw Error(ErrorCode::unprocessable,
                            std::string(role) + ": " + *worker + " is " + worker_role + " staff, not grid staff",
                            nlohmann::json{{"field", role}});
            tx.exec_params(
                "INSERT INTO grid_staff (town, grid, role, worker, since) VALUES ($1,$2,$3,$4, now()) "
                "ON CONFLICT (town, grid, role) DO UPDATE SET worker = EXCLUDED.worker, since = EXCLUDED.since",
                town, grid_id, std::string(role), *worker);
            details[role] = *worker;
        };
        assign("leader", change.leader);
        assign("worker", change.worker);
        write_audit(tx, actor, town, "grid.staff", grid_id, details.dump());
        result = *current_grid(tx, grid_id);
        tx.commit();
    });
    return result;
}

}  // namespace wangge::data

namespace wangge::data {

std::vector<CategoryRecord> list_categories(Database& db) {
    std::vector<CategoryRecord> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        for (const auto& r : tx.exec("SELECT code, name, name_en, platform, time_limit_workdays FROM categories "
                                     "ORDER BY array_position(ARRAY['zongzhi','shichang','zhifa','bianmin'], platform), code"))
            out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<std::string>(),
                           r[4].as<int>()});
    });
    return out;
}

}  // namespace wangge::data

#include "geo/grid_index.hpp"

namespace wangge::data {

void load_index_shapes(Database& db, std::vector<geo::GridShape>& grids, std::vector<geo::TownShape>& towns) {
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        load_index_shapes(tx, grids, towns);
    });
}

void load_index_shapes(pqxx::transaction_base& tx, std::vector<geo::GridShape>& grids, std::vector<geo::TownShape>& towns,
                       const std::optional<std::vector<std::string>>& only) {
    grids.clear();
    towns.clear();
    std::optional<std::string> only_array;
    if (only) only_array = pg_text_array(*only);
    for (const auto& r : tx.exec_params("SELECT town, id, version, code, name, encode(ST_AsBinary(geom), 'hex') FROM grids "
                                        "WHERE valid_to IS NULL AND ($1::text[] IS NULL OR town = ANY($1::text[])) "
                                        "ORDER BY town, id",
                                        only_array))
        grids.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<int>(), r[3].as<std::string>(),
                         r[4].as<std::string>(), r[5].as<std::string>()});
    for (const auto& r : tx.exec("SELECT town, encode(ST_AsBinary(geom), 'hex') FROM towns ORDER BY town"))
        towns.push_back({r[0].as<std::string>(), r[1].as<std::string>()});
}

}  // namespace wangge::data
