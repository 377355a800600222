// The province layout (data/demo_province.hpp) around the real pilot towns: its counts,
// that towns tile their counties and the pilots stay as they were, determinism, and that
// check_province notices a broken plan. No database.

#include "data/demo_province.hpp"
#include "data/demo_world.hpp"
#include "data/migrate.hpp"
#include "geo/crs.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <regex>
#include <set>

using namespace wangge;

namespace {

constexpr std::uint64_t k_seed = 20170601;  // DemoOptions' default

struct World {
    geo::Geos geos;
    std::vector<data::demo::Town> pilots;
    std::vector<const GEOSGeometry*> outlines;
    std::vector<std::string> outline_wkb;
    data::demo::ProvincePlan plan;
    double seconds = 0;
};

class ProvincePlan : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        w = std::make_unique<World>();
        const auto names = data::demo::NameBook::read(data::data_dir() / "demo" / "names.json");
        w->pilots = data::demo::build_towns(w->geos, names, data::demo::read_pilots(data::data_dir() / "demo" / "pilots.json").towns,
                                            k_seed);
        for (const auto& t : w->pilots) {
            w->outlines.push_back(t.metric.get());
            w->outline_wkb.push_back(w->geos.to_ewkb_hex(t.metric.get(), 4549));
        }
        const auto start = std::chrono::steady_clock::now();
        w->plan = data::demo::plan_province(w->geos, k_seed, w->pilots);
        w->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::cout << "plan_province: " << w->seconds << " s, " << w->plan.counties.size() << " counties, "
                  << w->plan.towns.size() << " towns\n";
    }
    static void TearDownTestSuite() { w.reset(); }

    static inline std::unique_ptr<World> w;
    const geo::Geos& geos = w->geos;
    data::demo::ProvincePlan& plan = w->plan;
};

}  // namespace

TEST_F(ProvincePlan, HasProvinceScaleCounts) {
    EXPECT_EQ(plan.counties.size(), 90u);
    EXPECT_GE(plan.towns.size(), 1200u);
    EXPECT_LE(plan.towns.size(), 1400u);
    long grids = 0;
    for (const auto& t : plan.towns) grids += t.grid_count;
    EXPECT_GE(grids, 60000);
    EXPECT_LE(grids, 66000);
    std::set<std::string> cities;
    for (const auto& c : plan.counties) cities.insert(c.city);
    EXPECT_EQ(cities.size(), 11u);
    double km2 = 0;
    for (const auto& c : plan.counties) km2 += geos.area(c.metric.get()) / 1e6;
    EXPECT_GT(km2, 80000);  // Zhejiang: 105,500 km²
    EXPECT_LT(km2, 130000);
}

TEST_F(ProvincePlan, TakesWellUnderAMinute) { EXPECT_LT(w->seconds, 60.0); }

TEST_F(ProvincePlan, PassesItsOwnChecks) {
    const auto problems = data::demo::check_province(geos, plan, w->pilots);
    for (std::size_t i = 0; i < std::min<std::size_t>(problems.size(), 20); ++i) ADD_FAILURE() << problems[i];
    EXPECT_TRUE(problems.empty()) << problems.size() << " problems";
}

TEST_F(ProvincePlan, EveryCountyAndTownIsAValidPolygon) {
    for (const auto& c : plan.counties) {
        EXPECT_TRUE(geos.is_valid(c.metric.get())) << c.code << ": " << geos.validity_reason(c.metric.get());
        const auto type = geos.type_name(c.metric.get());
        EXPECT_TRUE(type == "Polygon" || type == "MultiPolygon") << c.code << " " << type;
    }
    for (const auto& t : plan.towns) {
        EXPECT_TRUE(geos.is_valid(t.metric.get())) << t.code << ": " << geos.validity_reason(t.metric.get());
        EXPECT_EQ(geos.type_name(t.metric.get()), "Polygon") << t.code;
    }
}

