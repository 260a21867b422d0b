// libFuzzer: arbitrary request bodies as JSON objects through every kind's strategy (defaulting,
// validation, selectable fields, table cells), the patch engines and the protobuf decoder; and the
// same document as a CustomResourceDefinition (a tenant writes both the schema and the objects):
// its kinds' schema-driven strategies run on the document itself.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "libs/resource/custom_resource_kinds.h"
#include "libs/resource/patch.h"
#include "libs/resource/protobuf_decoder.h"
#include "libs/resource/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto registry = vkube::resource::Registry::BuiltIn();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  (void)vkube::resource::DecodeKubernetesProtobuf(in);
  auto obj = nlohmann::json::parse(in, nullptr, false);
  if (obj.is_discarded() || !obj.is_object()) return 0;
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) obj["metadata"] = nlohmann::json::object();
  auto now = std::chrono::system_clock::now();
  for (const auto* kind_ptr : registry->kinds()) {
    const auto& kind = *kind_ptr;
    nlohmann::json o = obj;
    kind.strategy->PrepareForCreate(o);
    (void)kind.strategy->Validate(o);
    (void)kind.strategy->GetAttrs(o);
    (void)kind.strategy->Cells(o, now);
    nlohmann::json u = obj;
    kind.strategy->PrepareForUpdate(u, o);
    (void)kind.strategy->ValidateUpdate(u, o);
    (void)vkube::resource::ApplyStrategicMergePatch(o, obj, kind.info.group, kind.info.kind);
  }
  (void)vkube::resource::ApplyMergePatch(obj, obj);
  nlohmann::json crd = obj;
  crd["status"] = {
      {"acceptedNames", crd.contains("spec") && crd["spec"].is_object() ? crd["spec"].value("names", nlohmann::json())
                                                                        : nlohmann::json()},
      {"conditions", {{{"type", "Established"}, {"status", "True"}}}}};
  for (const auto& kind : vkube::resource::CustomResourceKinds(crd)) {
    nlohmann::json o = obj;
    kind.strategy->PrepareForCreate(o);
    (void)kind.strategy->Validate(o);
    (void)kind.strategy->Cells(o, now);
  }
  return 0;
}
