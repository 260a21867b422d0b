#include "libs/resource/status.h"

#include <gtest/gtest.h>

namespace vkube::resource {
namespace {

using nlohmann::json;

TEST(Status, NotFoundIsGroupQualifiedForNonCore) {
  EXPECT_EQ(StatusFromError(NotFound("", "pods", "x")),
            json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
              "message":"pods \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404})"));
  auto st = StatusFromError(NotFound("apps", "deployments", "web"));
  EXPECT_EQ(st["message"], "deployments.apps \"web\" not found");
  EXPECT_EQ(st["details"], json::parse(R"({"name":"web","group":"apps","kind":"deployments"})"));
}

TEST(Status, AlreadyExistsAndConflict) {
  auto exists = StatusFromError(AlreadyExists("", "namespaces", "team-a"));
  EXPECT_EQ(exists["message"], "namespaces \"team-a\" already exists");
  EXPECT_EQ(exists["reason"], "AlreadyExists");
  EXPECT_EQ(exists["code"], 409);
  auto conflict = StatusFromError(Conflict("", "pods", "x", kConflictModified));
  EXPECT_EQ(conflict["message"],
            "Operation cannot be fulfilled on pods \"x\": the object has been modified; please apply your changes to "
            "the latest version and try again");
  EXPECT_EQ(conflict["reason"], "Conflict");
  EXPECT_EQ(conflict["code"], 409);
}

TEST(Status, InvalidJoinsCausesLikeKube) {
  auto one = Invalid("", "Pod", "x", {{"FieldValueRequired", "Required value", "spec.containers"}});
  EXPECT_EQ(one.message, "Pod \"x\" is invalid: spec.containers: Required value");
  auto st = StatusFromError(one);
  EXPECT_EQ(st, json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
      "message":"Pod \"x\" is invalid: spec.containers: Required value","reason":"Invalid",
      "details":{"name":"x","kind":"Pod","causes":[{"reason":"FieldValueRequired","message":"Required value",
      "field":"spec.containers"}]},"code":422})"));

  auto two = Invalid("apps", "Deployment", "web",
                     {{"FieldValueRequired", "Required value", "spec.selector"},
                      {"FieldValueInvalid", "Invalid value: map[string]string{\"app\":\"web\"}: `selector` does not "
                                            "match template `labels`", "spec.template.metadata.labels"},
                      {"FieldValueRequired", "Required value", "spec.selector"}});
  EXPECT_EQ(two.message,
            "Deployment.apps \"web\" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid "
            "value: map[string]string{\"app\":\"web\"}: `selector` does not match template `labels`]");
  auto st2 = StatusFromError(two);
  EXPECT_EQ(st2["details"]["kind"], "Deployment");
  EXPECT_EQ(st2["details"]["group"], "apps");
  EXPECT_EQ(st2["details"]["causes"].size(), 3u);  // causes are kept as reported; only the message dedups

  auto dup = Invalid("", "Pod", "x", {{"FieldValueRequired", "Required value", "a"}, {"FieldValueRequired", "Required value", "a"}});
  EXPECT_EQ(dup.message, "Pod \"x\" is invalid: a: Required value");
}

TEST(Status, BadRequestHasNoDetails) {
  auto st = StatusFromError(BadRequest("field label not supported: spec.foo"));
  EXPECT_EQ(st, json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
      "message":"field label not supported: spec.foo","reason":"BadRequest","code":400})"));
}

TEST(Status, InternalErrorsAreWordedLikeKube) {
  auto st = StatusFromError(Error::Make(ErrorCode::kInternal, "disk full"));
  EXPECT_EQ(st["message"], "Internal error occurred: disk full");
  EXPECT_EQ(st["reason"], "InternalError");
  EXPECT_EQ(st["code"], 500);
  EXPECT_EQ(st["details"]["causes"], json::parse(R"([{"message":"disk full"}])"));
  EXPECT_EQ(StatusFromError(InternalError("disk full")), st);
  EXPECT_EQ(StatusFromError(Error::Make(ErrorCode::kInternal, ""))["message"], "Internal error occurred");
}

TEST(Status, OtherBuilders) {
  auto tm = StatusFromError(TooManyRequests("too many requests, please try again later", 1));
  EXPECT_EQ(tm["details"]["retryAfterSeconds"], 1);
  EXPECT_EQ(tm["code"], 429);
  EXPECT_EQ(Forbidden("", "pods", "x", "not allowed").message, "pods \"x\" is forbidden: not allowed");
  EXPECT_EQ(Forbidden("apps", "deployments", "", "no").message, "deployments.apps is forbidden: no");
  EXPECT_EQ(MethodNotSupported("", "events", "watch").message, "action watch is not supported on events");
  EXPECT_EQ(StatusFromError(Gone("too old resource version: 1 (5)"))["reason"], "Gone");
  EXPECT_EQ(StatusFromError(Expired("continue too old"))["code"], 410);
  EXPECT_EQ(NotFound("", "pods", "a\"b").message, "pods \"a\\\"b\" not found");
  EXPECT_EQ(StatusSuccess(), json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success"})"));
}

}  // namespace
}  // namespace vkube::resource
