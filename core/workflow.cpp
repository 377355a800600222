#include "core/workflow.hpp"

#include <array>

namespace wangge {

namespace {

constexpr std::array<std::string_view, 7> k_status_names{"reported", "accepted", "dispatched", "in_progress",
                                                         "resolved", "closed",   "rejected"};
constexpr std::array<std::string_view, 9> k_action_names{"resolve_on_site", "accept", "reject",  "dispatch", "start",
                                                         "supervise",       "resolve", "close", "reopen"};

struct Edge {
    Status from;
    Action action;
    Status to;
};

// API.md: reported → accepted → dispatched → in_progress → resolved → closed; rejected
// from reported|accepted; resolve_on_site reported → closed; reopen (返工) resolved|closed
// → dispatched; supervise (督办) keeps the state.
constexpr std::array<Edge, 15> k_edges{{
    {Status::reported, Action::resolve_on_site, Status::closed},
    {Status::reported, Action::accept, Status::accepted},
    {Status::reported, Action::reject, Status::rejected},
    {Status::accepted, Action::reject, Status::rejected},
    {Status::accepted, Action::dispatch, Status::dispatched},
    {Status::dispatched, Action::start, Status::in_progress},
    {Status::dispatched, Action::supervise, Status::dispatched},
    {Status::in_progress, Action::supervise, Status::in_progress},
    {Status::dispatched, Action::resolve, Status::resolved},
    {Status::in_progress, Action::resolve, Status::resolved},
    {Status::resolved, Action::supervise, Status::resolved},
    {Status::resolved, Action::close, Status::closed},
    {Status::resolved, Action::reopen, Status::dispatched},
    {Status::closed, Action::reopen, Status::dispatched},
    {Status::in_progress, Action::dispatch, Status::dispatched},  // re-dispatch to another unit
}};

}  // namespace

std::string_view status_name(Status s) noexcept { return k_status_names[static_cast<std::size_t>(s)]; }
std::string_view action_name(Action a) noexcept { return k_action_names[static_cast<std::size_t>(a)]; }

std::optional<Status> parse_status(std::string_view name) noexcept {
    for (std::size_t i = 0; i < k_status_names.size(); ++i)
        if (k_status_names[i] == name) return static_cast<Status>(i);
    return std::nullopt;
}

std::optional<Action> parse_action(std::string_view name) noexcept {
    for (std::size_t i = 0; i < k_action_names.size(); ++i)
        if (k_action_names[i] == name) return static_cast<Action>(i);
    return std::nullopt;
}

std::optional<Status> transition(Status from, Action action) noexcept {
    for (const auto& e : k_edges)
        if (e.from == from && e.action == action) return e.to;
    return std::nullopt;
}

std::vector<Action> allowed_actions(Status from) {
    std::vector<Action> out;
    for (std::size_t i = 0; i < k_action_names.size(); ++i)
        if (transition(from, static_cast<Action>(i))) out.push_back(static_cast<Action>(i));
    return out;
}

bool is_terminal(Status s) noexcept { return s == Status::closed || s == Status::rejected; }

}  // namespace wangge
