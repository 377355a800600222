#include "geo/grid_index.hpp"

#include "core/error.hpp"
#include "geo/crs.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>
#include <numbers>

namespace wangge::geo {

namespace {

constexpr int k_raster_size = 2048;         // cells per side (a power of two: quadtree build)
constexpr std::uint16_t k_exact = 0;         // test this point exactly
constexpr std::uint16_t k_far_town = 0x8000; // | town index: farther than nearest_m from every grid
constexpr std::uint16_t k_far_unknown = 0xFFFF;  // far, but the nearest town needs the exact test

using Box = std::array<double, 4>;  // xmin, ymin, xmax, ymax

bool boxes_meet(const Box& a, const Box& b) { return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]; }

Box grow(const Box& b, double dx, double dy) { return {b[0] - dx, b[1] - dy, b[2] + dx, b[3] + dy}; }

Box bounds_of(const Geos& geos, const GEOSGeometry* g) {
    auto env = geos.envelope(g);
    Box b{std::numeric_limits<double>::max(), std::numeric_limits<double>::max(), -std::numeric_limits<double>::max(),
          -std::numeric_limits<double>::max()};
    if (geos.type_name(env.get()) == "Point") {
        const auto p = geos.point_xy(env.get());
        return {p.x, p.y, p.x, p.y};
    }
    for (const auto& p : geos.exterior_ring(env.get()))
        b = {std::min(b[0], p.x), std::min(b[1], p.y), std::max(b[2], p.x), std::max(b[3], p.y)};
    return b;
}

// Metres per degree at a latitude, on the GRS80/CGCS2000 ellipsoid: only used to turn the
// metre tolerances into conservative degree margins for the raster.
double metres_per_degree_lon(double lat) {
    const double a = 6378137.0, e2 = 0.00669438002290;
    const double phi = lat * std::numbers::pi / 180;
    return std::numbers::pi / 180 * a * std::cos(phi) / std::sqrt(1 - e2 * std::sin(phi) * std::sin(phi));
}
constexpr double k_min_metres_per_degree_lat = 110574.0;  // at the equator, the smallest

}  // namespace

std::string_view assign_method_name(AssignMethod m) noexcept {
    switch (m) {
    case AssignMethod::contains: return "contains";
    case AssignMethod::boundary: return "boundary";
    case AssignMethod::nearest: return "nearest";
    case AssignMethod::none: return "none";
    }
    return "none";
}

struct GridIndex::Impl {
    Geos geos;  // the build context; queries use one per thread
    std::vector<GeomPtr> lonlat;
    std::vector<PreparedPtr> prepared;  // after `lonlat`: destroyed before its bases
    std::vector<GeomPtr> metric;        // EPSG:4549, for distances in metres
    std::vector<PreparedPtr> metric_prepared;
    std::vector<Box> bbox;
    std::vector<std::size_t> grid_town;
    std::vector<GeomPtr> town_metric;
    std::vector<PreparedPtr> town_prepared;
    std::vector<std::size_t> id_rank;  // rank of each grid's id in sort order: "smallest id" ties

    double x0 = 0, y0 = 0, cell = 1, inv_cell = 1;
    double tol_dx = 0, tol_dy = 0;  // boundary tolerance as degrees (conservative)
    double tol_deg = 0;             // max(tol_dx, tol_dy): a Euclidean radius in degrees
    double far_dx = 0, far_dy = 0;  // nearest radius as degrees (conservative)
    double far_deg = 0;             // max(far_dx, far_dy)
    std::vector<std::uint16_t> raster;
};

GridIndex::~GridIndex() = default;

