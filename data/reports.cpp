#include "data/reports.hpp"

#include "data/audit.hpp"
#include "data/copy.hpp"
#include "data/db.hpp"
#include "data/prepared.hpp"
#include "data/report_json.hpp"
#include "data/row_read.hpp"
#include "data/text.hpp"
#include "data/town_store.hpp"
#include "geo/grid_index.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>
#include <unordered_map>

namespace wangge::data {

namespace {

using nlohmann::json;
using std::chrono::seconds;

constexpr seconds k_future_slack{600};  // phones' clocks run a little fast

using detail::epoch;
using detail::epoch_or_null;
using detail::person_at;
using detail::split_commas;
using detail::text_or_null;

// Every column of a ReportRecord; the grid's staff are the current ones.
constexpr const char* k_report_columns = R"sql(
SELECT r.id, r.town, r.client_id, r.category, r.platform, r.description, r.source, r.status, r.input_crs,
       r.assign_method, r.reporter, ST_X(r.geom), ST_Y(r.geom), r.assign_distance_m,
       r.grid, g.code, g.name, r.grid_version,
       l.id, l.name, l.phone, w.id, w.name, w.phone,
       extract(epoch FROM r.reported_at)::bigint, extract(epoch FROM r.received_at)::bigint,
       extract(epoch FROM r.accepted_at)::bigint, extract(epoch FROM r.dispatched_at)::bigint,
       extract(epoch FROM r.due_at)::bigint, extract(epoch FROM r.resolved_at)::bigint,
       extract(epoch FROM r.closed_at)::bigint,
       r.handling, r.mode, array_to_string(r.assignees, ','), r.reopen_count, r.supervise_count
)sql";

// The grid of the report's version and its current leader and worker, joined to `r`.
constexpr const char* k_report_joins = R"sql(
LEFT JOIN grids g ON g.town = r.town AND g.id = r.grid AND g.version = r.grid_version
LEFT JOIN grid_staff sl ON sl.town = r.town AND sl.grid = r.grid AND sl.role = 'leader'
LEFT JOIN workers l ON l.town = sl.town AND l.id = sl.worker
LEFT JOIN grid_staff sw ON sw.town = r.town AND sw.grid = r.grid AND sw.role = 'worker'
LEFT JOIN workers w ON w.town = sw.town AND w.id = sw.worker
)sql";

const std::string k_report_select = std::string(k_report_columns) + " FROM reports r" + k_report_joins;

ReportRecord record_from_row(const pqxx::row& r) {
    ReportRecord rec;
    rec.id = r[0].as<long long>();
    rec.town = r[1].as<std::string>();
    rec.client_id = r[2].as<std::string>();
    rec.category = r[3].as<std::string>();
    rec.platform = r[4].as<std::string>();
    rec.description = r[5].as<std::string>();
    rec.source = r[6].as<std::string>();
    rec.status = r[7].as<std::string>();
    rec.input_crs = r[8].as<std::string>();
    rec.method = r[9].as<std::string>();
    rec.reporter = text_or_null(r[10]);
    rec.lon = r[11].as<double>();
    rec.lat = r[12].as<double>();
    rec.distance_m = r[13].as<double>();
    if (!r[14].is_null())
        rec.grid = GridRef{r[14].as<std::string>(), r[15].is_null() ? "" : r[15].as<std::string>(),
                           r[16].is_null() ? "" : r[16].as<std::string>(), r[17].as<int>()};
    rec.leader = person_at(r, 18);
    rec.worker = person_at(r, 21);
    rec.reported_at = epoch(r[24]);
    rec.received_at = epoch(r[25]);
    rec.accepted_at = epoch_or_null(r[26]);
    rec.dispatched_at = epoch_or_null(r[27]);
    rec.due_at = epoch_or_null(r[28]);
    rec.resolved_at = epoch_or_null(r[29]);
    rec.closed_at = epoch_or_null(r[30]);
    rec.handling = text_or_null(r[31]);
    rec.mode = text_or_null(r[32]);
    rec.assignees = split_commas(r[33].as<std::string>());
    rec.reopen_count = r[34].as<int>();
    rec.supervise_count = r[35].as<int>();
    // Overdue by the service's clock, not the database's: deadlines were computed with it,
    // and every view (lists, tiles, analytics) must agree on what "now" is.
    const auto status = parse_status(rec.status);
    rec.overdue = status && !is_terminal(*status) && rec.due_at && *rec.due_at < now_seconds();
    return rec;
}

