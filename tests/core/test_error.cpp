#include "core/error.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace wangge;

TEST(Error, EveryCodeHasAStatusAndTitle) {
    EXPECT_EQ(describe(ErrorCode::bad_request).http_status, 400);
    EXPECT_EQ(describe(ErrorCode::unauthorized).http_status, 401);
    EXPECT_EQ(describe(ErrorCode::forbidden).http_status, 403);
    EXPECT_EQ(describe(ErrorCode::not_found).http_status, 404);
    EXPECT_EQ(describe(ErrorCode::conflict).http_status, 409);
    EXPECT_EQ(describe(ErrorCode::precondition_failed).http_status, 412);
    EXPECT_EQ(describe(ErrorCode::payload_too_large).http_status, 413);
    EXPECT_EQ(describe(ErrorCode::unprocessable).http_status, 422);
    EXPECT_EQ(describe(ErrorCode::database_unavailable).http_status, 503);
    EXPECT_EQ(describe(ErrorCode::internal).http_status, 500);
}

TEST(Error, BadFieldCarriesTheField) {
    try {
        throw_bad_field("lon", "must be a number");
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::bad_request);
        EXPECT_EQ(nlohmann::json::parse(e.extra_json()).at("field"), "lon");
        EXPECT_EQ(e.detail(), "lon: must be a number");
    }
}
