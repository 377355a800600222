#include "data/demo_province.hpp"

#include "core/embedded.hpp"
#include "core/error.hpp"
#include "data/rng.hpp"
#include "geo/crs.hpp"
#include "geo/partition.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numbers>
#include <set>
#include <tuple>
#include <utility>

namespace wangge {
extern const std::vector<EmbeddedFile> k_demo_province;
}

namespace wangge::data::demo {

namespace {

using geo::XY;

// Zhejiang has ~1,365 towns and subdistricts; 1,300 with the pilots keeps a town near the
// pilots' size and ~48 grids each.
constexpr int k_town_total = 1300;
constexpr int k_grid_total = 63000;
constexpr int k_min_towns = 10, k_max_towns = 20;
constexpr int k_min_grids = 10;
// Every other county seed keeps this much farther from each pilot vertex than the
// 婺城区 seed is, so the pilots lie inside its Voronoi cell, at least half that from its
// edge: 婺城区 then surrounds them instead of being cut by a neighbour between them.
constexpr double k_pilot_clearance_m = 4000;

double round_to(double v, double step) { return std::round(v / step) * step; }
XY rounded(XY p) { return {round_to(p.x, 0.01), round_to(p.y, 0.01)}; }
double dist(XY a, XY b) { return std::hypot(a.x - b.x, a.y - b.y); }

struct CityEntry {
    std::string code, name;
    XY seat;  // metric
    int districts = 0;
};

struct CountyEntry {
    std::string code, name, kind, city;
    XY seat;  // metric
};

struct Book {
    std::vector<XY> outline;  // metric control points
    std::vector<bool> coast;  // segment i → i+1 is coast
    std::vector<CityEntry> cities;
    std::vector<CountyEntry> counties;
    std::vector<std::string> first, second, subdistrict;
};

std::string kind_of(const std::string& name) {
    if (name.ends_with("区")) return "district";
    if (name.ends_with("县")) return "county";
    if (name.ends_with("市")) return "city";
    throw Error(ErrorCode::internal, "province.json: no kind for county " + name);
}

const nlohmann::json& embedded_book() {
    static const nlohmann::json k_book = [] {
        const auto it = std::find_if(k_demo_province.begin(), k_demo_province.end(),
                                     [](const EmbeddedFile& f) { return f.name == "province.json"; });
        if (it == k_demo_province.end()) throw Error(ErrorCode::internal, "province.json is not embedded");
        return nlohmann::json::parse(it->content);
    }();
    return k_book;
}

Book read_book(const geo::Transformer& to_metric) {
    const auto& j = embedded_book();
    auto metric = [&](const nlohmann::json& at) { return to_metric.forward({at.at(0).get<double>(), at.at(1).get<double>()}); };
    Book b;
    for (const auto& p : j.at("outline")) {
        b.outline.push_back(metric(p.at("at")));
        b.coast.push_back(p.contains("coast") && p.at("coast").get<bool>());
    }
    for (const auto& c : j.at("cities"))
        b.cities.push_back({c.at("code").get<std::string>(), c.at("name").get<std::string>(), metric(c.at("seat")), 0});
    for (const auto& c : j.at("counties")) {
        CountyEntry e{c.at("code").get<std::string>(), c.at("name").get<std::string>(), "", "", metric(c.at("seat"))};
        e.kind = kind_of(e.name);
        for (auto& city : b.cities)
            if (e.code.starts_with(city.code)) {
                e.city = city.name;
                if (e.kind == "district") ++city.districts;
            }
        if (e.city.empty()) throw Error(ErrorCode::internal, "province.json: no city for county " + e.code);
        b.counties.push_back(std::move(e));
    }
    const auto& names = j.at("town_names");
    b.first = names.at("first").get<std::vector<std::string>>();
    b.second = names.at("second").get<std::vector<std::string>>();
    b.subdistrict = names.at("subdistrict").get<std::vector<std::string>>();
    return b;
}

struct Box {
    XY min, max;
};

Box bounds(const geo::Geos& geos, const GEOSGeometry* g) {
    auto ring = geos.exterior_ring(geos.envelope(g).get());
    Box b{ring.front(), ring.front()};
    for (const auto& p : ring) {
        b.min = {std::min(b.min.x, p.x), std::min(b.min.y, p.y)};
        b.max = {std::max(b.max.x, p.x), std::max(b.max.y, p.y)};
    }
    return b;
}

// Smooth noise along the outline: a few octaves of sines of the arc length, so the
// displaced ring bends like a river or a ridge line instead of jittering vertex by vertex.
struct Noise {
    std::vector<double> amp, wavelength, phase;
    Noise(Rng& rng, const std::vector<double>& amplitudes, const std::vector<double>& wavelengths) {
        for (std::size_t k = 0; k < amplitudes.size(); ++k) {
            amp.push_back(amplitudes[k] * rng.uniform(0.6, 1.0));
            wavelength.push_back(wavelengths[k] * rng.uniform(0.8, 1.25));
            phase.push_back(rng.uniform(0, 2 * std::numbers::pi));
        }
    }
    double operator()(double s) const {
        double v = 0;
        for (std::size_t k = 0; k < amp.size(); ++k) v += amp[k] * std::sin(2 * std::numbers::pi * s / wavelength[k] + phase[k]);
        return v;
    }
};

// The hand-drawn outline, densified and pushed in and out along its normals: gently on
// the land borders, raggedly on the coast. The drawn points stay put (the push fades out
// over 4 km around each), since pushing both edges of a sharp cape folds it; a push that
// still folds the ring somewhere narrow shrinks until the ring is valid.
geo::GeomPtr province_outline(const geo::Geos& geos, const Book& book, Rng& rng) {
    struct Vertex {
        XY at;
        double s;
        double to_corner;  // along the segment, to its nearer drawn point
        bool coast;
    };
    std::vector<Vertex> ring;
    double s = 0;
    const std::size_t n = book.outline.size();
    for (std::size_t i = 0; i < n; ++i) {
        const XY a = book.outline[i], b = book.outline[(i + 1) % n];
        const double len = dist(a, b);
        const int steps = std::max(1, static_cast<int>(std::ceil(len / (book.coast[i] ? 500.0 : 1200.0))));
        for (int k = 0; k < steps; ++k) {
            const double t = static_cast<double>(k) / steps;
            ring.push_back({{a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)}, s + t * len, std::min(t, 1 - t) * len,
                            book.coast[i]});
        }
        s += len;
    }
    const double perimeter = s;
    // Coast weight ramps up over 15 km from where the land border meets the sea.
    const std::size_t m = ring.size();
    std::vector<double> to_land(m, std::numeric_limits<double>::infinity());
    for (int pass = 0; pass < 2; ++pass)
        for (std::size_t k = 0; k < 2 * m; ++k) {
            const std::size_t i = pass == 0 ? k % m : (2 * m - 1 - k) % m;
            const std::size_t prev = pass == 0 ? (i + m - 1) % m : (i + 1) % m;
            if (!ring[i].coast) {
                to_land[i] = 0;
                continue;
            }
            double step = std::abs(ring[i].s - ring[prev].s);
            if (step > perimeter / 2) step = perimeter - step;
            to_land[i] = std::min(to_land[i], to_land[prev] + step);
        }
    const Noise land(rng, {2500, 1200, 500, 200}, {60e3, 25e3, 10e3, 5e3});
    const Noise coast(rng, {2500, 1600, 900, 450, 200}, {45e3, 18e3, 8e3, 4e3, 3e3});

