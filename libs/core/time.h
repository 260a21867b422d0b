#pragma once
// Kubernetes timestamps: RFC 3339 in UTC with second precision ("2024-01-02T03:04:05Z"), and the
// human "AGE" durations kubectl prints (5s, 3m20s, 4h, 2d5h, ...).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace vkube {

using SystemTime = std::chrono::system_clock::time_point;

std::string FormatRfc3339(SystemTime t);
std::optional<SystemTime> ParseRfc3339(std::string_view s);
// Same rules as k8s.io/apimachinery duration.HumanDuration.
std::string HumanDuration(std::chrono::seconds d);

}  // namespace vkube
