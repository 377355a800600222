#pragma once
// The common ground of the API tests: the demo database, a Service over it, and tokens.

#include "api/service.hpp"
#include "data/token_store.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace wangge::test {

class ApiFixture : public ::testing::Test {
protected:
    TestDatabase& t = demo_database();
    api::Service service{t.db(), options()};

    /// The service as `wangge serve` runs it, with a small built web client of its own
    /// (index.html and one asset) so that `/` and `/assets/…` answer as in production.
    static api::ServiceOptions options() {
        struct Dist {
            std::filesystem::path dir = std::filesystem::temp_directory_path() / ("wangge-test-web-" + std::to_string(::getpid()));
            Dist() {
                std::filesystem::create_directories(dir / "assets");
                std::ofstream(dir / "index.html") << "<!doctype html><title>网格</title><script type=\"module\" src=\"/assets/app-test.js\"></script>";
                std::ofstream(dir / "assets/app-test.js") << "export {};";
            }
            ~Dist() {
                std::error_code ec;
                std::filesystem::remove_all(dir, ec);
            }
        };
        static const Dist dist;
        api::ServiceOptions o;
        o.web_dir = dist.dir.string();
        return o;
    }

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