    for (double scale = 1.0;; scale *= 0.7) {
        if (scale < 0.1) scale = 0;
        std::vector<XY> shell;
        for (std::size_t i = 0; i < m; ++i) {
            const XY prev = ring[(i + m - 1) % m].at, next = ring[(i + 1) % m].at;
            const double dx = next.x - prev.x, dy = next.y - prev.y, len = std::hypot(dx, dy);
            const double w = std::min(1.0, to_land[i] / 15e3);
            const double d = scale * std::min(1.0, ring[i].to_corner / 4e3) * (land(ring[i].s) + w * coast(ring[i].s));
            shell.push_back(rounded({ring[i].at.x + d * dy / len, ring[i].at.y - d * dx / len}));
        }
        auto outline = geos.polygon(shell);
        if (geos.is_valid(outline.get())) return outline;
        if (scale == 0) throw Error(ErrorCode::internal, "demo: the province outline is not a valid polygon");
    }
}

XY random_inside(const geo::Geos& geos, const GEOSPreparedGeometry* area, const Box& box, Rng& rng,
                 const std::function<bool(XY)>& accept) {
    for (int tries = 0; tries < 100000; ++tries) {
        const XY p = rounded({rng.uniform(box.min.x, box.max.x), rng.uniform(box.min.y, box.max.y)});
        if (geos.prepared_contains(area, geos.point(p).get()) && accept(p)) return p;
    }
    throw Error(ErrorCode::internal, "demo: no point found inside an area");
}

// Mitchell's best-candidate sampling, denser where `density` is higher: candidates drawn
// in proportion to it and scored by their distance to the nearest seed times its square
// root, so seeds come about 1/sqrt(density) apart and Voronoi cells are smaller there.
// Uniform candidates alone would seldom fall in a small dense core, leaving it sparse.
std::vector<XY> best_candidates(const geo::Geos& geos, const GEOSGeometry* area, std::vector<XY> seeds, int n,
                                const std::function<double(XY)>& density, double density_max,
                                const std::function<bool(XY)>& accept, Rng& rng) {
    auto prepared = geos.prepare(area);
    const Box box = bounds(geos, area);
    auto likely = [&](XY p) { return rng.uniform() * density_max < density(p) && accept(p); };
    if (seeds.empty()) seeds.push_back(random_inside(geos, prepared.get(), box, rng, likely));
    while (static_cast<int>(seeds.size()) < n) {
        XY best{};
        double best_score = -1;
        for (int k = 0; k < 24; ++k) {
            const XY c = random_inside(geos, prepared.get(), box, rng, likely);
            double nearest = 1e300;
            for (const auto& s : seeds) nearest = std::min(nearest, dist(c, s));
            const double score = nearest * std::sqrt(density(c));
            if (score > best_score) {
                best_score = score;
                best = c;
            }
        }
        seeds.push_back(best);
    }
    return seeds;
}

// One Lloyd half-step (as the pilot layout does): rounder cells that keep the density
// gradient. A seed whose move would leave the area, break `accept` or land on another
// seed stays put; `fixed` seeds never move.
void relax(const geo::Geos& geos, const GEOSGeometry* area, std::vector<XY>& seeds, std::size_t fixed,
           const std::function<bool(XY)>& accept) {
    auto cells = geo::voronoi_partition(geos, area, seeds);
    auto prepared = geos.prepare(area);
    std::set<std::pair<double, double>> taken;
    for (const auto& s : seeds) taken.insert({s.x, s.y});
    for (std::size_t i = fixed; i < seeds.size(); ++i) {
        const XY c = geos.point_xy(geos.centroid(cells[i].get()).get());
        const XY moved = rounded({0.5 * (seeds[i].x + c.x), 0.5 * (seeds[i].y + c.y)});
        if (taken.contains({moved.x, moved.y}) || !accept(moved) ||
            !geos.prepared_contains(prepared.get(), geos.point(moved).get()))
            continue;
        taken.erase({seeds[i].x, seeds[i].y});
        taken.insert({moved.x, moved.y});
        seeds[i] = moved;
    }
}

// Integers in [lo, hi] proportional to `weights` and adding up to `total`: the scale
// that makes the clamped shares add up by bisection, then largest remainders.
std::vector<int> apportion(const std::vector<double>& weights, int total, int lo, int hi) {
    const std::size_t n = weights.size();
    if (static_cast<long>(lo) * static_cast<long>(n) > total || static_cast<long>(hi) * static_cast<long>(n) < total)
        throw Error(ErrorCode::internal, "demo: cannot apportion the total within the bounds");
    auto share = [&](double k, std::size_t i) { return std::clamp(k * weights[i], static_cast<double>(lo), static_cast<double>(hi)); };
    auto sum = [&](double k) {
        double s = 0;
        for (std::size_t i = 0; i < n; ++i) s += share(k, i);
        return s;
    };
    double a = 0, b = 1;
    while (sum(b) < total) b *= 2;
    for (int it = 0; it < 200; ++it) {
        const double mid = 0.5 * (a + b);
        (sum(mid) < total ? a : b) = mid;
    }
    std::vector<int> out(n);
    std::vector<std::pair<double, std::size_t>> rest;
    int given = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double x = share(b, i);
        out[i] = static_cast<int>(std::floor(x));
        given += out[i];
        if (out[i] < hi) rest.push_back({x - out[i], i});
    }
    std::sort(rest.begin(), rest.end(), [](const auto& l, const auto& r) { return l.first != r.first ? l.first > r.first : l.second < r.second; });
    for (std::size_t k = 0; given < total && k < rest.size(); ++k, ++given) ++out[rest[k].second];
    return out;
}

