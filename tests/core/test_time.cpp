#include "core/time.hpp"

#include <cstdlib>

#include <gtest/gtest.h>

using namespace wangge;
using namespace std::chrono;

TEST(Time, ParsesOffsetsAndZulu) {
    const auto a = parse_rfc3339("2026-03-01T08:30:00+08:00");
    const auto b = parse_rfc3339("2026-03-01T00:30:00Z");
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(parse_rfc3339("2026-03-01T00:30:00.987Z"), b) << "fractions are truncated";
    EXPECT_EQ(parse_rfc3339("2026-03-01T02:30:00-05:30"), parse_rfc3339("2026-03-01T08:00:00Z"));
}

TEST(Time, RejectsMalformed) {
    for (const char* bad : {"", "2026-03-01", "2026-03-01T08:30:00", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z",
                            "2026-03-01T24:00:00Z", "2026-03-01T08:30:00+0800", "2026-03-01T08:30:00Zjunk",
                            "2026-03-01T08:30:00.Z", "２０２６-03-01T08:30:00Z"})
        EXPECT_FALSE(parse_rfc3339(bad)) << bad;
}

TEST(Time, OnlyYearsThatFormatBackAreAccepted) {
    // fuzz_time: year 0 does not exist in PostgreSQL, and these came back as year -1 or 10000.
    for (const char* bad : {"0000-01-01T07:30:00+08:00", "0000-06-01T00:00:00Z", "0001-01-01T07:59:59+08:00",
                            "9999-12-31T16:00:00Z", "9999-12-31T23:59:59-01:00", "0000-01-01", "0001-01-01"})
        EXPECT_FALSE(parse_instant(bad)) << bad;
    for (const char* good : {"0001-01-01T00:00:00Z", "9999-12-31T15:59:59Z", "9999-12-31T23:59:59+08:00", "0001-01-02"}) {
        const auto t = parse_instant(good);
        ASSERT_TRUE(t) << good;
        EXPECT_EQ(parse_rfc3339(format_rfc3339(*t)), t) << good;
        EXPECT_EQ(parse_rfc3339(format_rfc3339_utc(*t)), t) << good;
    }
}

TEST(Time, BareDateIsShanghaiMidnight) {
    EXPECT_EQ(parse_instant("2026-03-01"), parse_rfc3339("2026-02-28T16:00:00Z"));
    EXPECT_FALSE(parse_instant("2026-3-1"));
}

TEST(Time, FormatsInShanghai) {
    const auto t = *parse_rfc3339("2026-11-27T16:53:01Z");
    EXPECT_EQ(format_rfc3339(t), "2026-11-28T00:53:01+08:00");
    EXPECT_EQ(format_rfc3339_utc(t), "2026-11-27T16:53:01Z");
    EXPECT_EQ(format_date(shanghai_day(t)), "2026-11-28");
}

TEST(Time, MonthBoundariesAreShanghai) {
    const auto ym = parse_year_month("2026-01");
    ASSERT_TRUE(ym);
    EXPECT_EQ(format_rfc3339(shanghai_month_start(*ym)), "2026-01-01T00:00:00+08:00");
    EXPECT_FALSE(parse_year_month("2026-13"));
    EXPECT_FALSE(parse_year_month("2026-1"));
}

// The "dates" runs (tests/CMakeLists.txt) start the clock at an instant with libfaketime
// and say which in WANGGE_EXPECT_NOW: if the preload did not take, this fails instead of
// the run silently testing today.
TEST(Time, TheClockIsTheOneTheRunAskedFor) {
    const char* expected = std::getenv("WANGGE_EXPECT_NOW");
    if (!expected) GTEST_SKIP() << "not a dates run";
    const auto at = parse_rfc3339(expected);
    ASSERT_TRUE(at) << expected;
    const auto now = now_seconds();
    EXPECT_GE(now, *at);
    EXPECT_LT(now, *at + minutes(10)) << format_rfc3339(now) << " is not near " << expected;
}
