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

struct Counter {
    Indicators values;
    std::vector<double> hours;  // dispatch → close of closed cohort reports
};

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
    std::sort(c.hours.begin(), c.hours.end());
    v.median_hours = quantile_sorted(c.hours, 0.5);
    v.p90_hours = quantile_sorted(c.hours, 0.9);
}

// The cohort part of STATS.md: one dispatched report into one counter.
void count_cohort(Counter& c, const ReportFacts& f, Timestamp as_of) {
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
    f.id = h.id;
    f.town = h.town;
    f.grid = h.grid;
    f.platform = h.platform;
    f.category = h.category;
    f.reported_at = h.reported_at;
    for (const auto& e : h.events) {
        if (e.at > as_of) continue;  // has not happened yet at as_of
        switch (e.kind) {
        case EventKind::accept:
            if (!f.accepted_at) f.accepted_at = e.at;
            break;
        case EventKind::dispatch:
            if (!f.dispatched_at) f.dispatched_at = e.at;
            f.due_at = e.due_at ? e.due_at : h.due_at;
            f.assignees = e.assignees;
            break;
        case EventKind::supervise: f.supervised = true; break;
        case EventKind::close: f.closed_at = e.at; break;
        case EventKind::reopen:
            f.reopened = true;
            f.closed_at.reset();
            break;
        case EventKind::resolve_on_site:
        case EventKind::reject:
        case EventKind::other: break;
        }
    }
    // A close without a dispatch (not in any cohort) is left as it is; completion()
    // only looks at closed_at for dispatched reports.
    return f;
}

std::string_view by_name(CompletionBy by) noexcept { return k_by_names[static_cast<std::size_t>(by)]; }

std::optional<CompletionBy> parse_by(std::string_view name) noexcept {
    for (std::size_t i = 0; i < k_by_names.size(); ++i)
        if (k_by_names[i] == name) return static_cast<CompletionBy>(i);
    return std::nullopt;
}

std::vector<CompletionRow> completion(std::span<const ReportFacts> facts, Timestamp from, Timestamp to,
                                      Timestamp as_of, CompletionBy by, std::span<const std::string> keys) {
    std::map<std::string, Counter> rows;
    for (const auto& k : keys) rows[k];
    // The keys one report counts under for a count taken at time t.
    std::vector<std::string> scratch;
    auto keys_of = [&](const ReportFacts& f, Timestamp t) -> const std::vector<std::string>& {
        scratch.clear();
        switch (by) {
        case CompletionBy::town: scratch.push_back(f.town); break;
        case CompletionBy::grid:
            if (!f.grid.empty()) scratch.push_back(f.grid);
            break;
        case CompletionBy::platform: scratch.push_back(f.platform); break;
        case CompletionBy::category: scratch.push_back(f.category); break;
        case CompletionBy::worker: scratch = f.assignees; break;
        case CompletionBy::month: scratch.push_back(shanghai_month_key(t)); break;
        }
        return scratch;
    };
    for (const auto& f : facts) {
        if (in_period(f.reported_at, from, to, as_of))
            for (const auto& k : keys_of(f, f.reported_at)) ++rows[k].values.reported;
        if (in_period(f.accepted_at, from, to, as_of))
            for (const auto& k : keys_of(f, *f.accepted_at)) ++rows[k].values.accepted;
        if (in_period(f.dispatched_at, from, to, as_of))
            for (const auto& k : keys_of(f, *f.dispatched_at)) count_cohort(rows[k], f, as_of);
    }
    std::vector<CompletionRow> out;
    out.reserve(rows.size());
    for (auto& [key, counter] : rows) {
        finish(counter);
        out.push_back({key, counter.values});
    }
    return out;
}

Indicators completion_total(std::span<const ReportFacts> facts, Timestamp from, Timestamp to, Timestamp as_of) {
    Counter c;
    for (const auto& f : facts) {
        if (in_period(f.reported_at, from, to, as_of)) ++c.values.reported;
        if (in_period(f.accepted_at, from, to, as_of)) ++c.values.accepted;
        if (in_period(f.dispatched_at, from, to, as_of)) count_cohort(c, f, as_of);
    }
    finish(c);
    return c.values;
}

std::optional<double> quantile_sorted(std::span<const double> sorted, double q) noexcept {
    if (sorted.empty()) return std::nullopt;
    const double h = (static_cast<double>(sorted.size()) - 1) * std::clamp(q, 0.0, 1.0);
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
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
