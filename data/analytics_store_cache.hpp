#pragma once
// An in-process columnar copy of every report's counted history (analytics::EventKind
// events), so that completion indicators for any period and as_of are computed without
// a round of SQL over report_events each time. Measured on 1,000,000 reports: the SQL
// load of one town-month takes ~0.5–3 s, the copy answers in milliseconds (issue 6 asks
// for ≤ 50 ms). See docs/analytics.md "Performance".
//
// Freshness: every write to reports or report_events is noted in report_changes by
// statement triggers (migration 0004); each call first reads the changes since the last
// one (an indexed range scan) and re-reads only those reports. A TRUNCATE, or a very
// large batch, reloads everything.

#include "data/analytics_store.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <memory>
#include <vector>

namespace wangge::data {

class Database;

class ReportCache {
public:
    /// Loads nothing yet: the first call loads every town (seconds for a million reports).
    explicit ReportCache(Database& db);
    ~ReportCache();
    ReportCache(const ReportCache&) = delete;
    ReportCache& operator=(const ReportCache&) = delete;

    /// The same facts as load_facts(db, query) for include_open = false; with
    /// include_open, the reports dispatched by as_of and open at as_of are added (exactly,
    /// from the events). Ordered by town and id. Catches up with the database first.
    /// @throws Error(database_unavailable) / Error(internal) as Database::run
    std::vector<analytics::ReportFacts> facts(const HistoryQuery& query);

    /// Counts what facts(query) would give (include_open aside: the
    /// accumulator picks its own cohort) into `acc`, from the copy's interned ids: no
    /// strings or histories per report. Catches up with the database first.
    void count_completion(const HistoryQuery& query, analytics::CompletionAccumulator& acc);

    /// Reports per grid id and period, by reported_at: counts[grid][k] for reported_at in
    /// [bounds[k], bounds[k+1]); optionally one platform or category. Reports without a
    /// grid are left out. The answer of load_grid_counts / load_monthly_counts, from the
    /// copy. Catches up with the database first.
    /// @pre bounds ascending, at least two
    std::map<std::string, std::vector<double>> count_by_grid(const std::string& town, const std::vector<Timestamp>& bounds,
                                                             const std::optional<std::string>& platform,
                                                             const std::optional<std::string>& category);

    /// Catches up with the database now (loads everything the first time).
    void refresh();

    struct Stats {
        std::size_t reports = 0;
        std::size_t events = 0;
        std::size_t full_loads = 0;
        std::size_t reports_reloaded = 0;  // by incremental catch-up
        std::size_t event_slots = 0;       // events held, including those of re-read reports not yet compacted
        std::size_t event_capacity = 0;    // event slots allocated (vectors grow by a quarter)
        std::size_t bytes = 0;             // the copy's memory: reports, events, the id index (allocated, estimated for the index)
    };
    Stats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace wangge::data