std::vector<EventRecord> load_timeline(pqxx::transaction_base& tx, const std::string& town, long long id) {
    std::vector<EventRecord> out;
    for (const auto& r : tx.exec_params("SELECT seq, action, from_status, to_status, actor, extract(epoch FROM at)::bigint, "
                                        "note, details::text FROM report_events WHERE town = $1 AND report = $2 ORDER BY seq",
                                        town, id))
        out.push_back({r[0].as<int>(), r[1].as<std::string>(), text_or_null(r[2]), r[3].as<std::string>(),
                       r[4].as<std::string>(), epoch(r[5]), r[6].as<std::string>(), r[7].as<std::string>()});
    return out;
}

}  // namespace

struct ReportDesk::State {
    std::shared_ptr<const geo::GridIndex> index;
    std::vector<geo::TownShape> towns;            // the index's town outlines
    std::map<std::string, long long> generation;  // per town: the grids the index holds
    std::map<std::string, CategoryInfo> categories;
    WorkCalendar calendar;
};

ReportDesk::ReportDesk(Database& db) : m_db(db) {}
ReportDesk::~ReportDesk() = default;

namespace {

void load_reference(pqxx::transaction_base& tx, std::map<std::string, CategoryInfo>& categories, WorkCalendar& calendar) {
    std::vector<CalendarDay> days;
    categories.clear();
    for (const auto& r : tx.exec("SELECT code, name, platform, time_limit_workdays FROM categories"))
        categories[r[0].as<std::string>()] = {r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<int>()};
    for (const auto& r : tx.exec("SELECT day::text, kind, name FROM holidays"))
        days.push_back({*parse_date(r[0].as<std::string>()), r[1].as<std::string>() == "workday", r[2].as<std::string>()});
    calendar = WorkCalendar(days);
}

// The generations are read before the grids, in one snapshot: an index is never labelled
// with a generation newer than the grids it holds (which would hide a change).
using SnapshotRead = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

std::map<std::string, long long> read_generations(pqxx::transaction_base& tx) {
    std::map<std::string, long long> out;
    for (const auto& r : tx.exec("SELECT town, grid_generation FROM towns")) out[r[0].as<std::string>()] = r[1].as<long long>();
    return out;
}

}  // namespace

void ReportDesk::reload() {
    auto fresh = std::make_shared<State>();
    std::vector<geo::GridShape> grids;
    m_db.run([&](pqxx::connection_base& c) {
        SnapshotRead tx(c);
        fresh->generation = read_generations(tx);
        load_index_shapes(tx, grids, fresh->towns);
        load_reference(tx, fresh->categories, fresh->calendar);
    });
    if (grids.empty()) throw Error(ErrorCode::database_unavailable, "no grids in the database yet: load grids first");
    fresh->index = geo::GridIndex::build(std::move(grids), fresh->towns);
    std::lock_guard lock(m_mutex);
    m_state = std::move(fresh);
}

std::shared_ptr<ReportDesk::State> ReportDesk::loaded_state() {
    std::lock_guard lock(m_mutex);
    return m_state;
}

std::shared_ptr<ReportDesk::State> ReportDesk::state() {
    if (auto st = loaded_state()) return st;
    // One thread loads; the others wait for its result rather than building their own.
    std::lock_guard loading(m_load_mutex);
    if (auto st = loaded_state()) return st;
    reload();
    return loaded_state();
}

std::shared_ptr<const geo::GridIndex> ReportDesk::grid_index() { return state()->index; }

std::vector<std::string> ReportDesk::refresh_grids() {
    std::lock_guard loading(m_load_mutex);
    const auto current = loaded_state();
    if (!current) return {};
    std::map<std::string, long long> generation;
    std::vector<geo::GridShape> changed_grids;
    std::vector<geo::TownShape> towns;
    std::vector<std::string> changed;
    m_db.run([&](pqxx::connection_base& c) {
        SnapshotRead tx(c);
        generation = read_generations(tx);
        for (const auto& [town, g] : generation)
            if (auto it = current->generation.find(town); it == current->generation.end() || it->second != g)
                changed.push_back(town);
        for (const auto& [town, g] : current->generation)
            if (!generation.contains(town)) changed.push_back(town);  // deleted
        if (changed.empty()) return;
        load_index_shapes(tx, changed_grids, towns, changed);
    });
    if (changed.empty()) return {};
    const std::set<std::string> replaced(changed.begin(), changed.end());
    const bool none_left = changed_grids.empty() && std::all_of(current->index->grids().begin(), current->index->grids().end(),
                                                                [&](const auto& g) { return replaced.contains(g.town); });
    if (none_left) throw Error(ErrorCode::database_unavailable, "no grids in the database any more");
    auto next = std::make_shared<State>(*current);
    // Only the changed towns' sub-indices are built; the others are shared with the current index.
    next->index = geo::GridIndex::rebuild(*current->index, std::move(changed_grids), changed, towns);
    next->towns = std::move(towns);
    next->generation = std::move(generation);
    {
        std::lock_guard lock(m_mutex);
        m_state = std::move(next);
    }
    ++m_grid_refreshes;
    return changed;
}

