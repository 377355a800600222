#include "geo/grid_index.hpp"

#include "core/error.hpp"
#include "geo/crs.hpp"

#include <geos_c.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <numbers>
#include <set>
#include <thread>
#include <unordered_map>

namespace wangge::geo {

namespace {

using Box = std::array<double, 4>;  // xmin, ymin, xmax, ymax

bool boxes_meet(const Box& a, const Box& b) { return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3]; }

Box grow(const Box& b, double dx, double dy) { return {b[0] - dx, b[1] - dy, b[2] + dx, b[3] + dy}; }

Box unite(const Box& a, const Box& b) {
    return {std::min(a[0], b[0]), std::min(a[1], b[1]), std::max(a[2], b[2]), std::max(a[3], b[3])};
}

constexpr Box k_no_box{std::numeric_limits<double>::max(), std::numeric_limits<double>::max(),
                       -std::numeric_limits<double>::max(), -std::numeric_limits<double>::max()};

Box bounds_of(const Geos& geos, const GEOSGeometry* g) {
    Box b{};
    const auto h = geos.handle();
    if (GEOSGeom_getXMin_r(h, g, &b[0]) != 1 || GEOSGeom_getYMin_r(h, g, &b[1]) != 1 || GEOSGeom_getXMax_r(h, g, &b[2]) != 1 ||
        GEOSGeom_getYMax_r(h, g, &b[3]) != 1)
        return k_no_box;  // empty: meets nothing
    return b;
}

// Two independent 64-bit hashes of an outline's WKB: a rebuild keeps an outline whose
// WKB hashes alike, and 128 bits make a false match out of the question.
using WkbHash = std::pair<std::size_t, std::uint64_t>;
WkbHash hash_wkb(const std::string& wkb) {
    std::uint64_t fnv = 1469598103934665603ull;
    for (unsigned char c : wkb) fnv = (fnv ^ c) * 1099511628211ull;
    return {std::hash<std::string>{}(wkb), fnv};
}

// Metres per degree at a latitude, on the GRS80/CGCS2000 ellipsoid: only used to turn the
// metre tolerances into conservative degree margins.
double metres_per_degree_lon(double lat) {
    const double a = 6378137.0, e2 = 0.00669438002290;
    const double phi = lat * std::numbers::pi / 180;
    return std::numbers::pi / 180 * a * std::cos(phi) / std::sqrt(1 - e2 * std::sin(phi) * std::sin(phi));
}
constexpr double k_min_metres_per_degree_lat = 110574.0;  // at the equator, the smallest

// Exact distances can round below a bounding-box bound by far less than this.
constexpr double k_bound_slack_m = 1.0;

// Finest quadtree cell. Memory grows as 1/size (cells along the grids' edges), and
// points in the finest cells along edges pay one or two GEOS tests.
constexpr double k_leaf_m = 30;
// Clear leaves are no smaller than this many finest cells a side (~0.25 km).
constexpr std::uint32_t k_clear_cells = 8;

// Degree stand-ins for the metre rules, never smaller than what they stand for. They are
// part of the exact path's definition (candidate filters), so every index of one
// province uses the same: they depend on the northernmost grid only.
struct Margins {
    double tol_dx = 0, tol_dy = 0, tol_deg = 0;
    double far_dx = 0, far_dy = 0, far_deg = 0;
    bool operator==(const Margins&) const = default;
    // What the quadtrees and the directory grow their boxes by: a hair wider than the
    // radii of the exact tests, so rounding in a box's corners never hides a grid.
    double tol_r() const { return tol_deg * 1.001; }
    double far_r() const { return far_deg * 1.001; }
};

Margins margins_for(const AssignRules& rules, double max_lat) {
    Margins m;
    const double m_lon = metres_per_degree_lon(std::min(max_lat + 1.0, 89.0));
    m.tol_dx = 2 * rules.boundary_m / m_lon;
    m.tol_dy = 2 * rules.boundary_m / k_min_metres_per_degree_lat;
    m.tol_deg = std::max(m.tol_dx, m.tol_dy);
    m.far_dx = 1.05 * rules.nearest_m / m_lon;
    m.far_dy = 1.05 * rules.nearest_m / k_min_metres_per_degree_lat;
    m.far_deg = std::max(m.far_dx, m.far_dy);
    return m;
}

// A GEOS context and a PROJ transformation are not thread-safe: one of each per thread.
const Geos& thread_geos() {
    thread_local const Geos geos;
    return geos;
}
const Transformer& thread_to_metric() {
    thread_local const Transformer t("EPSG:4490", "EPSG:4549");
    return t;
}

// fn(i) for i in [0, n) on one thread per core; the first exception is rethrown.
void parallel_for(std::size_t n, const std::function<void(std::size_t)>& fn) {
    if (n == 0) return;
    const std::size_t threads = std::min<std::size_t>(n, std::max(1u, std::thread::hardware_concurrency()));
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex error_mutex;
    auto work = [&] {
        try {
            for (std::size_t i; (i = next++) < n;) fn(i);
        } catch (...) {
            std::lock_guard lock(error_mutex);
            if (!error) error = std::current_exception();
            next = n;
        }
    };
    std::vector<std::thread> pool;
    for (std::size_t k = 1; k < threads; ++k) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
}

// Prepared geometries build their indexes lazily, each on the first query that needs it,
// and unguarded: every one the queries use must be built before threads share them. The
// point-in-area index is built only by a point inside the envelope (a point outside it
// stops at the envelope test: the warm-up at 0,0 before issue 14 built none), the facet
// distance index only by a geometry that does not intersect (distance() answers 0 for one
// that does), the segment intersection index only by a non-point geometry.
void warm_up(const Geos& geos, const GEOSPreparedGeometry* p, const Box& b, bool polygons) {
    if (b == k_no_box) return;
    const double w = b[2] - b[0] + 1, h = b[3] - b[1] + 1;
    const auto inside = geos.point({(b[0] + b[2]) / 2, (b[1] + b[3]) / 2});
    const auto outside = geos.point({b[2] + w, b[3] + h});
    for (const auto* q : {inside.get(), outside.get()}) {
        geos.prepared_covers(p, q);
        geos.prepared_intersects(p, q);
        geos.prepared_distance(p, q);
        geos.prepared_distance_within(p, q, 1.0);
    }
    if (polygons) {
        const auto box = geos.box(b[2] + w, b[3] + h, b[2] + 2 * w, b[3] + 2 * h);
        geos.prepared_intersects(p, box.get());
        geos.prepared_distance(p, box.get());
    }
}

struct GridGeom {
    Box bbox{};
    GeomPtr lonlat;
    PreparedPtr prepared;  // after `lonlat`: destroyed before its base
    GeomPtr metric;        // EPSG:4549, for distances in metres
    PreparedPtr metric_prepared;
};

// A town's grids parsed, projected and prepared once, shared by every index that keeps
// the town (and by its quadtree when the margins change).
struct TownGrids {
    std::vector<GridGeom> grids;  // in input order
    Box extent = k_no_box;
    double max_abs_lat = -90;
    double area_deg2 = 0;
};

std::shared_ptr<const TownGrids> parse_town(const std::vector<GridShape>& shapes) {
    const Geos& geos = thread_geos();
    const Transformer& to_metric = thread_to_metric();
    auto tg = std::make_shared<TownGrids>();
    for (const auto& shape : shapes) {
        GridGeom gg;
        gg.lonlat = geos.from_wkb_hex(shape.wkb_hex);
        gg.bbox = bounds_of(geos, gg.lonlat.get());
        if (gg.bbox != k_no_box) tg->extent = unite(tg->extent, gg.bbox), tg->max_abs_lat = std::max(tg->max_abs_lat, std::abs(gg.bbox[3]));
        tg->area_deg2 += geos.area(gg.lonlat.get());
        gg.metric = to_metric.forward(geos, gg.lonlat.get());
        gg.prepared = geos.prepare(gg.lonlat.get());
        warm_up(geos, gg.prepared.get(), gg.bbox, false);
        gg.metric_prepared = geos.prepare(gg.metric.get());
        warm_up(geos, gg.metric_prepared.get(), bounds_of(geos, gg.metric.get()), false);
        tg->grids.push_back(std::move(gg));
    }
    return tg;
}

// Quadtree node codes. Leaves:
constexpr std::uint32_t k_far = 0;    // no grid of the town within the nearest radius
constexpr std::uint32_t k_clear = 1;  // none within the tolerance (but maybe within the radius)
// 2 + 2g: inside grid g, no other grid of the town within the tolerance;
// 3 + 2s: leaf set s, the grids of the town that may be within the tolerance.
// Inner nodes: k_inner | index of the first of four children (y bit, x bit).
constexpr std::uint32_t k_inner = 0x80000000u;
bool is_inside(std::uint32_t code) { return code >= 2 && (code & 1) == 0; }

struct Quadtree {
    double x0 = 0, y0 = 0, leaf = 1, inv_leaf = 1;
    int depth = 0;
    std::uint32_t side = 1;  // leaf cells per side: 1 << depth
    // The nodes in 32 bits while building; in 16 when the town's tree fits (most do), which
    // halves its memory and the cache lines a lookup touches: inner nodes then hold the
    // index of their group of four children (k_inner16 | (first - 1) / 4).
    std::vector<std::uint32_t> nodes{k_far};
    std::vector<std::uint16_t> nodes16;
    std::vector<std::uint32_t> set_start{0};  // leaf set s: set_items[set_start[s] .. set_start[s + 1])
    std::vector<std::uint32_t> set_items;     // local grid indices
    double exact_area = 0;                    // deg², of the leaf-set cells
    std::size_t node_count = 1;

