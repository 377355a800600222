#pragma once
// Completion indicators (办结率 and friends), STATS.md "Completion indicators": pure
// functions over typed rows. The store loads each report's history of workflow actions;
// history_at() folds it into what was true at `as_of`; completion() counts a cohort.

#include "core/time.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wangge::analytics {

/// The workflow actions that change an indicator (report_events.action). Others
/// (start, resolve, …) change nothing STATS.md counts and are not loaded.
enum class EventKind : unsigned char { accept, dispatch, supervise, close, reopen, resolve_on_site, reject, other };

/// "accept" → EventKind::accept; unknown names → other.
EventKind parse_event_kind(std::string_view action) noexcept;

/// One action from report_events, in seq order.
struct ReportEvent {
    EventKind kind = EventKind::other;
    Timestamp at;
    std::optional<Timestamp> due_at;     // dispatch: the deadline it set (details.due_at)
    std::vector<std::string> assignees;  // dispatch: who handles it (details.assignees)
};

/// A report with its whole stored history.
struct ReportHistory {
    long long id = 0;
    std::string town;
    std::string grid;  // empty when unassigned
    std::string platform;
    std::string category;
    Timestamp reported_at;
    std::optional<Timestamp> due_at;  // reports.due_at: used when a dispatch event has no due_at
    std::vector<ReportEvent> events;  // in seq order
};

/// The times and flags the indicators count: what was true of one report at an
/// instant `as_of` (only events at or before it count), without its keys.
struct FactTimes {
    Timestamp reported_at;
    std::optional<Timestamp> accepted_at;    // first accept (立案)
    std::optional<Timestamp> dispatched_at;  // first dispatch (交办): the cohort time
    std::optional<Timestamp> due_at;         // deadline set by the latest dispatch
    std::optional<Timestamp> closed_at;      // the close in force at as_of; absent when open
    bool reopened = false;                   // reopened (返工) at least once
    bool supervised = false;                 // at least one supervise (督办)
};

/// One event of a history, in seq order, folded into what was true before it (the rule
/// of history_at below, for callers that keep events in their own form). `event_due` is
/// the dispatch's deadline, `report_due` the report's (used when a dispatch has none).
/// Returns true for a dispatch: its assignees become the report's.
bool apply_event(FactTimes& facts, EventKind kind, Timestamp at, const std::optional<Timestamp>& event_due,
                 const std::optional<Timestamp>& report_due) noexcept;

/// What was true of one report at an instant `as_of`, with its keys.
struct ReportFacts : FactTimes {
    long long id = 0;
    std::string town;
    std::string grid;
    std::string platform;
    std::string category;
    std::vector<std::string> assignees;  // of the latest dispatch
};

/// Folds a history at `as_of`. A report closed after as_of, or closed and then reopened
/// before as_of without a new close, is open at as_of; closed_at is the last close when
/// no reopen follows it. A report reported after as_of keeps its reported_at (callers
/// leave it out).
ReportFacts history_at(const ReportHistory& history, Timestamp as_of);

/// The same into `out`, reusing its storage (for callers that fold many histories).
void history_at(const ReportHistory& history, Timestamp as_of, ReportFacts& out);

/// The rows of a completion table (API.md: by=town|grid|platform|category|worker|month).
enum class CompletionBy : unsigned char { town, grid, platform, category, worker, month };

std::string_view by_name(CompletionBy by) noexcept;
std::optional<CompletionBy> parse_by(std::string_view name) noexcept;

/// GET /api/v1/analytics/completion, parsed.
struct CompletionParams {
    std::string town;  // a town code, or "all"
    Timestamp from;    // [from, to), on dispatch time for the cohort
    Timestamp to;
    CompletionBy by = CompletionBy::town;
    Timestamp as_of;   // default: now
};