std::shared_ptr<const GridIndex> GridIndex::build(std::vector<GridShape> grids, std::vector<TownShape> towns,
                                                  AssignRules rules) {
    const auto started = std::chrono::steady_clock::now();
    if (grids.empty()) throw Error(ErrorCode::unprocessable, "no grids to index");
    std::shared_ptr<GridIndex> index(new GridIndex());
    index->m_rules = rules;
    index->m_impl = std::make_unique<Impl>();
    auto& im = *index->m_impl;
    const Geos& geos = im.geos;
    const Transformer to_metric("EPSG:4490", "EPSG:4549");
    auto metric_of = [&](const GEOSGeometry* g) { return to_metric.forward(geos, g); };

    for (const auto& t : towns) {
        index->m_town_codes.push_back(t.town);
        auto g = geos.from_wkb_hex(t.wkb_hex);
        im.town_metric.push_back(metric_of(g.get()));
    }
    double max_lat = -90;
    Box all{1e9, 1e9, -1e9, -1e9};
    for (const auto& shape : grids) {
        auto g = geos.from_wkb_hex(shape.wkb_hex);
        const Box b = bounds_of(geos, g.get());
        all = {std::min(all[0], b[0]), std::min(all[1], b[1]), std::max(all[2], b[2]), std::max(all[3], b[3])};
        max_lat = std::max(max_lat, std::abs(b[3]));
        im.bbox.push_back(b);
        im.metric.push_back(metric_of(g.get()));
        auto town = std::find(index->m_town_codes.begin(), index->m_town_codes.end(), shape.town);
        if (town == index->m_town_codes.end()) {
            // A grid without a town boundary still routes to its own town.
            index->m_town_codes.push_back(shape.town);
            im.town_metric.push_back(geos.clone(im.metric.back().get()));
            town = index->m_town_codes.end() - 1;
        }
        im.grid_town.push_back(static_cast<std::size_t>(town - index->m_town_codes.begin()));
        im.lonlat.push_back(std::move(g));
    }
    // Prepared geometries index themselves lazily: warm every predicate up before
    // threads share them.
    const auto origin = geos.point({0, 0});
    for (const auto& g : im.lonlat) {
        im.prepared.push_back(geos.prepare(g.get()));
        geos.prepared_covers(im.prepared.back().get(), origin.get());
        geos.prepared_intersects(im.prepared.back().get(), origin.get());
        geos.prepared_distance_within(im.prepared.back().get(), origin.get(), 1.0);
    }
    for (const auto& g : im.metric) {
        im.metric_prepared.push_back(geos.prepare(g.get()));
        geos.prepared_distance(im.metric_prepared.back().get(), origin.get());
    }
    for (const auto& t : im.town_metric) {
        im.town_prepared.push_back(geos.prepare(t.get()));
        geos.prepared_distance(im.town_prepared.back().get(), origin.get());
    }
    std::vector<std::size_t> order(grids.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return grids[a].id < grids[b].id; });
    im.id_rank.resize(grids.size());
    for (std::size_t r = 0; r < order.size(); ++r) im.id_rank[order[r]] = r;
    index->m_grids = std::move(grids);

    // Degree margins that are never smaller than the metre rules they stand for.
    const double m_lon = metres_per_degree_lon(std::min(max_lat + 1.0, 89.0));
    im.tol_dx = 2 * rules.boundary_m / m_lon;
    im.tol_dy = 2 * rules.boundary_m / k_min_metres_per_degree_lat;
    im.tol_deg = std::max(im.tol_dx, im.tol_dy);
    im.far_dx = 1.05 * rules.nearest_m / m_lon;
    im.far_dy = 1.05 * rules.nearest_m / k_min_metres_per_degree_lat;

    im.far_deg = std::max(im.far_dx, im.far_dy);
    const Box extent = grow(all, 2 * im.far_dx, 2 * im.far_dy);
    im.cell = std::max(extent[2] - extent[0], extent[3] - extent[1]) / k_raster_size;
    im.inv_cell = 1.0 / im.cell;
    im.x0 = extent[0];
    im.y0 = extent[1];
    im.raster.assign(static_cast<std::size_t>(k_raster_size) * k_raster_size, k_exact);

    auto box_of = [&](int ix, int iy, int size) {
        return Box{im.x0 + ix * im.cell, im.y0 + iy * im.cell, im.x0 + (ix + size) * im.cell, im.y0 + (iy + size) * im.cell};
    };
    auto paint = [&](int ix, int iy, int size, std::uint16_t code) {
        for (int y = iy; y < iy + size; ++y)
            std::fill_n(im.raster.begin() + static_cast<std::ptrdiff_t>(y) * k_raster_size + ix, size, code);
    };
    auto polygon_of = [&](const Box& b) { return geos.box(b[0], b[1], b[2], b[3]); };

    // Metric bounding boxes of the towns: cheap lower bounds on distances.
    std::vector<Box> town_box_m;
    for (const auto& t : im.town_metric) town_box_m.push_back(bounds_of(geos, t.get()));
    auto box_gap = [](const Box& a, const Box& b) {
        const double dx = std::max({0.0, a[0] - b[2], b[0] - a[2]});
        const double dy = std::max({0.0, a[1] - b[3], b[1] - a[3]});
        return std::hypot(dx, dy);
    };

    // The nearest town of every point in a far box, when one town is nearer for all of
    // them (its farthest distance beats every other town's nearest); else nullopt.
    // Exact distances only where the bounding-box bounds cannot decide.
    auto nearest_town_of_box = [&](const Box& b) -> std::optional<std::size_t> {
        std::vector<XY> corners;
        for (const XY c : {XY{b[0], b[1]}, XY{b[2], b[1]}, XY{b[2], b[3]}, XY{b[0], b[3]}}) corners.push_back(to_metric.forward(c));
        const XY centre = to_metric.forward({(b[0] + b[2]) / 2, (b[1] + b[3]) / 2});
        double half_diag = 0;
        Box bm{centre.x, centre.y, centre.x, centre.y};
        for (const auto& c : corners) {
            half_diag = std::max(half_diag, std::hypot(c.x - centre.x, c.y - centre.y));
            bm = {std::min(bm[0], c.x), std::min(bm[1], c.y), std::max(bm[2], c.x), std::max(bm[3], c.y)};
        }
        const std::size_t n = im.town_prepared.size();
        std::vector<double> lower(n);
        std::vector<std::size_t> by_bound(n);
        for (std::size_t t = 0; t < n; ++t) lower[t] = box_gap(bm, town_box_m[t]) - 1.0, by_bound[t] = t;
        std::sort(by_bound.begin(), by_bound.end(), [&](auto x, auto y) { return lower[x] < lower[y]; });
        auto centre_m = geos.point(centre);
        std::size_t best = by_bound.front();
        double best_max = std::numeric_limits<double>::max();
        for (auto t : by_bound) {
            if (lower[t] > best_max) break;
            const double dmax = geos.prepared_distance(im.town_prepared[t].get(), centre_m.get()) + half_diag + 1.0;
            if (dmax < best_max) best_max = dmax, best = t;
        }
        geo::GeomPtr box_m;
        for (auto t : by_bound) {
            if (t == best || lower[t] > best_max) continue;
            if (!box_m) box_m = geos.polygon(corners);
            if (geos.prepared_distance(im.town_prepared[t].get(), box_m.get()) - 1.0 <= best_max) return std::nullopt;
        }
        return best;
    };

    std::size_t exact_cells = 0;
    auto classify = [&](auto&& self, int ix, int iy, int size, const std::vector<std::uint32_t>& near_far,
                        bool known_far) -> void {
        const Box b = box_of(ix, iy, size);
        std::vector<std::uint32_t> within_far;
        if (!known_far) {
            const Box fb = grow(b, im.far_dx, im.far_dy);
            auto fpoly = polygon_of(fb);
            for (auto g : near_far)
                if (boxes_meet(im.bbox[g], fb) && geos.prepared_intersects(im.prepared[g].get(), fpoly.get()))
                    within_far.push_back(g);
        }
        if (known_far || within_far.empty()) {
            if (auto town = nearest_town_of_box(b)) return paint(ix, iy, size, static_cast<std::uint16_t>(k_far_town | *town));
            if (size == 1) return paint(ix, iy, size, k_far_unknown);
            const int h = size / 2;
            for (auto [dx, dy] : {std::pair{0, 0}, {h, 0}, {0, h}, {h, h}}) self(self, ix + dx, iy + dy, h, near_far, true);
            return;
        }
        const Box tb = grow(b, im.tol_dx, im.tol_dy);
        auto tpoly = polygon_of(tb);
        std::vector<std::uint32_t> touching;
        for (auto g : within_far)
            if (boxes_meet(im.bbox[g], tb) && geos.prepared_intersects(im.prepared[g].get(), tpoly.get())) touching.push_back(g);
        if (touching.size() == 1 && geos.prepared_contains_properly(im.prepared[touching[0]].get(), tpoly.get()))
            return paint(ix, iy, size, static_cast<std::uint16_t>(touching[0] + 1));
        if (size == 1) {
            ++exact_cells;
            return paint(ix, iy, size, k_exact);
        }
        const int h = size / 2;
        for (auto [dx, dy] : {std::pair{0, 0}, {h, 0}, {0, h}, {h, h}}) self(self, ix + dx, iy + dy, h, within_far, false);
    };
    if (index->m_grids.size() >= k_far_town - 1) throw Error(ErrorCode::unprocessable, "too many grids for one index");
    std::vector<std::uint32_t> all_grids(index->m_grids.size());
    for (std::uint32_t i = 0; i < all_grids.size(); ++i) all_grids[i] = i;
    classify(classify, 0, 0, k_raster_size, all_grids, false);

    index->m_stats.raster_cells = im.raster.size();
    index->m_stats.exact_cells = exact_cells;
    index->m_stats.cell_deg = im.cell;
    index->m_stats.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return index;
}

