#include "data/analytics_store_cache.hpp"

#include "data/db.hpp"
#include "data/prepared.hpp"
#include "data/text.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <climits>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>

namespace wangge::data {

namespace {

using namespace std::chrono;
using analytics::EventKind;

constexpr std::int64_t k_none = LLONG_MIN;
// Changes are read from a little before the last one seen, so that a transaction that
// took its sequence number earlier but committed later is not missed (within this many
// numbers); ids already applied are skipped.
constexpr long long k_change_window = 256;
// More changed reports than this at once: a full reload is cheaper than piecemeal.
constexpr std::size_t k_full_reload_threshold = 50000;

constexpr const char* k_history_select = R"sql(
SELECT r.id, coalesce(r.grid, ''), r.platform, r.category,
       extract(epoch FROM r.reported_at)::bigint, extract(epoch FROM r.due_at)::bigint,
       e.action, extract(epoch FROM e.at)::bigint,
       extract(epoch FROM (e.details->>'due_at')::timestamptz)::bigint,
       CASE WHEN jsonb_typeof(e.details->'assignees') = 'array'
            THEN array_to_string(ARRAY(SELECT jsonb_array_elements_text(e.details->'assignees')), ' ') END
FROM reports r
LEFT JOIN report_events e ON e.town = r.town AND e.report = r.id
     AND e.action IN ('accept', 'dispatch', 'supervise', 'close', 'reopen', 'resolve_on_site', 'reject')
)sql";

struct Event {
    std::int64_t at;
    std::int64_t due;        // k_none: absent
    std::uint32_t assignees;  // index into the assignee lists; 0 = none
    EventKind kind;
};

struct Report {
    long long id = 0;
    std::int64_t reported_at = 0;
    std::int64_t due = k_none;
    std::uint32_t grid = 0, platform = 0, category = 0;  // interned strings
    std::uint32_t first = 0, count = 0;                  // events[first, first + count)
    bool gone = false;                                   // deleted from the database
};

struct Town {
    std::vector<Report> reports;
    std::unordered_map<long long, std::size_t> index;  // id → reports[]
    std::vector<Event> events;                          // appended to; a re-read report leaves its old slots
    std::size_t dead_events = 0;                        // slots no report points to (old, or of gone reports)
    std::size_t gone = 0;                               // reports marked gone
    std::size_t live_events = 0;                        // events of reports not gone
};

// The copy is most of a node's memory, so its vectors grow by a quarter of what they
// hold rather than double: at 1M reports a town's events are ~20 MB, and doubling on the
// first write after a load (or after a compaction sized them exactly) showed as RSS
// growing by a third under load.sh. Amortised, the copies cost a few per cent of the writes.
template <class T>
void make_room(std::vector<T>& v, std::size_t more) {
    if (v.size() + more <= v.capacity()) return;
    const std::size_t need = v.size() + more;
    std::vector<T> grown;
    grown.reserve(need + need / 4);
    grown.insert(grown.end(), v.begin(), v.end());
    v = std::move(grown);
}

// Drops the slots of re-read and deleted reports once they are an eighth of the live
// ones: the copy follows every write by re-reading the reports it touched, and without
// this a node under steady writes grows by their event slots for ever. With the
// quarter of headroom above, a town's vectors stay within ~1.25× what they hold.
// Amortised, each compaction costs no more than the writes that made it necessary.
void compact_if_worth_it(Town& town) {
    const std::size_t live = town.events.size() - town.dead_events;
    if (town.dead_events + town.gone < std::max<std::size_t>(4096, live / 8)) return;
    std::vector<Event> events;
    events.reserve(live + live / 4);
    std::vector<Report> reports;
    const std::size_t remaining = town.reports.size() - town.gone;
    reports.reserve(remaining + remaining / 4);
    town.index.clear();
    for (const auto& r : town.reports) {
        if (r.gone) continue;
        Report kept = r;
        kept.first = static_cast<std::uint32_t>(events.size());
        events.insert(events.end(), town.events.begin() + r.first, town.events.begin() + r.first + r.count);
        town.index.emplace(kept.id, reports.size());
        reports.push_back(kept);
    }
    town.events = std::move(events);
    town.reports = std::move(reports);
    town.dead_events = town.gone = 0;
}

Timestamp to_time(std::int64_t s) { return Timestamp{seconds{s}}; }
std::int64_t epoch(Timestamp t) { return t.time_since_epoch().count(); }

}  // namespace

