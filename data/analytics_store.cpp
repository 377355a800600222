#include "data/analytics_store.hpp"

#include "core/domain.hpp"
#include "core/error.hpp"
#include "data/analytics_store_cache.hpp"
#include "data/db.hpp"
#include "data/town_store.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <unordered_map>

namespace wangge::data {

namespace {

using namespace std::chrono;

// "" selects every town; the API passes "all" through as "".
std::string town_filter(const std::string& town) { return town == "all" ? std::string() : town; }

Timestamp from_epoch(const pqxx::field& f) { return Timestamp{seconds{f.as<long long>()}}; }

std::vector<std::string> split_spaces(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < s.size()) {
        auto end = s.find(' ', start);
        if (end == std::string::npos) end = s.size();
        if (end > start) out.push_back(s.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

// Candidates: reported in the period by reported_at, or accepted/dispatched in it by the
// events themselves (the events are the truth; reports.* columns are the current state).
// With include_open, also every report dispatched by as_of that was not closed for good
// before it (closed and never reopened ⇒ closed at as_of, so it cannot be open then).
constexpr const char* k_candidates = R"sql(
WITH cand AS (
  SELECT r.town, r.id FROM reports r
   WHERE ($1 = '' OR r.town = $1) AND r.reported_at >= $2::timestamptz AND r.reported_at < $3::timestamptz
     AND r.reported_at <= $4::timestamptz
  UNION
  SELECT e.town, e.report FROM report_events e
   WHERE ($1 = '' OR e.town = $1) AND e.action IN ('accept', 'dispatch')
     AND e.at >= $2::timestamptz AND e.at < $3::timestamptz AND e.at <= $4::timestamptz
  UNION
  SELECT r.town, r.id FROM reports r
   WHERE $5 AND ($1 = '' OR r.town = $1) AND r.dispatched_at <= $4::timestamptz
     AND NOT (r.status = 'closed' AND r.closed_at <= $4::timestamptz AND r.reopen_count = 0)
)
SELECT r.id, r.town, coalesce(r.grid, ''), r.platform, r.category,
       extract(epoch FROM r.reported_at)::bigint, extract(epoch FROM r.due_at)::bigint,
       e.action, extract(epoch FROM e.at)::bigint,
       extract(epoch FROM (e.details->>'due_at')::timestamptz)::bigint,
       CASE WHEN jsonb_typeof(e.details->'assignees') = 'array'
            THEN array_to_string(ARRAY(SELECT jsonb_array_elements_text(e.details->'assignees')), ' ') END
FROM cand c
JOIN reports r ON r.town = c.town AND r.id = c.id
LEFT JOIN report_events e ON e.town = c.town AND e.report = c.id AND e.at <= $4::timestamptz
     AND e.action IN ('accept', 'dispatch', 'supervise', 'close', 'reopen', 'resolve_on_site', 'reject')
ORDER BY r.town, r.id, e.seq
)sql";

std::optional<std::string> non_empty(const std::optional<std::string>& s) {
    if (s && !s->empty()) return s;
    return std::nullopt;
}

std::map<std::string, std::string> worker_names(Database& db, const std::string& town) {
    std::map<std::string, std::string> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        for (const auto& r : tx.exec_params("SELECT id, name FROM workers WHERE ($1 = '' OR town = $1)", town))
            out[r[0].as<std::string>()] = r[1].as<std::string>();
    });
    return out;
}

std::map<std::string, std::string> category_names(Database& db) {
    std::map<std::string, std::string> out;
    for (const auto& c : list_categories(db)) out[c.code] = c.name;
    return out;
}

}  // namespace

std::vector<analytics::ReportHistory> load_histories(Database& db, const HistoryQuery& q) {
    std::vector<analytics::ReportHistory> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        const auto res = tx.exec_params(k_candidates, town_filter(q.town), format_rfc3339(q.from), format_rfc3339(q.to),
                                        format_rfc3339(q.as_of), q.include_open);
        out.reserve(res.size() / 2 + 1);
        long long last_id = -1;
        std::string last_town;
        for (const auto& row : res) {
            const auto id = row[0].as<long long>();
            const auto town = row[1].as<std::string>();
            if (out.empty() || id != last_id || town != last_town) {
                analytics::ReportHistory h;
                h.id = id;
                h.town = town;
                h.grid = row[2].as<std::string>();
                h.platform = row[3].as<std::string>();
                h.category = row[4].as<std::string>();
                h.reported_at = from_epoch(row[5]);
                if (!row[6].is_null()) h.due_at = from_epoch(row[6]);
                out.push_back(std::move(h));
                last_id = id;
                last_town = town;
            }
            if (row[7].is_null()) continue;  // no counted event yet
            analytics::ReportEvent e;
            e.kind = analytics::parse_event_kind(row[7].c_str());
            e.at = from_epoch(row[8]);
            if (!row[9].is_null()) e.due_at = from_epoch(row[9]);
            if (!row[10].is_null()) e.assignees = split_spaces(row[10].as<std::string>());
            out.back().events.push_back(std::move(e));
        }
    });
    return out;
}

