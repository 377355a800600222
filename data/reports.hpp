#pragma once
// Reports (事件): intake with assignment to grid and staff, reading, and the closed-loop
// workflow (API.md: Reports). PostGIS is the record; an acknowledged report is committed
// before its answer is built.

#include "core/calendar.hpp"
#include "core/workflow.hpp"
#include "core/error.hpp"
#include "core/principal.hpp"
#include "core/time.hpp"
#include "data/records.hpp"
#include "geo/china_coords.hpp"

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace wangge::geo {
class GridIndex;
}

namespace wangge::data {

class Database;

struct ReportInput {
    std::string client_id;
    double lon = 0, lat = 0;  // in `crs`
    geo::InputCrs crs = geo::InputCrs::wgs84;
    std::string category;
    std::string description;
    std::optional<Timestamp> reported_at;  // default: received
    std::optional<std::string> reporter;   // worker id
    std::string source = "app";
};

/// One item's outcome: 201 with a new report, 200 with the first answer for a known
/// client_id, or a problem.
struct SubmitOutcome {
    int http_status = 0;
    std::string body;  // the answer JSON, or the problem's detail when `problem` is set
    std::optional<Error> problem;
};

struct GridRef {
    std::string id, code, name;
    int version = 0;
};

struct EventRecord {
    int seq = 0;
    std::string action;
    std::optional<std::string> from_status;
    std::string to_status;
    std::string actor;
    Timestamp at;
    std::string note;
    std::string details_json;
};

struct ReportRecord {
    long long id = 0;
    std::string town, client_id, category, platform, description, source, status, input_crs, method;
    std::optional<std::string> reporter;
    double lon = 0, lat = 0;  // EPSG:4490
    double distance_m = 0;
    std::optional<GridRef> grid;
    std::optional<Person> leader, worker;  // the grid's staff now
    Timestamp reported_at, received_at;
    std::optional<Timestamp> accepted_at, dispatched_at, due_at, resolved_at, closed_at;
    std::optional<std::string> handling, mode;
    std::vector<std::string> assignees;
    int reopen_count = 0, supervise_count = 0;
    bool overdue = false;
    std::vector<EventRecord> timeline;  // filled by find_report only
};

struct ReportFilter {
    std::optional<std::string> town, grid;
    std::vector<std::string> statuses, platforms, categories;
    std::optional<Timestamp> from, to;  // reported_at in [from, to)
    std::optional<std::array<double, 4>> bbox;
    bool overdue_only = false;
    int limit = 100;
    std::optional<std::pair<long long, long long>> after;  // cursor: (reported_at epoch, id)
};

struct ReportPage {
    std::vector<ReportRecord> reports;
    std::optional<std::pair<long long, long long>> next;
};

struct ActionInput {
    Action action = Action::accept;
    std::string note;
    std::optional<std::string> platform;  // dispatch
    std::vector<std::string> assignees;   // dispatch
    std::optional<std::string> handling;  // dispatch: guikou | xietiao
    std::optional<std::string> mode;      // dispatch: lingban | lianban | duban
};

struct ActionOutcome {
    EventRecord event;
    ReportRecord report;
};

struct CategoryInfo {
    std::string name;
    std::string platform;
    int time_limit_workdays = 1;
};

/// The report desk: everything the API does with reports, as typed calls.
class ReportDesk {
public:
    explicit ReportDesk(Database& db);
    ~ReportDesk();

    /// (Re)loads the grid index, the category catalogue and the calendar from PostGIS.
    /// Called lazily on first use, so a server can start while the database is down.
    void reload();

    std::shared_ptr<const geo::GridIndex> grid_index();

    /// Brings the grid index up to the database: the towns whose grid generation
    /// (towns.grid_generation, migration 0008) differs from the one the index was built
    /// from are read again and the index is rebuilt, atomically for every later request.
    /// Cheap when nothing changed (one small query). Called by the change feed, after
    /// this process's own grid edits, and by intake when its check finds a stale town.
    /// Does nothing before the first load. @returns the towns refreshed
    std::vector<std::string> refresh_grids();
    /// Reads the category catalogue and the holiday calendar again.
    void refresh_reference();

    /// Held by a grid edit of this process from its re-assignment to its index refresh,
    /// so this node's own intake does not go round the stale-index retry. Other nodes are
    /// kept right by the generation check inside the intake transaction.
    std::unique_lock<std::shared_mutex> hold_intake() { return std::unique_lock(m_intake); }

    /// Validates, assigns and stores a batch in one transaction (COPY), one outcome per
    /// item in order; bad items do not sink good ones.
    std::vector<SubmitOutcome> submit(const std::vector<std::variant<ReportInput, Error>>& items, const Principal& caller);

    std::optional<ReportRecord> find(long long id);
    ReportPage list(const ReportFilter& filter, const Principal& caller);

    /// Applies a workflow action under a row lock.
    /// @throws Error(not_found), Error(forbidden), Error(conflict) naming the current state
    ///         and the allowed actions, Error(bad_request) for a malformed dispatch
    ActionOutcome act(long long id, const ActionInput& input, const Principal& caller);

    /// The reference data the parsers validate against.
    std::map<std::string, CategoryInfo> categories();

    std::uint64_t reports_ingested() const noexcept;

    struct Stats {
        std::uint64_t grid_refreshes = 0;   // index rebuilds after a generation change
        std::uint64_t stale_retries = 0;    // intake rounds repeated because the index was stale
    };
    Stats stats() const noexcept { return {m_grid_refreshes.load(), m_stale_retries.load()}; }

private:
    struct State;
    std::shared_ptr<State> state();
    std::shared_ptr<State> loaded_state();
    /// One round of submit: assigns with the current index and stores, unless a town's
    /// grid generation in the database differs from the index's; those towns go to
    /// `stale` and nothing is stored.
    std::vector<SubmitOutcome> submit_once(const std::vector<std::variant<ReportInput, Error>>& items,
                                           const Principal& caller, Timestamp now, std::set<std::string>& stale);

    Database& m_db;
    std::mutex m_mutex;       // guards m_state
    std::mutex m_load_mutex;  // one loader at a time
    std::shared_ptr<State> m_state;
    std::atomic<std::uint64_t> m_ingested{0};
    std::atomic<std::uint64_t> m_grid_refreshes{0};
    std::atomic<std::uint64_t> m_stale_retries{0};
    std::shared_mutex m_intake;  // shared: intake (assign + store); exclusive: grid edits
};

}  // namespace wangge::data
