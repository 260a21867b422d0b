#pragma once
// How a tenant's (virtual) objects are named and marked on the host cluster. Pure functions, no
// I/O: the syncer's one source of truth for host identities (vcluster's "name mapping is its own
// concern").
//
// A namespaced virtual object NAME in NAMESPACE of tenant TENANT becomes NAME-x-NAMESPACE-x-TENANT
// in the tenant's host namespace; over 63 characters (a DNS-1123 label, the tightest limit among
// the synced kinds: services) it is cut to 52 characters + "-" + the first 10 hex digits of the
// sha256 of the full name. The "-x-" join is ambiguous for names that themselves contain "-x-";
// the annotations below record the exact virtual identity, and the syncer refuses to adopt a host
// object whose annotations name another virtual object.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace vkube::translate {

inline constexpr std::size_t kMaxHostNameLength = 63;
inline constexpr std::size_t kHashedPrefixLength = 52;
inline constexpr std::size_t kHashHexDigits = 10;

// Labels on every host object the syncer writes (selectable; values are DNS labels already).
inline constexpr std::string_view kManagedByLabel = "vkube.dev/managed-by";
inline constexpr std::string_view kManagedByValue = "vkube";
inline constexpr std::string_view kTenantLabel = "vkube.dev/tenant";
inline constexpr std::string_view kNamespaceLabel = "vkube.dev/namespace";
// Annotations: the exact virtual identity (names may exceed a label value's 63 characters).
inline constexpr std::string_view kNameAnnotation = "vkube.dev/object-name";
inline constexpr std::string_view kNamespaceAnnotation = "vkube.dev/object-namespace";
inline constexpr std::string_view kUidAnnotation = "vkube.dev/object-uid";
inline constexpr std::string_view kKindAnnotation = "vkube.dev/object-kind";
// Every label or annotation key under this prefix is the syncer's: copied from no tenant object.
inline constexpr std::string_view kReservedPrefix = "vkube.dev/";

// sha256(text) as lowercase hex, cut to `digits`.
std::string HexSha256(std::string_view text, std::size_t digits = 64);

// NAME-x-NAMESPACE-x-TENANT, hashed when longer than 63 characters.
std::string HostName(std::string_view name, std::string_view ns, std::string_view tenant);

// A virtual object as the host sees it: which tenant object a host object stands for.
struct VirtualRef {
  std::string kind;  // "Pod", "ConfigMap", ...
  std::string ns;
  std::string name;
  std::string uid;
  bool operator==(const VirtualRef&) const = default;
};

using StringMap = std::map<std::string, std::string, std::less<>>;

// The host object's labels: the tenant's labels minus reserved keys, plus the syncer's markers.
StringMap HostLabels(const StringMap& virtual_labels, std::string_view ns, std::string_view tenant);
// The host object's annotations: the tenant's minus reserved keys, plus the virtual identity.
StringMap HostAnnotations(const StringMap& virtual_annotations, const VirtualRef& ref);
// The tenant's view of host labels/annotations: the syncer's markers removed.
StringMap StripReserved(const StringMap& host_map);
// A tenant Service's selector on the host: the same labels, narrowed to the tenant's namespace.
StringMap HostSelector(const StringMap& virtual_selector, std::string_view ns, std::string_view tenant);

// The virtual identity recorded on a host object, if it is this tenant's and well-formed.
std::optional<VirtualRef> ParseVirtualRef(const StringMap& host_labels, const StringMap& host_annotations,
                                          std::string_view tenant);

}  // namespace vkube::translate
