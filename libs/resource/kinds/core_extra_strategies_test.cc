// core/v1 limit ranges, resource quotas, pod templates, replication controllers, component
// statuses, and apps/v1 controller revisions.
#include <gtest/gtest.h>

#include "libs/resource/registry.h"

namespace vkube::resource {
namespace {

using nlohmann::json;

const Strategy& Core(std::string_view resource) {
  static auto reg = Registry::BuiltIn();
  return *reg->Find("", "v1", resource)->strategy;
}

std::vector<std::string> Messages(const std::vector<FieldCause>& errs) {
  std::vector<std::string> out;
  for (const auto& e : errs) out.push_back(e.field + ": " + e.message);
  return out;
}

SystemTime At(const char* t) { return *ParseRfc3339(t); }

json Obj(const char* name, bool namespaced = true) {
  json o = {{"metadata", {{"name", name}, {"creationTimestamp", "2024-01-01T00:00:00Z"}}}};
  if (namespaced) o["metadata"]["namespace"] = "default";
  return o;
}

TEST(LimitRangeStrategy, ContainerDefaultsOrderingAndCreatedAt) {
  const Strategy& s = Core("limitranges");
  json lr = Obj("limits");
  lr["spec"] = json::parse(R"({"limits":[{"type":"Container","max":{"cpu":"2","memory":"1Gi"},"min":{"cpu":"100m"},
    "default":{"memory":"512Mi"}},{"type":"Pod","max":{"cpu":"4"}}]})");
  s.PrepareForCreate(lr);
  const json& c = lr["spec"]["limits"][0];
  EXPECT_EQ(c["default"], json::parse(R"({"cpu":"2","memory":"512Mi"})"));
  EXPECT_EQ(c["defaultRequest"], json::parse(R"({"cpu":"2","memory":"512Mi"})"));
  EXPECT_FALSE(lr["spec"]["limits"][1].contains("default"));  // only containers get defaults
  EXPECT_TRUE(s.Validate(lr).empty()) << Messages(s.Validate(lr))[0];
  EXPECT_EQ(s.Cells(lr, At("2024-03-01T00:00:00Z")), json::parse(R"(["limits","2024-01-01T00:00:00Z"])"));

  json bad = Obj("bad");
  bad["spec"] = json::parse(R"({"limits":[{"type":"Pod","default":{"cpu":"1"},"min":{"cpu":"2"},"max":{"cpu":"1"}},
    {"type":"Pod"},{"type":"Widget"},{"type":"Container","maxLimitRequestRatio":{"cpu":"500m"}}]})");
  EXPECT_EQ(Messages(s.Validate(bad)),
            (std::vector<std::string>{
                "spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
                "spec.limits[0].min[cpu]: Invalid value: \"2\": min value 2 is greater than max value 1",
                "spec.limits[0].default[cpu]: Invalid value: \"2\": min value 2 is greater than default value 1",
                "spec.limits[1].type: Duplicate value: \"Pod\"",
                "spec.limits[2].type: Invalid value: \"Widget\": must be a standard limit type or fully qualified",
                "spec.limits[3].maxLimitRequestRatio[cpu]: Invalid value: \"500m\": ratio 500m is less than 1"}));
}

TEST(ResourceQuotaStrategy, StatusValidationAndCells) {
  const Strategy& s = Core("resourcequotas");
  json rq = Obj("quota");
  rq["spec"] = json::parse(R"({"hard":{"pods":"10","requests.cpu":"2","limits.memory":"2Gi"}})");
  rq["status"] = {{"hard", {{"pods", "99"}}}};
  s.PrepareForCreate(rq);
  EXPECT_EQ(rq["status"], json::object());
  EXPECT_TRUE(s.Validate(rq).empty()) << Messages(s.Validate(rq))[0];
  EXPECT_EQ(s.Cells(rq, At("2024-01-01T00:00:09Z")), json::parse(R"(["quota","9s","",""])"));
  rq["status"] = json::parse(R"({"hard":{"pods":"10","requests.cpu":"2","limits.memory":"2Gi","limits.cpu":"4"},
    "used":{"pods":"3","requests.cpu":"500m","limits.cpu":"1"}})");
  EXPECT_EQ(s.Cells(rq, At("2024-01-01T00:00:09Z")),
            json::parse(R"(["quota","9s","pods: 3/10, requests.cpu: 500m/2","limits.cpu: 1/4, limits.memory: 0/2Gi"])"));

  json bad = Obj("bad");
  bad["spec"] = json::parse(R"({"hard":{"widgets":"1","pods":"1500m","cpu":"-1"},"scopes":["Sometimes"]})");
  EXPECT_EQ(Messages(s.Validate(bad)),
            (std::vector<std::string>{
                "spec.hard[cpu]: Invalid value: \"-1\": must be greater than or equal to 0",
                "spec.hard[pods]: Invalid value: \"1500m\": must be an integer",
                "spec.hard[widgets]: Invalid value: \"widgets\": must be a standard resource for quota",
                "spec.scopes: Invalid value: \"Sometimes\": unsupported scope"}));
}

