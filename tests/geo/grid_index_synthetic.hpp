#pragma once
// A synthetic province for the grid index's tests and benchmark: towns are the Voronoi
// cells of random seeds in a lon/lat box, each town cut into grids the same way, as the
// demo towns are laid out. Grid edges inside a town are shared exactly; along a town
// border the two towns' grids have their own vertices, as drawn data has.

#include "geo/geos.hpp"
#include "geo/grid_index.hpp"
#include "geo/partition.hpp"

#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace wangge::test {

struct SyntheticProvince {
    std::vector<geo::GridShape> grids;
    std::vector<geo::TownShape> towns;
};

inline std::string synthetic_town_code(std::size_t t) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "t%04zu", t);
    return buf;
}

/// Random points inside `area`, none closer than a few metres to another.
inline std::vector<geo::XY> synthetic_seeds(const geo::Geos& geos, const GEOSGeometry* area, std::size_t n, std::mt19937_64& rng) {
    const auto box = geos.exterior_ring(geos.envelope(area).get());
    double x0 = box[0].x, y0 = box[0].y, x1 = x0, y1 = y0;
    for (const auto& p : box) x0 = std::min(x0, p.x), y0 = std::min(y0, p.y), x1 = std::max(x1, p.x), y1 = std::max(y1, p.y);
    std::uniform_real_distribution<double> ux(x0, x1), uy(y0, y1);
    auto prepared = geos.prepare(area);
    std::vector<geo::XY> seeds;
    while (seeds.size() < n) {
        const geo::XY s{ux(rng), uy(rng)};
        bool apart = true;
        for (const auto& o : seeds) apart = apart && std::hypot(o.x - s.x, o.y - s.y) > 1e-4;
        if (apart && geos.prepared_contains(prepared.get(), geos.point(s).get())) seeds.push_back(s);
    }
    return seeds;
}

/// One town's grids: `n` Voronoi cells of its outline, ids "<town>-<prefix><k>".
inline std::vector<geo::GridShape> synthetic_town_grids(const geo::Geos& geos, const std::string& town, const GEOSGeometry* outline,
                                                        std::size_t n, std::uint64_t seed, const std::string& prefix = "g") {
    std::mt19937_64 rng(seed);
    const auto cells = geo::voronoi_partition(geos, outline, synthetic_seeds(geos, outline, n, rng));
    std::vector<geo::GridShape> out;
    for (std::size_t k = 0; k < cells.size(); ++k) {
        char id[48];
        std::snprintf(id, sizeof id, "%s-%s%02zu", town.c_str(), prefix.c_str(), k);
        out.push_back({town, id, 1, id, id, geos.to_ewkb_hex(cells[k].get(), 4490)});
    }
    return out;
}

/// n_towns towns of about grids_per_town grids each over [x0, x1] × [y0, y1].
inline SyntheticProvince synthetic_province(std::size_t n_towns, std::size_t grids_per_town, double x0, double y0, double x1,
                                            double y1, std::uint64_t seed = 14) {
    const geo::Geos geos;
    std::mt19937_64 rng(seed);
    auto area = geos.box(x0, y0, x1, y1);
    const auto towns = geo::voronoi_partition(geos, area.get(), synthetic_seeds(geos, area.get(), n_towns, rng));
    SyntheticProvince p;
    for (std::size_t t = 0; t < towns.size(); ++t) {
        const auto code = synthetic_town_code(t);
        p.towns.push_back({code, geos.to_ewkb_hex(towns[t].get(), 4490)});
        for (auto& g : synthetic_town_grids(geos, code, towns[t].get(), grids_per_town, seed * 1000003 + t)) p.grids.push_back(std::move(g));
    }
    return p;
}

}  // namespace wangge::test
