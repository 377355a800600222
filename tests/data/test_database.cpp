// The connection pool against the real server: a connection that dies under a request is
// "unavailable, try again" (503), whatever form libpqxx gives the loss; the statements a
// connection keeps prepared are bounded.

#include "core/error.hpp"
#include "data/prepared.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <tuple>

using namespace wangge;

// As when the server shuts down in the middle of a batch intake: libpqxx 6.4 reports the
// failed COPY write as a plain pqxx::failure ("Write to table failed"), not as
// broken_connection, and the connection can still look open. The reliability test saw it
// as a 500 once in a few hundred batches.
TEST(Database, AConnectionKilledDuringACopyIsUnavailableNotInternal) {
    test::TestDatabase t("db_copy_killed");
    t.scalar("CREATE TABLE copy_target (n int)");
    std::string seen;
    try {
        t.db().run([&](pqxx::connection_base& c) {
            pqxx::work tx(c);
            const auto pid = tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
            pqxx::stream_to out(tx, "copy_target", std::vector<std::string>{"n"});
            out << std::make_tuple(0);
            pqxx::connection killer(t.conninfo());
            pqxx::nontransaction(killer).exec("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
            try {
                for (int i = 1; i < 1'000'000; ++i) out << std::make_tuple(i);
                out.complete();
                tx.commit();
            } catch (const std::exception& e) {
                seen = typeid(e).name();
                throw;
            }
        });
        FAIL() << "the COPY outlived its connection";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::database_unavailable) << e.what() << " (from " << seen << ")";
    }
    EXPECT_EQ(t.scalar("SELECT count(*) FROM copy_target"), "0") << "nothing half-written";
}

// Statement texts can carry validated values (a list's page size), so the statements a
// connection keeps prepared are bounded: the least recently used is deallocated, and
// running it again prepares it again.
TEST(Database, PreparedStatementsPerConnectionAreBounded) {
    test::TestDatabase t("db_prepared_bound");
    const std::size_t n = data::detail::k_max_prepared_per_connection + 40;
    t.db().run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        auto held = [&] {
            return tx.exec("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'wangge\\_%'")[0][0].as<std::size_t>();
        };
        for (std::size_t i = 0; i < n; ++i)
            ASSERT_EQ(data::exec_prepared_sql(tx, "SELECT $1::int + " + std::to_string(i), 1)[0][0].as<std::size_t>(), i + 1);
        EXPECT_EQ(held(), data::detail::k_max_prepared_per_connection);
        // The first ones were deallocated; asked again, they answer again.
        for (std::size_t i = 0; i < 5; ++i)
            EXPECT_EQ(data::exec_prepared_sql(tx, "SELECT $1::int + " + std::to_string(i), 2)[0][0].as<std::size_t>(), i + 2);
        EXPECT_EQ(held(), data::detail::k_max_prepared_per_connection);
    });
}