// The demo stores EPSG:4490 rounded to 1e-9° (data/demo_layout.cpp): still valid there.
TEST_F(ProvincePlan, StaysValidInLonLat) {
    const geo::Transformer to_lonlat("EPSG:4549", "EPSG:4490");
    auto lonlat_of = [&](const GEOSGeometry* metric) {
        return geos.transform(metric, [&](double& x, double& y) {
            const auto p = to_lonlat.forward({x, y});
            x = std::round(p.x / 1e-9) * 1e-9;
            y = std::round(p.y / 1e-9) * 1e-9;
            return true;
        });
    };
    for (const auto& c : plan.counties) {
        auto g = lonlat_of(c.metric.get());
        EXPECT_TRUE(geos.is_valid(g.get())) << c.code << ": " << geos.validity_reason(g.get());
    }
    for (const auto& t : plan.towns) {
        auto g = lonlat_of(t.metric.get());
        EXPECT_TRUE(geos.is_valid(g.get())) << t.code << ": " << geos.validity_reason(g.get());
    }
}

TEST_F(ProvincePlan, TownsTileTheirCountyWithThePilots) {
    std::map<std::string, std::vector<const GEOSGeometry*>> parts;
    for (const auto& t : plan.towns) parts[t.county].push_back(t.metric.get());
    for (const auto* p : w->outlines) parts["330702"].push_back(p);
    for (const auto& c : plan.counties) {
        const auto& members = parts[c.code];
        ASSERT_FALSE(members.empty()) << c.code;
        auto prepared = geos.prepare(c.metric.get());
        double sum = 0;
        for (const auto* m : members) {
            sum += geos.area(m);
            if (!geos.prepared_covers(prepared.get(), m)) {
                EXPECT_LE(geos.area(geos.difference(m, c.metric.get()).get()), 0.05 * geos.length(m)) << c.code;
            }
        }
        auto united = geos.union_all(members);
        const double area = geos.area(c.metric.get());
        EXPECT_NEAR(sum, geos.area(united.get()), 1e-6 * area) << c.code << ": towns overlap";
        const double gap = geos.area(geos.difference(c.metric.get(), united.get()).get()) +
                           geos.area(geos.difference(united.get(), c.metric.get()).get());
        EXPECT_LT(gap, 1e-6 * area) << c.code << ": towns differ from the county";
    }
}

TEST_F(ProvincePlan, KeepsThePilotsUnchangedInsideWucheng) {
    const data::demo::CountyPlan* wucheng = nullptr;
    for (const auto& c : plan.counties)
        if (c.code == "330702") wucheng = &c;
    ASSERT_NE(wucheng, nullptr);
    EXPECT_EQ(wucheng->name, "婺城区");
    EXPECT_EQ(wucheng->city, "金华市");
    auto prepared = geos.prepare(wucheng->metric.get());
    for (std::size_t i = 0; i < w->outlines.size(); ++i) {
        EXPECT_EQ(geos.to_ewkb_hex(w->outlines[i], 4549), w->outline_wkb[i]);
        EXPECT_TRUE(geos.prepared_covers(prepared.get(), w->outlines[i])) << w->pilots[i].spec.name;
    }
    std::set<std::string> pilot_names, pilot_codes;
    for (const auto& t : w->pilots) {
        pilot_names.insert(t.spec.name);
        pilot_codes.insert(t.spec.admin_code);
    }
    for (const auto& t : plan.towns) {
        EXPECT_FALSE(pilot_codes.contains(t.admin_code)) << t.code;
        if (t.county == "330702") {
            EXPECT_FALSE(pilot_names.contains(t.name)) << t.code;
        }
    }
    // The pilots keep their exact grid counts: the caller lays them out as before.
    int pilot_grids = 0;
    for (const auto& t : w->pilots) pilot_grids += static_cast<int>(t.grids.size());
    EXPECT_EQ(pilot_grids, 75 + 41 + 39 + 57);
}

TEST_F(ProvincePlan, CodesAreUniqueAndWellFormed) {
    const std::regex code("t[0-9]{9}");
    std::set<std::string> codes, admin, counties;
    std::map<std::string, std::set<std::string>> names;
    for (const auto& c : plan.counties) EXPECT_TRUE(counties.insert(c.code).second) << c.code;
    for (const auto& t : plan.towns) {
        EXPECT_TRUE(std::regex_match(t.code, code)) << t.code;
        EXPECT_TRUE(codes.insert(t.code).second) << t.code;
        EXPECT_TRUE(admin.insert(t.admin_code).second) << t.admin_code;
        EXPECT_EQ(t.admin_code.substr(0, 6), t.county);
        EXPECT_TRUE(counties.contains(t.county)) << t.code;
        EXPECT_TRUE(names[t.county].insert(t.name).second) << t.name << " twice in " << t.county;
    }
}

