#include "core/error.hpp"
#include "data/demo_world.hpp"
#include "geo/crs.hpp"
#include "geo/partition.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numbers>

namespace wangge::data::demo {

namespace {

using geo::XY;

// Villages (or communities) per town: grids are grouped into this many named villages.
int village_count(const TownInfo& t) {
    if (t.code == "tashi") return 39;      // 39 administrative villages → 41 grids
    if (t.code == "chengdong") return 5;   // 5 communities → 39 grids
    if (t.code == "bailongqiao") return 28;
    return 24;
}

double round_to(double v, double step) { return std::round(v / step) * step; }

// An irregular, star-shaped outline: a circle perturbed by a few random harmonics, so it
// is always a simple polygon, then scaled to the target area.
std::vector<XY> town_outline(Rng& rng, XY centre, double area_m2) {
    constexpr int k_vertices = 240;
    std::vector<double> amp, phase;
    for (int k = 2; k <= 7; ++k) {
        amp.push_back(rng.uniform(0.02, 0.2 / std::pow(k, 0.7)));
        phase.push_back(rng.uniform(0, 2 * std::numbers::pi));
    }
    for (int k = 11; k <= 17; ++k) {
        amp.push_back(rng.uniform(0.0, 0.012));
        phase.push_back(rng.uniform(0, 2 * std::numbers::pi));
    }
    std::vector<double> r(k_vertices);
    double unit_area = 0;
    for (int i = 0; i < k_vertices; ++i) {
        const double th = 2 * std::numbers::pi * i / k_vertices;
        double f = 1;
        for (std::size_t h = 0; h < amp.size(); ++h) {
            const int k = h < 6 ? static_cast<int>(h) + 2 : static_cast<int>(h) + 5;
            f += amp[h] * std::cos(k * th + phase[h]);
        }
        r[static_cast<std::size_t>(i)] = f;
        unit_area += 0.5 * f * f * std::sin(2 * std::numbers::pi / k_vertices);
    }
    const double scale = std::sqrt(area_m2 / unit_area);
    std::vector<XY> ring;
    for (int i = 0; i < k_vertices; ++i) {
        const double th = 2 * std::numbers::pi * i / k_vertices;
        const double rr = r[static_cast<std::size_t>(i)] * scale;
        ring.push_back({round_to(centre.x + rr * std::cos(th), 0.01), round_to(centre.y + rr * std::sin(th), 0.01)});
    }
    return ring;
}

struct Box {
    XY min, max;
};

Box bounds(const geo::Geos& geos, const GEOSGeometry* g) {
    auto env = geos.envelope(g);
    auto ring = geos.exterior_ring(env.get());
    Box b{ring.front(), ring.front()};
    for (const auto& p : ring) {
        b.min = {std::min(b.min.x, p.x), std::min(b.min.y, p.y)};
        b.max = {std::max(b.max.x, p.x), std::max(b.max.y, p.y)};
    }
    return b;
}

XY random_inside(const geo::Geos& geos, const GEOSPreparedGeometry* area, const Box& box, Rng& rng) {
    for (int tries = 0; tries < 100000; ++tries) {
        XY p{rng.uniform(box.min.x, box.max.x), rng.uniform(box.min.y, box.max.y)};
        if (geos.prepared_contains(area, geos.point(p).get())) return p;
    }
    throw Error(ErrorCode::internal, "demo: no point found inside an area");
}

// Mitchell's best-candidate sampling weighted by settlement density: well spread seeds,
// closer together near the town seat, so grids are smaller where people live densely.
std::vector<XY> grid_seeds(const geo::Geos& geos, const GEOSGeometry* area, XY seat, double radius, int n,
                           double density_peak, Rng& rng) {
    auto prepared = geos.prepare(area);
    const Box box = bounds(geos, area);
    auto density = [&](XY p) {
        const double d2 = (p.x - seat.x) * (p.x - seat.x) + (p.y - seat.y) * (p.y - seat.y);
        const double sigma = 0.35 * radius;
        return 1.0 + density_peak * std::exp(-d2 / (2 * sigma * sigma));
    };
    std::vector<XY> seeds{random_inside(geos, prepared.get(), box, rng)};
    while (static_cast<int>(seeds.size()) < n) {
        XY best{};
        double best_score = -1;
        for (int k = 0; k < 24; ++k) {
            const XY c = random_inside(geos, prepared.get(), box, rng);
            double nearest = 1e300;
            for (const auto& s : seeds) nearest = std::min(nearest, std::hypot(c.x - s.x, c.y - s.y));
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

std::string phone_number(Rng& rng) {
    static const char* k_prefixes[] = {"130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                                       "157", "158", "159", "177", "180", "181", "182", "183", "187", "188", "189", "199"};
    std::string out = k_prefixes[rng.below(std::size(k_prefixes))];
    for (int i = 0; i < 8; ++i) out += static_cast<char>('0' + rng.below(10));
    return out;
}

std::string zero_pad(std::size_t v, int width) {
    std::string s = std::to_string(v);
    return std::string(static_cast<std::size_t>(std::max(0, width - static_cast<int>(s.size()))), '0') + s;
}

}  // namespace

NameBook NameBook::read(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw Error(ErrorCode::internal, "cannot read " + file.string());
    const auto j = nlohmann::json::parse(in);
    NameBook b;
    b.surnames = j.at("surnames").get<std::vector<std::string>>();
    b.given_chars = j.at("given_chars").get<std::vector<std::string>>();
    b.villages = j.at("villages").get<std::map<std::string, std::vector<std::string>>>();
    b.suffix = j.at("suffix").get<std::map<std::string, std::string>>();
    for (const auto& [town, list] : j.at("places").items())
        for (const auto& p : list) b.places[town].emplace_back(p.at("name").get<std::string>(), p.at("kind").get<std::string>());
    return b;
}

std::string NameBook::person_name(Rng& rng) const {
    // Surnames are listed most common first: weight by rank (roughly Zipf).
    std::vector<double> w;
    for (std::size_t i = 0; i < surnames.size(); ++i) w.push_back(1.0 / (static_cast<double>(i) + 4.0));
    std::string name = surnames[rng.weighted(w)];
    name += given_chars[rng.below(given_chars.size())];
    if (rng.chance(0.7)) name += given_chars[rng.below(given_chars.size())];
    return name;
}

const Staff& Town::first_with_role(const std::string& role, const std::optional<std::string>& platform) const {
    for (const auto& s : staff)
        if (s.role == role && (!platform || s.platform == platform)) return s;
    throw Error(ErrorCode::internal, "demo: town " + std::string(info->code) + " has no " + role);
}

std::vector<Town> build_towns(const geo::Geos& geos, const NameBook& names, std::uint64_t seed) {
    Rng root(seed);
    const geo::Transformer to_metric("EPSG:4490", "EPSG:4549");
    const geo::Transformer to_lonlat("EPSG:4549", "EPSG:4490");
    auto lonlat_of = [&](const GEOSGeometry* metric) {
        return geos.transform(metric, [&](double& x, double& y) {
            const auto p = to_lonlat.forward({x, y});
            // 1e-9° ≈ 0.1 mm: far below any tolerance, and shared vertices stay identical.
            x = round_to(p.x, 1e-9);
            y = round_to(p.y, 1e-9);
            return true;
        });
    };

    std::vector<Town> towns;
    geo::GeomPtr taken;  // union of the towns built so far: neighbours must not overlap
    for (std::size_t town_index = 0; town_index < k_towns.size(); ++town_index) {
        const auto& info = k_towns[town_index];
        Rng rng = root.fork(town_index + 1);
        Town town;
        town.info = &info;
        const XY centre = to_metric.forward({info.centre_lon, info.centre_lat});
        auto outline = geos.polygon(town_outline(rng, centre, info.area_km2 * 1e6));
        if (taken) {
            auto rest = geos.difference(outline.get(), taken.get());
            // Keep the main body if the neighbour cut off a sliver.
            geo::GeomPtr largest;
            for (int i = 0; i < geos.num_geometries(rest.get()); ++i) {
                auto part = geos.geometry_n(rest.get(), i);
                if (!largest || geos.area(part.get()) > geos.area(largest.get())) largest = std::move(part);
            }
            outline = std::move(largest);
        }
        taken = taken ? geos.unite(taken.get(), outline.get()) : geos.clone(outline.get());
        town.radius_m = std::sqrt(info.area_km2 * 1e6 / std::numbers::pi);
        // The seat sits off-centre; for 城东街道 toward the west, where the old city is.
        const double seat_angle = info.code == "chengdong" ? std::numbers::pi : rng.uniform(0, 2 * std::numbers::pi);
        const double seat_dist = (info.code == "chengdong" ? 0.45 : rng.uniform(0.05, 0.3)) * town.radius_m;
        town.seat = {centre.x + seat_dist * std::cos(seat_angle), centre.y + seat_dist * std::sin(seat_angle)};
        {
            auto prepared = geos.prepare(outline.get());
            if (!geos.prepared_contains(prepared.get(), geos.point(town.seat).get())) town.seat = centre;
        }
        const double peak = info.code == "chengdong" ? 1.5 : (info.code == "tashi" ? 2.5 : 5.0);
        auto seeds = grid_seeds(geos, outline.get(), town.seat, town.radius_m, info.grid_count, peak, rng);
        // One Lloyd half-step: rounder cells without losing the density gradient.
        {
            auto cells = geo::voronoi_partition(geos, outline.get(), seeds);
            for (std::size_t i = 0; i < seeds.size(); ++i) {
                const XY c = geos.point_xy(geos.centroid(cells[i].get()).get());
                seeds[i] = {round_to(0.5 * (seeds[i].x + c.x), 0.01), round_to(0.5 * (seeds[i].y + c.y), 0.01)};
            }
        }
        auto cells = geo::voronoi_partition(geos, outline.get(), seeds);

        // Number grids along a Hilbert curve, so consecutive grids (and a village's
        // grids) are neighbours.
        const Box box = bounds(geos, outline.get());
        std::vector<std::size_t> order(cells.size());
        std::vector<XY> centroids(cells.size());
        std::vector<std::uint64_t> keys(cells.size());
        for (std::size_t i = 0; i < cells.size(); ++i) {
            order[i] = i;
            centroids[i] = geos.point_xy(geos.centroid(cells[i].get()).get());
            keys[i] = geo::hilbert_index(centroids[i], box.min, box.max);
        }
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });

        const auto& village_names = names.villages.at(std::string(info.code));
        const int villages = std::min<int>(village_count(info), static_cast<int>(village_names.size()));
        const std::string suffix = names.suffix.at(std::string(info.code));
        const int n = static_cast<int>(cells.size());
        int position = 0;
        int staff_no = 0;
        auto next_staff_id = [&] { return std::string(info.code) + "-s" + zero_pad(static_cast<std::size_t>(++staff_no), 4); };
        for (int v = 0; v < villages; ++v) {
            const int in_village = n / villages + (v < n % villages ? 1 : 0);
            for (int k = 0; k < in_village; ++k, ++position) {
                const std::size_t cell = order[static_cast<std::size_t>(position)];
                Grid g;
                g.id = std::string(info.code) + "-" + zero_pad(static_cast<std::size_t>(position) + 1, 3);
                g.code = std::string(info.admin_code) + zero_pad(static_cast<std::size_t>(v) + 1, 3) +
                         zero_pad(static_cast<std::size_t>(k) + 1, 2);
                g.name = village_names[static_cast<std::size_t>(v)] + suffix +
                         (in_village == 1 ? std::string("网格") : std::to_string(k + 1) + "号网格");
                g.metric = std::move(cells[cell]);
                g.lonlat = lonlat_of(g.metric.get());
                g.centroid = centroids[cell];
                g.area_m2 = geos.area(g.metric.get());
                Staff leader{next_staff_id(), names.person_name(rng), phone_number(rng), "grid_leader", std::nullopt};
                Staff worker{next_staff_id(), names.person_name(rng), phone_number(rng), "grid_worker", std::nullopt};
                g.leader = leader.id;
                g.worker = worker.id;
                town.staff.push_back(std::move(leader));
                town.staff.push_back(std::move(worker));
                town.grids.push_back(std::move(g));
            }
        }
        for (int i = 0; i < 3; ++i)
            town.staff.push_back({next_staff_id(), names.person_name(rng), phone_number(rng), "command", std::nullopt});
        for (const auto platform : k_platforms)
            town.staff.push_back(
                {next_staff_id(), names.person_name(rng), phone_number(rng), "platform", std::string(platform)});

        // Landmarks sit near the seat (markets, schools, stations) or anywhere (the rest).
        auto prepared = geos.prepare(outline.get());
        for (const auto& [pname, kind] : names.places.at(std::string(info.code))) {
            XY at{};
            for (int tries = 0; tries < 1000; ++tries) {
                const bool central = kind == "market" || kind == "school" || kind == "station";
                const double spread = (central ? 0.25 : 0.6) * town.radius_m;
                at = {town.seat.x + rng.normal(0, spread), town.seat.y + rng.normal(0, spread)};
                if (geos.prepared_contains(prepared.get(), geos.point(at).get())) break;
                at = town.seat;
            }
            town.places.push_back({pname, kind, at, rng.uniform(0, std::numbers::pi)});
        }
        prepared.reset();
        town.lonlat = lonlat_of(outline.get());
        town.metric = std::move(outline);
        towns.push_back(std::move(town));
    }
    return towns;
}

}  // namespace wangge::data::demo
