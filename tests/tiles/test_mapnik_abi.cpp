// STACK.md: Mapnik's defines change its ABI; without -DBIGINT, [weight]*2 evaluates to
// garbage. Compiled with the same flags as tiles/renderer.cpp (tiles/CMakeLists.txt).

#include <mapnik/expression.hpp>
#include <mapnik/expression_evaluator.hpp>
#include <mapnik/feature.hpp>
#include <mapnik/feature_factory.hpp>
#include <mapnik/unicode.hpp>

#include <gtest/gtest.h>

TEST(MapnikAbi, IntegerExpressionsEvaluate) {
    auto ctx = std::make_shared<mapnik::context_type>();
    ctx->push("weight");
    auto feature = mapnik::feature_factory::create(ctx, 1);
    feature->put("weight", mapnik::value_integer(21));
    const auto expr = mapnik::parse_expression("[weight] * 2");
    const mapnik::attributes vars;
    const auto result = mapnik::util::apply_visitor(
        mapnik::evaluate<mapnik::feature_impl, mapnik::value_type, mapnik::attributes>(*feature, vars), *expr);
    EXPECT_EQ(result.to_int(), 42);
    EXPECT_EQ(sizeof(mapnik::value_integer), 8u) << "BIGINT: 64-bit integers";
}
