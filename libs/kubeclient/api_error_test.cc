#include "libs/kubeclient/api_error.h"

#include <gtest/gtest.h>

#include "libs/kubeclient/json_line_watch.h"
#include "libs/kubeclient/resource_ref.h"

namespace vkube::kube {
namespace {

TEST(ApiErrorTest, StatusReasonsBecomeTypedErrors) {
  auto e = ErrorFromResponse(
      404,
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404})",
      "");
  EXPECT_TRUE(IsNotFound(e));
  EXPECT_EQ(e.message, "pods \"x\" not found");
  EXPECT_EQ(e.details.name, "x");
  EXPECT_EQ(e.details.kind, "pods");
  EXPECT_TRUE(IsAlreadyExists(ErrorFromResponse(409, R"({"kind":"Status","reason":"AlreadyExists","code":409})", "")));
  EXPECT_TRUE(IsConflict(ErrorFromResponse(409, R"({"kind":"Status","reason":"Conflict","code":409})", "")));
  EXPECT_TRUE(IsGone(ErrorFromResponse(410, R"({"kind":"Status","reason":"Expired","code":410})", "")));
  EXPECT_TRUE(IsGone(ErrorFromResponse(410, R"({"kind":"Status","reason":"Gone","code":410})", "")));
  auto invalid = ErrorFromResponse(
      422,
      R"({"kind":"Status","reason":"Invalid","code":422,"details":{"causes":[{"reason":"FieldValueInvalid","message":"bad","field":"metadata.name"}]}})",
      "");
  EXPECT_EQ(invalid.code, ErrorCode::kInvalid);
  ASSERT_EQ(invalid.details.causes.size(), 1u);
  EXPECT_EQ(invalid.details.causes[0].field, "metadata.name");
}

TEST(ApiErrorTest, TooManyRequestsCarriesRetryAfter) {
  auto from_header = ErrorFromResponse(429, R"({"kind":"Status","reason":"TooManyRequests","code":429})", "3");
  EXPECT_TRUE(IsTooManyRequests(from_header));
  EXPECT_EQ(from_header.details.retry_after_seconds, 3);
  auto from_details = ErrorFromResponse(
      429, R"({"kind":"Status","reason":"TooManyRequests","code":429,"details":{"retryAfterSeconds":7}})", "");
  EXPECT_EQ(from_details.details.retry_after_seconds, 7);
  EXPECT_TRUE(IsRetryable(from_details));
  EXPECT_FALSE(IsRetryable(ErrorFromResponse(404, "", "")));
}

TEST(ApiErrorTest, NonStatusBodiesUseTheHttpStatus) {
  auto e = ErrorFromResponse(503, "<html>upstream down</html>", "");
  EXPECT_EQ(e.code, ErrorCode::kServiceUnavailable);
  EXPECT_NE(e.message.find("upstream down"), std::string::npos);
  EXPECT_EQ(ErrorFromResponse(401, "", "").code, ErrorCode::kUnauthorized);
  EXPECT_EQ(ErrorFromResponse(410, "", "").code, ErrorCode::kGone);
}

TEST(WatchLineTest, EventsAndErrorEvents) {
  auto added = ParseWatchLine(R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}})");
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->type, WatchEventType::kAdded);
  EXPECT_EQ(added->object["metadata"]["name"], "a");
  auto bookmark = ParseWatchLine(R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}})");
  ASSERT_TRUE(bookmark.ok());
  EXPECT_EQ(bookmark->type, WatchEventType::kBookmark);
  auto gone = ParseWatchLine(
      R"j({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}})j");
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(IsGone(gone.error()));
  EXPECT_FALSE(ParseWatchLine("not json").ok());
  EXPECT_FALSE(ParseWatchLine(R"({"type":"WHAT","object":{}})").ok());
}

TEST(ResourceRefTest, PathsAndQueries) {
  EXPECT_EQ(ResourceRef::Core("pods", "a").ObjectPath("p", "status"), "/api/v1/namespaces/a/pods/p/status");
  EXPECT_EQ(ResourceRef::Core("namespaces").ObjectPath("a"), "/api/v1/namespaces/a");
  EXPECT_EQ(ResourceRef::Group("apps", "v1", "deployments").CollectionPath(), "/apis/apps/v1/deployments");
  EXPECT_EQ(BuildQuery({{"labelSelector", "app in (a,b),tier!=x"}, {"limit", ""}, {"watch", "true"}}),
            "?labelSelector=app%20in%20%28a%2Cb%29%2Ctier%21%3Dx&watch=true");
  EXPECT_EQ(BuildQuery({}), "");
}

}  // namespace
}  // namespace vkube::kube