// Gives each seed one of the targets (a target may be listed more than once): the
// assignment of least total squared distance, greedy first, then pairwise swaps while
// any helps. No swap helping means any two targets' seeds are split by a straight line,
// so a city's seeds form a compact group and its counties a block, not a scatter.
std::vector<std::size_t> assign(const std::vector<XY>& seeds, const std::vector<XY>& targets) {
    const std::size_t n = seeds.size();
    if (targets.size() != n) throw Error(ErrorCode::internal, "demo: as many targets as seeds needed");
    auto cost = [&](std::size_t seed, std::size_t target) {
        const double dx = seeds[seed].x - targets[target].x, dy = seeds[seed].y - targets[target].y;
        return dx * dx + dy * dy;
    };
    std::vector<std::tuple<double, std::size_t, std::size_t>> pairs;
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < n; ++k) pairs.push_back({cost(i, k), i, k});
    std::sort(pairs.begin(), pairs.end());
    std::vector<std::size_t> target_of(n, n);
    std::vector<bool> used(n, false);
    for (const auto& [c, i, k] : pairs)
        if (target_of[i] == n && !used[k]) {
            target_of[i] = k;
            used[k] = true;
        }
    for (bool improved = true; improved;) {
        improved = false;
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = i + 1; j < n; ++j)
                if (cost(i, target_of[j]) + cost(j, target_of[i]) < cost(i, target_of[i]) + cost(j, target_of[j]) - 1e-6) {
                    std::swap(target_of[i], target_of[j]);
                    improved = true;
                }
    }
    return target_of;
}

