#include "data/demo_rows.hpp"

#include "data/copy.hpp"
#include "data/text.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace wangge::data::demo {

namespace {

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

using Field = CopyField;

std::string iso(Timestamp t) { return format_rfc3339(t); }
Field iso(const std::optional<Timestamp>& t) { return t ? Field(format_rfc3339(*t)) : std::nullopt; }

// The event's details column: what a dispatch decided (API.md: dispatch).
std::string details_json(const Event& e) {
    if (!e.dispatch) return "{}";
    return nlohmann::json{{"platform", e.dispatch->platform},
                          {"assignees", e.dispatch->assignees},
                          {"handling", e.dispatch->handling},
                          {"mode", e.dispatch->mode},
                          {"due_at", format_rfc3339(e.dispatch->due_at)}}
        .dump();
}

// The report row's current fields follow from its events (the events are the truth).
struct Derived {
    Status status = Status::reported;
    std::optional<Timestamp> accepted, dispatched, due, resolved, closed;
    std::optional<std::string> handling, mode, assignees;
    int reopens = 0, supervises = 0;
    bool on_site = false;
};

Derived derive(const Report& r) {
    Derived d;
    for (const auto& e : r.events) {
        d.status = e.to;
        if (!e.action) continue;
        switch (*e.action) {
        case Action::accept: d.accepted = e.at; break;
        case Action::dispatch:
            if (!d.dispatched) d.dispatched = e.at;
            if (e.dispatch) {
                d.due = e.dispatch->due_at;
                d.handling = e.dispatch->handling;
                d.mode = e.dispatch->mode;
                d.assignees = pg_text_array(e.dispatch->assignees);
            }
            break;
        case Action::resolve: d.resolved = e.at; break;
        case Action::close: d.closed = e.at; break;
        case Action::resolve_on_site:
            d.closed = e.at;
            d.on_site = true;
            break;
        case Action::reopen:
            ++d.reopens;
            d.closed.reset();
            d.resolved.reset();
            break;
        case Action::supervise: ++d.supervises; break;
        default: break;
        }
    }
    return d;
}

}  // namespace

const std::vector<std::string>& report_columns() {
    static const std::vector<std::string> k_columns{
        "town",        "id",          "client_id",     "category",      "platform",     "description", "source",
        "reporter",    "geom",        "input_crs",     "input_lon",     "input_lat",    "grid",        "grid_version",
        "assign_method", "assign_distance_m", "status", "reported_at",  "received_at",  "accepted_at", "dispatched_at",
        "due_at",      "resolved_at", "closed_at",     "handling",      "mode",         "assignees",   "reopen_count",
        "supervise_count", "on_site"};
    return k_columns;
}

const std::vector<std::string>& event_columns() {
    static const std::vector<std::string> k_columns{"town", "report", "seq",   "action", "from_status",
                                                    "to_status", "actor", "at", "note",   "details"};
    return k_columns;
}

void copy_report(pqxx::stream_to& out, const std::string& town, const std::string& grid, const Report& r) {
    const auto d = derive(r);
    const std::string lon = fixed(r.lon, 7), lat = fixed(r.lat, 7);
    copy_row<30>(out, {town, std::to_string(r.id), r.client_id, r.category->code, r.category->platform, r.description,
                       r.source, r.reporter, std::string("SRID=4490;POINT(").append(lon).append(" ").append(lat).append(")"),
                       "EPSG:4326", lon, lat, grid, "1", "contains", "0", std::string(status_name(d.status)),
                       iso(r.reported_at), iso(r.reported_at), iso(d.accepted), iso(d.dispatched), iso(d.due),
                       iso(d.resolved), iso(d.closed), d.handling, d.mode, d.assignees.value_or("{}"),
                       std::to_string(d.reopens), std::to_string(d.supervises), d.on_site ? "t" : "f"});
}

void copy_events(pqxx::stream_to& out, const std::string& town, const Report& r) {
    for (std::size_t i = 0; i < r.events.size(); ++i) {
        const auto& e = r.events[i];
        copy_row<10>(out, {town, std::to_string(r.id), std::to_string(i + 1),
                           e.action ? std::string(action_name(*e.action)) : "report",
                           e.from ? Field(std::string(status_name(*e.from))) : std::nullopt, std::string(status_name(e.to)),
                           e.actor, iso(e.at), e.note, details_json(e)});
    }
}

}  // namespace wangge::data::demo
