#pragma once
// ObjectMeta helpers shared by handlers and strategies: name rules, uid, generateName.
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace vkube::resource {

// DNS-1123 subdomain (most names) and label (namespaces) rules, and DNS-1035 label (services);
// return kube-apiserver's messages, empty when valid.
std::vector<std::string> ValidateDns1123Subdomain(std::string_view name);
std::vector<std::string> ValidateDns1123Label(std::string_view name);
std::vector<std::string> ValidateDns1035Label(std::string_view name);

std::string NewUid();  // random RFC 4122 v4
// generateName + 5 random chars from kube's alphabet "bcdfghjklmnpqrstvwxz2456789"; the prefix is
// cut to 58 characters so that the result fits a 63-character name, as kube does.
std::string GenerateName(std::string_view prefix);

// Access helpers that tolerate missing/mistyped fields.
std::string_view GetString(const nlohmann::json& obj, std::initializer_list<std::string_view> path);

}  // namespace vkube::resource
