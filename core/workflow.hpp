#pragma once
// The closed loop (闭环) of a report, API.md "Workflow states": which action is allowed
// from which state and where it leads. One table, used by the API and the demo data.

#include <optional>
#include <string_view>
#include <vector>

namespace wangge {

enum class Status { reported, accepted, dispatched, in_progress, resolved, closed, rejected };
enum class Action { resolve_on_site, accept, reject, dispatch, start, supervise, resolve, close, reopen };

std::string_view status_name(Status s) noexcept;
std::optional<Status> parse_status(std::string_view name) noexcept;
std::string_view action_name(Action a) noexcept;
std::optional<Action> parse_action(std::string_view name) noexcept;

/// The state after `action` from `from`, or nullopt when the action is not allowed there.
/// `supervise` (督办) is allowed on open dispatched work and leaves the state unchanged.
std::optional<Status> transition(Status from, Action action) noexcept;

/// Every action allowed from a state, in a fixed order (for 409 answers).
std::vector<Action> allowed_actions(Status from);

/// Closed or rejected: nothing more to do unless reopened.
bool is_terminal(Status s) noexcept;

}  // namespace wangge