void ReportDesk::refresh_reference() {
    std::lock_guard loading(m_load_mutex);
    const auto current = loaded_state();
    if (!current) return;
    auto next = std::make_shared<State>(*current);
    m_db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        load_reference(tx, next->categories, next->calendar);
    });
    std::lock_guard lock(m_mutex);
    m_state = std::move(next);
}

std::map<std::string, CategoryInfo> ReportDesk::categories() { return state()->categories; }

std::uint64_t ReportDesk::reports_ingested() const noexcept { return m_ingested.load(); }

namespace {

// One attempt at storing a batch: look the keys up, write the new ones with their
// reports and first events (COPY), commit. Fills `existing` and `inserted`.
template <class Pending>
void store_batch(pqxx::connection_base& c, std::vector<Pending>& pending, const std::vector<std::size_t>& by_key,
                 const Principal& caller, const std::map<std::string, long long>& generations,
                 std::map<std::string, std::string>& existing, std::set<std::string>& inserted, std::set<std::string>& stale) {
    pqxx::work tx(c);
    existing.clear();
    inserted.clear();
    // The grids these reports were assigned with must still be the current ones when this
    // transaction commits. Whoever writes a town's grids holds the town's advisory lock
    // exclusively to its commit (migration 0008; a grid edit takes it first); we take it
    // shared, in town order, then read the generations: an edit that committed first shows
    // its new generation, and one that comes later waits for our commit, so its
    // re-assignment of open reports sees these ones. A point outside every grid (nearest,
    // none) may depend on any town's grids: such a batch checks them all.
    std::set<std::string> towns;
    bool outside = false;
    for (const auto& p : pending) {
        towns.insert(p.rec.town);
        outside = outside || (p.rec.method != "contains" && p.rec.method != "boundary");
    }
    if (outside)
        for (const auto& [town, g] : generations) towns.insert(town);
    const auto town_array = pg_text_array({towns.begin(), towns.end()});
    exec_prepared_sql(tx, "SELECT share_town_grids($1::text[])", town_array);
    std::set<std::string> seen;
    for (const auto& r : exec_prepared_sql(tx, "SELECT town, grid_generation FROM towns WHERE town = ANY($1::text[])", town_array)) {
        const auto town = r[0].as<std::string>();
        seen.insert(town);
        const auto it = generations.find(town);
        if (it == generations.end() || it->second != r[1].as<long long>()) stale.insert(town);
    }
    for (const auto& town : towns)
        if (!seen.contains(town)) stale.insert(town);  // deleted meanwhile
    if (!stale.empty()) return;  // rolled back; the caller refreshes the index and tries again
    std::vector<std::string> keys;
    for (auto k : by_key) keys.push_back(pending[k].rec.client_id);
    for (const auto& r : exec_prepared_sql(tx, "SELECT k.client_id, k.answer FROM unnest($1::text[]) AS u(client_id) "
                                        "JOIN report_keys k USING (client_id)",
                                        pg_text_array(keys)))
        existing[r[0].as<std::string>()] = r[1].as<std::string>();
    std::vector<std::size_t> fresh;
    for (auto k : by_key)
        if (!existing.contains(pending[k].rec.client_id)) fresh.push_back(k);
    if (fresh.empty()) return;

    auto ids = exec_prepared_sql(tx, "SELECT nextval('reports_id_seq') FROM generate_series(1, $1)",
                              static_cast<long long>(fresh.size()));
    std::set<std::pair<std::string, std::string>> grids;  // (town, grid)
    for (std::size_t i = 0; i < fresh.size(); ++i) {
        auto& rec = pending[fresh[i]].rec;
        rec.id = ids[static_cast<int>(i)][0].as<long long>();
        if (rec.grid) grids.emplace(rec.town, rec.grid->id);
    }
    // The responsible people as they are now (docs/reports.md "Who is responsible"), by
    // grid_staff's key (town, grid, role): by grid alone it was a scan of every town's staff.
    std::map<std::tuple<std::string, std::string, std::string>, Person> staff;  // (town, grid, role)
    if (!grids.empty()) {
        std::vector<std::string> towns_of, grids_of;
        for (const auto& [town, grid] : grids) towns_of.push_back(town), grids_of.push_back(grid);
        for (const auto& r : exec_prepared_sql(tx, "SELECT s.town, s.grid, s.role, w.id, w.name, w.phone FROM grid_staff s "
                                                   "JOIN workers w ON w.town = s.town AND w.id = s.worker "
                                                   "WHERE (s.town, s.grid) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
                                               pg_text_array(towns_of), pg_text_array(grids_of)))
            staff[{r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>()}] = {
                r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>()};
    }
    for (auto k : fresh) {
        auto& p = pending[k];
        if (p.rec.grid) {
            if (auto it = staff.find({p.rec.town, p.rec.grid->id, "leader"}); it != staff.end()) p.rec.leader = it->second;
            if (auto it = staff.find({p.rec.town, p.rec.grid->id, "worker"}); it != staff.end()) p.rec.worker = it->second;
        }
        p.answer = report_answer(p.rec).dump();
    }
    {
        pqxx::stream_to out(tx, "report_keys", std::vector<std::string>{"client_id", "town", "report", "answer"});
        for (auto k : fresh) {
            const auto& p = pending[k];
            copy_row<4>(out, {p.rec.client_id, p.rec.town, std::to_string(p.rec.id), p.answer});
        }
        out.complete();
    }
    {
        pqxx::stream_to rows(tx, "reports",
                             std::vector<std::string>{"town", "id", "client_id", "category", "platform", "description",
                                                      "source", "reporter", "geom", "input_crs", "input_lon", "input_lat",
                                                      "grid", "grid_version", "assign_method", "assign_distance_m", "status",
                                                      "reported_at", "received_at"});
        char point[96], number[32], lon[32], lat[32];
        for (auto k : fresh) {
            const auto& p = pending[k];
            std::snprintf(point, sizeof point, "SRID=4490;POINT(%.17g %.17g)", p.rec.lon, p.rec.lat);
            std::snprintf(number, sizeof number, "%.17g", p.rec.distance_m);
            std::snprintf(lon, sizeof lon, "%.17g", p.input_lon);
            std::snprintf(lat, sizeof lat, "%.17g", p.input_lat);
            CopyField grid, version;
            if (p.rec.grid) grid = p.rec.grid->id, version = std::to_string(p.rec.grid->version);
            copy_row<19>(rows, {p.rec.town, std::to_string(p.rec.id), p.rec.client_id, p.rec.category, p.rec.platform,
                                p.rec.description, p.rec.source, p.rec.reporter, std::string(point), p.rec.input_crs,
                                std::string(lon), std::string(lat), grid, version, p.rec.method, std::string(number),
                                "reported", format_rfc3339(p.rec.reported_at), format_rfc3339(p.rec.received_at)});
        }
        rows.complete();
    }
    {
        pqxx::stream_to events(tx, "report_events",
                               std::vector<std::string>{"town", "report", "seq", "action", "to_status", "actor", "at", "details"});
        for (auto k : fresh) {
            const auto& p = pending[k];
            copy_row<8>(events, {p.rec.town, std::to_string(p.rec.id), "1", "report", "reported",
                                 p.rec.reporter.value_or(caller.name), format_rfc3339(p.rec.received_at),
                                 json{{"source", p.rec.source}, {"client_id", p.rec.client_id}, {"assignment", p.rec.method}}
                                     .dump()});
        }
        events.complete();
    }
    // One row per call: a batch of 10,000 is one write by one caller. The ids say what.
    json created_ids = json::array();
    std::set<std::string> created_towns;
    for (auto k : fresh) {
        created_ids.push_back(pending[k].rec.id);
        created_towns.insert(pending[k].rec.town);
    }
    write_audit(tx, caller, created_towns.size() == 1 ? std::optional<std::string>(*created_towns.begin()) : std::nullopt,
                "report.create",
                fresh.size() == 1 ? std::to_string(pending[fresh[0]].rec.id) : std::to_string(fresh.size()) + " reports",
                json{{"count", fresh.size()}, {"ids", created_ids}}.dump());
    tx.commit();
    for (auto k : fresh) inserted.insert(pending[k].rec.client_id);
}

}  // namespace