// The largest polygon of a Polygon, MultiPolygon or collection.
geo::GeomPtr largest_polygon(const geo::Geos& geos, const GEOSGeometry* g) {
    if (geos.type_name(g) == "Polygon") return geos.clone(g);
    geo::GeomPtr best;
    for (int i = 0; i < geos.num_geometries(g); ++i) {
        auto part = largest_polygon(geos, geos.geometry_n(g, i).get());
        if (part && (!best || geos.area(part.get()) > geos.area(best.get()))) best = std::move(part);
    }
    return best;
}

std::string strip_suffix(const std::string& name) {
    for (const std::string suffix : {"街道", "镇", "乡"})
        if (name.ends_with(suffix)) return name.substr(0, name.size() - suffix.size());
    return name;
}

struct TownSeed {
    geo::GeomPtr cell;
    XY seed;
    std::string kind;
};

// The county's towns. Well spread seeds cut it into town-sized cells; the few nearest the
// seat are its built-up core, merged and cut again into the smaller subdistricts (many in
// a city district, one or two in a county). The farther a town lies from the seat, the
// likelier it is a township. A density gradient alone cannot do this with 10–20 seeds:
// best-candidate spacing leaves room for one seed at most in a core that small.
std::vector<TownSeed> lay_out_towns(const geo::Geos& geos, const GEOSGeometry* area, XY seat, int n,
                                    const std::string& county_kind, Rng& rng) {
    const double sub_share = county_kind == "district" ? 0.5 : county_kind == "city" ? 0.3 : 0.25;
    const double township_base = county_kind == "district" ? 0.15 : county_kind == "city" ? 0.45 : 0.8;
    const int subdistricts = std::clamp(static_cast<int>(std::lround(sub_share * n)), 1, n - 1);
    const int core_cells = std::clamp(static_cast<int>(std::lround(subdistricts / 3.5)), 1, subdistricts);
    auto flat = [](XY) { return 1.0; };
    auto anywhere = [](XY) { return true; };
    auto seeds = best_candidates(geos, area, {}, n - subdistricts + core_cells, flat, 1.0, anywhere, rng);
    relax(geos, area, seeds, 0, anywhere);
    auto cells = geo::voronoi_partition(geos, area, seeds);

    std::vector<std::size_t> order(cells.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return dist(seeds[a], seat) < dist(seeds[b], seat); });
    // The core grows by the nearest cell that shares an edge with it: a core in pieces
    // could not be cut into single-polygon subdistricts.
    std::vector<bool> in_core(cells.size(), false);
    auto core = geos.clone(cells[order.front()].get());
    in_core[order.front()] = true;
    int taken = 1;
    for (bool grew = true; grew && taken < core_cells;) {
        grew = false;
        for (const auto k : order) {
            if (in_core[k]) continue;
            auto merged = geos.unite(core.get(), cells[k].get());
            if (geos.type_name(merged.get()) != "Polygon") continue;
            core = std::move(merged);
            in_core[k] = true;
            ++taken;
            grew = true;
            break;
        }
    }

    std::vector<TownSeed> towns;
    const int subs = subdistricts - core_cells + taken;
    if (subs == 1) {
        towns.push_back({std::move(core), seeds[order.front()], "subdistrict"});
    } else {
        const double core_sigma = 0.5 * std::sqrt(geos.area(core.get()) / std::numbers::pi);
        auto central = [&](XY p) {
            const double d2 = (p.x - seat.x) * (p.x - seat.x) + (p.y - seat.y) * (p.y - seat.y);
            return 1.0 + 3.0 * std::exp(-d2 / (2 * core_sigma * core_sigma));
        };
        auto sub_seeds = best_candidates(geos, core.get(), {}, subs, central, 4.0, anywhere, rng);
        relax(geos, core.get(), sub_seeds, 0, anywhere);
        auto sub_cells = geo::voronoi_partition(geos, core.get(), sub_seeds);
        for (std::size_t k = 0; k < sub_cells.size(); ++k) towns.push_back({std::move(sub_cells[k]), sub_seeds[k], "subdistrict"});
    }
    const int rest = static_cast<int>(cells.size()) - taken;
    int rank = 0;
    for (const auto k : order) {
        if (in_core[k]) continue;
        const double far = static_cast<double>(++rank) / rest;
        towns.push_back({std::move(cells[k]), seeds[k], rng.chance(township_base * far) ? "township" : "town"});
    }
    return towns;
}

// A name unique in the county: subdistricts often take a direction from the seat
// (城东, 江南), the rest two or three place-name characters (石门, 白龙桥).
std::string town_base_name(const Book& book, const std::string& kind, std::set<std::string>& used, Rng& rng) {
    for (int tries = 0; tries < 10000; ++tries) {
        std::string base;
        if (kind == "subdistrict" && rng.chance(0.3)) {
            base = book.subdistrict[rng.below(book.subdistrict.size())];
        } else {
            const auto& a = book.first[rng.below(book.first.size())];
            const auto& c = book.second[rng.below(book.second.size())];
            if (a == c) continue;
            base = a;
            if (rng.chance(0.15)) {
                const auto& b = book.first[rng.below(book.first.size())];
                if (b == a || b == c) continue;
                base += b;
            }
            base += c;
        }
        if (used.insert(base).second) return base;
    }
    throw Error(ErrorCode::internal, "demo: ran out of town names");
}