std::vector<analytics::ReportFacts> load_facts(Database& db, const HistoryQuery& query) {
    const auto histories = load_histories(db, query);
    std::vector<analytics::ReportFacts> out;
    out.reserve(histories.size());
    for (const auto& h : histories) out.push_back(analytics::history_at(h, query.as_of));
    return out;
}

GridSet load_current_grids(Database& db, const std::string& town) {
    GridSet out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        for (const auto& r : tx.exec_params(
                 "SELECT id, name FROM grids WHERE valid_to IS NULL AND ($1 = '' OR town = $1) ORDER BY id", town_filter(town))) {
            out.ids.push_back(r[0].as<std::string>());
            out.names.push_back(r[1].as<std::string>());
        }
    });
    out.neighbours.assign(out.ids.size(), {});
    return out;
}

GridSet load_grid_set(Database& db, const std::string& town, analytics::Contiguity contiguity) {
    GridSet out = load_current_grids(db, town);
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < out.ids.size(); ++i) index[out.ids[i]] = i;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        const std::string t = town_filter(town);
        // STATS.md "Spatial weights": closer than 0.5 m is touching. Metric work in
        // EPSG:4549 (CGCS2000 / 3-degree GK CM 120E). Rook also needs a shared stretch:
        // more than 2 m of b's boundary within 0.5 m of a, where a pure corner contact
        // contributes at most 2 × 0.5 m.
        const auto pairs = tx.exec_params(R"sql(
WITH g AS (SELECT id, ST_Transform(geom, 4549) AS m FROM grids WHERE valid_to IS NULL AND ($1 = '' OR town = $1))
SELECT a.id, b.id FROM g a JOIN g b ON a.id < b.id AND ST_DWithin(a.m, b.m, 0.5)
 WHERE NOT $2 OR ST_Length(ST_Intersection(ST_Buffer(a.m, 0.5), ST_Boundary(b.m))) > 2.0
)sql",
                                          t, contiguity == analytics::Contiguity::rook);
        for (const auto& r : pairs) {
            // A grid drawn between the two reads is not in the list: leave it out.
            const auto a = index.find(r[0].as<std::string>()), b = index.find(r[1].as<std::string>());
            if (a == index.end() || b == index.end()) continue;
            out.neighbours[a->second].push_back(b->second);
            out.neighbours[b->second].push_back(a->second);
        }
    });
    for (auto& list : out.neighbours) std::sort(list.begin(), list.end());
    return out;
}

std::vector<double> load_grid_counts(Database& db, const GridSet& grids, const std::string& town, Timestamp from,
                                     Timestamp to, const std::optional<std::string>& platform,
                                     const std::optional<std::string>& category, ReportCache* cache) {
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < grids.ids.size(); ++i) index[grids.ids[i]] = i;
    std::vector<double> out(grids.ids.size(), 0.0);
    if (cache) {
        for (const auto& [grid, counts] : cache->count_by_grid(town, {from, to}, platform, category)) {
            auto it = index.find(grid);
            if (it != index.end()) out[it->second] = counts.front();
        }
        return out;
    }
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        const auto res = tx.exec_params(R"sql(
SELECT grid, count(*) FROM reports
 WHERE ($1 = '' OR town = $1) AND reported_at >= $2::timestamptz AND reported_at < $3::timestamptz
   AND ($4 = '' OR platform = $4) AND ($5 = '' OR category = $5) AND grid IS NOT NULL
 GROUP BY grid
)sql",
                                        town_filter(town), format_rfc3339(from), format_rfc3339(to),
                                        platform.value_or(""), category.value_or(""));
        for (const auto& r : res) {
            auto it = index.find(r[0].as<std::string>());
            if (it != index.end()) out[it->second] = r[1].as<double>();
        }
    });
    return out;
}