TEST(PodTemplateStrategy, TemplateDefaultsGenerationAndCells) {
  const Strategy& s = Core("podtemplates");
  json pt = Obj("tpl");
  pt["template"] = json::parse(R"({"metadata":{"labels":{"app":"web","tier":"fe"}},
    "spec":{"containers":[{"name":"a","image":"nginx"},{"name":"b","image":"redis:7"}]}})");
  s.PrepareForCreate(pt);
  EXPECT_EQ(pt["metadata"]["generation"], 1);
  EXPECT_EQ(pt["template"]["spec"]["restartPolicy"], "Always");
  EXPECT_EQ(pt["template"]["spec"]["containers"][0]["imagePullPolicy"], "Always");  // :latest
  EXPECT_TRUE(s.Validate(pt).empty());
  EXPECT_EQ(s.Cells(pt, At("2024-01-01T00:00:09Z")), json::parse(R"(["tpl","a,b","nginx,redis:7","app=web,tier=fe"])"));
  json relabelled = pt;
  relabelled["metadata"]["labels"] = {{"x", "y"}};
  s.PrepareForUpdate(relabelled, pt);
  EXPECT_EQ(relabelled["metadata"]["generation"], 1);
  json changed = pt;
  changed["template"]["spec"]["containers"][0]["image"] = "nginx:2";
  s.PrepareForUpdate(changed, pt);
  EXPECT_EQ(changed["metadata"]["generation"], 2);
  json empty = Obj("empty");
  EXPECT_EQ(Messages(s.Validate(empty)), std::vector<std::string>{"template.spec.containers: Required value"});
}

TEST(ReplicationControllerStrategy, SelectorFromTemplateValidationAndCells) {
  const Strategy& s = Core("replicationcontrollers");
  json rc = Obj("web");
  rc["spec"] = json::parse(R"({"template":{"metadata":{"labels":{"app":"web"}},
    "spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}})");
  s.PrepareForCreate(rc);
  EXPECT_EQ(rc["spec"]["selector"], json({{"app", "web"}}));
  EXPECT_EQ(rc["metadata"]["labels"], json({{"app", "web"}}));
  EXPECT_EQ(rc["spec"]["replicas"], 1);
  EXPECT_EQ(rc["status"], json({{"replicas", 0}}));
  EXPECT_TRUE(s.Validate(rc).empty()) << Messages(s.Validate(rc))[0];
  EXPECT_EQ(s.Cells(rc, At("2024-01-01T00:00:09Z")),
            json::parse(R"(["web",1,0,0,"9s","nginx","nginx:1.27","app=web"])"));

  json bad = rc;
  bad["spec"]["selector"] = {{"app", "db"}};
  bad["spec"]["template"]["spec"]["restartPolicy"] = "Never";
  EXPECT_EQ(Messages(s.Validate(bad)),
            (std::vector<std::string>{
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: selector does not "
                "match labels in spec.template",
                "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""}));
  json none = Obj("none");
  none["spec"] = json::object();
  s.PrepareForCreate(none);
  EXPECT_EQ(Messages(s.Validate(none)),
            (std::vector<std::string>{"spec.selector: Required value", "spec.template: Required value"}));
}

TEST(ComponentStatusStrategy, HealthyCondition) {
  const Strategy& s = Core("componentstatuses");
  json cs = Obj("etcd-0", false);
  cs["conditions"] = json::parse(R"([{"type":"Healthy","status":"True","message":"ok"}])");
  EXPECT_EQ(s.Cells(cs, At("2024-01-01T00:00:00Z")), json::parse(R"(["etcd-0","Healthy","ok",""])"));
  cs["conditions"] = json::parse(R"([{"type":"Healthy","status":"False","error":"timeout"}])");
  EXPECT_EQ(s.Cells(cs, At("2024-01-01T00:00:00Z")), json::parse(R"(["etcd-0","Unhealthy","","timeout"])"));
  EXPECT_EQ(s.Cells(Obj("x", false), At("2024-01-01T00:00:00Z"))[1], "Unknown");
}

TEST(ControllerRevisionStrategy, DataRequiredImmutableAndController) {
  static auto reg = Registry::BuiltIn();
  const Strategy& s = *reg->Find("apps", "v1", "controllerrevisions")->strategy;
  json cr = Obj("web-6d4cf56db6");
  cr["revision"] = 2;
  cr["data"] = {{"spec", {{"template", json::object()}}}};
  cr["metadata"]["ownerReferences"] = json::parse(R"([{"apiVersion":"apps/v1","kind":"StatefulSet","name":"web",
    "uid":"u","controller":true}])");
  EXPECT_TRUE(s.Validate(cr).empty());
  EXPECT_EQ(s.Cells(cr, At("2024-01-01T00:00:09Z")), json::parse(R"(["web-6d4cf56db6","statefulset.apps/web",2,"9s"])"));
  json orphan = Obj("x");
  EXPECT_EQ(s.Cells(orphan, At("2024-01-01T00:00:09Z"))[1], "<none>");
  EXPECT_EQ(Messages(s.Validate(orphan)), std::vector<std::string>{"data: Required value: data is mandatory"});
  json changed = cr;
  changed["data"] = {{"x", 1}};
  auto msgs = Messages(s.ValidateUpdate(changed, cr));
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_NE(msgs[0].find("field is immutable"), std::string::npos);
}

}  // namespace
}  // namespace vkube::resource