TEST_F(ProvincePlan, SubdistrictsAreSmallerAndDenserThanTownships) {
    std::map<std::string, double> km2, grids;
    std::map<std::string, int> count;
    for (const auto& t : plan.towns) {
        km2[t.kind] += geos.area(t.metric.get()) / 1e6;
        grids[t.kind] += t.grid_count;
        ++count[t.kind];
    }
    ASSERT_GT(count["subdistrict"], 0);
    ASSERT_GT(count["town"], 0);
    ASSERT_GT(count["township"], 0);
    EXPECT_LT(km2["subdistrict"] / count["subdistrict"], km2["township"] / count["township"]);
    EXPECT_GT(grids["subdistrict"] / km2["subdistrict"], 2 * grids["town"] / km2["town"]);
    EXPECT_GT(grids["town"] / km2["town"], grids["township"] / km2["township"]);
}

TEST_F(ProvincePlan, IsDeterministicForASeed) {
    const auto again = data::demo::plan_province(geos, k_seed, w->pilots);
    ASSERT_EQ(again.towns.size(), plan.towns.size());
    ASSERT_EQ(again.counties.size(), plan.counties.size());
    for (std::size_t i : {std::size_t{0}, plan.towns.size() / 3, plan.towns.size() / 2, plan.towns.size() - 1}) {
        EXPECT_EQ(again.towns[i].code, plan.towns[i].code);
        EXPECT_EQ(again.towns[i].name, plan.towns[i].name);
        EXPECT_EQ(again.towns[i].grid_count, plan.towns[i].grid_count);
        EXPECT_EQ(geos.to_ewkb_hex(again.towns[i].metric.get(), 4549), geos.to_ewkb_hex(plan.towns[i].metric.get(), 4549));
    }
    EXPECT_EQ(geos.to_ewkb_hex(again.counties[40].metric.get(), 4549),
              geos.to_ewkb_hex(plan.counties[40].metric.get(), 4549));

    const auto other = data::demo::plan_province(geos, k_seed + 1, w->pilots);
    EXPECT_NE(geos.to_ewkb_hex(other.counties[40].metric.get(), 4549),
              geos.to_ewkb_hex(plan.counties[40].metric.get(), 4549));
    EXPECT_TRUE(data::demo::check_province(geos, other, w->pilots).empty());
}

// The outline's noise, the seeds and the merges of detached pieces all change with the
// seed: a few more seeds must plan cleanly too (each ~0.3 s).
TEST_F(ProvincePlan, PlansCleanlyForOtherSeeds) {
    for (std::uint64_t seed : {1u, 2u, 3u, 42u}) {
        const auto other = data::demo::plan_province(geos, seed, w->pilots);
        const auto problems = data::demo::check_province(geos, other, w->pilots);
        EXPECT_TRUE(problems.empty()) << "seed " << seed << ": " << problems.front();
        EXPECT_EQ(other.counties.size(), 90u);
    }
}

TEST_F(ProvincePlan, ChecksNoticeABrokenPlan) {
    // Lay one town over its neighbour and give another a taken code, then put both back.
    auto& moved = plan.towns[2];
    ASSERT_EQ(moved.county, plan.towns[3].county);
    auto copy = geos.clone(plan.towns[3].metric.get());
    std::swap(moved.metric, copy);
    const std::string code = plan.towns[1].code;
    plan.towns[1].code = plan.towns[0].code;
    const auto problems = data::demo::check_province(geos, plan, w->pilots);
    plan.towns[1].code = code;
    std::swap(moved.metric, copy);

    auto mentions = [&](const std::string& what) {
        return std::any_of(problems.begin(), problems.end(), [&](const auto& p) { return p.find(what) != std::string::npos; });
    };
    EXPECT_TRUE(mentions("code twice"));
    EXPECT_TRUE(mentions("overlap"));
    EXPECT_TRUE(mentions("differ"));
}
