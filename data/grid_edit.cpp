#include "data/grid_edit.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/principal.hpp"
#include "data/audit.hpp"
#include "data/db.hpp"
#include "data/reports.hpp"
#include "data/text.hpp"
#include "data/town_store.hpp"
#include "geo/grid_index.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <map>
#include <set>

namespace wangge::data {

namespace {

using nlohmann::json;

struct CurrentGrid {
    int version = 0;
    std::string code, name, wkb_hex;
};

// The next free id of the town's own numbering (bailongqiao-076, …).
std::string next_grid_id(const std::string& town, const std::set<std::string>& taken) {
    int highest = 0;
    const std::string prefix = town + "-";
    for (const auto& id : taken)
        if (id.rfind(prefix, 0) == 0) {
            try {
                highest = std::max(highest, std::stoi(id.substr(prefix.size())));
            } catch (const std::exception&) {
            }
        }
    char buf[16];
    std::snprintf(buf, sizeof buf, "%03d", highest + 1);
    return prefix + buf;
}

}  // namespace

nlohmann::json findings_json(const std::vector<geo::Finding>& findings) {
    json problems = json::array();
    for (const auto& f : findings) {
        json p{{"grid", f.grid}, {"kind", f.kind}, {"detail", f.detail}};
        if (f.area_m2) p["area_m2"] = std::round(*f.area_m2 * 100) / 100;
        if (f.location) p["location"] = json::parse(*f.location);
        if (f.other) p["other_grid"] = *f.other;
        problems.push_back(p);
    }
    return problems;
}

EditOutcome edit_grids(Database& db, ReportDesk& desk, const std::string& town, const std::vector<GridEdit>& edits,
                       const Principal& actor, bool dry_run, geo::ValidationRules rules) {
    if (edits.empty()) throw Error(ErrorCode::bad_request, "no grids to change");
    // The town as it is now.
    std::string town_wkb;
    std::map<std::string, CurrentGrid> current;
    std::set<std::string> every_id;  // ids ever used in the town, retired ones too
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        auto t = tx.exec_params("SELECT encode(ST_AsEWKB(geom), 'hex') FROM towns WHERE town = $1", town);
        if (t.empty()) throw Error(ErrorCode::not_found, "no town " + town);
        town_wkb = t[0][0].as<std::string>();
        for (const auto& r : tx.exec_params("SELECT id, version, code, name, encode(ST_AsEWKB(geom), 'hex') FROM grids "
                                            "WHERE town = $1 AND valid_to IS NULL",
                                            town))
            current[r[0].as<std::string>()] = {r[1].as<int>(), r[2].as<std::string>(), r[3].as<std::string>(),
                                               r[4].as<std::string>()};
        for (const auto& r : tx.exec_params("SELECT DISTINCT id FROM grids WHERE town = $1", town))
            every_id.insert(r[0].as<std::string>());
    });

    // Resolve each edit against the current grids.
    std::map<std::string, const GridEdit*> by_id;
    std::vector<GridEdit> resolved = edits;
    for (auto& e : resolved) {
        if (e.id.empty()) {
            if (e.retire) throw Error(ErrorCode::bad_request, "a grid to retire needs its id");
            e.id = next_grid_id(town, every_id);
        }
        if (by_id.contains(e.id)) throw Error(ErrorCode::bad_request, "grid " + e.id + " appears twice in one request");
        auto it = current.find(e.id);
        if (it == current.end()) {
            if (e.retire) throw Error(ErrorCode::not_found, "no current grid " + e.id + " to retire");
            // An id is never reused: history and closed reports still point at the old grid.
            if (every_id.contains(e.id))
                throw Error(ErrorCode::conflict, "grid id " + e.id + " belonged to a retired grid; choose another");
            every_id.insert(e.id);
            if (!e.geojson) throw Error(ErrorCode::bad_request, "new grid " + e.id + " needs a geometry");
            if (e.id.rfind(town + "-", 0) != 0 || e.id.size() > 64)
                throw Error(ErrorCode::bad_request, "grid ids of " + town + " start with '" + town + "-'",
                            json{{"field", "id"}});
        } else {
            if (!e.expected_version)
                throw Error(ErrorCode::precondition_failed, "grid " + e.id + ": send the version you edited (properties.version or If-Match)");
            if (*e.expected_version != it->second.version)
                throw Error(ErrorCode::precondition_failed,
                            "grid " + e.id + " is at version " + std::to_string(it->second.version) + ", not " +
                                std::to_string(*e.expected_version) + ": reload it and edit again",
                            json{{"grid", e.id}, {"current_version", it->second.version}});
        }
        by_id[e.id] = &e;
    }

    // Validate the town as it would be.
    std::vector<geo::GridCandidate> candidates;
    for (const auto& [id, g] : current) {
        auto e = by_id.find(id);
        if (e != by_id.end() && e->second->retire) continue;
        if (e != by_id.end() && e->second->geojson) candidates.push_back({id, e->second->geojson, std::nullopt});
        else candidates.push_back({id, std::nullopt, g.wkb_hex});
    }
    for (const auto& e : resolved)
        if (!current.contains(e.id)) candidates.push_back({e.id, e.geojson, std::nullopt});
    auto validated = geo::validate_town(town_wkb, candidates, rules);
    EditOutcome outcome;
    if (dry_run) {
        outcome.findings = std::move(validated.findings);
        return outcome;
    }
    if (!validated.findings.empty())
        throw Error(ErrorCode::unprocessable,
                    std::to_string(validated.findings.size()) + " problem(s) with the grids of " + town + "; nothing was changed",
                    json{{"problems", findings_json(validated.findings)}});
    std::map<std::string, std::string> new_geometry(validated.changed_wkb.begin(), validated.changed_wkb.end());

    // The index as it will be: every town's current grids, this town's replaced.
    std::vector<geo::GridShape> shapes;
    std::vector<geo::TownShape> towns;
    load_index_shapes(db, shapes, towns);
    std::erase_if(shapes, [&](const geo::GridShape& s) { return s.town == town; });
    for (const auto& [id, g] : current) {
        auto e = by_id.find(id);
        if (e == by_id.end()) {
            shapes.push_back({town, id, g.version, g.code, g.name, g.wkb_hex});
        } else if (!e->second->retire) {
            const auto geom = new_geometry.contains(id) ? new_geometry.at(id) : g.wkb_hex;
            shapes.push_back({town, id, g.version + 1, e->second->code.value_or(g.code), e->second->name.value_or(g.name), geom});
        }
    }
    for (const auto& e : resolved)
        if (!current.contains(e.id))
            shapes.push_back({town, e.id, 1, e.code.value_or(e.id), e.name.value_or(e.id), new_geometry.at(e.id)});
    const auto index = geo::GridIndex::build(shapes, towns);
    // From `shapes`: the index keeps no WKB.
    std::map<std::string, const geo::GridShape*> shape_of;
    for (const auto& s : shapes) shape_of[s.id] = &s;

    // Write: under the intake lock, so no report is assigned between the re-assignment
    // below and the switch of the index after the commit.
    auto intake = desk.hold_intake();
    db.run([&](pqxx::connection_base& c) {
        pqxx::work tx(c);
        // The town's lock first, before any grid row: intake on every node holds it shared
        // while it stores reports assigned with the old grids (migration 0008), so this
        // waits for those to commit, and the re-assignment below sees them; intakes that
        // come later wait for this commit and then see the new generation.
        tx.exec_params("SELECT lock_town_grids(ARRAY[$1::text])", town);
        auto locked = tx.exec_params("SELECT id, version FROM grids WHERE town = $1 AND valid_to IS NULL FOR UPDATE", town);
        std::map<std::string, int> now_versions;
        for (const auto& r : locked) now_versions[r[0].as<std::string>()] = r[1].as<int>();
        std::map<std::string, int> validated_versions;
        for (const auto& [id, g] : current) validated_versions[id] = g.version;
        if (now_versions != validated_versions)
            throw Error(ErrorCode::precondition_failed, "the grids of " + town + " changed while this edit was checked: reload and edit again");

        const auto now_text = tx.exec("SELECT now()::text")[0][0].as<std::string>();
        for (const auto& e : resolved) {
            if (current.contains(e.id))
                tx.exec_params("UPDATE grids SET valid_to = $3::timestamptz WHERE town = $1 AND id = $2 AND valid_to IS NULL",
                               town, e.id, now_text);
            if (e.retire) {
                tx.exec_params("DELETE FROM grid_staff WHERE town = $1 AND grid = $2", town, e.id);
                continue;
            }
            const auto& s = *shape_of.at(e.id);
            tx.exec_params("INSERT INTO grids (town, id, version, code, name, geom, valid_from, created_by) "
                           "VALUES ($1, $2, $3, $4, $5, $6::geometry, $7::timestamptz, $8)",
                           town, e.id, s.version, s.code, s.name, s.wkb_hex, now_text, actor.name);
        }

        // Open reports follow the new boundaries; closed ones keep the version they were
        // handled in.
        std::vector<std::string> ids, grids, versions, methods, distances;
        for (const auto& r : tx.exec_params("SELECT id, ST_X(geom), ST_Y(geom), grid, grid_version FROM reports "
                                            "WHERE town = $1 AND status NOT IN ('closed', 'rejected')",
                                            town)) {
            const auto a = index->assign(r[1].as<double>(), r[2].as<double>());
            if (!a.grid) continue;  // the town's area is covered; a point outside stays as it was
            const auto& g = index->grids()[*a.grid];
            if (g.town != town) continue;
            const std::string old_grid = r[3].is_null() ? "" : r[3].as<std::string>();
            const int old_version = r[4].is_null() ? 0 : r[4].as<int>();
            if (g.id == old_grid && g.version == old_version) continue;
            if (g.id != old_grid) ++outcome.reassigned_reports;
            ids.push_back(r[0].as<std::string>());
            grids.push_back(g.id);
            versions.push_back(std::to_string(g.version));
            methods.push_back(std::string(geo::assign_method_name(a.method)));
            distances.push_back(std::to_string(a.distance_m));
        }
        if (!ids.empty())
            tx.exec_params("UPDATE reports r SET grid = u.grid, grid_version = u.version, assign_method = u.method, "
                           "assign_distance_m = u.distance "
                           "FROM unnest($2::bigint[], $3::text[], $4::int[], $5::text[], $6::float8[]) "
                           "AS u(id, grid, version, method, distance) WHERE r.town = $1 AND r.id = u.id",
                           town, pg_text_array(ids), pg_text_array(grids), pg_text_array(versions), pg_text_array(methods),
                           pg_text_array(distances));
        json details{{"changed", json::array()}, {"retired", json::array()}, {"reassigned_reports", outcome.reassigned_reports}};
        for (const auto& e : resolved) details[e.retire ? "retired" : "changed"].push_back(e.id);
        write_audit(tx, actor, town, "grids.edit", town, details.dump());
        tx.commit();
    });
    try {
        desk.refresh_grids();
    } catch (const std::exception& e) {
        // Committed all the same: the change feed and intake's generation check catch up.
        log_line(std::string("grid edit: the index of ") + town + " was not refreshed after the commit: " + e.what());
    }
    intake.unlock();

    for (const auto& e : resolved) {
        auto history = grid_history(db, e.id);
        if (!history.empty()) outcome.grids.push_back(history.front());
    }
    return outcome;
}

}  // namespace wangge::data