std::vector<SubmitOutcome> ReportDesk::submit(const std::vector<std::variant<ReportInput, Error>>& items,
                                              const Principal& caller) {
    const Timestamp now = now_seconds();
    // Another node or the CLI redrew a town's grids and this node has not heard yet: read
    // them now and assign again. A few rounds at most, unless the town is redrawn
    // continuously.
    constexpr int k_rounds = 4;
    for (int round = 1;; ++round) {
        std::set<std::string> stale;
        auto out = submit_once(items, caller, now, stale);
        if (stale.empty()) return out;
        if (round == k_rounds)
            throw Error(ErrorCode::database_unavailable, "the grids of " + *stale.begin() +
                                                             " are being changed; try again in a moment");
        ++m_stale_retries;
        refresh_grids();
    }
}

std::vector<SubmitOutcome> ReportDesk::submit_once(const std::vector<std::variant<ReportInput, Error>>& items,
                                                   const Principal& caller, Timestamp now, std::set<std::string>& stale) {
    std::shared_lock intake(m_intake);
    const auto st = state();
    const auto& index = *st->index;
    std::vector<SubmitOutcome> out(items.size());

    // Validate and assign; remember the first item of each client_id.
    struct Pending {
        std::size_t item;
        ReportRecord rec;
        double input_lon, input_lat;
        std::string answer;
    };
    std::vector<Pending> pending;
    std::unordered_map<std::string, std::size_t> first_of;  // client_id → index into pending
    std::vector<std::pair<std::size_t, std::size_t>> duplicates;  // (item, pending index)
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (const auto* e = std::get_if<Error>(&items[i])) {
            out[i] = {describe(e->code()).http_status, e->detail(), *e};
            continue;
        }
        const auto& in = std::get<ReportInput>(items[i]);
        try {
            auto cat = st->categories.find(in.category);
            if (cat == st->categories.end())
                throw Error(ErrorCode::bad_request, "category: unknown category '" + in.category + "' (see /api/v1/categories)",
                            json{{"field", "category"}});
            if (in.reported_at && *in.reported_at > now + k_future_slack)
                throw Error(ErrorCode::bad_request, "reported_at: lies in the future", json{{"field", "reported_at"}});
            const auto p = geo::to_storage(in.crs, {in.lon, in.lat});
            const auto a = index.assign(p.x, p.y);
            ReportRecord rec;
            rec.town = a.grid ? index.grids()[*a.grid].town : index.towns()[a.town];
            if (!caller.covers_town(rec.town))
                throw Error(ErrorCode::forbidden, "this token does not cover town " + rec.town + ", where the point lies");
            if (auto dup = first_of.find(in.client_id); dup != first_of.end()) {
                duplicates.emplace_back(i, dup->second);
                continue;
            }
            rec.client_id = in.client_id;
            rec.category = in.category;
            rec.platform = cat->second.platform;
            rec.description = in.description;
            rec.source = in.source;
            rec.status = "reported";
            rec.input_crs = std::string(geo::input_crs_name(in.crs));
            rec.method = std::string(geo::assign_method_name(a.method));
            rec.reporter = in.reporter ? in.reporter : caller.worker;
            rec.lon = p.x;
            rec.lat = p.y;
            rec.distance_m = a.distance_m;
            if (a.grid) {
                const auto& g = index.grids()[*a.grid];
                rec.grid = GridRef{g.id, g.code, g.name, g.version};
            }
            rec.reported_at = in.reported_at.value_or(now);
            rec.received_at = now;
            first_of[in.client_id] = pending.size();
            pending.push_back({i, std::move(rec), in.lon, in.lat, {}});
        } catch (const Error& e) {
            out[i] = {describe(e.code()).http_status, e.detail(), e};
        }
    }

    std::map<std::string, std::string> existing;  // client_id → first answer, for keys already known
    std::set<std::string> inserted;
    // Keys are written in key order, so two batches never wait on each other in
    // opposite orders.
    std::vector<std::size_t> by_key(pending.size());
    for (std::size_t k = 0; k < by_key.size(); ++k) by_key[k] = k;
    std::sort(by_key.begin(), by_key.end(),
              [&](auto x, auto y) { return pending[x].rec.client_id < pending[y].rec.client_id; });
    if (!pending.empty()) {
        m_db.run([&](pqxx::connection_base& c) {
            // A key can be taken by a concurrent request between our lookup and our COPY:
            // the COPY then fails on the primary key (after waiting for that request to
            // commit), and the whole transaction is tried again, finding the key.
            for (int attempt = 1;; ++attempt) {
                try {
                    store_batch(c, pending, by_key, caller, st->generation, existing, inserted, stale);
                    return;
                } catch (const pqxx::unique_violation&) {
                    if (attempt == 3) throw;
                }
            }
        });
    }
    if (!stale.empty()) return out;
    // Only now, with everything committed, are the answers given.
    m_ingested += inserted.size();
    for (const auto& p : pending) {
        if (inserted.contains(p.rec.client_id)) {
            out[p.item] = {201, p.answer, std::nullopt};
        } else if (auto it = existing.find(p.rec.client_id); it != existing.end()) {
            out[p.item] = {200, it->second, std::nullopt};
        } else {
            out[p.item] = {500, "the report could not be stored", Error(ErrorCode::internal, "the report could not be stored")};
        }
    }
    for (const auto& [item, first] : duplicates) {
        out[item] = out[pending[first].item];
        if (out[item].http_status == 201) out[item].http_status = 200;
    }
    return out;
}

