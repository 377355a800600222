#include "core/domain.hpp"
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
    for (const auto& [town, list] : j.at("places").items())
        for (const auto& p : list) b.places[town].emplace_back(p.at("name").get<std::string>(), p.at("kind").get<std::string>());
    return b;
}

namespace {

bool digits(const std::string& s, std::size_t n) {
    return s.size() == n && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

Pilots read_pilots(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) throw Error(ErrorCode::internal, "cannot read " + file.string());
    Pilots out;
    std::string at;  // what is being read, for the message
    auto fail = [&](const std::string& what) -> Error {
        return Error(ErrorCode::internal, file.string() + ": " + at + (at.empty() ? "" : ": ") + what);
    };
    try {
        const auto j = nlohmann::json::parse(in);
        for (const auto& c : j.at("counties")) {
            CountySpec county{c.at("code").get<std::string>(), c.at("name").get<std::string>(), c.at("kind").get<std::string>(),
                              c.at("city").get<std::string>()};
            at = "county " + county.code;
            if (!digits(county.code, 6)) throw fail("code must be a 6-digit division code");
            if (county.kind != "district" && county.kind != "county" && county.kind != "city")
                throw fail("kind must be district, county or city");
            if (county.name.empty() || county.city.empty()) throw fail("name and city must not be empty");
            out.counties.push_back(std::move(county));
        }
        double shares = 0;
        for (const auto& t : j.at("towns")) {
            TownSpec town;
            town.code = t.at("code").get<std::string>();
            at = "town " + town.code;
            town.name = t.at("name").get<std::string>();
            town.kind = t.at("kind").get<std::string>();
            town.admin_code = t.at("admin_code").get<std::string>();
            town.county = t.at("county").get<std::string>();
            const auto centre = t.at("centre").get<std::vector<double>>();
            if (centre.size() != 2) throw fail("centre must be [lon, lat]");
            town.centre_lon = centre[0];
            town.centre_lat = centre[1];
            town.area_km2 = t.at("area_km2").get<double>();
            town.grid_count = t.at("grids").get<int>();
            town.village_count = t.at("villages").get<int>();
            town.village_suffix = t.at("village_suffix").get<std::string>();
            town.density_peak = t.at("density_peak").get<double>();
            if (t.contains("seat")) town.seat = SeatSpec{t["seat"].at("turns").get<double>(), t["seat"].at("distance").get<double>()};
            town.report_share = t.at("report_share").get<double>();

            if (town.code.empty() || town.name.empty() || town.village_suffix.empty())
                throw fail("code, name and village_suffix must not be empty");
            if (town.kind != "town" && town.kind != "township" && town.kind != "subdistrict")
                throw fail("kind must be town, township or subdistrict");
            if (std::none_of(out.counties.begin(), out.counties.end(), [&](const CountySpec& c) { return c.code == town.county; }))
                throw fail("county " + town.county + " is not among the counties");
            if (!digits(town.admin_code, 9) || town.admin_code.compare(0, 6, town.county) != 0)
                throw fail("admin_code must be 9 digits starting with its county's code");
            if (std::any_of(out.towns.begin(), out.towns.end(), [&](const TownSpec& o) { return o.code == town.code; }))
                throw fail("listed twice");
            if (!(town.area_km2 > 0) || town.grid_count < 1 || town.village_count < 1 || !(town.density_peak >= 0) ||
                !(town.report_share >= 0))
                throw fail("area_km2, grids, villages must be positive; density_peak, report_share not negative");
            if (town.seat && !(town.seat->distance >= 0 && town.seat->distance < 1))
                throw fail("seat.distance must be a share of the radius, 0 to 1");
            shares += town.report_share;
            out.towns.push_back(std::move(town));
        }
        at.clear();
        if (out.towns.empty()) throw fail("no towns");
        if (std::abs(shares - 1) > 1e-9) throw fail("the towns' report_share must add up to 1");
    } catch (const nlohmann::json::exception& e) {
        throw fail(e.what());
    }
    return out;
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
    throw Error(ErrorCode::internal, "demo: town " + spec.code + " has no " + role);
}

namespace {

geo::GeomPtr lonlat_of(const geo::Geos& geos, const geo::Transformer& to_lonlat, const GEOSGeometry* metric) {
    return geos.transform(metric, [&](double& x, double& y) {
        const auto p = to_lonlat.forward({x, y});
        // 1e-9° ≈ 0.1 mm: far below any tolerance, and shared vertices stay identical.
        x = round_to(p.x, 1e-9);
        y = round_to(p.y, 1e-9);
        return true;
    });
}

}  // namespace

Town lay_out_town(const geo::Geos& geos, const geo::Transformer& to_lonlat, const NameBook& people, TownSpec spec,
                  geo::GeomPtr outline, XY seat, const TownNames& names, Rng& rng) {
    if (names.villages.empty() || names.places.empty())
        throw Error(ErrorCode::internal, "demo: no villages or places for town " + spec.code);
    Town town;
    town.spec = std::move(spec);
    const TownSpec& s = town.spec;
    town.radius_m = std::sqrt(s.area_km2 * 1e6 / std::numbers::pi);
    town.seat = seat;
    auto seeds = grid_seeds(geos, outline.get(), town.seat, town.radius_m, s.grid_count, s.density_peak, rng);
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

    const int villages = std::min<int>(s.village_count, static_cast<int>(names.villages.size()));
    const int n = static_cast<int>(cells.size());
    int position = 0;
    int staff_no = 0;
    auto next_staff_id = [&] { return s.code + "-s" + zero_pad(static_cast<std::size_t>(++staff_no), 4); };
    for (int v = 0; v < villages; ++v) {
        const int in_village = n / villages + (v < n % villages ? 1 : 0);
        for (int k = 0; k < in_village; ++k, ++position) {
            const std::size_t cell = order[static_cast<std::size_t>(position)];
            Grid g;
            g.id = s.code + "-" + zero_pad(static_cast<std::size_t>(position) + 1, 3);
            g.code = s.admin_code + zero_pad(static_cast<std::size_t>(v) + 1, 3) + zero_pad(static_cast<std::size_t>(k) + 1, 2);
            g.name = names.villages[static_cast<std::size_t>(v)] + s.village_suffix +
                     (in_village == 1 ? std::string("网格") : std::to_string(k + 1) + "号网格");
            g.metric = std::move(cells[cell]);
            g.lonlat = lonlat_of(geos, to_lonlat, g.metric.get());
            g.centroid = centroids[cell];
            g.area_m2 = geos.area(g.metric.get());
            Staff leader{next_staff_id(), people.person_name(rng), phone_number(rng), "grid_leader", std::nullopt};
            Staff worker{next_staff_id(), people.person_name(rng), phone_number(rng), "grid_worker", std::nullopt};
            g.leader = leader.id;
            g.worker = worker.id;
            town.staff.push_back(std::move(leader));
            town.staff.push_back(std::move(worker));
            town.grids.push_back(std::move(g));
        }
    }
    for (int i = 0; i < 3; ++i)
        town.staff.push_back({next_staff_id(), people.person_name(rng), phone_number(rng), "command", std::nullopt});
    for (const auto platform : k_platforms)
        town.staff.push_back({next_staff_id(), people.person_name(rng), phone_number(rng), "platform", std::string(platform)});

    // Landmarks sit near the seat (markets, schools, stations) or anywhere (the rest).
    auto prepared = geos.prepare(outline.get());
    for (const auto& [pname, kind] : names.places) {
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
    town.lonlat = lonlat_of(geos, to_lonlat, outline.get());
    town.metric = std::move(outline);
    return town;
}

std::vector<Town> build_towns(const geo::Geos& geos, const NameBook& names, const std::vector<TownSpec>& specs,
                              std::uint64_t seed) {
    for (const auto& s : specs)
        if (!names.villages.contains(s.code) || !names.places.contains(s.code))
            throw Error(ErrorCode::internal, "demo: the name book has no villages or places for town " + s.code);
    Rng root(seed);
    const geo::Transformer to_metric("EPSG:4490", "EPSG:4549");
    const geo::Transformer to_lonlat("EPSG:4549", "EPSG:4490");

    std::vector<Town> towns;
    geo::GeomPtr taken;  // union of the towns built so far: neighbours must not overlap
    for (std::size_t town_index = 0; town_index < specs.size(); ++town_index) {
        const auto& spec = specs[town_index];
        Rng rng = root.fork(town_index + 1);
        const XY centre = to_metric.forward({spec.centre_lon, spec.centre_lat});
        auto outline = geos.polygon(town_outline(rng, centre, spec.area_km2 * 1e6));
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
        const double radius_m = std::sqrt(spec.area_km2 * 1e6 / std::numbers::pi);
        // The seat sits off-centre: where the town's data puts it (城东街道: toward the
        // west, where the old city is), else at random.
        const double seat_angle = spec.seat ? spec.seat->turns * 2 * std::numbers::pi : rng.uniform(0, 2 * std::numbers::pi);
        const double seat_dist = (spec.seat ? spec.seat->distance : rng.uniform(0.05, 0.3)) * radius_m;
        XY seat{centre.x + seat_dist * std::cos(seat_angle), centre.y + seat_dist * std::sin(seat_angle)};
        {
            auto prepared = geos.prepare(outline.get());
            if (!geos.prepared_contains(prepared.get(), geos.point(seat).get())) seat = centre;
        }
        const TownNames town_names{names.villages.at(spec.code), names.places.at(spec.code)};
        towns.push_back(lay_out_town(geos, to_lonlat, names, spec, std::move(outline), seat, town_names, rng));
    }
    return towns;
}

}  // namespace wangge::data::demo