struct ReportCache::Impl {
    explicit Impl(Database& database) : db(database) {
        strings.emplace_back();
        string_ids[""] = 0;
        assignee_lists.emplace_back();
        assignee_ids[""] = 0;
    }

    Database& db;
    mutable std::shared_mutex data_mutex;  // guards everything below except refresh_mutex
    std::mutex refresh_mutex;              // one catch-up at a time
    bool loaded = false;
    std::map<std::string, Town> towns;
    std::vector<std::string> strings;
    std::unordered_map<std::string, std::uint32_t> string_ids;
    std::vector<std::vector<std::string>> assignee_lists;
    std::unordered_map<std::string, std::uint32_t> assignee_ids;
    long long last_change = 0;
    std::set<long long> recent_changes;  // applied ids within the window
    Stats stats;

    std::uint32_t intern(const std::string& s) {
        auto [it, inserted] = string_ids.try_emplace(s, static_cast<std::uint32_t>(strings.size()));
        if (inserted) strings.push_back(s);
        return it->second;
    }

    std::uint32_t intern_assignees(const std::string& joined) {
        auto [it, inserted] = assignee_ids.try_emplace(joined, static_cast<std::uint32_t>(assignee_lists.size()));
        if (inserted) {
            std::vector<std::string> list;
            std::size_t start = 0;
            while (start < joined.size()) {
                auto end = joined.find(' ', start);
                if (end == std::string::npos) end = joined.size();
                if (end > start) list.push_back(joined.substr(start, end - start));
                start = end + 1;
            }
            assignee_lists.push_back(std::move(list));
        }
        return it->second;
    }

    // Reads histories (ordered by id, seq) into a town; replaces reports already there.
    void read_into(Town& town, const pqxx::result& res) {
        make_room(town.events, res.size());  // at most a slot per row
        long long current = -1;
        Report* report = nullptr;
        for (const auto& row : res) {
            const auto id = row[0].as<long long>();
            if (id != current) {
                current = id;
                Report r;
                r.id = id;
                r.grid = intern(row[1].as<std::string>());
                r.platform = intern(row[2].as<std::string>());
                r.category = intern(row[3].as<std::string>());
                r.reported_at = row[4].as<std::int64_t>();
                r.due = row[5].is_null() ? k_none : row[5].as<std::int64_t>();
                r.first = static_cast<std::uint32_t>(town.events.size());
                auto [it, inserted] = town.index.try_emplace(id, town.reports.size());
                if (inserted) {
                    make_room(town.reports, 1);  // rows outnumber reports: room is made as they come
                    town.reports.push_back(r);
                } else {
                    auto& old = town.reports[it->second];
                    town.dead_events += old.count;
                    if (old.gone) --town.gone;
                    else town.live_events -= old.count;
                    old = r;
                }
                report = &town.reports[it->second];
            }
            if (row[6].is_null()) continue;
            Event e;
            e.kind = analytics::parse_event_kind(row[6].c_str());
            e.at = row[7].as<std::int64_t>();
            e.due = row[8].is_null() ? k_none : row[8].as<std::int64_t>();
            e.assignees = row[9].is_null() ? 0 : intern_assignees(row[9].as<std::string>());
            town.events.push_back(e);
            ++report->count;
            ++town.live_events;
        }
    }

    void full_load() {
        std::map<std::string, Town> fresh;
        long long mark = 0;
        db.run([&](pqxx::connection_base& c) {
            pqxx::read_transaction tx(c);
            // The mark first: changes committed while we read are replayed afterwards.
            mark = tx.exec("SELECT coalesce(max(id), 0) FROM report_changes")[0][0].as<long long>();
            std::vector<std::string> codes;
            for (const auto& r : tx.exec("SELECT town FROM towns ORDER BY town")) codes.push_back(r[0].as<std::string>());
            for (const auto& code : codes) {
                auto& town = fresh[code];
                read_into(town, tx.exec_params(std::string(k_history_select) + " WHERE r.town = $1 ORDER BY r.id, e.seq", code));
            }
        });
        towns = std::move(fresh);
        last_change = mark;
        recent_changes.clear();
        loaded = true;
        ++stats.full_loads;
        recount();
    }