std::optional<ReportRecord> ReportDesk::find(long long id) {
    std::optional<ReportRecord> out;
    m_db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        auto res = tx.exec_params(std::string(k_report_select) + " WHERE r.id = $1", id);
        if (res.empty()) return;
        out = record_from_row(res[0]);
        out->timeline = load_timeline(tx, out->town, id);
    });
    return out;
}

ReportPage ReportDesk::list(const ReportFilter& f, const Principal& caller) {
    ReportPage page;
    std::optional<std::string> towns;  // a text[] literal, or all
    if (f.town) {
        towns = pg_text_array({*f.town});
    } else if (caller.role != Role::admin && !caller.towns.empty()) {
        towns = pg_text_array(caller.towns);
    }
    // A platform token sees its own platform's reports only.
    std::vector<std::string> platforms = f.platforms;
    if (caller.role == Role::platform && caller.platform) {
        if (!platforms.empty() && std::find(platforms.begin(), platforms.end(), *caller.platform) == platforms.end())
            return page;
        platforms = {*caller.platform};
    }
    m_db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        // The page is chosen first and joined to its grids and staff after: joined first,
        // PostgreSQL sorted every matching report with its staff to keep 50. One town and
        // one status are equalities (an ordered index scan); a page of open statuses only
        // names the open condition so that the open reports' index (0012) can serve it.
        const bool one_town = towns && (f.town || caller.towns.size() == 1);
        const bool open_only =
            f.overdue_only ||
            (!f.statuses.empty() && std::none_of(f.statuses.begin(), f.statuses.end(),
                                                 [](const std::string& st) { return st == "closed" || st == "rejected"; }));
        // A status named twice is one status: each is a page of its own below.
        std::vector<std::string> statuses = f.statuses;
        std::sort(statuses.begin(), statuses.end());
        statuses.erase(std::unique(statuses.begin(), statuses.end()), statuses.end());
        const bool by_status = statuses.size() > 1;
        // Only the filters given are in the text, so that the statement for one set of
        // filters has one best plan whatever the values, and is prepared once per
        // connection: with every filter written "$n IS NULL OR …", PostgreSQL had to plan
        // each list anew with the values (2.3 ms a list at 1M reports, more than running
        // it). The page size and the statuses are validated, few, and part of the text.
        std::vector<std::string> params;
        auto param = [&](std::string value, const char* type) {
            params.push_back(std::move(value));
            return "$" + std::to_string(params.size()) + "::" + type;
        };
        std::vector<std::string> conditions;
        if (one_town) conditions.push_back("r.town = " + param(f.town ? *f.town : caller.towns.front(), "text"));
        else if (towns) conditions.push_back("r.town = ANY(" + param(*towns, "text[]") + ")");
        if (open_only) conditions.emplace_back("r.status NOT IN ('closed', 'rejected')");
        if (statuses.size() == 1) conditions.push_back("r.status = " + tx.quote(statuses.front()));
        if (f.grid) conditions.push_back("r.grid = " + param(*f.grid, "text"));
        if (!platforms.empty()) conditions.push_back("r.platform = ANY(" + param(pg_text_array(platforms), "text[]") + ")");
        if (!f.categories.empty()) conditions.push_back("r.category = ANY(" + param(pg_text_array(f.categories), "text[]") + ")");
        if (const auto from = detail::epoch_param(f.from))
            conditions.push_back("r.reported_at >= to_timestamp(" + param(std::to_string(*from), "bigint") + ")");
        if (const auto to = detail::epoch_param(f.to))
            conditions.push_back("r.reported_at < to_timestamp(" + param(std::to_string(*to), "bigint") + ")");
        if (f.bbox) {
            char v[4][32];
            for (int k = 0; k < 4; ++k) std::snprintf(v[k], sizeof v[k], "%.17g", (*f.bbox)[static_cast<std::size_t>(k)]);
            conditions.push_back("r.geom && ST_MakeEnvelope(" + param(v[0], "float8") + ", " + param(v[1], "float8") + ", " +
                                 param(v[2], "float8") + ", " + param(v[3], "float8") + ", 4490)");
        }
        if (f.overdue_only)
            conditions.push_back("r.due_at < to_timestamp(" +
                                 param(std::to_string(now_seconds().time_since_epoch().count()), "bigint") + ")");
        if (f.after)
            conditions.push_back("(r.reported_at, r.id) < (to_timestamp(" + param(std::to_string(f.after->first), "bigint") +
                                 "), " + param(std::to_string(f.after->second), "bigint") + ")");
        std::string where;
        for (const auto& cond : conditions) where += (where.empty() ? "" : " AND ") + cond;
        if (where.empty()) where = "true";
        const std::string limit = " LIMIT " + std::to_string(f.limit + 1);
        constexpr const char* order = " ORDER BY r.reported_at DESC, r.id DESC";
        // Several statuses: a page of each (an ordered scan of its own), merged. With
        // status = ANY(…) the index gives no order and every matching report was sorted.
        // Each status is a literal of its own branch: joined laterally to unnest(statuses),
        // the status was a value the planner could not see, so it estimated every status
        // as common and walked all of a town's reports newest first to find 51 rare ones
        // (150–230 ms for dispatched,in_progress once 100,000 new reports were waiting;
        // 0.3 ms now, each branch on reports_open's (town, status) and merged in order).
        std::string chosen;
        if (by_status) {
            for (const auto& st : statuses)
                chosen += (chosen.empty() ? "(" : " UNION ALL (") + std::string("SELECT * FROM reports r WHERE ") + where +
                          " AND r.status = " + tx.quote(st) + order + limit + ")";
            chosen = "SELECT * FROM (" + chosen + ") r" + order + limit;
        } else {
            chosen = "SELECT * FROM reports r WHERE " + where + order + limit;
        }
        const std::string sql = std::string(k_report_columns) + " FROM (" + chosen + ") r" + k_report_joins + order;
        auto res = exec_prepared_sql(tx, sql, pqxx::prepare::make_dynamic_params(params));
        for (const auto& r : res) page.reports.push_back(record_from_row(r));
    });
    if (static_cast<int>(page.reports.size()) > f.limit) {
        page.reports.pop_back();
        const auto& last = page.reports.back();
        page.next = {static_cast<long long>(last.reported_at.time_since_epoch().count()), last.id};
    }
    return page;
}

