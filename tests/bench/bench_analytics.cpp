// Analytics response times on a big database (issue 6: 1,000,000 reports), end to end
// from the store (SQL) through the pure computation to the rendered answer:
//   completion by grid for one town and month   target ≤ 50 ms
//   hotspots for one town and month              target ≤ 100 ms
//   trends, 12 months, one town                  target ≤ 200 ms
//   meeting pack (HTML and XLSX), one town       target ≤ 2 s
// Uses WANGGE_DB or var/wangge.env. Load the data first, e.g.
//   build/wangge demo-data --seed 7 --reports 1000000 --until 2026-10
//       --cutoff 2026-10-20T12:00:00+08:00 --replace   (one line)
//   build/tests/bench/bench_analytics [town] [YYYY-MM]
// Prints the median and best of several runs and the ratio to the target. Not a test:
// it asserts nothing.

#include "analytics/meeting.hpp"
#include "data/analytics_store.hpp"
#include "data/analytics_store_cache.hpp"
#include "data/db.hpp"

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

using namespace wangge;
using clock_type = std::chrono::steady_clock;

namespace {

void measure(const char* name, double target_ms, int runs, const std::function<std::size_t()>& fn) {
    std::vector<double> ms;
    std::size_t size = 0;
    for (int i = 0; i < runs; ++i) {
        const auto t0 = clock_type::now();
        size = fn();
        ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    const double median = ms[ms.size() / 2];
    if (target_ms > 0)
        std::printf("%-48s median %9.1f ms  best %9.1f ms  target %6.0f ms  ratio %5.2f  (%zu)\n", name, median, ms.front(),
                    target_ms, median / target_ms, size);
    else
        std::printf("%-48s median %9.1f ms  best %9.1f ms  (%zu)\n", name, median, ms.front(), size);
}

}  // namespace

int main(int argc, char** argv) {
    data::Database db(data::resolve_conninfo(argv[0]), 2);
    const std::string town = argc > 1 ? argv[1] : "bailongqiao";
    const auto month = parse_year_month(argc > 2 ? argv[2] : "2026-09");
    if (!month) {
        std::fprintf(stderr, "usage: bench_analytics [town] [YYYY-MM]\n");
        return 2;
    }
    const Timestamp from = shanghai_month_start(*month);
    const Timestamp to = shanghai_month_start(*month + std::chrono::months{1});
    std::printf("town %s, month %s\n", town.c_str(), argc > 2 ? argv[2] : "2026-09");

    // The in-process copy the service uses; its first load is paid once per process.
    data::ReportCache cache(db);
    measure("report cache: first load, every town", 0, 1, [&] {
        cache.refresh();
        return cache.stats().reports;
    });
    measure("report cache: catch-up check, nothing new", 1, 7, [&] {
        cache.refresh();
        return cache.stats().reports;
    });

    analytics::CompletionParams completion{town, from, to, analytics::CompletionBy::grid, to};
    measure("completion by grid, one month, SQL (baseline)", 50, 3,
            [&] { return data::completion_report(db, completion).rows.size(); });
    measure("completion by grid, one month, cache", 50, 7,
            [&] { return data::completion_report(db, completion, &cache).rows.size(); });
    analytics::CompletionParams completion_year{town, to - std::chrono::days{365}, to, analytics::CompletionBy::grid, to};
    measure("completion by grid, 12 months, cache", 50, 3,
            [&] { return data::completion_report(db, completion_year, &cache).rows.size(); });
    if (std::getenv("WANGGE_BENCH_ONLY_COMPLETION")) return 0;  // for profiling

    analytics::HotspotParams hot{town, from, to, std::nullopt, std::nullopt, analytics::Contiguity::queen, false};
    measure("hotspots queen, one month, SQL counts (baseline)", 100, 3,
            [&] { return data::hotspot_report(db, hot).grids.size(); });
    measure("hotspots queen, one month, cache", 100, 7, [&] { return data::hotspot_report(db, hot, &cache).grids.size(); });
    hot.weights = analytics::Contiguity::rook;
    measure("hotspots rook, one month, cache", 100, 5, [&] { return data::hotspot_report(db, hot, &cache).grids.size(); });

    analytics::TrendParams trends{town, *month, 12, std::nullopt, std::nullopt, analytics::Contiguity::queen};
    measure("trends, 12 months, SQL counts (baseline)", 200, 3, [&] { return data::trend_report(db, trends).grids.size(); });
    measure("trends, 12 months, cache", 200, 5, [&] { return data::trend_report(db, trends, &cache).grids.size(); });

    analytics::MeetingParams meeting{town, *month, std::nullopt, analytics::MeetingFormat::html};
    measure("meeting pack HTML end to end, SQL (baseline)", 2000, 1, [&] {
        return analytics::render_meeting_html(data::meeting_pack(db, meeting, {})).size();
    });
    measure("meeting pack HTML end to end, cache", 2000, 3, [&] {
        return analytics::render_meeting_html(data::meeting_pack(db, meeting, {}, &cache)).size();
    });
    measure("meeting pack XLSX end to end, cache", 2000, 3, [&] {
        return analytics::render_meeting_xlsx(data::meeting_pack(db, meeting, {}, &cache)).size();
    });
    return 0;
}