std::string zero_pad(int v, int width) {
    std::string s = std::to_string(v);
    return std::string(static_cast<std::size_t>(std::max(0, width - static_cast<int>(s.size()))), '0') + s;
}

// Grids per km² by kind, in the proportions of the pilot towns (城东街道 3.9, 白龙桥镇
// 0.83, 蒋堂镇 0.95, 塔石乡 0.41) but townships a little denser: they are as large as
// towns here, and 10 grids for a township would be too few to show a pattern.
double grid_density(const std::string& town_kind, const std::string& county_kind) {
    const double base = town_kind == "subdistrict" ? 3.9 : town_kind == "town" ? 0.9 : 0.5;
    return base * (county_kind == "district" ? 1.3 : county_kind == "city" ? 1.0 : 0.85);
}

// The pilots' one county (the plan starts from its seed, among them).
std::string county_of(const std::vector<Town>& pilots) {
    if (pilots.empty()) throw Error(ErrorCode::internal, "demo: the province needs the pilot towns");
    for (const auto& t : pilots)
        if (t.spec.county != pilots.front().spec.county)
            throw Error(ErrorCode::internal, "demo: the province takes pilot towns of one county, not " +
                                                 pilots.front().spec.county + " and " + t.spec.county);
    return pilots.front().spec.county;
}

std::vector<const GEOSGeometry*> outlines_of(const std::vector<Town>& pilots) {
    std::vector<const GEOSGeometry*> out;
    for (const auto& t : pilots) out.push_back(t.metric.get());
    return out;
}

// What the pilot layout gives its grid seeds (data/demo_layout.cpp).
double grid_density_peak(const std::string& town_kind) {
    return town_kind == "subdistrict" ? 1.5 : town_kind == "township" ? 2.5 : 5.0;
}

struct PlaceKind {
    std::string kind, of;
    std::vector<std::string> names, not_in;
};

struct VillageBook {
    std::map<std::string, double> grids_per_village;
    std::vector<std::string> first, second, community_first, community_second;
    std::vector<PlaceKind> places;
};

const VillageBook& village_book() {
    static const VillageBook k_villages = [] {
        const auto& j = embedded_book();
        VillageBook b;
        const auto& v = j.at("villages");
        b.grids_per_village = v.at("grids_per_village").get<std::map<std::string, double>>();
        b.first = v.at("first").get<std::vector<std::string>>();
        b.second = v.at("second").get<std::vector<std::string>>();
        b.community_first = v.at("community_first").get<std::vector<std::string>>();
        b.community_second = v.at("community_second").get<std::vector<std::string>>();
        for (const auto& p : j.at("places").at("kinds"))
            b.places.push_back({p.at("kind").get<std::string>(), p.at("of").get<std::string>(),
                                p.at("names").get<std::vector<std::string>>(),
                                p.value("not_in", std::vector<std::string>{})});
        return b;
    }();
    return k_villages;
}

// Two characters, now and then three, never the same one twice in a row (王王).
std::string village_name(const VillageBook& b, bool community, Rng& rng) {
    if (community) return b.community_first[rng.below(b.community_first.size())] + b.community_second[rng.below(b.community_second.size())];
    std::string name = b.first[rng.below(b.first.size())];
    if (rng.chance(0.15)) {
        const auto& middle = b.first[rng.below(b.first.size())];
        if (middle != name) name += middle;
    }
    const auto& last = b.second[rng.below(b.second.size())];
    if (!name.ends_with(last)) name += last;
    return name;
}

}  // namespace