    // Per town, not per report: it runs after every catch-up.
    void recount() {
        stats.reports = stats.events = stats.event_slots = stats.event_capacity = stats.bytes = 0;
        for (const auto& [code, town] : towns) {
            stats.reports += town.reports.size() - town.gone;
            stats.event_slots += town.events.size();
            stats.event_capacity += town.events.capacity();
            stats.events += town.live_events;
            // libstdc++'s unordered_map: a bucket pointer each, and a node of next, key, value and hash.
            stats.bytes += town.reports.capacity() * sizeof(Report) + town.events.capacity() * sizeof(Event) +
                           town.index.bucket_count() * sizeof(void*) + town.index.size() * 4 * sizeof(void*);
        }
    }

    void catch_up() {
        std::lock_guard refresh_lock(refresh_mutex);
        if (!loaded) {
            std::unique_lock lock(data_mutex);
            full_load();
            return;
        }
        std::map<std::string, std::set<long long>> changed;
        bool everything = false;
        long long newest = last_change;
        std::vector<long long> applied;
        db.run([&](pqxx::connection_base& c) {
            pqxx::read_transaction tx(c);
            // Rows this window needs may have been pruned (migration 0011): then reload.
            if (std::max(0LL, last_change - k_change_window) < tx.exec("SELECT upto FROM report_changes_pruned")[0][0].as<long long>())
                everything = true;
            const auto res = tx.exec_params("SELECT id, town, report FROM report_changes WHERE id > $1 ORDER BY id",
                                            std::max(0LL, last_change - k_change_window));
            for (const auto& row : res) {
                const auto id = row[0].as<long long>();
                if (id <= last_change && recent_changes.contains(id)) continue;
                applied.push_back(id);
                newest = std::max(newest, id);
                const auto town = row[1].as<std::string>();
                if (town == "*") everything = true;
                else changed[town].insert(row[2].as<long long>());
            }
        });
        std::size_t total = 0;
        for (const auto& [town, ids] : changed) total += ids.size();
        if (everything || total > k_full_reload_threshold) {
            std::unique_lock lock(data_mutex);
            full_load();
            return;
        }
        if (applied.empty()) return;
        // Read outside the exclusive lock; readers keep answering from the old copy.
        std::map<std::string, pqxx::result> fetched;
        db.run([&](pqxx::connection_base& c) {
            pqxx::read_transaction tx(c);
            for (const auto& [town, ids] : changed) {
                std::vector<std::string> text;
                for (auto id : ids) text.push_back(std::to_string(id));
                fetched[town] = exec_prepared_sql(tx, std::string(k_history_select) +
                                                          " WHERE r.town = $1 AND r.id = ANY($2::bigint[]) ORDER BY r.id, e.seq",
                                                  town, pg_text_array(text));
            }
        });
        std::unique_lock lock(data_mutex);
        for (const auto& [code, ids] : changed) {
            auto& town = towns[code];
            for (auto id : ids) {  // deleted unless read back below
                auto it = town.index.find(id);
                if (it != town.index.end() && !town.reports[it->second].gone) {
                    town.reports[it->second].gone = true;
                    ++town.gone;
                    town.live_events -= town.reports[it->second].count;
                }
            }
            read_into(town, fetched[code]);
            compact_if_worth_it(town);
            stats.reports_reloaded += ids.size();
        }
        for (auto id : applied) recent_changes.insert(id);
        last_change = newest;
        recent_changes.erase(recent_changes.begin(), recent_changes.lower_bound(last_change - k_change_window));
        recount();
    }

