#include "core/calendar.hpp"

#include "core/error.hpp"

namespace wangge {

using namespace std::chrono;

WorkCalendar::WorkCalendar(const std::vector<CalendarDay>& days) {
    for (const auto& d : days) (d.working ? m_adjusted_workdays : m_holidays).insert(d.day);
}

std::vector<CalendarDay> WorkCalendar::read_csv(std::istream& in) {
    std::vector<CalendarDay> out;
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || (line_no == 1 && line.rfind("date,", 0) == 0)) continue;
        const auto c1 = line.find(',');
        const auto c2 = c1 == std::string::npos ? c1 : line.find(',', c1 + 1);
        auto fail = [&](const char* why) {
            throw Error(ErrorCode::bad_request, "holiday calendar line " + std::to_string(line_no) + ": " + why);
        };
        if (c2 == std::string::npos) fail("expected date,kind,name");
        const auto day = parse_date(std::string_view(line).substr(0, c1));
        if (!day) fail("date is not YYYY-MM-DD");
        const auto kind = line.substr(c1 + 1, c2 - c1 - 1);
        if (kind != "holiday" && kind != "workday") fail("kind must be holiday or workday");
        out.push_back({*day, kind == "workday", line.substr(c2 + 1)});
    }
    return out;
}

bool WorkCalendar::is_working_day(sys_days day) const {
    if (m_adjusted_workdays.contains(day)) return true;
    if (m_holidays.contains(day)) return false;
    const weekday wd{day};
    return wd != Saturday && wd != Sunday;
}

Timestamp WorkCalendar::add_working_days(Timestamp start, int workdays) const {
    auto day = shanghai_day(start);
    auto clock = start - shanghai_midnight(day);
    if (!is_working_day(day)) {
        clock = seconds{0};
        do day += days{1};
        while (!is_working_day(day));
    }
    for (int i = 0; i < workdays; ++i) {
        do day += days{1};
        while (!is_working_day(day));
    }
    return shanghai_midnight(day) + clock;
}

}  // namespace wangge