ProvincePlan plan_province(const geo::Geos& geos, std::uint64_t seed, const std::vector<Town>& pilot_towns) {
    const std::string pilot_county = county_of(pilot_towns);
    const auto pilot_outlines = outlines_of(pilot_towns);
    std::set<std::string> reserved_names, reserved_codes;
    for (const auto& t : pilot_towns) {
        reserved_names.insert(strip_suffix(t.spec.name));
        reserved_codes.insert(t.spec.admin_code);
    }

    Rng root(seed);
    const geo::Transformer to_metric("EPSG:4490", "EPSG:4549");
    const Book book = read_book(to_metric);
    Rng outline_rng = root.fork(1);
    auto pilots = geos.union_all(pilot_outlines);
    auto province = geos.unite(province_outline(geos, book, outline_rng).get(), pilots.get());
    province = largest_polygon(geos, province.get());

    std::vector<XY> pilot_vertices;
    for (const auto* g : pilot_outlines)
        for (int i = 0; i < std::max(1, geos.num_geometries(g)); ++i) {
            auto part = geos.type_name(g) == "Polygon" ? geos.clone(g) : geos.geometry_n(g, i);
            for (const auto& p : geos.exterior_ring(part.get())) pilot_vertices.push_back(p);
        }
    const XY pilot_seat = rounded(geos.point_xy(geos.centroid(pilots.get()).get()));
    {
        auto prepared = geos.prepare(province.get());
        if (!geos.prepared_contains(prepared.get(), geos.point(pilot_seat).get()))
            throw Error(ErrorCode::internal, "demo: the pilot towns lie outside the province");
    }

    // Counties: Voronoi cells of well spread seeds, denser around the prefecture seats in
    // proportion to their districts; the first seed is 婺城区's, among its pilots.
    auto county_density = [&](XY p) {
        double d = 1;
        for (const auto& city : book.cities) {
            const double r2 = (p.x - city.seat.x) * (p.x - city.seat.x) + (p.y - city.seat.y) * (p.y - city.seat.y);
            d += 0.8 * city.districts * std::exp(-r2 / (2 * 22e3 * 22e3));
        }
        return d;
    };
    double county_density_max = 1;
    for (const auto& city : book.cities) county_density_max = std::max(county_density_max, county_density(city.seat));
    auto clear_of_pilots = [&](XY c) {
        for (const auto& p : pilot_vertices)
            if (dist(p, c) - dist(p, pilot_seat) <= k_pilot_clearance_m) return false;
        return true;
    };
    Rng county_rng = root.fork(2);
    auto county_seeds = best_candidates(geos, province.get(), {pilot_seat}, static_cast<int>(book.counties.size()),
                                        county_density, county_density_max, clear_of_pilots, county_rng);
    relax(geos, province.get(), county_seeds, 1, clear_of_pilots);
    auto county_cells = geo::voronoi_partition(geos, province.get(), county_seeds);

    std::vector<std::size_t> others;  // book indexes of every county but the pilots'
    std::size_t pilot_entry = book.counties.size();
    for (std::size_t k = 0; k < book.counties.size(); ++k) {
        if (book.counties[k].code == pilot_county)
            pilot_entry = k;
        else
            others.push_back(k);
    }
    if (pilot_entry == book.counties.size()) throw Error(ErrorCode::internal, "province.json lacks county " + pilot_county);
    // Names where a reader expects them: seeds go to the prefecture cities first, as
    // many as each has counties, then within a city to the county seats.
    std::vector<XY> other_seeds(county_seeds.begin() + 1, county_seeds.end()), city_targets;
    std::vector<std::size_t> city_of_target;
    for (auto k : others)
        for (std::size_t c = 0; c < book.cities.size(); ++c)
            if (book.counties[k].city == book.cities[c].name) {
                city_targets.push_back(book.cities[c].seat);
                city_of_target.push_back(c);
            }
    const auto city_choice = assign(other_seeds, city_targets);
    std::vector<std::size_t> entry_of_seed(county_seeds.size(), pilot_entry);
    for (std::size_t c = 0; c < book.cities.size(); ++c) {
        std::vector<std::size_t> seed_ids, entries;
        std::vector<XY> seeds_here, seats;
        for (std::size_t i = 0; i < other_seeds.size(); ++i)
            if (city_of_target[city_choice[i]] == c) {
                seed_ids.push_back(i + 1);
                seeds_here.push_back(other_seeds[i]);
            }
        for (auto k : others)
            if (book.counties[k].city == book.cities[c].name) {
                entries.push_back(k);
                seats.push_back(book.counties[k].seat);
            }
        const auto choice = assign(seeds_here, seats);
        for (std::size_t i = 0; i < seed_ids.size(); ++i) entry_of_seed[seed_ids[i]] = entries[choice[i]];
    }

    auto prepared_pilots = geos.prepare(pilots.get());
    struct CountyWork {
        std::size_t entry;
        XY seat;
        geo::GeomPtr metric, free;  // free: the county less the pilots, for new towns
        double area_km2;
    };
    std::vector<CountyWork> work;
    for (std::size_t i = 0; i < county_seeds.size(); ++i) {
        CountyWork w{entry_of_seed[i], county_seeds[i], std::move(county_cells[i]), nullptr, 0};
        if (i == 0) {
            w.metric = geos.unite(w.metric.get(), pilots.get());
            w.free = geos.difference(w.metric.get(), pilots.get());
        } else {
            if (geos.prepared_intersects(prepared_pilots.get(), w.metric.get()))
                w.metric = geos.difference(w.metric.get(), pilots.get());
            w.free = geos.clone(w.metric.get());
        }
        w.area_km2 = geos.area(w.metric.get()) / 1e6;
        work.push_back(std::move(w));
    }

    // Towns per county, ~1,300 in all: more per km² in city districts.
    std::vector<double> town_weights;
    for (const auto& w : work) {
        const auto& kind = book.counties[w.entry].kind;
        town_weights.push_back(w.area_km2 / (kind == "district" ? 45.0 : kind == "city" ? 80.0 : 110.0));
    }
    const auto town_counts = apportion(town_weights, k_town_total, k_min_towns, k_max_towns);

    ProvincePlan plan;
    struct Pending {
        TownPlan town;
        double weight;
    };
    std::vector<Pending> pending;
    for (std::size_t i = 0; i < work.size(); ++i) {
        auto& w = work[i];
        const auto& entry = book.counties[w.entry];
        Rng rng = root.fork(100 + std::stoull(entry.code));
        const bool has_pilots = i == 0;
        const int n = town_counts[i] - (has_pilots ? static_cast<int>(pilot_outlines.size()) : 0);
        if (n < 2) throw Error(ErrorCode::internal, "demo: too few towns for county " + entry.code);

        auto towns = lay_out_towns(geos, w.free.get(), w.seat, n, entry.kind, rng);

        std::set<std::string> used;
        if (has_pilots) used = reserved_names;
        const Box box = bounds(geos, w.metric.get());
        std::vector<std::pair<std::uint64_t, std::size_t>> order;
        for (std::size_t k = 0; k < towns.size(); ++k) order.push_back({geo::hilbert_index(towns[k].seed, box.min, box.max), k});
        std::sort(order.begin(), order.end());
        std::map<std::string, int> next_number{{"subdistrict", 1}, {"town", 100}, {"township", 200}};
        for (const auto& [key, k] : order) {
            auto& t = towns[k];
            TownPlan town;
            town.kind = t.kind;
            town.county = entry.code;
            do {
                town.admin_code = entry.code + zero_pad(next_number[t.kind]++, 3);
            } while (reserved_codes.contains(town.admin_code));
            town.code = "t" + town.admin_code;
            town.name = town_base_name(book, t.kind, used, rng) +
                        (t.kind == "subdistrict" ? "街道" : t.kind == "town" ? "镇" : "乡");
            auto prepared = geos.prepare(t.cell.get());
            town.seat = t.seed;
            if (!geos.prepared_contains(prepared.get(), geos.point(t.seed).get()))
                town.seat = random_inside(geos, prepared.get(), bounds(geos, t.cell.get()), rng, [](XY) { return true; });
            prepared.reset();
            town.density_peak = grid_density_peak(t.kind);
            const double weight = geos.area(t.cell.get()) / 1e6 * grid_density(t.kind, entry.kind) *
                                  std::exp(rng.normal(0, 0.2));
            town.metric = std::move(t.cell);
            pending.push_back({std::move(town), weight});
        }
        plan.counties.push_back({entry.code, entry.name, entry.kind, entry.city, std::move(w.metric)});
    }

    std::vector<double> grid_weights;
    for (const auto& p : pending) grid_weights.push_back(p.weight);
    const auto grids = apportion(grid_weights, k_grid_total, k_min_grids, std::numeric_limits<int>::max() / 2);
    for (std::size_t k = 0; k < pending.size(); ++k) {
        pending[k].town.grid_count = grids[k];
        plan.towns.push_back(std::move(pending[k].town));
    }
    std::sort(plan.counties.begin(), plan.counties.end(), [](const auto& a, const auto& b) { return a.code < b.code; });
    std::sort(plan.towns.begin(), plan.towns.end(), [](const auto& a, const auto& b) { return a.admin_code < b.admin_code; });
    return plan;
}