ActionOutcome ReportDesk::act(long long id, const ActionInput& in, const Principal& caller) {
    const auto st = state();
    ActionOutcome result;
    m_db.run([&](pqxx::connection_base& c) {
        pqxx::work tx(c);
        auto res = tx.exec_params(
            "SELECT town, status, category, platform, reporter, dispatched_at IS NOT NULL FROM reports WHERE id = $1 FOR UPDATE",
            id);
        if (res.empty()) throw Error(ErrorCode::not_found, "no report " + std::to_string(id));
        const auto town = res[0][0].as<std::string>();
        const auto status = *parse_status(res[0][1].as<std::string>());
        const auto category = res[0][2].as<std::string>();
        const auto platform = res[0][3].as<std::string>();
        const bool dispatched_before = res[0][5].as<bool>();
        if (!caller.covers_town(town)) throw Error(ErrorCode::forbidden, "this token does not cover town " + town);

        // Who may do what (API.md: Roles).
        const auto name = std::string(action_name(in.action));
        switch (in.action) {
        case Action::resolve_on_site:
            if (!caller.has_role({Role::grid_worker, Role::command}))
                throw Error(ErrorCode::forbidden, name + " needs a grid_worker or command token");
            break;
        case Action::start:
        case Action::resolve:
            if (!caller.has_role({Role::platform, Role::command}))
                throw Error(ErrorCode::forbidden, name + " needs a platform or command token");
            if (caller.role == Role::platform && caller.platform != platform)
                throw Error(ErrorCode::forbidden, "this report belongs to platform " + platform);
            break;
        case Action::supervise:
            if (!caller.has_role({Role::command, Role::leader}))
                throw Error(ErrorCode::forbidden, name + " needs a command or leader token");
            break;
        default:
            if (!caller.has_role({Role::command})) throw Error(ErrorCode::forbidden, name + " needs a command token");
        }

        const auto next = transition(status, in.action);
        if (!next) {
            json allowed = json::array();
            for (auto a : allowed_actions(status)) allowed.push_back(std::string(action_name(a)));
            throw Error(ErrorCode::conflict,
                        name + " is not allowed while the report is " + std::string(status_name(status)),
                        json{{"current_status", status_name(status)}, {"allowed_actions", allowed}});
        }

        const Timestamp now = now_seconds();
        const auto now_text = format_rfc3339(now);
        json details = json::object();
        if (in.action == Action::dispatch) {
            const std::string to_platform = in.platform.value_or(platform);
            if (!is_platform(to_platform)) throw Error(ErrorCode::bad_request, "platform: unknown platform", json{{"field", "platform"}});
            if (!in.assignees.empty()) {
                auto found = tx.exec_params("SELECT count(*) FROM workers WHERE town = $1 AND id = ANY($2::text[]) AND active",
                                            town, pg_text_array(in.assignees));
                if (found[0][0].as<std::size_t>() != std::set<std::string>(in.assignees.begin(), in.assignees.end()).size())
                    throw Error(ErrorCode::unprocessable, "assignees: not all are active staff of " + town,
                                json{{"field", "assignees"}});
            }
            const auto cat = st->categories.find(category);
            const int limit = cat == st->categories.end() ? 5 : cat->second.time_limit_workdays;
            details = {{"platform", to_platform},
                       {"assignees", in.assignees},
                       {"handling", in.handling.value_or("guikou")},
                       {"mode", in.mode.value_or("lingban")}};
            // The cohort and the deadline are set by the first dispatch (STATS.md); a
            // re-dispatch after rework keeps them.
            std::optional<std::string> due;
            if (!dispatched_before) {
                due = format_rfc3339(st->calendar.add_working_days(now, limit));
                details["due_at"] = *due;
            }
            tx.exec_params("UPDATE reports SET platform = $2, assignees = $3::text[], handling = $4, mode = $5, "
                           "dispatched_at = coalesce(dispatched_at, $6::timestamptz), due_at = coalesce($7::timestamptz, due_at) "
                           "WHERE town = $8 AND id = $1",
                           id, to_platform, pg_text_array(in.assignees), details["handling"].get<std::string>(),
                           details["mode"].get<std::string>(), now_text, due, town);
        }
        // What each action records on the report row (API.md: Workflow states).
        const std::string to_status(status_name(*next));
        tx.exec_params(R"sql(
UPDATE reports SET status = $2,
  accepted_at = CASE WHEN $5 = 'accept' THEN $3::timestamptz ELSE accepted_at END,
  resolved_at = CASE WHEN $5 = 'resolve' THEN $3::timestamptz WHEN $5 = 'reopen' THEN NULL ELSE resolved_at END,
  closed_at = CASE WHEN $5 IN ('close', 'resolve_on_site') THEN $3::timestamptz WHEN $5 = 'reopen' THEN NULL
                   ELSE closed_at END,
  on_site = on_site OR $5 = 'resolve_on_site',
  supervise_count = supervise_count + CASE WHEN $5 = 'supervise' THEN 1 ELSE 0 END,
  reopen_count = reopen_count + CASE WHEN $5 = 'reopen' THEN 1 ELSE 0 END
WHERE town = $4 AND id = $1)sql",
                       id, to_status, now_text, town, name);
        auto seq = tx.exec_params("INSERT INTO report_events (town, report, seq, action, from_status, to_status, actor, at, note, details) "
                                  "SELECT $1, $2, coalesce(max(seq), 0) + 1, $3, $4, $5, $6, $7::timestamptz, $8, $9::jsonb "
                                  "FROM report_events WHERE town = $1 AND report = $2 RETURNING seq",
                                  town, id, name, std::string(status_name(status)), to_status, caller.worker.value_or(caller.name),
                                  now_text, in.note, details.dump());
        write_audit(tx, caller, town, "report." + name, std::to_string(id), details.dump());
        result.event = {seq[0][0].as<int>(), name, std::string(status_name(status)), to_status,
                        caller.worker.value_or(caller.name), now, in.note, details.dump()};
        auto row = tx.exec_params(std::string(k_report_select) + " WHERE r.town = $1 AND r.id = $2", town, id);
        result.report = record_from_row(row[0]);
        result.report.timeline = load_timeline(tx, town, id);
        tx.commit();
    });
    return result;
}

}  // namespace wangge::data