    static constexpr std::uint16_t k_inner16 = 0x8000u;

    // Node i in the 32-bit form.
    std::uint32_t node(std::size_t i) const {
        if (nodes16.empty()) return nodes[i];
        const std::uint32_t v = nodes16[i];
        return (v & k_inner16) ? k_inner | (1 + 4 * (v & ~std::uint32_t{k_inner16})) : v;
    }

    void compact() {
        node_count = nodes.size();
        std::uint32_t max_leaf = 0;
        for (auto v : nodes)
            if (!(v & k_inner)) max_leaf = std::max(max_leaf, v);
        if (max_leaf >= k_inner16 || (nodes.size() - 1) / 4 >= k_inner16) return;
        nodes16.resize(nodes.size());
        for (std::size_t i = 0; i < nodes.size(); ++i)
            nodes16[i] = static_cast<std::uint16_t>((nodes[i] & k_inner) ? k_inner16 | (((nodes[i] & ~k_inner) - 1) / 4) : nodes[i]);
        std::vector<std::uint32_t>().swap(nodes);
    }

    std::size_t bytes() const {
        return sizeof(*this) + nodes.capacity() * sizeof(std::uint32_t) + nodes16.capacity() * sizeof(std::uint16_t) +
               (set_start.capacity() + set_items.capacity()) * sizeof(std::uint32_t);
    }
};

struct Segment {
    double x1, y1, x2, y2;
    std::uint32_t grid;
};

// Whether the segment meets the closed box. Rounding here only matters within ~1e-13°
// of the box, far inside the margin the boxes are grown by.
bool segment_meets_box(const Segment& s, const Box& b) {
    if (std::max(s.x1, s.x2) < b[0] || std::min(s.x1, s.x2) > b[2] || std::max(s.y1, s.y2) < b[1] || std::min(s.y1, s.y2) > b[3])
        return false;
    const double dx = s.x2 - s.x1, dy = s.y2 - s.y1;
    auto side = [&](double x, double y) { return dx * (y - s.y1) - dy * (x - s.x1); };
    const double c0 = side(b[0], b[1]), c1 = side(b[2], b[1]), c2 = side(b[2], b[3]), c3 = side(b[0], b[3]);
    return !((c0 > 0 && c1 > 0 && c2 > 0 && c3 > 0) || (c0 < 0 && c1 < 0 && c2 < 0 && c3 < 0));
}

// Appends the edges of g's rings; false when g has a part without area (a line, a point),
// which never contains a box.
bool collect_segments(GEOSContextHandle_t h, const GEOSGeometry* g, std::uint32_t grid, std::vector<Segment>& out) {
    auto sequence = [&](const GEOSGeometry* line) {
        const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(h, line);
        unsigned n = 0;
        if (seq == nullptr || GEOSCoordSeq_getSize_r(h, seq, &n) != 1) throw Error(ErrorCode::internal, "grid index: unreadable ring");
        double px = 0, py = 0;
        for (unsigned i = 0; i < n; ++i) {
            double x = 0, y = 0;
            GEOSCoordSeq_getXY_r(h, seq, i, &x, &y);
            if (i > 0 || n == 1) out.push_back({i > 0 ? px : x, i > 0 ? py : y, x, y, grid});
            px = x, py = y;
        }
    };
    switch (GEOSGeomTypeId_r(h, g)) {
    case GEOS_POLYGON:
        if (GEOSisEmpty_r(h, g) == 1) return true;
        sequence(GEOSGetExteriorRing_r(h, g));
        for (int i = 0, n = GEOSGetNumInteriorRings_r(h, g); i < n; ++i) sequence(GEOSGetInteriorRingN_r(h, g, i));
        return true;
    case GEOS_POINT:
    case GEOS_LINESTRING:
    case GEOS_LINEARRING:
        if (GEOSisEmpty_r(h, g) != 1) sequence(g);
        return false;
    default: {
        bool areal = true;
        for (int i = 0, n = GEOSGetNumGeometries_r(h, g); i < n; ++i)
            areal = collect_segments(h, GEOSGetGeometryN_r(h, g, i), grid, out) && areal;
        return areal;
    }
    }
}

// One town's quadtree, top-down over the grids' edges: a node keeps the edges that meet
// its box grown by the tolerance; a grid whose edges all leave the box either contains
// it or is clear of it (one point-in-polygon test decides), and so are all its children.
// The test point is at least half a cell from every edge of the grid, so the even-odd
// rule agrees with GEOS there.
class TreeBuilder {
public:
    TreeBuilder(const TownGrids& tg, const Margins& mg, Quadtree& tree) : m_tg(tg), m_mg(mg), m_t(tree) {
        const Geos& geos = thread_geos();
        for (std::uint32_t g = 0; g < tg.grids.size(); ++g) {
            m_first_seg.push_back(static_cast<std::uint32_t>(m_segs.size()));
            m_areal.push_back(collect_segments(geos.handle(), tg.grids[g].lonlat.get(), g, m_segs));
        }
        m_first_seg.push_back(static_cast<std::uint32_t>(m_segs.size()));
    }

