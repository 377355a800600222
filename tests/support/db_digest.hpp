#pragma once
// One text that changes when anything in the database changes: the list of tables and,
// per table, its row count and an md5 of its rows. For tests that prove a request wrote
// nothing (refused calls, injection attempts).

#include "tests/support/test_db.hpp"

#include <string>

namespace wangge::test {

inline std::string database_digest(TestDatabase& t) {
    // query_to_xml runs the per-table query inside this one statement (no PL/pgSQL).
    // spatial_ref_sys is PostGIS's own catalogue: large, and nothing here writes it.
    return t.scalar(
        "SELECT string_agg(table_name || '=' || (xpath('/row/c/text()', query_to_xml("
        "  'SELECT count(*) || '':'' || md5(coalesce(string_agg(t::text, ''|'' ORDER BY t::text), '''')) AS c FROM ' "
        "  || quote_ident(table_schema) || '.' || quote_ident(table_name) || ' t', false, true, '')))[1]::text, ' ' "
        "ORDER BY table_name) FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys'");
}

}  // namespace wangge::test