    // The selection rules of load_histories, on the copy.
    bool selected(const Town& town, const Report& r, const HistoryQuery& q) const {
        const std::int64_t from = epoch(q.from), to = epoch(q.to), as_of = epoch(q.as_of);
        auto in_window = [&](std::int64_t t) { return t >= from && t < to && t <= as_of; };
        if (in_window(r.reported_at)) return true;
        bool dispatched = false, closed = false;
        for (std::uint32_t k = r.first; k < r.first + r.count; ++k) {
            const Event& e = town.events[k];
            if ((e.kind == EventKind::accept || e.kind == EventKind::dispatch) && in_window(e.at)) return true;
            if (e.at > as_of) continue;
            if (e.kind == EventKind::dispatch) dispatched = true;
            if (e.kind == EventKind::close) closed = true;
            if (e.kind == EventKind::reopen) closed = false;
        }
        return q.include_open && dispatched && !closed;
    }

    void fold(const std::string& code, const Town& town, const Report& r, Timestamp as_of,
              analytics::ReportHistory& scratch, analytics::ReportFacts& out) const {
        scratch.id = r.id;
        scratch.town = code;
        scratch.grid = strings[r.grid];
        scratch.platform = strings[r.platform];
        scratch.category = strings[r.category];
        scratch.reported_at = to_time(r.reported_at);
        scratch.due_at = r.due == k_none ? std::nullopt : std::optional(to_time(r.due));
        scratch.events.resize(r.count);
        for (std::uint32_t k = 0; k < r.count; ++k) {
            const Event& e = town.events[r.first + k];
            auto& ev = scratch.events[k];
            ev.kind = e.kind;
            ev.at = to_time(e.at);
            ev.due_at = e.due == k_none ? std::nullopt : std::optional(to_time(e.due));
            if (e.assignees != 0 || !ev.assignees.empty()) ev.assignees = assignee_lists[e.assignees];
        }
        analytics::history_at(scratch, as_of, out);
    }

    void count_completion(const HistoryQuery& q, analytics::CompletionAccumulator& acc) const {
        std::shared_lock lock(data_mutex);
        constexpr std::size_t unresolved = static_cast<std::size_t>(-1);
        const auto by = acc.by();
        // Interned id → the accumulator's row, resolved on first sight.
        std::vector<std::size_t> slot_of(by == analytics::CompletionBy::worker ? 0 : strings.size(), unresolved);
        std::unordered_map<std::uint32_t, std::vector<std::size_t>> worker_slots;  // assignee list → rows
        const std::int64_t as_of = epoch(q.as_of);
        // Nothing of a report reported at or after this counts: its events come later still.
        const std::int64_t after = std::min(epoch(q.to), as_of == LLONG_MAX ? as_of : as_of + 1);
        const bool all = q.town.empty() || q.town == "all";
        std::vector<std::size_t> slots;
        for (const auto& [code, town] : towns) {
            if (!all && code != q.town) continue;
            const std::size_t town_slot = by == analytics::CompletionBy::town ? acc.slot(code) : unresolved;
            for (const auto& r : town.reports) {
                if (r.gone || r.reported_at >= after) continue;
                analytics::FactTimes facts;
                facts.reported_at = to_time(r.reported_at);
                const std::optional<Timestamp> report_due = r.due == k_none ? std::nullopt : std::optional(to_time(r.due));
                std::uint32_t assignees = 0;
                for (std::uint32_t k = r.first; k < r.first + r.count; ++k) {
                    const Event& e = town.events[k];
                    if (e.at > as_of) continue;  // has not happened yet at as_of
                    const std::optional<Timestamp> event_due = e.due == k_none ? std::nullopt : std::optional(to_time(e.due));
                    if (analytics::apply_event(facts, e.kind, to_time(e.at), event_due, report_due)) assignees = e.assignees;
                }
                if (!acc.counts(facts)) continue;
                slots.clear();
                auto keyed = [&](std::uint32_t id) {
                    if (slot_of[id] == unresolved) slot_of[id] = acc.slot(strings[id]);
                    slots.push_back(slot_of[id]);
                };
                switch (by) {
                case analytics::CompletionBy::town: slots.push_back(town_slot); break;
                case analytics::CompletionBy::grid:
                    if (r.grid != 0) keyed(r.grid);
                    break;
                case analytics::CompletionBy::platform: keyed(r.platform); break;
                case analytics::CompletionBy::category: keyed(r.category); break;
                case analytics::CompletionBy::worker: {
                    auto [it, fresh] = worker_slots.try_emplace(assignees);
                    if (fresh)
                        for (const auto& w : assignee_lists[assignees]) it->second.push_back(acc.slot(w));
                    slots = it->second;
                    break;
                }
                case analytics::CompletionBy::month: break;
                }
                acc.add(facts, slots);
            }
        }
    }