Assignment GridIndex::assign(double lon, double lat) const {
    const auto& im = *m_impl;
    const double fx = (lon - im.x0) * im.inv_cell, fy = (lat - im.y0) * im.inv_cell;
    if (fx >= 0 && fy >= 0 && fx < k_raster_size && fy < k_raster_size) {
        const auto code = im.raster[static_cast<std::size_t>(fy) * k_raster_size + static_cast<std::size_t>(fx)];
        if (code != k_exact && code != k_far_unknown) {
            if (code & k_far_town) return {AssignMethod::none, std::nullopt, static_cast<std::size_t>(code & 0x7FFF), 0};
            const std::size_t g = code - 1u;
            return {AssignMethod::contains, g, im.grid_town[g], 0};
        }
    }
    return assign_exact(lon, lat);
}

Assignment GridIndex::assign_exact(double lon, double lat) const {
    const auto& im = *m_impl;
    thread_local const Geos geos;
    thread_local const Transformer to_metric("EPSG:4490", "EPSG:4549");
    auto pt = geos.point({lon, lat});

    std::vector<std::size_t> candidates, covering, close;
    const Box p{lon, lat, lon, lat};
    for (std::size_t g = 0; g < im.bbox.size(); ++g) {
        if (!boxes_meet(im.bbox[g], grow(p, im.far_dx, im.far_dy))) continue;
        candidates.push_back(g);
        if (geos.prepared_covers(im.prepared[g].get(), pt.get())) covering.push_back(g);
        // Within the tolerance in degrees (conservatively wide) before any metric work.
        else if (boxes_meet(im.bbox[g], grow(p, im.tol_dx, im.tol_dy)) &&
                 geos.prepared_distance_within(im.prepared[g].get(), pt.get(), im.tol_deg))
            close.push_back(g);
    }
    auto smallest_id = [&](const std::vector<std::size_t>& gs) {
        return *std::min_element(gs.begin(), gs.end(), [&](auto a, auto b) { return im.id_rank[a] < im.id_rank[b]; });
    };
    if (covering.size() >= 2) {
        const auto g = smallest_id(covering);
        return {AssignMethod::boundary, g, im.grid_town[g], 0};
    }
    if (covering.size() == 1 && close.empty()) return {AssignMethod::contains, covering[0], im.grid_town[covering[0]], 0};

    const XY m = to_metric.forward({lon, lat});
    auto pm = geos.point(m);
    if (covering.size() == 1) {
        std::vector<std::size_t> on_edge = covering;
        for (auto g : close)
            if (geos.prepared_distance(im.metric_prepared[g].get(), pm.get()) <= m_rules.boundary_m) on_edge.push_back(g);
        const auto g = smallest_id(on_edge);
        if (on_edge.size() == 1) return {AssignMethod::contains, g, im.grid_town[g], 0};
        return {AssignMethod::boundary, g, im.grid_town[g], geos.prepared_distance(im.metric_prepared[g].get(), pm.get())};
    }

    // Outside every grid.
    std::vector<std::size_t> on_edge;
    std::optional<std::size_t> nearest;
    double nearest_d = std::numeric_limits<double>::max();
    for (auto g : candidates) {
        // Farther than the nearest radius even in (conservatively wide) degrees: skip the metric work.
        if (!geos.prepared_distance_within(im.prepared[g].get(), pt.get(), im.far_deg)) continue;
        const double d = geos.prepared_distance(im.metric_prepared[g].get(), pm.get());
        if (d <= m_rules.boundary_m) on_edge.push_back(g);
        if (d < nearest_d || (d == nearest_d && nearest && im.id_rank[g] < im.id_rank[*nearest])) {
            nearest_d = d;
            nearest = g;
        }
    }
    if (on_edge.size() >= 2) {
        const auto g = smallest_id(on_edge);
        return {AssignMethod::boundary, g, im.grid_town[g], geos.prepared_distance(im.metric_prepared[g].get(), pm.get())};
    }
    if (nearest && nearest_d <= m_rules.nearest_m) return {AssignMethod::nearest, *nearest, im.grid_town[*nearest], nearest_d};

    // 属地兜底: the command room of the nearest town takes it. A town is the union of
    // its grids, so the nearest grid's town is the nearest town when one is in reach.
    if (nearest) return {AssignMethod::none, std::nullopt, im.grid_town[*nearest], 0};
    std::size_t town = 0;
    double town_d = std::numeric_limits<double>::max();
    for (std::size_t t = 0; t < im.town_prepared.size(); ++t) {
        const double d = geos.prepared_distance(im.town_prepared[t].get(), pm.get());
        if (d < town_d) town_d = d, town = t;
    }
    return {AssignMethod::none, std::nullopt, town, 0};
}

}  // namespace wangge::geo