analytics::SpaceTimeCube load_monthly_counts(Database& db, const GridSet& grids, const std::string& town,
                                             year_month end, int months, const std::optional<std::string>& platform,
                                             const std::optional<std::string>& category, ReportCache* cache) {
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < grids.ids.size(); ++i) index[grids.ids[i]] = i;
    const auto labels = analytics::month_labels(end, months);
    std::unordered_map<std::string, std::size_t> month_index;
    for (std::size_t m = 0; m < labels.size(); ++m) month_index[labels[m]] = m;
    analytics::SpaceTimeCube cube(grids.ids.size(), std::vector<double>(labels.size(), 0.0));
    const Timestamp from = shanghai_month_start(end - std::chrono::months{months - 1});
    const Timestamp to = shanghai_month_start(end + std::chrono::months{1});
    if (cache) {
        std::vector<Timestamp> bounds;
        for (int k = months - 1; k >= -1; --k) bounds.push_back(shanghai_month_start(end - std::chrono::months{k}));
        for (auto& [grid, counts] : cache->count_by_grid(town, bounds, platform, category)) {
            auto g = index.find(grid);
            if (g != index.end()) cube[g->second] = std::move(counts);
        }
        return cube;
    }
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        const auto res = tx.exec_params(R"sql(
SELECT grid, to_char(reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), count(*) FROM reports
 WHERE ($1 = '' OR town = $1) AND reported_at >= $2::timestamptz AND reported_at < $3::timestamptz
   AND ($4 = '' OR platform = $4) AND ($5 = '' OR category = $5) AND grid IS NOT NULL
 GROUP BY 1, 2
)sql",
                                        town_filter(town), format_rfc3339(from), format_rfc3339(to),
                                        platform.value_or(""), category.value_or(""));
        for (const auto& r : res) {
            auto g = index.find(r[0].as<std::string>());
            auto m = month_index.find(r[1].as<std::string>());
            if (g != index.end() && m != month_index.end()) cube[g->second][m->second] = r[2].as<double>();
        }
    });
    return cube;
}

CompletionAnswer completion_report(Database& db, const analytics::CompletionParams& p, ReportCache* cache) {
    CompletionAnswer out;
    const HistoryQuery query{p.town, p.from, p.to, p.as_of, false};
    std::vector<std::string> keys;
    switch (p.by) {
    case analytics::CompletionBy::grid: {
        const auto grids = load_current_grids(db, p.town);
        keys = grids.ids;
        for (std::size_t i = 0; i < grids.ids.size(); ++i) out.names[grids.ids[i]] = grids.names[i];
        break;
    }
    case analytics::CompletionBy::platform:
        for (auto code : k_platforms) {
            keys.emplace_back(code);
            out.names[std::string(code)] = analytics::platform_label(code);
        }
        break;
    case analytics::CompletionBy::category: out.names = category_names(db); break;
    case analytics::CompletionBy::worker: out.names = worker_names(db, town_filter(p.town)); break;
    case analytics::CompletionBy::town:
        for (const auto& t : list_towns(db)) out.names[t.code] = t.name;
        break;
    case analytics::CompletionBy::month: break;
    }
    analytics::CompletionAccumulator counts(p.from, p.to, p.as_of, p.by, keys);
    if (cache) {
        cache->count_completion(query, counts);
    } else {
        for (const auto& f : load_facts(db, query)) counts.add(f);
    }
    out.rows = counts.rows();
    out.total = counts.total();
    return out;
}

analytics::HotspotReport hotspot_report(Database& db, const analytics::HotspotParams& p, ReportCache* cache) {
    const auto grids = load_grid_set(db, p.town, p.weights);
    const auto counts =
        load_grid_counts(db, grids, p.town, p.from, p.to, non_empty(p.platform), non_empty(p.category), cache);
    return analytics::hotspot_report(grids.ids, counts, grids.neighbours, p.fdr);
}

analytics::TrendReport trend_report(Database& db, const analytics::TrendParams& p, ReportCache* cache) {
    const auto grids = load_grid_set(db, p.town, p.weights);
    const auto cube =
        load_monthly_counts(db, grids, p.town, p.end, p.months, non_empty(p.platform), non_empty(p.category), cache);
    return analytics::trend_report(grids.ids, cube, grids.neighbours, analytics::month_labels(p.end, p.months));
}

analytics::MeetingPack meeting_pack(Database& db, const analytics::MeetingParams& p, const analytics::MapRenderer& maps,
                                    ReportCache* cache) {
    const auto town = find_town_record(db, p.town);
    if (!town) throw Error(ErrorCode::not_found, "no town " + p.town);
    const Timestamp month_end = shanghai_month_start(p.month + months{1});
    analytics::MeetingInputs in;
    in.town = p.town;
    in.town_name = town->name;
    in.month = p.month;
    in.as_of = p.as_of ? *p.as_of : std::min(month_end, now_seconds());
    const HistoryQuery query{p.town, shanghai_month_start(p.month - months{1}), month_end, in.as_of, true};
    in.facts = cache ? cache->facts(query) : load_facts(db, query);
    const auto grids = load_grid_set(db, p.town, analytics::Contiguity::queen);
    for (std::size_t i = 0; i < grids.ids.size(); ++i) in.grid_names[grids.ids[i]] = grids.names[i];
    in.category_names = category_names(db);
    const auto cube = load_monthly_counts(db, grids, p.town, p.month, 12, std::nullopt, std::nullopt, cache);
    in.trends = analytics::trend_report(grids.ids, cube, grids.neighbours, analytics::month_labels(p.month, 12));
    return analytics::build_meeting_pack(in, maps);
}

}  // namespace wangge::data
