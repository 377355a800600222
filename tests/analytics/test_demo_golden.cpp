// Gi* z and Moran's I for the project's own demo grids against R spdep, to 1e-9
// (STATS.md). The inputs (grid, count over the demo year, neighbours) come from the demo
// database of test::demo_database() — seed 7, 3000 reports, until 2026-06, fixed cutoff —
// and are committed under tests/golden/ beside spdep's answers, which
// scripts/spdep-golden.R produced once. CI needs no R.
//
// Regenerate (developers only):
//   WANGGE_GOLDEN_WRITE=1 build-aa/tests/test_analytics_demo --gtest_filter='*Golden*'
//   for f in tests/golden/*.in.csv; do scripts/spdep-golden.R "$f" "${f%.in.csv}.spdep.csv" W; done

#include "analytics/getis_ord.hpp"
#include "analytics/moran.hpp"
#include "data/analytics_store.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

using namespace wangge;
using namespace wangge::analytics;

namespace {

struct GoldenCase {
    const char* town;
    Contiguity weights;
    std::string stem() const { return std::string(town) + "-" + std::string(contiguity_name(weights)); }
};

const GoldenCase k_cases[] = {{"chengdong", Contiguity::queen},
                              {"bailongqiao", Contiguity::queen},
                              {"jiangtang", Contiguity::rook},
                              {"tashi", Contiguity::queen}};

std::string golden_path(const std::string& name) { return std::string(WANGGE_TEST_GOLDEN_DIR) + "/" + name; }

// The demo year: every report of the demo database.
const Timestamp k_from = *parse_instant("2025-07-01");
const Timestamp k_to = *parse_instant("2026-07-01");

struct Input {
    std::vector<std::string> ids;
    std::vector<double> counts;
    NeighbourList neighbours;
};

Input from_database(const GoldenCase& c) {
    auto& db = test::demo_database().db();
    const auto grids = data::load_grid_set(db, c.town, c.weights);
    Input in{grids.ids, data::load_grid_counts(db, grids, c.town, k_from, k_to, std::nullopt, std::nullopt),
             grids.neighbours};
    return in;
}

std::string as_csv(const Input& in) {
    std::ostringstream out;
    out << "id,count,neighbours\n";
    for (std::size_t i = 0; i < in.ids.size(); ++i) {
        out << in.ids[i] << ',' << static_cast<long long>(in.counts[i]) << ',';
        for (std::size_t k = 0; k < in.neighbours[i].size(); ++k) out << (k ? " " : "") << in.ids[in.neighbours[i][k]];
        out << '\n';
    }
    return out.str();
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// statistic → id → value from spdep-golden.R's "statistic,id,value".
std::map<std::string, std::map<std::string, double>> read_spdep(const std::string& path) {
    std::map<std::string, std::map<std::string, double>> out;
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        const auto a = line.find(','), b = line.find(',', a + 1);
        out[line.substr(0, a)][line.substr(a + 1, b - a - 1)] = std::stod(line.substr(b + 1));
    }
    return out;
}

}  // namespace

TEST(DemoGolden, InputsAreReproducibleFromTheDemoDatabase) {
    const bool write = std::getenv("WANGGE_GOLDEN_WRITE") != nullptr;
    for (const auto& c : k_cases) {
        const auto csv = as_csv(from_database(c));
        if (write) std::ofstream(golden_path(c.stem() + ".in.csv")) << csv;
        EXPECT_EQ(csv, read_file(golden_path(c.stem() + ".in.csv"))) << c.stem();
    }
}

TEST(DemoGolden, GiStarAndMoranAgreeWithSpdepTo1e9) {
    for (const auto& c : k_cases) {
        SCOPED_TRACE(c.stem());
        const auto in = from_database(c);
        const auto spdep = read_spdep(golden_path(c.stem() + ".spdep.csv"));
        ASSERT_EQ(spdep.at("gi_star_z").size(), in.ids.size());

        const auto gi = hotspots(in.counts, in.neighbours);
        for (std::size_t i = 0; i < in.ids.size(); ++i) {
            ASSERT_TRUE(gi[i].z.has_value()) << in.ids[i];
            EXPECT_NEAR(*gi[i].z, spdep.at("gi_star_z").at(in.ids[i]), 1e-9) << in.ids[i];
        }
        const auto moran = global_moran(in.counts, in.neighbours);
        ASSERT_TRUE(moran.has_value());
        EXPECT_NEAR(moran->i, spdep.at("moran_i").at(""), 1e-9);
        EXPECT_NEAR(moran->expected, spdep.at("moran_expected").at(""), 1e-12);
        EXPECT_NEAR(*moran->variance_randomisation, spdep.at("moran_var_randomisation").at(""), 1e-9);
        EXPECT_NEAR(moran->variance_normality, spdep.at("moran_var_normality").at(""), 1e-9);
        const auto lisa = local_moran(in.counts, in.neighbours);
        for (std::size_t i = 0; i < in.ids.size(); ++i)
            EXPECT_NEAR(lisa[i].i.value_or(0.0), spdep.at("local_i").at(in.ids[i]), 1e-9) << in.ids[i];
    }
}

TEST(DemoGolden, QueenHasAtLeastTheLinksOfRook) {
    auto& db = test::demo_database().db();
    for (const char* town : {"chengdong", "tashi"}) {
        const auto queen = data::load_grid_set(db, town, Contiguity::queen);
        const auto rook = data::load_grid_set(db, town, Contiguity::rook);
        ASSERT_EQ(queen.ids, rook.ids);
        for (std::size_t i = 0; i < queen.ids.size(); ++i) {
            EXPECT_FALSE(queen.neighbours[i].empty()) << "demo grids tile the town: nobody is alone";
            for (auto j : rook.neighbours[i])
                EXPECT_TRUE(std::find(queen.neighbours[i].begin(), queen.neighbours[i].end(), j) != queen.neighbours[i].end());
        }
    }
}