    void run() {
        m_t.nodes.assign(1, k_far);
        if (m_tg.extent == k_no_box) return;
        const double pad = m_mg.far_r() * 1.01;
        const Box root = grow(m_tg.extent, pad, pad);
        const double size = std::max(root[2] - root[0], root[3] - root[1]);
        const double target = k_leaf_m / metres_per_degree_lon(m_tg.max_abs_lat);
        m_t.depth = std::clamp(static_cast<int>(std::ceil(std::log2(size / target))), 0, 24);
        m_t.side = 1u << m_t.depth;
        m_t.leaf = size / m_t.side;
        m_t.inv_leaf = 1 / m_t.leaf;
        m_t.x0 = root[0];
        m_t.y0 = root[1];
        m_levels.resize(static_cast<std::size_t>(m_t.depth) + 2);
        State& all = m_levels[0];
        for (std::uint32_t g = 0; g < m_tg.grids.size(); ++g) all.near.push_back(g), all.crossing.push_back(g);
        for (std::uint32_t i = 0; i < m_segs.size(); ++i) all.segs.push_back(i);
        fill(0, 0, 0, m_t.side, 0);
        m_t.compact();
        m_t.nodes.shrink_to_fit();
        m_t.set_items.shrink_to_fit();
        m_t.set_start.shrink_to_fit();
    }

private:
    struct State {
        std::vector<std::uint32_t> near;      // grids whose bbox meets the box grown by the radius
        std::vector<std::uint32_t> segs;      // edges meeting the box grown by the tolerance
        std::vector<std::uint32_t> crossing;  // their grids, sorted
        std::vector<std::uint32_t> inside;    // grids containing the grown box
    };

    Box box_of(std::uint32_t ix, std::uint32_t iy, std::uint32_t size) const {
        return {m_t.x0 + ix * m_t.leaf, m_t.y0 + iy * m_t.leaf, m_t.x0 + (ix + size) * m_t.leaf, m_t.y0 + (iy + size) * m_t.leaf};
    }

    bool contains_point(std::uint32_t g, double px, double py) const {
        if (!m_areal[g]) return false;
        bool in = false;
        for (std::uint32_t i = m_first_seg[g]; i < m_first_seg[g + 1]; ++i) {
            const Segment& s = m_segs[i];
            if ((s.y1 > py) != (s.y2 > py) && px < s.x1 + (py - s.y1) * (s.x2 - s.x1) / (s.y2 - s.y1)) in = !in;
        }
        return in;
    }

    std::uint32_t set_of(std::vector<std::uint32_t>& grids) {
        std::sort(grids.begin(), grids.end());
        auto [it, fresh] = m_set_ids.try_emplace(grids, static_cast<std::uint32_t>(m_t.set_start.size() - 1));
        if (fresh) {
            m_t.set_items.insert(m_t.set_items.end(), grids.begin(), grids.end());
            m_t.set_start.push_back(static_cast<std::uint32_t>(m_t.set_items.size()));
        }
        return it->second;
    }

    // The node at `slot` from its parent's state in m_levels[level]; its own goes to level + 1.
    void fill(std::size_t slot, std::uint32_t ix, std::uint32_t iy, std::uint32_t size, std::size_t level) {
        const State& parent = m_levels[level];
        State& s = m_levels[level + 1];
        s.near.clear(), s.segs.clear(), s.crossing.clear(), s.inside.clear();
        const Box b = box_of(ix, iy, size);
        const Box fb = grow(b, m_mg.far_r(), m_mg.far_r()), tb = grow(b, m_mg.tol_r(), m_mg.tol_r());
        for (auto g : parent.near)
            if (boxes_meet(m_tg.grids[g].bbox, fb)) s.near.push_back(g);
        if (s.near.empty()) {
            m_t.nodes[slot] = k_far;
            return;
        }
        for (auto i : parent.segs)
            if (segment_meets_box(m_segs[i], tb)) {
                s.segs.push_back(i);
                if (s.crossing.empty() || s.crossing.back() != m_segs[i].grid) s.crossing.push_back(m_segs[i].grid);
            }
        // Edges are stored grid by grid, so `crossing` is sorted already.
        s.inside = parent.inside;
        for (auto g : parent.crossing)
            if (!std::binary_search(s.crossing.begin(), s.crossing.end(), g) && contains_point(g, (b[0] + b[2]) / 2, (b[1] + b[3]) / 2))
                s.inside.push_back(g);
        // A clear node is split down to k_clear_cells cells so that far parts become
        // far leaves: there a point outside every grid needs no exact test at all.
        if (s.inside.empty() && s.crossing.empty() && size <= k_clear_cells) {
            m_t.nodes[slot] = k_clear;
            return;
        }
        if (s.inside.size() == 1 && s.crossing.empty()) {
            m_t.nodes[slot] = 2 + 2 * s.inside[0];
            return;
        }
        if (size == 1) {
            m_touching.assign(s.inside.begin(), s.inside.end());
            m_touching.insert(m_touching.end(), s.crossing.begin(), s.crossing.end());
            m_t.nodes[slot] = 3 + 2 * set_of(m_touching);
            m_t.exact_area += (b[2] - b[0]) * (b[3] - b[1]);
            return;
        }
        const auto first = static_cast<std::uint32_t>(m_t.nodes.size());
        if (first + 4 >= k_inner) throw Error(ErrorCode::unprocessable, "grid index: a town's quadtree is too large");
        m_t.nodes.resize(first + 4, k_far);
        m_t.nodes[slot] = k_inner | first;
        const std::uint32_t h = size / 2;
        for (std::uint32_t q = 0; q < 4; ++q) fill(first + q, ix + (q & 1u) * h, iy + (q >> 1) * h, h, level + 1);
    }

    const TownGrids& m_tg;
    const Margins& m_mg;
    Quadtree& m_t;
    std::vector<Segment> m_segs;  // grid by grid
    std::vector<std::uint32_t> m_first_seg;
    std::vector<bool> m_areal;
    std::vector<State> m_levels;
    std::vector<std::uint32_t> m_touching;
    std::map<std::vector<std::uint32_t>, std::uint32_t> m_set_ids;
};

// One town's sub-index.
// Directory cells: a lattice of fixed cells (2^-7 degree, ~800 m) anchored at 0°, so a
// town's cells stay the same whoever else is in the index.
constexpr double k_dir_cell_deg = 1.0 / 128;
constexpr double k_dir_margin_deg = 0.05;  // cells past the grids' reach, with their nearest town

constexpr std::uint8_t k_reach = 1;  // some grid of the town within the radius of the cell
constexpr std::uint8_t k_near = 2;   // and maybe within the tolerance

struct Mark {
    std::int64_t ix, iy;  // lattice cell
    std::uint8_t flags;
};

// The directory cells a town's leaves reach, from one walk over its tree.
std::vector<Mark> marks_of(const Quadtree& t, double cell) {
    if (t.node_count == 1 && t.node(0) == k_far) return {};
    // A leaf counts for every cell it touches, with room for rounding.
    constexpr double slack = 1e-9;
    const double inv = 1 / cell;
    const auto lx = static_cast<std::int64_t>(std::floor((t.x0 - slack) * inv));
    const auto ly = static_cast<std::int64_t>(std::floor((t.y0 - slack) * inv));
    const double span = t.leaf * t.side;
    const auto w = static_cast<std::int64_t>(std::floor((t.x0 + span + slack) * inv)) - lx + 1;
    const auto h = static_cast<std::int64_t>(std::floor((t.y0 + span + slack) * inv)) - ly + 1;
    std::vector<std::uint8_t> flags(static_cast<std::size_t>(w * h), 0);
    auto walk = [&](auto&& self, std::uint32_t code, std::uint32_t nx, std::uint32_t ny, std::uint32_t size) -> void {
        if (code & k_inner) {
            const std::uint32_t first = code & ~k_inner, half = size / 2;
            for (std::uint32_t q = 0; q < 4; ++q) self(self, t.node(first + q), nx + (q & 1u) * half, ny + (q >> 1) * half, half);
            return;
        }
        if (code == k_far) return;
        const std::uint8_t f = code == k_clear ? k_reach : k_reach | k_near;
        const double bx0 = t.x0 + nx * t.leaf, by0 = t.y0 + ny * t.leaf;
        const double bx1 = t.x0 + (nx + size) * t.leaf, by1 = t.y0 + (ny + size) * t.leaf;
        const auto cx0 = static_cast<std::int64_t>(std::floor((bx0 - slack) * inv)) - lx;
        const auto cx1 = static_cast<std::int64_t>(std::floor((bx1 + slack) * inv)) - lx;
        const auto cy0 = static_cast<std::int64_t>(std::floor((by0 - slack) * inv)) - ly;
        const auto cy1 = static_cast<std::int64_t>(std::floor((by1 + slack) * inv)) - ly;
        for (auto y = std::max<std::int64_t>(0, cy0); y <= std::min(h - 1, cy1); ++y)
            for (auto x = std::max<std::int64_t>(0, cx0); x <= std::min(w - 1, cx1); ++x) flags[static_cast<std::size_t>(y * w + x)] |= f;
    };
    walk(walk, t.node(0), 0, 0, t.side);
    std::vector<Mark> out;
    for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t x = 0; x < w; ++x)
            if (auto f = flags[static_cast<std::size_t>(y * w + x)]) out.push_back({lx + x, ly + y, f});
    return out;
}

