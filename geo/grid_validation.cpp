#include "geo/grid_validation.hpp"

#include "core/error.hpp"
#include "geo/crs.hpp"
#include "geo/geos.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace wangge::geo {

namespace {

std::string area_text(double m2) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f m²", m2);
    return buf;
}

}  // namespace

ValidatedTown validate_town(const std::string& town_wkb_hex, const std::vector<GridCandidate>& grids,
                            const ValidationRules& rules) {
    const Geos geos;
    const Transformer to_metric("EPSG:4490", "EPSG:4549");
    auto metric = [&](const GEOSGeometry* g) { return to_metric.forward(geos, g); };

    ValidatedTown out;
    const auto town = geos.from_wkb_hex(town_wkb_hex);

    struct Shape {
        std::string id;
        bool changed;
        GeomPtr lonlat;
    };
    std::vector<Shape> shapes;
    for (const auto& c : grids) {
        GeomPtr g;
        if (c.changed()) {
            try {
                g = geos.from_geojson(*c.geojson);
            } catch (const Error& e) {
                out.findings.push_back({c.id, "invalid_geometry", e.detail(), std::nullopt, std::nullopt, std::nullopt});
                continue;
            }
        } else {
            g = geos.from_wkb_hex(*c.wkb_hex);
        }
        auto type = geos.type_name(g.get());
        if (type == "MultiPolygon" && geos.num_geometries(g.get()) == 1) {
            g = geos.geometry_n(g.get(), 0);
            type = "Polygon";
        }
        if (type != "Polygon") {
            out.findings.push_back({c.id, "not_polygon", "a grid must be one Polygon, got " + type, std::nullopt, std::nullopt,
                                    std::nullopt});
            continue;
        }
        auto v = geos.validity(g.get());
        if (!v.valid) {
            std::optional<std::string> where;
            if (v.location) where = geos.to_geojson(v.location.get());
            out.findings.push_back({c.id, "invalid_geometry", v.reason, std::nullopt, where, std::nullopt});
            continue;
        }
        // Areas are measured in EPSG:4549; a vertex PROJ cannot project there (longitude
        // 923.6) was a 500 from the overlay below. Found by fuzz_grid_json.
        if (c.changed()) {
            try {
                (void)metric(g.get());
            } catch (const Error&) {
                out.findings.push_back({c.id, "invalid_geometry",
                                        "coordinates must be longitude, latitude (EPSG:4490) near the town", std::nullopt,
                                        std::nullopt, std::nullopt});
                continue;
            }
        }
        shapes.push_back({c.id, c.changed(), std::move(g)});
    }

    // The topology checks on a set of valid polygons. The overlay is done in lon/lat,
    // where the grids are stored: projected, a vertex added on a long straight edge sits
    // off the chord by the projection's curvature and fakes square-metre slivers. Only
    // the results are projected, to measure their area.
    auto m2 = [&](const GEOSGeometry* g) { return geos.area(metric(g).get()); };
    auto check = [&](const std::vector<Shape>& set) {
        std::vector<Finding> found;
        for (const auto& s : set) {
            if (!s.changed) continue;
            auto outside = geos.difference(s.lonlat.get(), town.get());
            const double a = m2(outside.get());
            if (a > rules.sliver_m2)
                found.push_back({s.id, "outside_town", "the grid reaches " + area_text(a) + " beyond the town boundary", a,
                                 geos.to_geojson(outside.get()), std::nullopt});
        }
        for (std::size_t i = 0; i < set.size(); ++i) {
            for (std::size_t j = i + 1; j < set.size(); ++j) {
                if (!set[i].changed && !set[j].changed) continue;
                if (geos.distance(set[i].lonlat.get(), set[j].lonlat.get()) > 0) continue;
                auto overlap = geos.intersection(set[i].lonlat.get(), set[j].lonlat.get());
                const double a = m2(overlap.get());
                if (a <= rules.sliver_m2) continue;
                const auto& [mine, theirs] = set[i].changed ? std::pair{i, j} : std::pair{j, i};
                found.push_back({set[mine].id, "overlap", "overlaps grid " + set[theirs].id + " by " + area_text(a), a,
                                 geos.to_geojson(overlap.get()), set[theirs].id});
            }
        }
        std::vector<const GEOSGeometry*> parts;
        for (const auto& s : set) parts.push_back(s.lonlat.get());
        auto covered = parts.empty() ? GeomPtr{} : geos.union_all(parts);
        auto gaps = covered ? geos.difference(town.get(), covered.get()) : geos.clone(town.get());
        for (int k = 0; k < geos.num_geometries(gaps.get()); ++k) {
            auto gap = geos.geometry_n(gaps.get(), k);
            const double a = m2(gap.get());
            if (a <= rules.sliver_m2) continue;
            // Name the changed grid the gap borders, so the finding points at the edit.
            std::string near;
            for (const auto& s : set)
                if (s.changed && geos.distance(s.lonlat.get(), gap.get()) < 1e-5) {
                    near = s.id;
                    break;
                }
            found.push_back({near, "gap", "leaves " + area_text(a) + " of the town without a grid", a,
                             geos.to_geojson(gap.get()), std::nullopt});
        }
        return found;
    };

    auto topology = check(shapes);
    if (!topology.empty() && out.findings.empty()) {
        // Hand-drawn edges rarely meet exactly. Snapping the changed grids to what they
        // should meet (unchanged neighbours, the town boundary), in lon/lat so shared
        // vertices become bit-identical, often closes the slivers; it can also open new
        // ones along long edges, so it is kept only when it leaves nothing to report.
        // Degrees per metre here: about 1/97,000 east, 1/110,900 north.
        const double snap_deg = rules.snap_m / 97000.0;
        std::vector<const GEOSGeometry*> fixed_parts{town.get()};
        for (const auto& s : shapes)
            if (!s.changed) fixed_parts.push_back(s.lonlat.get());
        auto reference = geos.union_all(fixed_parts);
        std::vector<Shape> snapped;
        for (const auto& s : shapes) {
            Shape copy{s.id, s.changed, geos.clone(s.lonlat.get())};
            if (s.changed) {
                auto g = geos.snap(s.lonlat.get(), reference.get(), snap_deg);
                if (geos.type_name(g.get()) == "Polygon" && geos.is_valid(g.get())) copy.lonlat = std::move(g);
            }
            snapped.push_back(std::move(copy));
        }
        if (check(snapped).empty()) {
            shapes = std::move(snapped);
            topology.clear();
        }
    }
    out.findings.insert(out.findings.end(), topology.begin(), topology.end());
    for (const auto& s : shapes)
        if (s.changed) out.changed_wkb.emplace_back(s.id, geos.to_ewkb_hex(s.lonlat.get(), k_storage_srid));
    return out;
}

}  // namespace wangge::geo
