#pragma once
// ObjectMeta helpers shared by handlers and strategies: name rules, uid, generateName.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace vkube::resource {

// DNS-1123 subdomain (most names) and label (namespaces, services) rules; returns kube-apiserver's
// messages, empty when valid.
std::vector<std::string> ValidateDns1123Subdomain(std::string_view name);
std::vector<std::string> ValidateDns1123Label(std::string_view name);

std::string NewUid();  // random RFC 4122 v4
// generateName + 5 random chars from kube's alphabet "bcdfghjklmnpqrstvwxz2456789".
std::string GenerateName(std::string_view prefix);

// Access helpers that tolerate missing/mistyped fields.
std::string_view GetString(const nlohmann::json& obj, std::initializer_list<std::string_view> path);

}  // namespace vkube::resource
