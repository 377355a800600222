#include "data/report_json.hpp"

#include <cmath>

namespace wangge::data {

namespace {

using nlohmann::json;

json time_or_null(const std::optional<Timestamp>& t) { return t ? json(format_rfc3339(*t)) : json(nullptr); }

}  // namespace

json person_json(const std::optional<Person>& p) {
    if (!p) return nullptr;
    return {{"id", p->id}, {"name", p->name}, {"phone", p->phone}};
}

json report_answer(const ReportRecord& r) {
    json grid = nullptr;
    if (r.grid) grid = {{"id", r.grid->id}, {"code", r.grid->code}, {"name", r.grid->name}, {"version", r.grid->version}};
    return {{"id", r.id},
            {"client_id", r.client_id},
            {"status", r.status},
            {"town", r.town},
            {"platform", r.platform},
            {"category", r.category},
            {"grid", grid},
            {"unassigned", !r.grid.has_value()},
            {"responsible", {{"leader", person_json(r.leader)}, {"worker", person_json(r.worker)}}},
            {"assignment", {{"method", r.method}, {"distance_m", std::round(r.distance_m * 100) / 100}}},
            {"reported_at", format_rfc3339(r.reported_at)}};
}

json event_json(const EventRecord& e) {
    auto details = json::parse(e.details_json, nullptr, false);
    return {{"seq", e.seq},
            {"action", e.action},
            {"from", e.from_status ? json(*e.from_status) : json(nullptr)},
            {"to", e.to_status},
            {"actor", e.actor},
            {"at", format_rfc3339(e.at)},
            {"note", e.note},
            {"details", details.is_discarded() ? json::object() : details}};
}

json report_feature(const ReportRecord& r, bool with_timeline) {
    auto props = report_answer(r);
    props["description"] = r.description;
    props["source"] = r.source;
    props["reporter"] = r.reporter ? json(*r.reporter) : json(nullptr);
    props["input_crs"] = r.input_crs;
    props["received_at"] = format_rfc3339(r.received_at);
    props["accepted_at"] = time_or_null(r.accepted_at);
    props["dispatched_at"] = time_or_null(r.dispatched_at);
    props["due_at"] = time_or_null(r.due_at);
    props["resolved_at"] = time_or_null(r.resolved_at);
    props["closed_at"] = time_or_null(r.closed_at);
    props["handling"] = r.handling ? json(*r.handling) : json(nullptr);
    props["mode"] = r.mode ? json(*r.mode) : json(nullptr);
    props["assignees"] = r.assignees;
    props["reopen_count"] = r.reopen_count;
    props["supervise_count"] = r.supervise_count;
    props["overdue"] = r.overdue;
    if (with_timeline) {
        json timeline = json::array();
        for (const auto& e : r.timeline) timeline.push_back(event_json(e));
        props["timeline"] = timeline;
    }
    return {{"type", "Feature"},
            {"id", r.id},
            {"geometry", {{"type", "Point"}, {"coordinates", {r.lon, r.lat}}}},
            {"properties", props}};
}

}  // namespace wangge::data
