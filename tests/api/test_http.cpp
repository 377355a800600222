// The request parsers of api/, apart from any handler.

#include "api/http.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>

using namespace wangge;
using namespace wangge::api;

TEST(PercentDecode, DecodesAndRejectsMalformed) {
    EXPECT_EQ(percent_decode("%E5%A1%94%E7%9F%B3", false), "塔石");
    EXPECT_EQ(percent_decode("a+b", true), "a b");
    EXPECT_EQ(percent_decode("a+b", false), "a+b");
    EXPECT_FALSE(percent_decode("%", false));
    EXPECT_FALSE(percent_decode("%4", false));
    EXPECT_FALSE(percent_decode("%zz", false));
    EXPECT_FALSE(percent_decode("%00", false)) << "an encoded NUL is refused";
}

TEST(ParseQuery, SplitsAndDecodes) {
    const auto q = parse_query("at=2026-03-01T00%3A00%3A00%2B08%3A00&x=&&flag");
    EXPECT_EQ(q.at("at"), "2026-03-01T00:00:00+08:00");
    EXPECT_EQ(q.at("x"), "");
    EXPECT_EQ(q.at("flag"), "");
    EXPECT_THROW(parse_query("a=%G0"), Error);
}

TEST(Router, MatchesPatternsAndReportsOtherMethods) {
    Router r;
    r.add({"GET", "/api/v1/towns/{town}/grids", Access::token, {}, {}});
    r.add({"PUT", "/api/v1/towns/{town}/grids", Access::token, {}, {}});
    r.add({"GET", "/api/v1/grids/{grid}", Access::token, {}, {}});

    auto m = r.match("GET", "/api/v1/towns/tashi/grids");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params.at("town"), "tashi");

    m = r.match("DELETE", "/api/v1/towns/tashi/grids");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_EQ(m.allowed_methods, (std::vector<std::string>{"GET", "PUT"}));

    EXPECT_EQ(r.match("GET", "/api/v1/towns//grids").route, nullptr) << "an empty parameter does not match";
    EXPECT_EQ(r.match("GET", "/api/v1/grids/x/y").route, nullptr);
    EXPECT_NE(r.match("HEAD", "/api/v1/grids/x").route, nullptr) << "HEAD answers like GET";
}

TEST(Problem, IsProblemJsonWithTheFourMembers) {
    const auto p = problem(404, "not-found", "Not found", "no grid x", R"({"field":"grid"})");
    EXPECT_EQ(p.status, 404);
    EXPECT_EQ(p.content_type, "application/problem+json");
    EXPECT_NE(p.body.find(R"("type":"/problems/not-found")"), std::string::npos);
    EXPECT_NE(p.body.find(R"("status":404)"), std::string::npos);
    EXPECT_NE(p.body.find(R"("field":"grid")"), std::string::npos);
}
