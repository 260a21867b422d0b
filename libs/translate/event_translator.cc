#include "libs/translate/event_translator.h"

#include <string>

namespace vkube::translate {

using json = nlohmann::json;

namespace {

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
  if (from.empty()) return text;
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

std::optional<json> VirtualEvent(const json& hev, std::string_view host_namespace, std::string_view host_pod_name,
                                 const VirtualRef& pod) {
  if (!hev.is_object()) return std::nullopt;
  const json& involved = hev.value("involvedObject", json::object());
  const json& meta = hev.value("metadata", json::object());
  if (!involved.is_object() || !meta.is_object() || involved.value("kind", "") != "Pod" ||
      involved.value("name", "") != host_pod_name) {
    return std::nullopt;
  }
  // "<pod>.<suffix>" on the host (kube's recorder names them so) → "<virtual pod>.<suffix>".
  const std::string host_name = meta.value("name", "");
  const std::size_t dot = host_name.rfind('.');
  const std::string suffix = dot == std::string::npos ? host_name : host_name.substr(dot + 1);
  if (suffix.empty()) return std::nullopt;

  json out = {{"apiVersion", "v1"}, {"kind", "Event"}};
  out["metadata"] = {{"name", pod.name + "." + suffix}, {"namespace", pod.ns}};
  json vinvolved = {{"kind", "Pod"}, {"apiVersion", "v1"}, {"namespace", pod.ns}, {"name", pod.name}, {"uid", pod.uid}};
  if (involved.contains("fieldPath")) vinvolved["fieldPath"] = involved["fieldPath"];
  out["involvedObject"] = std::move(vinvolved);
  for (const char* f : {"reason", "type", "count", "firstTimestamp", "lastTimestamp", "eventTime", "source",
                        "reportingComponent", "reportingInstance", "action"}) {
    if (hev.contains(f)) out[f] = hev[f];
  }
  std::string message = hev.value("message", "");
  message = ReplaceAll(std::move(message), std::string(host_namespace) + "/" + std::string(host_pod_name),
                       pod.ns + "/" + pod.name);
  out["message"] = ReplaceAll(std::move(message), host_pod_name, pod.name);
  return out;
}

}  // namespace vkube::translate
