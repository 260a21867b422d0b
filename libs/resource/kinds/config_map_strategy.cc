// core/v1 ConfigMap: key rules, the 1 MiB payload limit, `immutable`, printConfigMap.
#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Str;
namespace v = validation;

class ConfigMapStrategy final : public Strategy {
 public:
  ConfigMapStrategy() : Strategy({.kind = "ConfigMap"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the config map, unique within its namespace."),
        print::Column("Data", "Number of entries in data and binaryData."), print::AgeColumn()};
    return kCols;
  }

  json Cells(const json& cm, SystemTime now) const override {
    auto count = [&](const char* bag) { return jsonx::Child(cm, bag).is_object() ? cm[bag].size() : 0; };
    auto entries = static_cast<std::int64_t>(count("data") + count("binaryData"));
    return json::array({Str(cm, "metadata.name"), entries, print::Age(cm, now)});
  }

 protected:
  void ValidateSpec(const json& cm, std::vector<FieldCause>& errs) const override {
    std::int64_t total = 0;
    const json& data = jsonx::Child(cm, "data");
    const json& binary = jsonx::Child(cm, "binaryData");
    for (auto [bag, other, is_binary] : {std::tuple{&data, &binary, false}, {&binary, &data, true}}) {
      std::string name = is_binary ? "binaryData" : "data";
      if (bag->is_null()) continue;
      if (!bag->is_object()) {
        errs.push_back(v::Invalid(name, v::GoValue(*bag), "must be a map of string keys to string values"));
        continue;
      }
      for (auto& [key, value] : bag->items()) {
        std::string path = name + "[" + key + "]";
        for (auto& m : v::IsConfigMapKey(key)) errs.push_back(v::Invalid(path, v::GoQuote(key), m));
        if (!is_binary && other->is_object() && other->contains(key)) {
          errs.push_back(v::Invalid(path, v::GoQuote(key), "duplicate of key present in binaryData"));
        }
        if (!value.is_string()) {
          errs.push_back(v::Invalid(path, v::GoValue(value), "must be a string"));
          continue;
        }
        const auto& s = value.get_ref<const std::string&>();
        if (!is_binary) {
          total += static_cast<std::int64_t>(s.size());
          continue;
        }
        auto decoded = v::DecodeBase64Size(s);
        if (!decoded.ok) {
          errs.push_back(v::Invalid(path, "\"<binary data redacted>\"",
                                    "illegal base64 data at input byte " + std::to_string(decoded.error_offset)));
        }
        total += static_cast<std::int64_t>(decoded.decoded_size);
      }
    }
    if (total > v::kMaxConfigDataBytes) errs.push_back(v::TooLong("", v::kMaxConfigDataBytes));
  }

  void ValidateSpecUpdate(const json& cm, const json& old, std::vector<FieldCause>& errs) const override {
    if (!jsonx::Bool(old, "immutable")) return;
    if (!jsonx::Bool(cm, "immutable")) {
      errs.push_back(v::Forbidden("immutable", "field is immutable when `immutable` is set"));
    }
    for (const char* bag : {"data", "binaryData"}) {
      if (jsonx::Child(cm, bag) != jsonx::Child(old, bag)) {
        errs.push_back(v::Forbidden(bag, "field is immutable when `immutable` is set"));
      }
    }
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeConfigMapStrategy() { return std::make_shared<ConfigMapStrategy>(); }

}  // namespace vkube::resource