    void for_each_fact(const HistoryQuery& q, const std::function<void(const analytics::ReportFacts&)>& fn) const {
        std::shared_lock lock(data_mutex);
        analytics::ReportHistory scratch;
        analytics::ReportFacts facts;
        const bool all = q.town.empty() || q.town == "all";
        std::vector<const Report*> chosen;
        for (const auto& [code, town] : towns) {
            if (!all && code != q.town) continue;
            chosen.clear();
            for (const auto& r : town.reports)
                if (!r.gone && selected(town, r, q)) chosen.push_back(&r);
            std::sort(chosen.begin(), chosen.end(), [](const Report* a, const Report* b) { return a->id < b->id; });
            for (const Report* r : chosen) {
                fold(code, town, *r, q.as_of, scratch, facts);
                fn(facts);
            }
        }
    }
};

std::map<std::string, std::vector<double>> ReportCache::count_by_grid(const std::string& town,
                                                                       const std::vector<Timestamp>& bounds,
                                                                       const std::optional<std::string>& platform,
                                                                       const std::optional<std::string>& category) {
    m_impl->catch_up();
    const Impl& m = *m_impl;
    std::shared_lock lock(m.data_mutex);
    std::map<std::string, std::vector<double>> out;
    if (bounds.size() < 2) return out;
    std::vector<std::int64_t> edges;
    for (auto t : bounds) edges.push_back(epoch(t));
    // A filter on a string nobody has can match nothing; k_none never equals an id.
    auto wanted = [&](const std::optional<std::string>& s) -> std::int64_t {
        if (!s) return -1;
        auto it = m.string_ids.find(*s);
        return it == m.string_ids.end() ? k_none : static_cast<std::int64_t>(it->second);
    };
    const std::int64_t want_platform = wanted(platform), want_category = wanted(category);
    const bool all = town.empty() || town == "all";
    std::vector<std::vector<double>> by_grid(m.strings.size());
    for (const auto& [code, t] : m.towns) {
        if (!all && code != town) continue;
        for (const auto& r : t.reports) {
            if (r.gone || r.grid == 0 || r.reported_at < edges.front() || r.reported_at >= edges.back()) continue;
            if (want_platform != -1 && static_cast<std::int64_t>(r.platform) != want_platform) continue;
            if (want_category != -1 && static_cast<std::int64_t>(r.category) != want_category) continue;
            const auto k = static_cast<std::size_t>(std::upper_bound(edges.begin(), edges.end(), r.reported_at) - edges.begin()) - 1;
            auto& row = by_grid[r.grid];
            if (row.empty()) row.assign(edges.size() - 1, 0.0);
            row[k] += 1;
        }
    }
    for (std::size_t g = 1; g < by_grid.size(); ++g)
        if (!by_grid[g].empty()) out.emplace(m.strings[g], std::move(by_grid[g]));
    return out;
}

ReportCache::ReportCache(Database& db) : m_impl(std::make_unique<Impl>(db)) {}
ReportCache::~ReportCache() = default;

std::vector<analytics::ReportFacts> ReportCache::facts(const HistoryQuery& query) {
    m_impl->catch_up();
    std::vector<analytics::ReportFacts> out;
    m_impl->for_each_fact(query, [&](const analytics::ReportFacts& f) { out.push_back(f); });
    return out;
}

void ReportCache::count_completion(const HistoryQuery& query, analytics::CompletionAccumulator& acc) {
    m_impl->catch_up();
    m_impl->count_completion(query, acc);
}

void ReportCache::refresh() { m_impl->catch_up(); }

ReportCache::Stats ReportCache::stats() const {
    std::shared_lock lock(m_impl->data_mutex);
    return m_impl->stats;
}

}  // namespace wangge::data