// One town's sub-index.
struct Part {
    std::string town;
    std::shared_ptr<const TownGrids> grids;
    Margins margins;  // the tree's
    Quadtree tree;
    std::vector<Mark> marks;  // for cells of k_dir_cell_deg
};

std::shared_ptr<const Part> make_part(std::string town, std::shared_ptr<const TownGrids> grids, const Margins& mg) {
    auto part = std::make_shared<Part>();
    part->town = std::move(town);
    part->grids = std::move(grids);
    part->margins = mg;
    TreeBuilder(*part->grids, mg, part->tree).run();
    part->marks = marks_of(part->tree, k_dir_cell_deg);
    return part;
}

// What a lookup reads of a town, in one array of the index: no pointer chase to the part.
struct TreeView {
    double x0 = 0, y0 = 0, inv_leaf = 1;
    std::uint32_t side = 1;
    int depth = 0;
    const std::uint16_t* nodes16 = nullptr;  // or
    const std::uint32_t* nodes = nullptr;
    const std::uint32_t* set_start = nullptr;
    const std::uint32_t* set_items = nullptr;
    std::uint32_t first_grid = 0, n_grids = 0;

    TreeView() = default;
    TreeView(const Part& p, std::uint32_t first)
        : x0(p.tree.x0), y0(p.tree.y0), inv_leaf(p.tree.inv_leaf), side(p.tree.side), depth(p.tree.depth),
          nodes16(p.tree.nodes16.empty() ? nullptr : p.tree.nodes16.data()), nodes(p.tree.nodes16.empty() ? p.tree.nodes.data() : nullptr),
          set_start(p.tree.set_start.data()), set_items(p.tree.set_items.data()), first_grid(first),
          n_grids(static_cast<std::uint32_t>(p.grids->grids.size())) {}

    std::uint32_t lookup(double x, double y) const {
        const double fx = (x - x0) * inv_leaf, fy = (y - y0) * inv_leaf;
        // Outside the root, which reaches past the nearest radius of every grid.
        if (!(fx >= 0 && fy >= 0 && fx < side && fy < side)) return k_far;
        const auto ix = static_cast<std::uint32_t>(fx), iy = static_cast<std::uint32_t>(fy);
        auto quadrant = [&](int shift) { return ((iy >> shift) & 1u) << 1 | ((ix >> shift) & 1u); };
        int shift = depth - 1;
        if (nodes16 != nullptr) {
            std::uint32_t code = nodes16[0];
            for (; code & Quadtree::k_inner16; --shift) code = nodes16[1 + 4 * (code & ~std::uint32_t{Quadtree::k_inner16}) + quadrant(shift)];
            return code;
        }
        std::uint32_t code = nodes[0];
        for (; code & k_inner; --shift) code = nodes[(code & ~k_inner) + quadrant(shift)];
        return code;
    }
};

// A town's outline in metres, for the nearest-town fallback.
struct Outline {
    WkbHash wkb_hash{};
    bool from_grid = false;  // a town without an outline: its first grid stands in
    GeomPtr metric;
    PreparedPtr prepared;
    Box box_m{};
    // GEOS 3.11 answers a prepared polygon's query with a line or polygon through a
    // segment intersection finder that keeps the query's state in the prepared polygon
    // (GEOS issue #825; thread-safe only from 3.13): warmed or not, two such queries at
    // once corrupt each other. Box distances to an outline take this lock; point queries
    // (everything assign() asks of a grid, and a point's distance to an outline) stop
    // before that finder and need none.
    mutable std::mutex box_query;
};

std::shared_ptr<const Outline> make_outline(const Geos& geos, GeomPtr metric, WkbHash hash, bool from_grid) {
    auto o = std::make_shared<Outline>();
    o->wkb_hash = hash;
    o->from_grid = from_grid;
    o->metric = std::move(metric);
    o->prepared = geos.prepare(o->metric.get());
    o->box_m = bounds_of(geos, o->metric.get());
    warm_up(geos, o->prepared.get(), o->box_m, true);  // the directory measures boxes to it
    return o;
}

// Lattice cells over the grids' reach: a point's candidate towns.
struct Directory {
    double x0 = 0, y0 = 0, cell = 1, inv_cell = 1;
    std::int64_t ix0 = 0, iy0 = 0;  // lattice cell of the first
    std::uint32_t nx = 0, ny = 0;
    // Towns of cell c: parts[begin(c) .. near_end(c)) may have grids within the tolerance
    // of a point in it, parts[near_end(c) .. end(c)) only within the radius. Both bounds in
    // one entry: one cache line per lookup.
    std::vector<std::array<std::uint32_t, 2>> span{{0, 0}};
    std::vector<std::uint32_t> parts;
    // Per cell without near towns: 1 + the nearest town of all its points, or 0 (not known,
    // or a cell with near towns): the town loop's answer wherever no grid is within the radius.
    std::vector<std::uint32_t> town;
    // The same for the other cells, filled in on first use (0: not yet).
    std::unique_ptr<std::atomic<std::uint32_t>[]> lazy_town;

    std::optional<std::size_t> cell_of(double x, double y) const {
        const double fx = (x - x0) * inv_cell, fy = (y - y0) * inv_cell;
        if (!(fx >= 0 && fy >= 0 && fx < nx && fy < ny)) return std::nullopt;
        return static_cast<std::size_t>(fy) * nx + static_cast<std::size_t>(fx);
    }
    Box box(std::size_t c) const {
        const auto ix = static_cast<double>(c % nx), iy = static_cast<double>(c / nx);
        return {x0 + ix * cell, y0 + iy * cell, x0 + (ix + 1) * cell, y0 + (iy + 1) * cell};
    }
    bool same_cells(const Directory& o) const { return cell == o.cell && ix0 == o.ix0 && iy0 == o.iy0 && nx == o.nx && ny == o.ny; }
    std::uint32_t begin(std::size_t c) const { return span[c][0]; }
    std::uint32_t near_end(std::size_t c) const { return span[c][1]; }
    std::uint32_t end(std::size_t c) const { return span[c + 1][0]; }
    bool empty(std::size_t c) const { return begin(c) == end(c); }
    bool none_near(std::size_t c) const { return begin(c) == near_end(c); }
    std::size_t bytes() const {
        return span.capacity() * sizeof(span[0]) + (parts.capacity() + 2 * town.capacity()) * sizeof(std::uint32_t);
    }
};

