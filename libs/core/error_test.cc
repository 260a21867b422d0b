#include "libs/core/error.h"

#include <gtest/gtest.h>

#include "libs/core/result.h"

namespace vkube {
namespace {

TEST(Error, CodesMapToKubeApiserverStatus) {
  EXPECT_EQ(HttpStatusOf(ErrorCode::kNotFound), 404);
  EXPECT_EQ(ReasonOf(ErrorCode::kNotFound), "NotFound");
  EXPECT_EQ(HttpStatusOf(ErrorCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusOf(ErrorCode::kConflict), 409);
  EXPECT_EQ(HttpStatusOf(ErrorCode::kGone), 410);
  EXPECT_EQ(HttpStatusOf(ErrorCode::kInvalid), 422);
  EXPECT_EQ(ReasonOf(ErrorCode::kInternal), "InternalError");
}

TEST(Result, CarriesValueOrError) {
  Result<int> ok = 3;
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 3);
  Result<int> bad = Error::Make(ErrorCode::kConflict, "stale");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kConflict);
  Status s;
  EXPECT_TRUE(s.ok());
}

}  // namespace
}  // namespace vkube
