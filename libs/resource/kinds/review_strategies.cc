// authorization.k8s.io/v1 SubjectAccessReview, SelfSubjectAccessReview, LocalSubjectAccessReview,
// SelfSubjectRulesReview and authentication.k8s.io/v1 TokenReview, SelfSubjectReview: create-only
// kinds that are answered, never stored (the API server evaluates them). The strategy exists for
// the registry's uniform shape (names, printing); the reviews' logic lives in the API server.
#include "libs/resource/json_access.h"
#include "libs/resource/kinds/builtin_kinds.h"
#include "libs/resource/kinds/printing.h"

namespace vkube::resource {
namespace {

using nlohmann::json;

class ReviewStrategy final : public Strategy {
 public:
  ReviewStrategy(std::string kind, bool namespaced)
      : Strategy({.name_rule = NameRule::kPathSegment, .kind = std::move(kind), .namespaced = namespaced}) {}

  const std::vector<ColumnDefinition>& Columns() const override {
    static const std::vector<ColumnDefinition> kCols = {print::NameColumn("Name of the review (usually empty).")};
    return kCols;
  }

  json Cells(const json& review, SystemTime) const override {
    return json::array({jsonx::Str(review, "metadata.name")});
  }
};

}  // namespace

std::shared_ptr<const Strategy> MakeReviewStrategy(std::string kind, bool namespaced) {
  return std::make_shared<ReviewStrategy>(std::move(kind), namespaced);
}

}  // namespace vkube::resource
