#include "core/calendar.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace wangge;

namespace {

Timestamp at(const char* text) { return *parse_rfc3339(text); }

// The 2026 Spring Festival as published: 15–23 Feb off, Sat 14 and Sat 28 Feb worked.
WorkCalendar spring_festival_2026() {
    std::istringstream csv(
        "date,kind,name\n"
        "2026-02-14,workday,春节调休\n"
        "2026-02-15,holiday,春节\n2026-02-16,holiday,春节\n2026-02-17,holiday,春节\n2026-02-18,holiday,春节\n"
        "2026-02-19,holiday,春节\n2026-02-20,holiday,春节\n2026-02-21,holiday,春节\n2026-02-22,holiday,春节\n"
        "2026-02-23,holiday,春节\n"
        "2026-02-28,workday,春节调休\n");
    return WorkCalendar(WorkCalendar::read_csv(csv));
}

}  // namespace

TEST(WorkCalendar, WeekendsAndHolidaysAreOffAdjustedWeekendsAreOn) {
    const auto cal = spring_festival_2026();
    EXPECT_TRUE(cal.is_working_day(*parse_date("2026-02-13")));   // Friday
    EXPECT_TRUE(cal.is_working_day(*parse_date("2026-02-14")));   // Saturday, 调休
    EXPECT_FALSE(cal.is_working_day(*parse_date("2026-02-16")));  // Monday, 春节
    EXPECT_FALSE(cal.is_working_day(*parse_date("2026-03-01")));  // plain Sunday
    EXPECT_TRUE(cal.is_working_day(*parse_date("2026-02-28")));   // Saturday, 调休
}

TEST(WorkCalendar, PlainWeekSkipsTheWeekend) {
    const WorkCalendar cal;
    // Friday 15:00 + 3 working days → Wednesday 15:00.
    EXPECT_EQ(cal.add_working_days(at("2026-03-06T15:00:00+08:00"), 3), at("2026-03-11T15:00:00+08:00"));
    // Dispatched on a Saturday: the clock starts Monday 00:00; 1 working day → Tuesday 00:00.
    EXPECT_EQ(cal.add_working_days(at("2026-03-07T10:00:00+08:00"), 1), at("2026-03-10T00:00:00+08:00"));
}

TEST(WorkCalendar, SpringFestivalAndAdjustedSaturdays) {
    const auto cal = spring_festival_2026();
    // Fri 13 Feb 10:00 + 1 → Sat 14 Feb (调休) 10:00.
    EXPECT_EQ(cal.add_working_days(at("2026-02-13T10:00:00+08:00"), 1), at("2026-02-14T10:00:00+08:00"));
    // + 2 → the holiday and the Sunday after are skipped: Tue 24 Feb 10:00.
    EXPECT_EQ(cal.add_working_days(at("2026-02-13T10:00:00+08:00"), 2), at("2026-02-24T10:00:00+08:00"));
    // Thu 26 Feb 09:00 + 2 → Fri 27, Sat 28 (调休) 09:00.
    EXPECT_EQ(cal.add_working_days(at("2026-02-26T09:00:00+08:00"), 2), at("2026-02-28T09:00:00+08:00"));
}

TEST(WorkCalendar, ShippedCalendarParsesAndHasAdjustedWeekendsOnly) {
    std::ifstream in(std::string(WANGGE_TEST_DATA_DIR) + "/calendar/holidays.csv");
    ASSERT_TRUE(in);
    const auto days = WorkCalendar::read_csv(in);
    EXPECT_GT(days.size(), 80u);
    for (const auto& d : days) {
        const std::chrono::weekday wd{d.day};
        if (d.working) {
            EXPECT_TRUE(wd == std::chrono::Saturday || wd == std::chrono::Sunday) << format_date(d.day);
        }
    }
}

TEST(WorkCalendar, BadLinesNameTheLine) {
    std::istringstream csv("date,kind,name\n2026-02-14,workday,x\n2026-02-30,holiday,x\n");
    try {
        WorkCalendar::read_csv(csv);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(e.detail().find("line 3"), std::string::npos) << e.detail();
    }
}

TEST(WorkCalendar, NationalDay2026OnTheShippedCalendar) {
    std::ifstream in(std::string(WANGGE_TEST_DATA_DIR) + "/calendar/holidays.csv");
    const WorkCalendar cal(WorkCalendar::read_csv(in));
    // Wed 30 Sep 15:00 + 3 working days: 1–7 Oct are 国庆节, so Thu 8, Fri 9 and the
    // adjusted working Saturday 10 Oct (调休): due Sat 10 Oct 15:00.
    EXPECT_EQ(cal.add_working_days(at("2026-09-30T15:00:00+08:00"), 3), at("2026-10-10T15:00:00+08:00"));
    // Dispatched on the holiday itself: the clock starts Thu 8 Oct 00:00.
    EXPECT_EQ(cal.add_working_days(at("2026-10-03T11:00:00+08:00"), 1), at("2026-10-09T00:00:00+08:00"));
    // Sun 20 Sep is worked (调休): Sat 19 Sep 09:00 + 1 → the clock starts Sun 20 00:00 → Mon 21 00:00.
    EXPECT_EQ(cal.add_working_days(at("2026-09-19T09:00:00+08:00"), 1), at("2026-09-21T00:00:00+08:00"));
}
