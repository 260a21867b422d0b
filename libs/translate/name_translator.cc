#include "libs/translate/name_translator.h"

#include "libs/pki/digest.h"

namespace vkube::translate {

std::string HexSha256(std::string_view text, std::size_t digits) {
  std::string out = pki::Sha256Hex(text);
  if (digits < out.size()) out.resize(digits);
  return out;
}

std::string HostName(std::string_view name, std::string_view ns, std::string_view tenant) {
  std::string full;
  full.reserve(name.size() + ns.size() + tenant.size() + 6);
  full.append(name).append("-x-").append(ns).append("-x-").append(tenant);
  if (full.size() <= kMaxHostNameLength) return full;
  std::string out = full.substr(0, kHashedPrefixLength);
  out.push_back('-');
  out += HexSha256(full, kHashHexDigits);
  return out;
}

namespace {
bool Reserved(std::string_view key) { return key.substr(0, kReservedPrefix.size()) == kReservedPrefix; }
}  // namespace

StringMap StripReserved(const StringMap& host_map) {
  StringMap out;
  for (const auto& [k, v] : host_map) {
    if (!Reserved(k)) out.emplace(k, v);
  }
  return out;
}

StringMap HostLabels(const StringMap& virtual_labels, std::string_view ns, std::string_view tenant) {
  StringMap out = StripReserved(virtual_labels);
  out.insert_or_assign(std::string(kManagedByLabel), std::string(kManagedByValue));
  out.insert_or_assign(std::string(kTenantLabel), std::string(tenant));
  out.insert_or_assign(std::string(kNamespaceLabel), std::string(ns));
  return out;
}

StringMap HostAnnotations(const StringMap& virtual_annotations, const VirtualRef& ref) {
  StringMap out = StripReserved(virtual_annotations);
  out.insert_or_assign(std::string(kKindAnnotation), ref.kind);
  out.insert_or_assign(std::string(kNameAnnotation), ref.name);
  out.insert_or_assign(std::string(kNamespaceAnnotation), ref.ns);
  out.insert_or_assign(std::string(kUidAnnotation), ref.uid);
  return out;
}

StringMap HostSelector(const StringMap& virtual_selector, std::string_view ns, std::string_view tenant) {
  StringMap out = StripReserved(virtual_selector);
  out.insert_or_assign(std::string(kTenantLabel), std::string(tenant));
  out.insert_or_assign(std::string(kNamespaceLabel), std::string(ns));
  return out;
}

std::optional<VirtualRef> ParseVirtualRef(const StringMap& host_labels, const StringMap& host_annotations,
                                          std::string_view tenant) {
  auto get = [](const StringMap& m, std::string_view k) -> const std::string* {
    auto it = m.find(k);
    return it == m.end() ? nullptr : &it->second;
  };
  const std::string* t = get(host_labels, kTenantLabel);
  const std::string* managed = get(host_labels, kManagedByLabel);
  if (t == nullptr || *t != tenant || managed == nullptr || *managed != kManagedByValue) return std::nullopt;
  const std::string* kind = get(host_annotations, kKindAnnotation);
  const std::string* name = get(host_annotations, kNameAnnotation);
  const std::string* ns = get(host_annotations, kNamespaceAnnotation);
  const std::string* uid = get(host_annotations, kUidAnnotation);
  if (kind == nullptr || name == nullptr || ns == nullptr || name->empty()) return std::nullopt;
  return VirtualRef{*kind, *ns, *name, uid ? *uid : std::string()};
}

}  // namespace vkube::translate
