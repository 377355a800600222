#pragma once
// Statements run on every request, prepared once per connection. Measured at 1M reports
// under scripts/load.sh (pg_stat_statements with track_planning, 2026-12-03): planning
// took a sixth of the machine's CPU, more than running did for most statements (a
// report list 2.3 ms to plan; the tile delta's grid versions 2.7 ms to plan, 1 ms to run;
// a post's seven statements 0.35 ms together). A prepared statement is parsed once, and
// after five runs PostgreSQL keeps a generic plan when it costs no more than the custom
// ones: so only statements without catch-all filters ("$1 IS NULL OR …"), whose best
// plan does not hinge on the values, belong here (docs/operations.md "Load").

#include <pqxx/pqxx>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

namespace wangge::data {

namespace detail {
/// At most this many statements stay prepared on a connection: statement texts may carry
/// validated values (a list's page size and statuses), and a client asking for every page
/// size must not make each server process hold a plan for each.
inline constexpr std::size_t k_max_prepared_per_connection = 64;

/// The statement name for sql, noted as used last on c; when c then holds more than the
/// bound, the least recently used name to unprepare. Thread-safe.
std::pair<std::string, std::optional<std::string>> use_prepared(const pqxx::connection_base& c, const std::string& sql);

/// Forgets c's names (the connection is being closed).
void forget_prepared(const pqxx::connection_base& c) noexcept;
}  // namespace detail

/// tx.exec_params(sql, args…) through a statement prepared on tx's connection. libpqxx
/// 6.4 keeps each connection's definitions (a new connection after a lost one prepares
/// again) and treats a repeated identical prepare() as a no-op.
template <class... Args> pqxx::result exec_prepared_sql(pqxx::transaction_base& tx, const std::string& sql, Args&&... args) {
    auto [name, evict] = detail::use_prepared(tx.conn(), sql);
    if (evict) tx.conn().unprepare(*evict);  // DEALLOCATE, allowed inside a transaction
    tx.conn().prepare(name, sql);
    return tx.exec_prepared(name, std::forward<Args>(args)...);
}

}  // namespace wangge::data