std::vector<std::string> check_province(const geo::Geos& geos, const ProvincePlan& plan, const std::vector<Town>& pilots) {
    std::vector<std::string> problems;
    const std::string pilot_county = county_of(pilots);
    const auto pilot_outlines = outlines_of(pilots);
    auto digits = [](const std::string& s, std::size_t n) {
        return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };

    std::map<std::string, const CountyPlan*> counties;
    std::vector<const GEOSGeometry*> county_geoms;
    double county_area = 0;
    for (const auto& c : plan.counties) {
        if (!digits(c.code, 6)) problems.push_back("county code " + c.code + " is not 6 digits");
        if (!counties.emplace(c.code, &c).second) problems.push_back("county code " + c.code + " twice");
        const auto type = geos.type_name(c.metric.get());
        if (type != "Polygon" && type != "MultiPolygon") problems.push_back("county " + c.code + " is a " + type);
        if (!geos.is_valid(c.metric.get()))
            problems.push_back("county " + c.code + ": " + geos.validity_reason(c.metric.get()));
        county_geoms.push_back(c.metric.get());
        county_area += geos.area(c.metric.get());
    }
    const double county_union = geos.area(geos.union_all(county_geoms).get());
    if (county_area - county_union > 1e-6 * county_union)
        problems.push_back("counties overlap by " + std::to_string(county_area - county_union) + " m²");

    std::set<std::string> codes, admin_codes;
    std::map<std::string, std::set<std::string>> names;
    std::map<std::string, std::vector<const GEOSGeometry*>> parts;
    for (const auto* p : pilot_outlines) parts[pilot_county].push_back(p);
    for (const auto& t : plan.towns) {
        const std::string what = "town " + t.code;
        if (t.code.empty() || !std::all_of(t.code.begin(), t.code.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            }))
            problems.push_back(what + ": code is not lowercase ascii");
        if (!codes.insert(t.code).second) problems.push_back(what + ": code twice");
        if (!admin_codes.insert(t.admin_code).second) problems.push_back(what + ": admin code twice");
        if (!digits(t.admin_code, 9) || !t.admin_code.starts_with(t.county))
            problems.push_back(what + ": admin code " + t.admin_code + " is not its county's");
        for (const auto& pilot : pilots)
            if (t.admin_code == pilot.spec.admin_code || (t.county == pilot_county && t.name == pilot.spec.name))
                problems.push_back(what + " reuses the pilot " + pilot.spec.name);
        if (!names[t.county].insert(t.name).second) problems.push_back(what + ": name " + t.name + " twice in its county");
        if (t.kind != "town" && t.kind != "township" && t.kind != "subdistrict") problems.push_back(what + ": kind " + t.kind);
        if (t.grid_count <= 0) problems.push_back(what + ": no grids");
        if (geos.type_name(t.metric.get()) != "Polygon") problems.push_back(what + " is a " + geos.type_name(t.metric.get()));
        if (!geos.is_valid(t.metric.get())) {
            problems.push_back(what + ": " + geos.validity_reason(t.metric.get()));
            continue;
        }
        auto prepared = geos.prepare(t.metric.get());
        if (!geos.prepared_contains(prepared.get(), geos.point(t.seat).get())) problems.push_back(what + ": seat outside");
        if (!counties.contains(t.county)) {
            problems.push_back(what + ": no county " + t.county);
            continue;
        }
        parts[t.county].push_back(t.metric.get());
    }

    // Within a county, a vertex the neighbour lacks is off the shared edge by rounding
    // error: a town may stick out of its county by a strip that thin, no more.
    for (const auto& [code, members] : parts) {
        const auto it = counties.find(code);
        if (it == counties.end()) continue;
        const GEOSGeometry* county = it->second->metric.get();
        if (!geos.is_valid(county)) continue;
        auto prepared = geos.prepare(county);
        double sum = 0;
        for (const auto* m : members) {
            sum += geos.area(m);
            if (geos.prepared_covers(prepared.get(), m)) continue;
            const double outside = geos.area(geos.difference(m, county).get());
            if (outside > 0.05 * geos.length(m))
                problems.push_back("county " + code + ": a town or pilot sticks out by " + std::to_string(outside) + " m²");
        }
        auto town_union = geos.union_all(members);
        const double area = geos.area(county), united = geos.area(town_union.get());
        if (sum - united > 1e-6 * area)
            problems.push_back("county " + code + ": its towns overlap by " + std::to_string(sum - united) + " m²");
        const double gap = geos.area(geos.difference(county, town_union.get()).get()) +
                           geos.area(geos.difference(town_union.get(), county).get());
        if (gap > 1e-6 * area)
            problems.push_back("county " + code + ": its towns differ from it by " + std::to_string(gap) + " m²");
    }
    if (!counties.contains(pilot_county)) problems.push_back("no county " + pilot_county + " for the pilots");
    return problems;
}

}  // namespace wangge::data::demo

