// core/v1 ServiceAccount: plain object metadata rules, printServiceAccount.
#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"

namespace vkube::resource {
namespace {

using nlohmann::json;

class ServiceAccountStrategy final : public Strategy {
 public:
  ServiceAccountStrategy() : Strategy({.kind = "ServiceAccount"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the service account, unique within its namespace."),
        print::Column("Secrets", "Number of secrets listed by the service account."), print::AgeColumn()};
    return kCols;
  }

  json Cells(const json& sa, SystemTime now) const override {
    return json::array({jsonx::Str(sa, "metadata.name"), static_cast<std::int64_t>(jsonx::Size(sa, "secrets")),
                        print::Age(sa, now)});
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeServiceAccountStrategy() { return std::make_shared<ServiceAccountStrategy>(); }

}  // namespace vkube::resource
