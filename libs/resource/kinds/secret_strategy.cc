// core/v1 Secret: type Opaque by default, stringData folded into data, base64 data, per-type
// required keys, `type` and `immutable` rules, printSecret.
#include <openssl/evp.h>

#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Str;
namespace v = validation;

std::string Base64(const std::string& raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

bool HasKey(const json& data, const char* key) { return data.is_object() && data.contains(key); }

class SecretStrategy final : public Strategy {
 public:
  SecretStrategy() : Strategy({.kind = "Secret"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the secret, unique within its namespace."),
        print::Column("Type", "Type of the secret, which fixes the keys it must hold."),
        print::Column("Data", "Number of entries in data."), print::AgeColumn()};
    return kCols;
  }

  json Cells(const json& s, SystemTime now) const override {
    return json::array({Str(s, "metadata.name"), Str(s, "type"),
                        static_cast<std::int64_t>(jsonx::Child(s, "data").is_object() ? s["data"].size() : 0),
                        print::Age(s, now)});
  }

  std::vector<std::string> ExtraSelectableFields() const override { return {"type"}; }

 protected:
  void Default(json& s) const override {
    if (!s.is_object()) return;
    if (Str(s, "type").empty()) s["type"] = "Opaque";
    // stringData is write-only: merged into data (overriding it) and dropped, as the v1 conversion does.
    const json& sd = jsonx::Child(s, "stringData");
    if (sd.is_object()) {
      if (json* data = jsonx::Object(s, "data")) {
        for (auto& [k, val] : sd.items()) {
          if (val.is_string()) (*data)[k] = Base64(val.get<std::string>());
        }
      }
    }
    if (sd.is_object() || sd.is_null()) s.erase("stringData");
  }

  void ValidateSpec(const json& s, std::vector<FieldCause>& errs) const override {
    const json& data = jsonx::Child(s, "data");
    if (!data.is_null() && !data.is_object()) {
      errs.push_back(v::Invalid("data", v::GoValue(data), "must be a map of string keys to base64 strings"));
    }
    std::int64_t total = 0;
    if (data.is_object()) {
      for (auto& [key, value] : data.items()) {
        std::string path = "data[" + key + "]";
        for (auto& m : v::IsConfigMapKey(key)) errs.push_back(v::Invalid(path, v::GoQuote(key), m));
        if (!value.is_string() && !value.is_null()) {
          errs.push_back(v::Invalid(path, v::GoValue(value), "must be a base64 string"));
          continue;
        }
        auto decoded = v::DecodeBase64Size(value.is_string() ? value.get_ref<const std::string&>() : std::string());
        if (!decoded.ok) {
          errs.push_back(v::Invalid(path, "\"<secret contents redacted>\"",
                                    "illegal base64 data at input byte " + std::to_string(decoded.error_offset)));
        }
        total += static_cast<std::int64_t>(decoded.decoded_size);
      }
    }
    if (jsonx::Has(s, "stringData") && !jsonx::Child(s, "stringData").is_object()) {
      errs.push_back(v::Invalid("stringData", v::GoValue(s["stringData"]), "must be a map of string keys to strings"));
    }
    if (total > v::kMaxConfigDataBytes) errs.push_back(v::TooLong("data", v::kMaxConfigDataBytes));

    std::string type = Str(s, "type");
    auto require = [&](const char* key) {
      if (!HasKey(data, key)) errs.push_back(v::Required(std::string("data[") + key + "]"));
    };
    if (type == "kubernetes.io/service-account-token") {
      const json& sa = jsonx::Child(jsonx::At(s, "metadata.annotations"), "kubernetes.io/service-account.name");
      if (!sa.is_string() || sa.get_ref<const std::string&>().empty()) {
        errs.push_back(v::Required("metadata.annotations[kubernetes.io/service-account.name]"));
      }
    } else if (type == "kubernetes.io/dockercfg") {
      require(".dockercfg");
    } else if (type == "kubernetes.io/dockerconfigjson") {
      require(".dockerconfigjson");
    } else if (type == "kubernetes.io/basic-auth") {
      if (!HasKey(data, "username") && !HasKey(data, "password")) {
        require("username");
        require("password");
      }
    } else if (type == "kubernetes.io/ssh-auth") {
      if (Str(data, "ssh-privatekey").empty()) errs.push_back(v::Required("data[ssh-privatekey]"));
    } else if (type == "kubernetes.io/tls") {
      require("tls.crt");
      require("tls.key");
    }
  }

  void ValidateSpecUpdate(const json& s, const json& old, std::vector<FieldCause>& errs) const override {
    if (Str(s, "type") != Str(old, "type")) {
      errs.push_back(v::Invalid("type", v::GoQuote(Str(s, "type")), "field is immutable"));
    }
    if (!jsonx::Bool(old, "immutable")) return;
    if (!jsonx::Bool(s, "immutable")) {
      errs.push_back(v::Forbidden("immutable", "field is immutable when `immutable` is set"));
    }
    if (jsonx::Child(s, "data") != jsonx::Child(old, "data")) {
      errs.push_back(v::Forbidden("data", "field is immutable when `immutable` is set"));
    }
  }

  void AddFields(const json& s, std::vector<std::pair<std::string, std::string>>& f) const override {
    f.emplace_back("type", Str(s, "type"));
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeSecretStrategy() { return std::make_shared<SecretStrategy>(); }

}  // namespace vkube::resource