// What one rebuild takes from its base or makes anew.
struct PartInput {
    std::string town;
    std::vector<GridShape> shapes;             // wkb_hex needed only when `grids` is null
    std::shared_ptr<const TownGrids> grids;    // parsed already
    std::shared_ptr<const Part> part;          // reusable if its margins still hold
};

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
    Margins mg;
    AssignRules rules;
    const std::vector<GridShape>* shapes = nullptr;  // the owner's grids(): ids for ties
    std::vector<std::shared_ptr<const Part>> parts;
    std::vector<TreeView> views;            // per part
    std::vector<std::uint32_t> part_first;  // global index of each part's first grid
    std::vector<const GridGeom*> geom;      // per global grid
    std::vector<std::uint32_t> grid_town;   // per global grid
    std::vector<std::shared_ptr<const Outline>> outlines;  // per town, as towns()
    Directory dir;

    bool id_less(std::uint32_t a, std::uint32_t b) const {
        const auto& ia = (*shapes)[a].id;
        const auto& ib = (*shapes)[b].id;
        return ia < ib || (ia == ib && a < b);
    }

    std::size_t nearest_town_linear(const Geos& geos, const GEOSGeometry* pm) const;
    std::size_t nearest_town_bounded(const Geos& geos, XY m, const GEOSGeometry* pm) const;
    std::optional<std::size_t> nearest_town_of_box(const Geos& geos, const Transformer& to_metric, const Box& b) const;
    // 1 + the nearest town of every point of directory cell c with no grid within the
    // radius, or 0 when no one town is.
    std::uint32_t cell_town(std::size_t c) const;
    // cell: the point's directory cell, for its nearest town.
    std::optional<Assignment> decide(double lon, double lat, const std::vector<std::uint32_t>& cands, bool complete,
                                     bool linear_towns, std::optional<std::size_t> cell = std::nullopt) const;
    Assignment town_only(double lon, double lat, std::optional<std::size_t> cell) const;
    void build_directory(const Impl* base);
};

// The town loop of the rules: the smallest distance to an outline, the first town on a tie.
std::size_t GridIndex::Impl::nearest_town_linear(const Geos& geos, const GEOSGeometry* pm) const {
    std::size_t town = 0;
    double town_d = std::numeric_limits<double>::max();
    for (std::size_t t = 0; t < outlines.size(); ++t) {
        const double d = geos.prepared_distance(outlines[t]->prepared.get(), pm);
        if (d < town_d) town_d = d, town = t;
    }
    return town;
}

static double squared_gap(const Box& a, const Box& b) {
    const double dx = std::max({0.0, a[0] - b[2], b[0] - a[2]});
    const double dy = std::max({0.0, a[1] - b[3], b[1] - a[3]});
    return dx * dx + dy * dy;
}

// The same answer, with exact distances only to towns whose bounding box is near enough.
std::size_t GridIndex::Impl::nearest_town_bounded(const Geos& geos, XY m, const GEOSGeometry* pm) const {
    thread_local std::vector<double> gap2;
    const std::size_t n = outlines.size();
    gap2.resize(n);
    const Box p{m.x, m.y, m.x, m.y};
    std::size_t first = 0;
    for (std::size_t t = 0; t < n; ++t) {
        gap2[t] = squared_gap(p, outlines[t]->box_m);
        if (gap2[t] < gap2[first]) first = t;
    }
    std::size_t best = first;
    double best_d = geos.prepared_distance(outlines[first]->prepared.get(), pm);
    for (std::size_t t = 0; t < n; ++t) {
        const double reach = best_d + k_bound_slack_m;
        if (t == first || gap2[t] > reach * reach) continue;
        const double d = geos.prepared_distance(outlines[t]->prepared.get(), pm);
        if (d < best_d || (d == best_d && t < best)) best_d = d, best = t;
    }
    return best;
}

// The nearest town of every point in a box far from all grids, when one town is nearer
// for all of them (its farthest distance beats every other town's nearest); else nullopt.
std::optional<std::size_t> GridIndex::Impl::nearest_town_of_box(const Geos& geos, const Transformer& to_metric,
                                                                const Box& b) const {
    std::vector<XY> corners;
    for (const XY c : {XY{b[0], b[1]}, XY{b[2], b[1]}, XY{b[2], b[3]}, XY{b[0], b[3]}}) corners.push_back(to_metric.forward(c));
    const XY centre = to_metric.forward({(b[0] + b[2]) / 2, (b[1] + b[3]) / 2});
    double half_diag = 0;
    Box bm{centre.x, centre.y, centre.x, centre.y};
    for (const auto& c : corners) {
        half_diag = std::max(half_diag, std::hypot(c.x - centre.x, c.y - centre.y));
        bm = {std::min(bm[0], c.x), std::min(bm[1], c.y), std::max(bm[2], c.x), std::max(bm[3], c.y)};
    }
    auto centre_m = geos.point(centre);
    auto farthest = [&](std::size_t t) { return geos.prepared_distance(outlines[t]->prepared.get(), centre_m.get()) + half_diag + 1.0; };
    // Only towns whose bound beats the box-nearest town's farthest distance can matter.
    const std::size_t n = outlines.size();
    std::size_t first = 0;
    double first_gap2 = std::numeric_limits<double>::max();
    for (std::size_t t = 0; t < n; ++t)
        if (const double g2 = squared_gap(bm, outlines[t]->box_m); g2 < first_gap2) first_gap2 = g2, first = t;
    const double first_max = farthest(first), reach = first_max + k_bound_slack_m;
    std::vector<std::pair<double, std::size_t>> by_bound;  // (lower bound, town)
    for (std::size_t t = 0; t < n; ++t)
        if (const double g2 = squared_gap(bm, outlines[t]->box_m); g2 <= reach * reach)
            by_bound.emplace_back(std::sqrt(g2) - k_bound_slack_m, t);
    std::sort(by_bound.begin(), by_bound.end());
    std::size_t best = first;
    double best_max = first_max;
    for (const auto& [lower, t] : by_bound) {
        if (lower > best_max) break;
        if (t == first) continue;
        if (const double dmax = farthest(t); dmax < best_max) best_max = dmax, best = t;
    }
    GeomPtr box_m;
    for (const auto& [lower, t] : by_bound) {
        if (t == best || lower > best_max) continue;
        if (!box_m) box_m = geos.polygon(corners);
        double d;
        {
            std::lock_guard lock(outlines[t]->box_query);
            d = geos.prepared_distance(outlines[t]->prepared.get(), box_m.get());
        }
        if (d - 1.0 <= best_max) return std::nullopt;
    }
    return best;
}

