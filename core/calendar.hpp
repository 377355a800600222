#pragma once
// The working-day calendar that deadlines (due_at) are counted in: weekends and official
// holidays are off, adjusted working weekend days (调休) are on.

#include "core/time.hpp"

#include <chrono>
#include <istream>
#include <set>
#include <string>
#include <vector>

namespace wangge {

struct CalendarDay {
    std::chrono::sys_days day;
    bool working;      // false: holiday; true: adjusted working day (调休上班)
    std::string name;  // 春节, 国庆节调休, …
};

class WorkCalendar {
public:
    WorkCalendar() = default;
    explicit WorkCalendar(const std::vector<CalendarDay>& days);

    /// Reads `date,kind,name` CSV (kind: holiday|workday), the format of
    /// data/calendar/holidays.csv. @throws Error(bad_request) naming the bad line.
    static std::vector<CalendarDay> read_csv(std::istream& in);

    bool is_working_day(std::chrono::sys_days day) const;

    /// The deadline for a time limit of `workdays` working days started at `start`: the
    /// clock only runs on working days, so the deadline is the same Shanghai clock time
    /// `workdays` working days later; a start on a day off starts the clock at midnight
    /// of the next working day (API.md: due_at).
    Timestamp add_working_days(Timestamp start, int workdays) const;

private:
    std::set<std::chrono::sys_days> m_holidays;
    std::set<std::chrono::sys_days> m_adjusted_workdays;
};

}  // namespace wangge