namespace wangge::data::demo {

PlannedTown describe_town(const geo::Geos& geos, const geo::Transformer& to_lonlat, const TownPlan& town, Rng& rng) {
    const auto& book = village_book();
    PlannedTown out;
    TownSpec& spec = out.spec;
    spec.code = town.code;
    spec.name = town.name;
    spec.kind = town.kind;
    spec.admin_code = town.admin_code;
    spec.county = town.county;
    const XY centre = to_lonlat.forward(geos.point_xy(geos.centroid(town.metric.get()).get()));
    spec.centre_lon = centre.x;
    spec.centre_lat = centre.y;
    spec.area_km2 = geos.area(town.metric.get()) / 1e6;
    spec.grid_count = town.grid_count;
    spec.density_peak = town.density_peak;
    const bool community = town.kind == "subdistrict";
    spec.village_suffix = community ? "社区" : "村";
    const auto per_village = book.grids_per_village.find(town.kind);
    if (per_village == book.grids_per_village.end()) throw Error(ErrorCode::internal, "province.json: no grids_per_village for " + town.kind);
    spec.village_count = std::clamp(static_cast<int>(std::lround(town.grid_count / per_village->second)), 1, town.grid_count);

    std::set<std::string> used;
    for (int tries = 0; static_cast<int>(out.names.villages.size()) < spec.village_count; ++tries) {
        if (tries > 100 * spec.village_count) throw Error(ErrorCode::internal, "demo: ran out of village names for " + town.code);
        auto name = village_name(book, community, rng);
        if (used.insert(name).second) out.names.villages.push_back(std::move(name));
    }
    const std::string base = strip_suffix(town.name);
    for (const auto& p : book.places) {
        if (std::find(p.not_in.begin(), p.not_in.end(), town.kind) != p.not_in.end()) continue;
        const auto& suffix = p.names[rng.below(p.names.size())];
        std::string stem = base;
        if (p.of == "village") stem = out.names.villages[rng.below(out.names.villages.size())];
        else if (p.of == "river") stem = book.first[rng.below(book.first.size())];
        out.names.places.emplace_back(stem + suffix, p.kind);
    }
    return out;
}

}  // namespace wangge::data::demo