// The rules of API.md over `cands` (global grid ids), exactly as the exact path has always
// applied them. `complete`: cands hold every grid within the radius of the point; without
// it, cands hold at least every grid within the tolerance, and a point outside every grid
// has no answer here (nullopt).
std::optional<Assignment> GridIndex::Impl::decide(double lon, double lat, const std::vector<std::uint32_t>& cands,
                                                  bool complete, bool linear_towns, std::optional<std::size_t> cell) const {
    const Geos& geos = thread_geos();
    thread_local std::vector<std::uint32_t> candidates, covering, close, on_edge;
    candidates.clear(), covering.clear(), close.clear(), on_edge.clear();
    auto pt = geos.point({lon, lat});
    const Box p{lon, lat, lon, lat};
    const Box pf = grow(p, mg.far_dx, mg.far_dy), ptol = grow(p, mg.tol_dx, mg.tol_dy);
    for (auto g : cands) {
        const GridGeom& gg = *geom[g];
        if (!boxes_meet(gg.bbox, pf)) continue;
        candidates.push_back(g);
        if (geos.prepared_covers(gg.prepared.get(), pt.get())) covering.push_back(g);
        // Within the tolerance in degrees (conservatively wide) before any metric work.
        else if (boxes_meet(gg.bbox, ptol) && geos.prepared_distance_within(gg.prepared.get(), pt.get(), mg.tol_deg))
            close.push_back(g);
    }
    auto smallest_id = [&](const std::vector<std::uint32_t>& gs) {
        return *std::min_element(gs.begin(), gs.end(), [&](auto a, auto b) { return id_less(a, b); });
    };
    auto metric_distance = [&](std::uint32_t g, const GEOSGeometry* pm) {
        return geos.prepared_distance(geom[g]->metric_prepared.get(), pm);
    };
    if (covering.size() >= 2) {
        const auto g = smallest_id(covering);
        return Assignment{AssignMethod::boundary, g, grid_town[g], 0};
    }
    if (covering.size() == 1 && close.empty()) return Assignment{AssignMethod::contains, covering[0], grid_town[covering[0]], 0};
    if (covering.empty() && !complete) return std::nullopt;

    // The point in metres, once something needs it (a point far from every grid may not).
    XY m{};
    GeomPtr pm_owned;
    auto pm = [&]() -> const GEOSGeometry* {
        if (!pm_owned) m = thread_to_metric().forward({lon, lat}), pm_owned = geos.point(m);
        return pm_owned.get();
    };
    if (covering.size() == 1) {
        on_edge = covering;
        for (auto g : close)
            if (metric_distance(g, pm()) <= rules.boundary_m) on_edge.push_back(g);
        const auto g = smallest_id(on_edge);
        if (on_edge.size() == 1) return Assignment{AssignMethod::contains, g, grid_town[g], 0};
        return Assignment{AssignMethod::boundary, g, grid_town[g], metric_distance(g, pm())};
    }

    // Outside every grid.
    std::optional<std::uint32_t> nearest;
    double nearest_d = std::numeric_limits<double>::max();
    for (auto g : candidates) {
        // Farther than the nearest radius even in (conservatively wide) degrees: skip the metric work.
        if (!geos.prepared_distance_within(geom[g]->prepared.get(), pt.get(), mg.far_deg)) continue;
        const double d = metric_distance(g, pm());
        if (d <= rules.boundary_m) on_edge.push_back(g);
        if (d < nearest_d || (d == nearest_d && nearest && id_less(g, *nearest))) {
            nearest_d = d;
            nearest = g;
        }
    }
    if (on_edge.size() >= 2) {
        const auto g = smallest_id(on_edge);
        return Assignment{AssignMethod::boundary, g, grid_town[g], metric_distance(g, pm())};
    }
    if (nearest && nearest_d <= rules.nearest_m) return Assignment{AssignMethod::nearest, *nearest, grid_town[*nearest], nearest_d};

    // 属地兜底: the command room of the nearest town takes it. A town is the union of
    // its grids, so the nearest grid's town is the nearest town when one is in reach.
    if (nearest) return Assignment{AssignMethod::none, std::nullopt, grid_town[*nearest], 0};
    if (!linear_towns && cell)
        if (const auto t = cell_town(*cell)) return Assignment{AssignMethod::none, std::nullopt, t - 1u, 0};
    const GEOSGeometry* p_m = pm();
    const std::size_t town = linear_towns ? nearest_town_linear(geos, p_m) : nearest_town_bounded(geos, m, p_m);
    return Assignment{AssignMethod::none, std::nullopt, town, 0};
}

std::uint32_t GridIndex::Impl::cell_town(std::size_t c) const {
    if (dir.town[c] != 0) return dir.town[c];
    // Cells with grids near some of their points are decided on first use, by whichever
    // thread gets there: the answer is the same for all.
    constexpr std::uint32_t undecided = std::numeric_limits<std::uint32_t>::max();
    std::uint32_t t = dir.lazy_town[c].load(std::memory_order_relaxed);
    if (t == 0) {
        const auto town = nearest_town_of_box(thread_geos(), thread_to_metric(), dir.box(c));
        t = town ? static_cast<std::uint32_t>(*town + 1) : undecided;
        dir.lazy_town[c].store(t, std::memory_order_relaxed);
    }
    return t == undecided ? 0 : t;
}

// A point with no grid within the radius.
Assignment GridIndex::Impl::town_only(double lon, double lat, std::optional<std::size_t> cell) const {
    if (cell)
        if (const auto t = cell_town(*cell)) return {AssignMethod::none, std::nullopt, t - 1u, 0};
    const Geos& geos = thread_geos();
    const XY m = thread_to_metric().forward({lon, lat});
    auto pm = geos.point(m);
    return {AssignMethod::none, std::nullopt, nearest_town_bounded(geos, m, pm.get()), 0};
}

