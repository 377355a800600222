#include "analytics/completion.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>

namespace wangge::analytics {

namespace {

using namespace std::chrono;

constexpr std::array<std::string_view, 6> k_by_names{"town", "grid", "platform", "category", "worker", "month"};

using Counter = detail::CompletionCounter;

bool in_period(const std::optional<Timestamp>& t, Timestamp from, Timestamp to, Timestamp as_of) {
    return t && *t >= from && *t < to && *t <= as_of;
}

std::optional<double> ratio(long num, long den) {
    if (den == 0) return std::nullopt;
    return static_cast<double>(num) / static_cast<double>(den);
}

void finish(Counter& c) {
    auto& v = c.values;
    v.due = v.closed + v.overdue_open;  // STATS.md: 应办结数
    v.completion_rate = ratio(v.closed, v.due);
    v.on_time_rate = ratio(v.closed_on_time, v.due);
    v.closed_share = ratio(v.closed, v.dispatched);
    v.rework_rate = ratio(v.reopened, v.closed);
    v.median_hours = quantile_select(c.hours, 0.5);
    v.p90_hours = quantile_select(c.hours, 0.9);
}

// The cohort part of STATS.md: one dispatched report into one counter.
void count_cohort(Counter& c, const FactTimes& f, Timestamp as_of) {
    auto& v = c.values;
    ++v.dispatched;
    if (f.closed_at) {
        ++v.closed;
        if (f.due_at && *f.closed_at <= *f.due_at) ++v.closed_on_time;
        c.hours.push_back(duration<double>(*f.closed_at - *f.dispatched_at).count() / 3600.0);
    } else if (f.due_at && *f.due_at < as_of) {
        ++v.overdue_open;
    } else {
        ++v.in_time_open;
    }
    if (f.reopened) ++v.reopened;
    if (f.supervised) ++v.supervised;
}

}  // namespace

EventKind parse_event_kind(std::string_view action) noexcept {
    if (action == "accept") return EventKind::accept;
    if (action == "dispatch") return EventKind::dispatch;
    if (action == "supervise") return EventKind::supervise;
    if (action == "close") return EventKind::close;
    if (action == "reopen") return EventKind::reopen;
    if (action == "resolve_on_site") return EventKind::resolve_on_site;
    if (action == "reject") return EventKind::reject;
    return EventKind::other;
}

ReportFacts history_at(const ReportHistory& h, Timestamp as_of) {
    ReportFacts f;
    history_at(h, as_of, f);
    return f;
}

bool apply_event(FactTimes& f, EventKind kind, Timestamp at, const std::optional<Timestamp>& event_due,
                 const std::optional<Timestamp>& report_due) noexcept {
    switch (kind) {
    case EventKind::accept:
        if (!f.accepted_at) f.accepted_at = at;
        return false;
    case EventKind::dispatch:
        if (!f.dispatched_at) f.dispatched_at = at;
        f.due_at = event_due ? event_due : report_due;
        return true;
    case EventKind::supervise: f.supervised = true; return false;
    case EventKind::close: f.closed_at = at; return false;
    case EventKind::reopen:
        f.reopened = true;
        f.closed_at.reset();
        return false;
    case EventKind::resolve_on_site:
    case EventKind::reject:
    case EventKind::other: return false;
    }
    return false;
}

void history_at(const ReportHistory& h, Timestamp as_of, ReportFacts& f) {
    f.id = h.id;
    f.town = h.town;
    f.grid = h.grid;
    f.platform = h.platform;
    f.category = h.category;
    static_cast<FactTimes&>(f) = FactTimes{};
    f.reported_at = h.reported_at;
    f.assignees.clear();
    for (const auto& e : h.events) {
        if (e.at > as_of) continue;  // has not happened yet at as_of
        if (apply_event(f, e.kind, e.at, e.due_at, h.due_at)) f.assignees = e.assignees;
    }
    // A close without a dispatch (not in any cohort) is left as it is; completion()
    // only looks at closed_at for dispatched reports.
}

std::string_view by_name(CompletionBy by) noexcept { return k_by_names[static_cast<std::size_t>(by)]; }

std::optional<CompletionBy> parse_by(std::string_view name) noexcept {
    for (std::size_t i = 0; i < k_by_names.size(); ++i)
        if (k_by_names[i] == name) return static_cast<CompletionBy>(i);
    return std::nullopt;
}

CompletionAccumulator::CompletionAccumulator(Timestamp from, Timestamp to, Timestamp as_of, CompletionBy by,
                                             std::span<const std::string> keys)
    : m_from(from), m_to(to), m_as_of(as_of), m_by(by) {
    for (const auto& k : keys) slot(k);
}

std::size_t CompletionAccumulator::slot(std::string_view key) {
    auto it = m_keys.find(key);
    if (it == m_keys.end()) {
        it = m_keys.emplace(std::string(key), m_counters.size()).first;
        m_counters.emplace_back();
    }
    return it->second;
}

std::size_t CompletionAccumulator::month_slot(Timestamp t) {
    const year_month_day ymd{shanghai_day(t)};
    const int index = static_cast<int>(ymd.year()) * 12 + static_cast<int>(static_cast<unsigned>(ymd.month())) - 1;
    auto it = m_months.find(index);
    if (it == m_months.end()) it = m_months.emplace(index, slot(shanghai_month_key(t))).first;
    return it->second;
}

bool CompletionAccumulator::counts(const FactTimes& f) const noexcept {
    return in_period(f.reported_at, m_from, m_to, m_as_of) || in_period(f.accepted_at, m_from, m_to, m_as_of) ||
           in_period(f.dispatched_at, m_from, m_to, m_as_of);
}

void CompletionAccumulator::add(const ReportFacts& f) {
    if (!counts(f)) return;
    m_scratch.clear();
    switch (m_by) {
    case CompletionBy::town: m_scratch.push_back(slot(f.town)); break;
    case CompletionBy::grid:
        if (!f.grid.empty()) m_scratch.push_back(slot(f.grid));
        break;
    case CompletionBy::platform: m_scratch.push_back(slot(f.platform)); break;
    case CompletionBy::category: m_scratch.push_back(slot(f.category)); break;
    case CompletionBy::worker:
        for (const auto& w : f.assignees) m_scratch.push_back(slot(w));
        break;
    case CompletionBy::month: break;
    }
    add(static_cast<const FactTimes&>(f), m_scratch);
}

void CompletionAccumulator::add(const FactTimes& f, std::span<const std::size_t> slots) {
    // Each count under the rows of its own time: for by=month the month of that time.
    auto for_rows = [&](Timestamp t, auto&& count) {
        if (m_by == CompletionBy::month) {
            count(m_counters[month_slot(t)]);
            return;
        }
        for (auto s : slots) count(m_counters[s]);
    };
    if (in_period(f.reported_at, m_from, m_to, m_as_of)) {
        ++m_total.values.reported;
        for_rows(f.reported_at, [](Counter& c) { ++c.values.reported; });
    }
    if (in_period(f.accepted_at, m_from, m_to, m_as_of)) {
        ++m_total.values.accepted;
        for_rows(*f.accepted_at, [](Counter& c) { ++c.values.accepted; });
    }
    if (in_period(f.dispatched_at, m_from, m_to, m_as_of)) {
        count_cohort(m_total, f, m_as_of);
        for_rows(*f.dispatched_at, [&](Counter& c) { count_cohort(c, f, m_as_of); });
    }
}

std::vector<CompletionRow> CompletionAccumulator::rows() {
    std::vector<CompletionRow> out;
    out.reserve(m_keys.size());
    for (const auto& [key, index] : m_keys) {
        finish(m_counters[index]);  // reorders hours only: rows() may be called again
        out.push_back({key, m_counters[index].values});
    }
    return out;
}

Indicators CompletionAccumulator::total() {
    finish(m_total);
    return m_total.values;
}

std::vector<CompletionRow> completion(std::span<const ReportFacts> facts, Timestamp from, Timestamp to,
                                      Timestamp as_of, CompletionBy by, std::span<const std::string> keys) {
    CompletionAccumulator acc(from, to, as_of, by, keys);
    for (const auto& f : facts) acc.add(f);
    return acc.rows();
}

Indicators completion_total(std::span<const ReportFacts> facts, Timestamp from, Timestamp to, Timestamp as_of) {
    CompletionAccumulator acc(from, to, as_of, CompletionBy::town);
    for (const auto& f : facts) acc.add(f);
    return acc.total();
}

std::optional<double> quantile_sorted(std::span<const double> sorted, double q) noexcept {
    if (sorted.empty()) return std::nullopt;
    const double h = (static_cast<double>(sorted.size()) - 1) * std::clamp(q, 0.0, 1.0);
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

std::optional<double> quantile_select(std::span<double> values, double q) noexcept {
    if (values.empty()) return std::nullopt;
    const double h = (static_cast<double>(values.size()) - 1) * std::clamp(q, 0.0, 1.0);
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const auto at_lo = values.begin() + static_cast<std::ptrdiff_t>(lo);
    std::nth_element(values.begin(), at_lo, values.end());
    // The next rank is the smallest of what nth_element left above it.
    const double next = lo + 1 < values.size() ? *std::min_element(at_lo + 1, values.end()) : *at_lo;
    return *at_lo + (h - static_cast<double>(lo)) * (next - *at_lo);
}

std::string shanghai_month_key(Timestamp t) {
    const year_month_day ymd{shanghai_day(t)};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()));
    return buf;
}

std::string format_percent(std::optional<double> rate) {
    if (!rate) return "—";
    // Round the percentage to hundredths, half away from zero, on a value nudged by one
    // ulp-scale amount so that 0.93725 (binary 0.937249999…) prints as a bulletin would.
    const double pct = std::round(*rate * 10000.0 * (1 + 1e-12)) / 100.0;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f%%", pct);
    return buf;
}

}  // namespace wangge::analytics
