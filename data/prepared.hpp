#pragma once
// Statements run on every request, prepared once per connection. Measured at 1M reports
// under scripts/load.sh (pg_stat_statements with track_planning, 2026-12-03): planning
// took a sixth of the machine's CPU, more than running did for most of them (a post's
// seven statements 0.35 ms to plan; the tile delta's grid versions 2.7 ms to plan, 1 ms
// to run). A prepared statement is parsed once, and after five runs PostgreSQL keeps a
// generic plan when it costs no more than the custom ones: so only statements without
// catch-all filters ("$1 IS NULL OR …"), whose best plan does not hinge on the values,
// belong here.

#include <pqxx/pqxx>

#include <cstdio>
#include <functional>
#include <string>
#include <utility>

namespace wangge::data {

/// tx.exec_params(sql, args…) through a statement prepared on tx's connection, named by
/// a hash of the text. libpqxx 6.4 keeps each connection's definitions (a new connection
/// after a lost one prepares again) and treats a repeated identical prepare() as a no-op.
template <class... Args> pqxx::result exec_prepared_sql(pqxx::transaction_base& tx, const std::string& sql, Args&&... args) {
    char name[32];
    std::snprintf(name, sizeof name, "wangge_%016zx", std::hash<std::string>{}(sql));
    tx.conn().prepare(name, sql);
    return tx.exec_prepared(name, std::forward<Args>(args)...);
}

}  // namespace wangge::data
