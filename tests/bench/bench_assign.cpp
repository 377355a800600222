// Assignment throughput: the in-process grid index against PostGIS doing the same work
// on the same 1,000,000 points, in one run. Needs a database with the demo towns:
//   build/tests/bench/bench_assign            (uses WANGGE_DB or var/wangge.env)
// Prints points/s for each and the ratio. Not a test: it asserts nothing.

#include "data/db.hpp"
#include "data/town_store.hpp"
#include "geo/grid_index.hpp"

#include <pqxx/pqxx>

#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <thread>

using namespace wangge;
using clock_type = std::chrono::steady_clock;

namespace {

struct Sample {
    const char* name;
    std::vector<std::pair<double, double>> pts;
};

double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

double postgis_points_per_second(data::Database& db, const std::vector<std::pair<double, double>>& pts, long long& matched) {
    double elapsed = 0;
    db.run([&](pqxx::connection_base& c) {
        pqxx::work tx(c);
        tx.exec("CREATE TEMP TABLE bench_pts (n int, geom geometry(Point, 4490)) ON COMMIT DROP");
        {
            pqxx::stream_to s(tx, "bench_pts", std::vector<std::string>{"n", "geom"});
            char buf[96];
            for (std::size_t i = 0; i < pts.size(); ++i) {
                std::snprintf(buf, sizeof buf, "SRID=4490;POINT(%.9f %.9f)", pts[i].first, pts[i].second);
                s << std::make_tuple(static_cast<int>(i), std::string(buf));
            }
            s.complete();
        }
        tx.exec("ANALYZE bench_pts");
        // The same question the index answers first: which current grid covers each
        // point (GiST index on grids.geom, one row per point and covering grid).
        const auto t0 = clock_type::now();
        auto r = tx.exec("SELECT count(*) FROM bench_pts p JOIN grids g ON g.valid_to IS NULL AND ST_Covers(g.geom, p.geom)");
        elapsed = seconds_since(t0);
        matched = r[0][0].as<long long>();
    });
    return static_cast<double>(pts.size()) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
    data::Database db(data::resolve_conninfo(argv[0]), 2);
    std::vector<geo::GridShape> grids;
    std::vector<geo::TownShape> towns;
    data::load_index_shapes(db, grids, towns);
    const auto index = geo::GridIndex::build(std::move(grids), std::move(towns));
    std::printf("index: %zu grids, raster %zu cells of %.6f°, %.2f%% of cells need the exact test, built in %.2f s\n",
                index->grids().size(), index->stats().raster_cells, index->stats().cell_deg,
                100.0 * static_cast<double>(index->stats().exact_cells) / static_cast<double>(index->stats().raster_cells),
                index->stats().build_seconds);

    const std::size_t n = argc > 1 ? std::stoul(argv[1]) : 1'000'000;
    double w = 0, s = 0, e = 0, nn = 0;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        auto r = tx.exec("SELECT ST_XMin(x), ST_YMin(x), ST_XMax(x), ST_YMax(x) FROM (SELECT ST_Extent(geom) x FROM towns) t");
        w = r[0][0].as<double>(), s = r[0][1].as<double>(), e = r[0][2].as<double>(), nn = r[0][3].as<double>();
    });
    std::mt19937_64 rng(20170601);
    Sample extent{"uniform over the four towns' extent", {}};
    std::uniform_real_distribution<double> ux(w, e), uy(s, nn);
    for (std::size_t i = 0; i < n; ++i) extent.pts.emplace_back(ux(rng), uy(rng));
    // Points inside the towns only: where reports really come from.
    Sample inside{"inside the towns only", {}};
    while (inside.pts.size() < n) {
        const double x = ux(rng), y = uy(rng);
        if (index->assign(x, y).method != geo::AssignMethod::none) inside.pts.emplace_back(x, y);
    }

    for (const auto& sample : {extent, inside}) {
        std::printf("\n%zu points, %s\n", sample.pts.size(), sample.name);
        std::size_t assigned = 0;
        auto t0 = clock_type::now();
        for (const auto& [x, y] : sample.pts) assigned += index->assign(x, y).grid.has_value();
        const double index_rate = static_cast<double>(sample.pts.size()) / seconds_since(t0);

        const unsigned threads = std::max(2u, std::thread::hardware_concurrency());
        t0 = clock_type::now();
        std::vector<std::thread> pool;
        const std::size_t chunk = (sample.pts.size() + threads - 1) / threads;
        for (unsigned k = 0; k < threads; ++k)
            pool.emplace_back([&, k] {
                std::size_t local = 0;
                for (std::size_t i = k * chunk; i < std::min(sample.pts.size(), (k + 1) * chunk); ++i)
                    local += index->assign(sample.pts[i].first, sample.pts[i].second).grid.has_value();
                (void)local;
            });
        for (auto& th : pool) th.join();
        const double index_mt_rate = static_cast<double>(sample.pts.size()) / seconds_since(t0);

        // The exact path alone (no raster) on a tenth of the points: what the raster saves.
        const std::size_t n_exact = sample.pts.size() / 10;
        std::map<geo::AssignMethod, std::size_t> by_method;
        t0 = clock_type::now();
        for (std::size_t i = 0; i < n_exact; ++i) ++by_method[index->assign_exact(sample.pts[i].first, sample.pts[i].second).method];
        const double exact_rate = static_cast<double>(n_exact) / seconds_since(t0);

        long long matched = 0;
        const double pg_rate = postgis_points_per_second(db, sample.pts, matched);
        std::printf("  in-process index, 1 thread : %12.0f points/s  (%zu assigned to a grid)\n", index_rate, assigned);
        std::printf("  in-process index, %u threads: %12.0f points/s\n", threads, index_mt_rate);
        std::printf("  exact path only, 1 thread  : %12.0f points/s  (contains %zu, boundary %zu, nearest %zu, none %zu)\n",
                    exact_rate, by_method[geo::AssignMethod::contains], by_method[geo::AssignMethod::boundary],
                    by_method[geo::AssignMethod::nearest], by_method[geo::AssignMethod::none]);
        std::printf("  PostGIS ST_Covers join     : %12.0f points/s  (%lld covered)\n", pg_rate, matched);
        std::printf("  ratio index/PostGIS        : %12.1fx (1 thread)\n", index_rate / pg_rate);
    }
    return 0;
}