void GridIndex::Impl::build_directory(const Impl* base) {
    Box all = k_no_box;
    for (const auto& p : parts)
        if (p->grids->extent != k_no_box) all = unite(all, p->grids->extent);
    if (all == k_no_box) {
        // No grid has a coordinate: every point goes to the town loop.
        dir = Directory{};
        dir.nx = dir.ny = 0;
        return;
    }
    const double reach = 2 * mg.far_r() + k_dir_margin_deg;
    all = grow(all, reach, reach);
    double cell = k_dir_cell_deg;
    while ((all[2] - all[0]) / cell > 4096 || (all[3] - all[1]) / cell > 4096) cell *= 2;
    dir.cell = cell;
    dir.inv_cell = 1 / cell;
    dir.ix0 = static_cast<std::int64_t>(std::floor(all[0] / cell));
    dir.iy0 = static_cast<std::int64_t>(std::floor(all[1] / cell));
    dir.nx = static_cast<std::uint32_t>(static_cast<std::int64_t>(std::floor(all[2] / cell)) - dir.ix0 + 1);
    dir.ny = static_cast<std::uint32_t>(static_cast<std::int64_t>(std::floor(all[3] / cell)) - dir.iy0 + 1);
    dir.x0 = static_cast<double>(dir.ix0) * cell;
    dir.y0 = static_cast<double>(dir.iy0) * cell;
    const std::size_t n_cells = static_cast<std::size_t>(dir.nx) * dir.ny;

    std::vector<std::vector<Mark>> other_marks(parts.size());
    if (cell != k_dir_cell_deg)
        parallel_for(parts.size(), [&](std::size_t pi) { other_marks[pi] = marks_of(parts[pi]->tree, cell); });
    auto marks = [&](std::size_t pi) -> const std::vector<Mark>& { return cell != k_dir_cell_deg ? other_marks[pi] : parts[pi]->marks; };
    auto cell_index = [&](const Mark& m) -> std::optional<std::size_t> {
        const std::int64_t x = m.ix - dir.ix0, y = m.iy - dir.iy0;
        if (x < 0 || y < 0 || x >= dir.nx || y >= dir.ny) return std::nullopt;
        return static_cast<std::size_t>(y) * dir.nx + static_cast<std::size_t>(x);
    };
    std::vector<std::uint32_t> n_near(n_cells, 0), n_all(n_cells, 0);
    for (std::size_t pi = 0; pi < parts.size(); ++pi)
        for (const auto& m : marks(pi))
            if (auto c = cell_index(m)) ++n_all[*c], n_near[*c] += (m.flags & k_near) ? 1 : 0;
    dir.span.assign(n_cells + 1, {0, 0});
    for (std::size_t c = 0; c < n_cells; ++c) {
        dir.span[c][1] = dir.span[c][0] + n_near[c];
        dir.span[c + 1][0] = dir.span[c][0] + n_all[c];
    }
    dir.parts.assign(dir.span[n_cells][0], 0);
    std::vector<std::uint32_t> next_near(n_cells), next_far(n_cells);
    for (std::size_t c = 0; c < n_cells; ++c) {
        next_near[c] = dir.begin(c);
        next_far[c] = dir.near_end(c);
    }
    for (std::size_t pi = 0; pi < parts.size(); ++pi)
        for (const auto& m : marks(pi))
            if (auto c = cell_index(m)) dir.parts[(m.flags & k_near) ? next_near[*c]++ : next_far[*c]++] = static_cast<std::uint32_t>(pi);

    // Cells no grid comes within the tolerance of (past the grids' outer edges): their
    // nearest town, when one town is nearest all over, decided for blocks of cells at once
    // where it can be. A rebuild keeps the base's answers when the cells and the outlines
    // are the same.
    dir.town.assign(n_cells, 0);
    dir.lazy_town = std::make_unique<std::atomic<std::uint32_t>[]>(n_cells);  // value-initialized: 0
    bool same_outlines = base && base->dir.same_cells(dir) && base->outlines.size() == outlines.size();
    for (std::size_t t = 0; same_outlines && t < outlines.size(); ++t) same_outlines = base->outlines[t] == outlines[t];
    std::vector<std::uint8_t> todo(n_cells, 0);
    for (std::size_t c = 0; c < n_cells; ++c) {
        if (!dir.none_near(c)) continue;
        if (same_outlines && base->dir.none_near(c)) dir.town[c] = base->dir.town[c];
        else todo[c] = 1;
    }
    // todo_sum: 2-D prefix sums, for "any cell of this block to decide?".
    std::vector<std::uint32_t> todo_sum((static_cast<std::size_t>(dir.nx) + 1) * (dir.ny + 1), 0);
    auto at = [&](std::size_t x, std::size_t y) -> std::uint32_t& { return todo_sum[y * (dir.nx + 1) + x]; };
    for (std::size_t y = 0; y < dir.ny; ++y)
        for (std::size_t x = 0; x < dir.nx; ++x) at(x + 1, y + 1) = todo[y * dir.nx + x] + at(x, y + 1) + at(x + 1, y) - at(x, y);
    auto any_todo = [&](std::size_t x0, std::size_t y0, std::size_t x1, std::size_t y1) {  // [x0, x1) × [y0, y1)
        x1 = std::min<std::size_t>(x1, dir.nx), y1 = std::min<std::size_t>(y1, dir.ny);
        return x0 < x1 && y0 < y1 && at(x1, y1) - at(x0, y1) - at(x1, y0) + at(x0, y0) > 0;
    };
    constexpr std::size_t block = 64;
    std::vector<std::pair<std::size_t, std::size_t>> blocks;
    for (std::size_t y = 0; y < dir.ny; y += block)
        for (std::size_t x = 0; x < dir.nx; x += block)
            if (any_todo(x, y, x + block, y + block)) blocks.emplace_back(x, y);
    parallel_for(blocks.size(), [&](std::size_t bi) {
        const Geos& geos = thread_geos();
        const Transformer& to_metric = thread_to_metric();
        auto decide_block = [&](auto&& self, std::size_t x, std::size_t y, std::size_t size) -> void {
            if (!any_todo(x, y, x + size, y + size)) return;
            const std::size_t x1 = std::min<std::size_t>(x + size, dir.nx), y1 = std::min<std::size_t>(y + size, dir.ny);
            const Box b{dir.x0 + double(x) * cell, dir.y0 + double(y) * cell, dir.x0 + double(x1) * cell, dir.y0 + double(y1) * cell};
            // Valid for any point of the block that has no grid within the radius (the
            // town loop decides those), whatever else is in the block.
            if (auto t = nearest_town_of_box(geos, to_metric, b)) {
                for (std::size_t yy = y; yy < y1; ++yy)
                    for (std::size_t xx = x; xx < x1; ++xx)
                        if (todo[yy * dir.nx + xx]) dir.town[yy * dir.nx + xx] = static_cast<std::uint32_t>(*t + 1);
                return;
            }
            if (size == 1) return;
            const std::size_t h = size / 2;
            for (std::size_t q = 0; q < 4; ++q) self(self, x + (q & 1u) * h, y + (q >> 1) * h, h);
        };
        decide_block(decide_block, blocks[bi].first, blocks[bi].second, block);
    });
}

GridIndex::~GridIndex() = default;

// Builds an index from per-town inputs, parsing and building only what the inputs do
// not bring from a base index.
struct GridIndex::Assembler {
    static std::shared_ptr<const GridIndex> run(const GridIndex* base, AssignRules rules, std::vector<PartInput> inputs,
                                                std::vector<TownShape> towns,
                                                std::chrono::steady_clock::time_point started) {
        std::shared_ptr<GridIndex> index(new GridIndex());
        index->m_rules = rules;
        index->m_impl = std::make_unique<Impl>();
        auto& im = *index->m_impl;
        im.rules = rules;
        im.shapes = &index->m_grids;
        const Impl* bim = base ? base->m_impl.get() : nullptr;

        // Outlines: a base's is kept for a town with the same WKB (a changed town's grids
        // need not mean a changed outline).
        std::unordered_map<std::string, std::shared_ptr<const Outline>> base_outline;
        if (base)
            for (std::size_t t = base->m_town_codes.size(); t-- > 0;) base_outline[base->m_town_codes[t]] = bim->outlines[t];
        std::vector<WkbHash> hashes(towns.size());
        im.outlines.resize(towns.size());
        std::vector<std::size_t> new_outlines;
        for (std::size_t t = 0; t < towns.size(); ++t) {
            hashes[t] = hash_wkb(towns[t].wkb_hex);
            auto it = base_outline.find(towns[t].town);
            if (it != base_outline.end() && !it->second->from_grid && it->second->wkb_hash == hashes[t])
                im.outlines[t] = it->second;
            else
                new_outlines.push_back(t);
        }
        std::vector<std::size_t> new_grids;
        for (std::size_t i = 0; i < inputs.size(); ++i)
            if (!inputs[i].grids) new_grids.push_back(i);
        parallel_for(new_grids.size() + new_outlines.size(), [&](std::size_t k) {
            if (k < new_grids.size()) {
                inputs[new_grids[k]].grids = parse_town(inputs[new_grids[k]].shapes);
                return;
            }
            const std::size_t t = new_outlines[k - new_grids.size()];
            const Geos& geos = thread_geos();
            auto g = geos.from_wkb_hex(towns[t].wkb_hex);
            im.outlines[t] = make_outline(geos, thread_to_metric().forward(geos, g.get()), hashes[t], false);
        });

        double max_lat = -90;
        std::size_t n_grids = 0;
        for (const auto& in : inputs) max_lat = std::max(max_lat, in.grids->max_abs_lat), n_grids += in.grids->grids.size();
        if (n_grids == 0) throw Error(ErrorCode::unprocessable, "no grids to index");
        im.mg = margins_for(rules, max_lat);

        std::vector<std::size_t> new_parts;
        for (std::size_t i = 0; i < inputs.size(); ++i)
            if (!inputs[i].part || !(inputs[i].part->margins == im.mg)) new_parts.push_back(i);
        parallel_for(new_parts.size(), [&](std::size_t k) {
            auto& in = inputs[new_parts[k]];
            in.part = make_part(in.town, in.grids, im.mg);
        });

        // Towns as the old index numbered them: the outlines in order, then each town
        // without one as its first grid appears.
        auto& codes = index->m_town_codes;
        std::unordered_map<std::string, std::uint32_t> town_of;
        for (std::size_t t = 0; t < towns.size(); ++t) {
            codes.push_back(std::move(towns[t].town));
            town_of.try_emplace(codes.back(), static_cast<std::uint32_t>(t));
        }
        auto& out = index->m_grids;
        out.reserve(n_grids);
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            auto& in = inputs[i];
            auto [it, fresh] = town_of.try_emplace(in.town, static_cast<std::uint32_t>(codes.size()));
            if (fresh) {
                codes.push_back(in.town);
                auto b = base_outline.find(in.town);
                const bool kept = std::find(new_grids.begin(), new_grids.end(), i) == new_grids.end();
                if (kept && b != base_outline.end() && b->second->from_grid) {
                    im.outlines.push_back(b->second);
                } else {
                    // A grid without a town boundary still routes to its own town.
                    const Geos& geos = thread_geos();
                    im.outlines.push_back(make_outline(geos, geos.clone(in.grids->grids.front().metric.get()), {}, true));
                }
            }
            const std::uint32_t town = it->second;
            im.part_first.push_back(static_cast<std::uint32_t>(out.size()));
            for (std::size_t j = 0; j < in.shapes.size(); ++j) {
                out.push_back(std::move(in.shapes[j]));
                std::string().swap(out.back().wkb_hex);  // parsed; nothing reads it from the index
                im.geom.push_back(&in.grids->grids[j]);
                im.grid_town.push_back(town);
            }
            im.views.emplace_back(*in.part, im.part_first.back());
            im.parts.push_back(std::move(in.part));
        }

