#pragma once
// Reports as JSON (API.md: Reports). The answer to a POST is stored with its idempotency
// key, so it is built here, beside the record it describes.

#include "data/reports.hpp"

#include <nlohmann/json.hpp>

namespace wangge::data {

/// The answer to POST /api/v1/reports: id, status, town, platform, grid, responsible,
/// assignment (and client_id, category, reported_at).
nlohmann::json report_answer(const ReportRecord& r);

/// GET /api/v1/reports/{id}: a Feature with the answer's fields and the rest of the
/// record in properties, plus the timeline when it was loaded.
nlohmann::json report_feature(const ReportRecord& r, bool with_timeline);

nlohmann::json event_json(const EventRecord& e);

/// {"id","name","phone"}, or null.
nlohmann::json person_json(const std::optional<Person>& p);

}  // namespace wangge::data