/// The indicators of STATS.md for one scope. Rates are fractions (0.9372), absent where
/// the denominator is 0.
struct Indicators {
    long reported = 0;        // reported_at in the period
    long accepted = 0;        // accepted (立案) in the period
    long dispatched = 0;      // dispatched (交办) in the period: the cohort
    long due = 0;             // 应办结数: closed + overdue_open
    long closed = 0;          // 办结数: cohort closed at as_of
    long closed_on_time = 0;  // 按期办结数: closed with closed_at ≤ due_at
    long overdue_open = 0;    // 超期未办结: open, due_at < as_of
    long in_time_open = 0;    // open, still inside the limit (or no deadline)
    long reopened = 0;        // cohort reports reopened at least once (返工)
    long supervised = 0;      // cohort reports with a supervise (督办数)
    std::optional<double> completion_rate;  // closed / due (办结率)
    std::optional<double> on_time_rate;     // closed_on_time / due (按期办结率)
    std::optional<double> closed_share;     // closed / dispatched
    std::optional<double> rework_rate;      // reopened / closed (返工率)
    std::optional<double> median_hours;     // dispatch → close, closed cohort reports
    std::optional<double> p90_hours;
};

struct CompletionRow {
    std::string key;  // town code, grid id, platform, category, worker id, or "YYYY-MM"
    Indicators values;
};

namespace detail {
struct CompletionCounter {
    Indicators values;
    std::vector<double> hours;  // dispatch → close of closed cohort reports
};
}  // namespace detail

/// Counts facts one at a time into rows keyed by `by` and a total, with the rules of
/// completion() below, for callers that stream facts instead of holding them all. A
/// caller that keeps keys as its own ids resolves each key once with slot() and counts
/// with add(times, slots): no strings per report (a year of a big town is hundreds of
/// thousands of reports, and every completion table of the command room reads them).
class CompletionAccumulator {
public:
    CompletionAccumulator(Timestamp from, Timestamp to, Timestamp as_of, CompletionBy by,
                          std::span<const std::string> keys = {});

    void add(const ReportFacts& facts);

    /// The row of a key, created empty if new (not used for by=month).
    std::size_t slot(std::string_view key);
    /// One report counted under the rows `slots`: one for by=town|grid|platform|category
    /// (none for a report without a grid), its latest dispatch's assignees for worker;
    /// ignored for month, where each count goes to the month of its own time.
    void add(const FactTimes& facts, std::span<const std::size_t> slots);

    /// Whether add() would count anything of these facts: a report with nothing in the
    /// period makes no row, so keys are resolved only for those that do.
    bool counts(const FactTimes& facts) const noexcept;

    CompletionBy by() const noexcept { return m_by; }

    /// Rows ordered by key, with rates and hours filled in.
    std::vector<CompletionRow> rows();
    /// Every fact as one scope.
    Indicators total();

private:
    std::size_t month_slot(Timestamp t);

    Timestamp m_from, m_to, m_as_of;
    CompletionBy m_by;
    std::vector<detail::CompletionCounter> m_counters;
    std::map<std::string, std::size_t, std::less<>> m_keys;  // key → m_counters[]
    std::map<int, std::size_t> m_months;                      // year * 12 + month - 1 → m_counters[]
    detail::CompletionCounter m_total;
    std::vector<std::size_t> m_scratch;  // slots of the ReportFacts overload
};

/// Counts facts into rows keyed by `by`. Each count uses its own time: reported by
/// reported_at, accepted by accepted_at, the cohort (everything else) by dispatched_at,
/// all in [from, to) and at or before as_of. by=month keys each count by the Shanghai
/// month of that time; by=worker keys by the assignees of the latest dispatch (a report
/// with two assignees counts for both; undispatched reports have no worker). `keys`
/// seeds rows that must appear even when empty (e.g. every grid of a town). Rows are
/// ordered by key.
std::vector<CompletionRow> completion(std::span<const ReportFacts> facts, Timestamp from, Timestamp to,
                                      Timestamp as_of, CompletionBy by, std::span<const std::string> keys = {});

/// All facts as one scope.
Indicators completion_total(std::span<const ReportFacts> facts, Timestamp from, Timestamp to, Timestamp as_of);

/// Linear interpolation between closest ranks (R type 7, numpy's default) on sorted
/// values; nullopt for none. q in [0, 1].
std::optional<double> quantile_sorted(std::span<const double> sorted, double q) noexcept;

/// The same quantile of values in any order, reordering them (nth_element: linear, where
/// sorting a year's closed reports of a big town took most of a completion table).
std::optional<double> quantile_select(std::span<double> values, double q) noexcept;

/// "YYYY-MM" of an instant in Asia/Shanghai.
std::string shanghai_month_key(Timestamp t);

/// "93.72%" — a rate as a bulletin prints it (two decimals, half away from zero); "—"
/// when absent.
std::string format_percent(std::optional<double> rate);

}  // namespace wangge::analytics