        im.build_directory(bim);

        auto& st = index->m_stats;
        st.towns = im.parts.size();
        st.rebuilt_towns = new_parts.size();
        double exact_area = 0, area = 0;
        for (const auto& p : im.parts) {
            st.quadtree_nodes += p->tree.node_count;
            st.index_bytes += p->tree.bytes();
            exact_area += p->tree.exact_area;
            area += p->grids->area_deg2;
            st.leaf_m = std::max(st.leaf_m, p->tree.leaf * metres_per_degree_lon(p->grids->max_abs_lat));
        }
        st.index_bytes += im.dir.bytes() + im.geom.capacity() * sizeof(void*) + im.grid_town.capacity() * sizeof(std::uint32_t);
        st.exact_share = area > 0 ? exact_area / area : 0;
        st.directory_cells = static_cast<std::size_t>(im.dir.nx) * im.dir.ny;
        st.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        return index;
    }
};

namespace {

// Grids grouped by town, towns in order of their first grid.
std::vector<PartInput> group_by_town(std::vector<GridShape> grids) {
    std::vector<PartInput> inputs;
    std::unordered_map<std::string, std::size_t> slot;
    for (auto& g : grids) {
        auto [it, fresh] = slot.try_emplace(g.town, inputs.size());
        if (fresh) inputs.push_back({g.town, {}, nullptr, nullptr});
        inputs[it->second].shapes.push_back(std::move(g));
    }
    return inputs;
}

}  // namespace

std::shared_ptr<const GridIndex> GridIndex::build(std::vector<GridShape> grids, std::vector<TownShape> towns,
                                                  AssignRules rules) {
    const auto started = std::chrono::steady_clock::now();
    if (grids.empty()) throw Error(ErrorCode::unprocessable, "no grids to index");
    return Assembler::run(nullptr, rules, group_by_town(std::move(grids)), std::move(towns), started);
}

std::shared_ptr<const GridIndex> GridIndex::rebuild(const GridIndex& base, std::vector<GridShape> changed_grids,
                                                    const std::vector<std::string>& changed_towns,
                                                    std::vector<TownShape> towns) {
    const auto started = std::chrono::steady_clock::now();
    std::set<std::string> changed(changed_towns.begin(), changed_towns.end());
    for (const auto& g : changed_grids) changed.insert(g.town);
    const auto& bim = *base.m_impl;
    std::vector<PartInput> inputs;
    for (std::size_t pi = 0; pi < bim.parts.size(); ++pi) {
        const auto& part = bim.parts[pi];
        if (changed.contains(part->town)) continue;
        const auto first = base.m_grids.begin() + bim.part_first[pi];
        inputs.push_back({part->town, std::vector<GridShape>(first, first + static_cast<std::ptrdiff_t>(part->grids->grids.size())),
                          part->grids, part});
    }
    for (auto& in : group_by_town(std::move(changed_grids))) inputs.push_back(std::move(in));
    if (inputs.empty()) throw Error(ErrorCode::unprocessable, "no grids to index");
    return Assembler::run(&base, base.m_rules, std::move(inputs), std::move(towns), started);
}

Assignment GridIndex::assign(double lon, double lat) const {
    const auto& im = *m_impl;
    const auto c = im.dir.cell_of(lon, lat);
    if (!c) return im.town_only(lon, lat, std::nullopt);
    const std::uint32_t begin = im.dir.begin(*c), near_end = im.dir.near_end(*c), end = im.dir.end(*c);
    if (begin == end) return im.town_only(lon, lat, c);
    // The grids within the tolerance, by the towns' leaves; the cell's other towns have
    // none within it.
    thread_local std::vector<std::uint32_t> near, reach;
    near.clear();
    std::uint32_t leaves = 0;
    bool inside = false, clear = false;
    for (std::uint32_t k = begin; k < near_end; ++k) {
        const TreeView& tree = im.views[im.dir.parts[k]];
        const std::uint32_t code = tree.lookup(lon, lat);
        if (code == k_far) continue;
        if (code == k_clear) {
            clear = true;
            continue;
        }
        ++leaves;
        const std::uint32_t first = tree.first_grid;
        if (is_inside(code)) {
            inside = true;
            near.push_back(first + (code - 2) / 2);
        } else {
            inside = false;
            const std::uint32_t s = (code - 3) / 2;
            for (std::uint32_t i = tree.set_start[s]; i < tree.set_start[s + 1]; ++i) near.push_back(first + tree.set_items[i]);
        }
    }
    if (leaves == 1 && inside) return {AssignMethod::contains, near[0], im.grid_town[near[0]], 0};
    if (leaves > 0)
        if (auto a = im.decide(lon, lat, near, false, false)) return *a;
    // Outside every grid. Is any within the radius?
    for (std::uint32_t k = near_end; k < end && !clear; ++k) clear = im.views[im.dir.parts[k]].lookup(lon, lat) != k_far;
    if (leaves == 0 && !clear) return im.town_only(lon, lat, c);
    reach.clear();
    for (std::uint32_t k = begin; k < end; ++k) {
        const TreeView& tree = im.views[im.dir.parts[k]];
        for (std::uint32_t j = 0; j < tree.n_grids; ++j) reach.push_back(tree.first_grid + j);
    }
    return *im.decide(lon, lat, reach, true, false, c);
}

Assignment GridIndex::assign_exact(double lon, double lat) const {
    const auto& im = *m_impl;
    const auto c = im.dir.cell_of(lon, lat);
    if (!c) return im.town_only(lon, lat, std::nullopt);
    thread_local std::vector<std::uint32_t> reach;
    reach.clear();
    for (std::uint32_t k = im.dir.begin(*c); k < im.dir.end(*c); ++k) {
        const TreeView& tree = im.views[im.dir.parts[k]];
        for (std::uint32_t j = 0; j < tree.n_grids; ++j) reach.push_back(tree.first_grid + j);
    }
    if (reach.empty()) return im.town_only(lon, lat, std::nullopt);
    return *im.decide(lon, lat, reach, true, false);
}

Assignment GridIndex::assign_reference(double lon, double lat) const {
    const auto& im = *m_impl;
    std::vector<std::uint32_t> all(im.geom.size());
    for (std::uint32_t g = 0; g < all.size(); ++g) all[g] = g;
    return *im.decide(lon, lat, all, true, true);
}

}  // namespace wangge::geo
