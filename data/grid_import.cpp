#include "data/grid_import.hpp"

#include "core/error.hpp"
#include "core/principal.hpp"
#include "data/db.hpp"
#include "data/town_store.hpp"
#include "geo/geos.hpp"
#include "geo/ogr_io.hpp"

#include <map>
#include <set>

namespace wangge::data {

ImportOutcome import_grids(Database& db, ReportDesk& desk, const std::string& town, const std::string& bytes,
                           const std::string& filename_hint, const Principal& actor, bool dry_run) {
    if (!find_town_record(db, town)) throw Error(ErrorCode::not_found, "no town " + town);
    const auto features = geo::read_grids(bytes, filename_hint);
    if (features.empty()) throw Error(ErrorCode::unprocessable, "the file has no grids");

    std::map<std::string, GridRecord> current;
    for (auto& g : list_grids(db, town, std::nullopt)) current.emplace(g.id, std::move(g));

    const geo::Geos geos;
    ImportOutcome out;
    out.source_crs = features.front().source_crs;
    out.crs_assumed = features.front().crs_assumed;
    std::vector<GridEdit> edits;
    std::set<std::string> seen;
    struct Staffing {
        std::string grid;
        StaffChange change;
    };
    std::vector<Staffing> staffing;
    for (const auto& f : features) {
        GridEdit e;
        if (f.id) {
            if (!seen.insert(*f.id).second)
                throw Error(ErrorCode::unprocessable, "feature " + std::to_string(f.index) + ": grid id " + *f.id + " appears twice",
                            nlohmann::json{{"feature", f.index}});
            e.id = *f.id;
        }
        auto it = f.id ? current.find(*f.id) : current.end();
        if (f.retired.value_or(false)) {
            if (it == current.end()) continue;  // retiring what is not there: nothing to do
            e.retire = true;
            e.expected_version = f.version.value_or(it->second.version);
            out.retired.push_back(e.id);
            edits.push_back(std::move(e));
            continue;
        }
        auto geom = geos.from_wkb_hex(f.geometry_wkb_hex);
        if (it != current.end()) {
            // Redrawn only if something differs; the file's version, when it has one,
            // guards against overwriting an edit made since the file was exported.
            e.expected_version = f.version.value_or(it->second.version);
            const auto stored = geos.from_wkb_hex(it->second.geometry_wkb_hex);
            const bool same_shape = geos.equals_exact(geom.get(), stored.get(), 1e-9);
            const bool same_name = !f.name || *f.name == it->second.name;
            const bool same_code = !f.code || *f.code == it->second.code;
            if (!same_shape) e.geojson = geos.to_geojson(geom.get());
            if (!same_name) e.name = f.name;
            if (!same_code) e.code = f.code;
            if (same_shape && same_name && same_code && (!f.version || *f.version == it->second.version)) {
                out.unchanged.push_back(e.id);
            } else {
                out.changed.push_back(e.id);
                edits.push_back(e);
            }
        } else {
            e.geojson = geos.to_geojson(geom.get());
            e.name = f.name;
            e.code = f.code;
            edits.push_back(e);
            out.created.push_back(e.id.empty() ? "(new)" : e.id);
        }
        if ((f.leader || f.worker) && f.id) staffing.push_back({*f.id, {f.leader, f.worker}});
    }
    for (const auto& [id, g] : current) {
        if (seen.contains(id)) continue;
        GridEdit e;
        e.id = id;
        e.retire = true;
        e.expected_version = g.version;
        out.retired.push_back(id);
        edits.push_back(std::move(e));
    }
    if (edits.empty()) return out;  // the file is what the database already has
    out.edit = edit_grids(db, desk, town, edits, actor, dry_run);
    if (dry_run) return out;

    for (const auto& s : staffing) {
        auto g = find_grid(db, s.grid);
        if (!g) continue;
        const bool same = (!s.change.leader || (g->leader && g->leader->id == *s.change.leader)) &&
                          (!s.change.worker || (g->worker && g->worker->id == *s.change.worker));
        if (same) continue;
        set_grid_staff(db, s.grid, s.change, actor);
        ++out.staff_changed;
    }
    return out;
}

}  // namespace wangge::data
