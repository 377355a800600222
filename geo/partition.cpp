#include "geo/partition.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cstdint>

namespace wangge::geo {

namespace {

// Splits a clip result into its polygons (a clip can yield Polygon, MultiPolygon or a
// GeometryCollection with stray lines or points, which carry no area).
std::vector<GeomPtr> polygons_of(const Geos& geos, const GEOSGeometry* g) {
    std::vector<GeomPtr> out;
    const auto type = geos.type_name(g);
    if (type == "Polygon") {
        if (geos.area(g) > 0) out.push_back(geos.clone(g));
    } else if (type == "MultiPolygon" || type == "GeometryCollection") {
        for (int i = 0; i < geos.num_geometries(g); ++i) {
            auto part = geos.geometry_n(g, i);
            for (auto& p : polygons_of(geos, part.get())) out.push_back(std::move(p));
        }
    }
    return out;
}

}  // namespace

std::vector<GeomPtr> voronoi_partition(const Geos& geos, const GEOSGeometry* area, const std::vector<XY>& seeds) {
    auto sites = geos.multipoint(seeds);
    auto diagram = geos.voronoi(sites.get(), area);
    const int n_cells = geos.num_geometries(diagram.get());
    if (n_cells != static_cast<int>(seeds.size()))
        throw Error(ErrorCode::internal, "voronoi: expected one cell per seed (duplicate seeds?)");

    // GEOS 3.11 does not keep the input order of the cells: match them to their seeds.
    std::vector<GeomPtr> cells(seeds.size());
    std::vector<GeomPtr> seed_points;
    for (const auto& s : seeds) seed_points.push_back(geos.point(s));
    for (int c = 0; c < n_cells; ++c) {
        auto cell = geos.geometry_n(diagram.get(), c);
        auto prepared = geos.prepare(cell.get());
        for (std::size_t i = 0; i < seeds.size(); ++i) {
            if (!cells[i] && geos.prepared_contains(prepared.get(), seed_points[i].get())) {
                prepared.reset();
                cells[i] = std::move(cell);
                break;
            }
        }
    }
    for (const auto& cell : cells)
        if (!cell) throw Error(ErrorCode::internal, "voronoi: a seed has no cell");

    std::vector<GeomPtr> result(seeds.size());
    std::vector<GeomPtr> orphans;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        auto clipped = geos.intersection(cells[i].get(), area);
        auto parts = polygons_of(geos, clipped.get());
        if (parts.empty()) throw Error(ErrorCode::internal, "voronoi: a seed's cell lies outside the area");
        std::sort(parts.begin(), parts.end(),
                  [&](const GeomPtr& a, const GeomPtr& b) { return geos.area(a.get()) > geos.area(b.get()); });
        result[i] = std::move(parts.front());
        for (std::size_t k = 1; k < parts.size(); ++k) orphans.push_back(std::move(parts[k]));
    }

    for (auto& orphan : orphans) {
        // The neighbour it borders most: the one a thin halo around the piece overlaps most.
        auto halo_base = geos.boundary(orphan.get());
        std::size_t best = result.size();
        double best_len = 0;
        for (std::size_t j = 0; j < result.size(); ++j) {
            if (geos.distance(orphan.get(), result[j].get()) > 1e-6) continue;
            auto shared = geos.intersection(halo_base.get(), geos.boundary(result[j].get()).get());
            const double len = geos.length(shared.get());
            if (len > best_len) {
                best_len = len;
                best = j;
            }
        }
        if (best == result.size()) throw Error(ErrorCode::internal, "voronoi: a detached piece has no neighbour");
        auto merged = geos.unite(result[best].get(), orphan.get());
        auto parts = polygons_of(geos, merged.get());
        if (parts.size() != 1) throw Error(ErrorCode::internal, "voronoi: merging a detached piece left a multipolygon");
        result[best] = std::move(parts.front());
    }
    return result;
}

std::uint64_t hilbert_index(XY p, XY min, XY max) {
    constexpr std::uint32_t n = 1u << 16;
    auto scale = [&](double v, double lo, double hi) {
        const double t = hi > lo ? (v - lo) / (hi - lo) : 0.0;
        return static_cast<std::uint32_t>(std::clamp(t, 0.0, 1.0) * (n - 1));
    };
    std::uint32_t x = scale(p.x, min.x, max.x), y = scale(p.y, min.y, max.y);
    std::uint64_t d = 0;
    for (std::uint32_t s = n / 2; s > 0; s /= 2) {
        const std::uint32_t rx = (x & s) > 0 ? 1 : 0;
        const std::uint32_t ry = (y & s) > 0 ? 1 : 0;
        d += static_cast<std::uint64_t>(s) * s * ((3 * rx) ^ ry);
        if (ry == 0) {
            if (rx == 1) {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::swap(x, y);
        }
    }
    return d;
}

}  // namespace wangge::geo
