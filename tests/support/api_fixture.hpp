#pragma once
// The common ground of the API tests: the demo database, a Service over it, and tokens.

#include "api/service.hpp"
#include "data/token_store.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace wangge::test {

class ApiFixture : public ::testing::Test {
protected:
    TestDatabase& t = demo_database();
    api::Service service{t.db()};

    /// A new token. Platform tokens handle `zhifa` unless told otherwise.
    std::string token(Role role, std::vector<std::string> towns = {}, std::string name = {},
                      std::optional<std::string> platform = {}) {
        data::TokenSpec spec;
        spec.role = role;
        spec.towns = std::move(towns);
        spec.name = std::move(name);
        spec.platform = role == Role::platform ? platform.value_or("zhifa") : platform;
        return data::create_token(t.db(), spec);
    }
};

}  // namespace wangge::test
