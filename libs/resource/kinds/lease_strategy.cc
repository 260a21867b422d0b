// coordination.k8s.io/v1 Lease: ValidateLeaseSpec, printLease (the holder).
#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"
#include "libs/resource/validation.h"

namespace vkube::resource {
namespace {

using nlohmann::json;
using jsonx::Str;
namespace v = validation;

class LeaseStrategy final : public Strategy {
 public:
  LeaseStrategy() : Strategy({.kind = "Lease"}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {
        print::NameColumn("Name of the lease, unique within its namespace."),
        print::Column("Holder", "Identity of the current holder of the lease."), print::AgeColumn()};
    return kCols;
  }

  json Cells(const json& lease, SystemTime now) const override {
    return json::array({Str(lease, "metadata.name"), Str(lease, "spec.holderIdentity"), print::Age(lease, now)});
  }

 protected:
  void ValidateSpec(const json& lease, std::vector<FieldCause>& errs) const override {
    const json& spec = jsonx::Child(lease, "spec");
    const json& duration = jsonx::Child(spec, "leaseDurationSeconds");
    if (duration.is_number_integer() && duration.get<std::int64_t>() <= 0) {
      errs.push_back(v::Invalid("spec.leaseDurationSeconds", duration.dump(), "must be greater than 0"));
    }
    const json& transitions = jsonx::Child(spec, "leaseTransitions");
    if (transitions.is_number_integer() && transitions.get<std::int64_t>() < 0) {
      errs.push_back(v::Invalid("spec.leaseTransitions", transitions.dump(), "must be greater than or equal to 0"));
    }
    if (!Str(spec, "preferredHolder").empty() && Str(spec, "strategy").empty()) {
      errs.push_back(v::Forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"));
    }
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeLeaseStrategy() { return std::make_shared<LeaseStrategy>(); }

}  // namespace vkube::resource
