#include "libs/resource/validation.h"

#include <gtest/gtest.h>

namespace vkube::resource::validation {
namespace {

using nlohmann::json;

constexpr const char* kLabelMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

TEST(Validation, Dns1123LabelMessages) {
  EXPECT_TRUE(IsDns1123Label("a-1").empty());
  EXPECT_EQ(IsDns1123Label("A"), std::vector<std::string>{kLabelMsg});
  EXPECT_EQ(IsDns1123Label("a.b"), std::vector<std::string>{"must not contain dots"});
  EXPECT_EQ(IsDns1123Label(std::string(64, 'a')), std::vector<std::string>{"must be no more than 63 characters"});
  EXPECT_EQ(IsDns1123Label("").size(), 1u);
  auto both = IsDns1123Label(std::string(64, '-'));
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[1], kLabelMsg);
}

TEST(Validation, Dns1123SubdomainAnd1035) {
  EXPECT_TRUE(IsDns1123Subdomain("a.b-c.d").empty());
  EXPECT_FALSE(IsDns1123Subdomain("a..b").empty());
  EXPECT_FALSE(IsDns1123Subdomain("-a").empty());
  EXPECT_EQ(IsDns1123Subdomain(std::string(254, 'a'))[0], "must be no more than 253 characters");
  EXPECT_TRUE(IsDns1035Label("web-1").empty());
  EXPECT_EQ(IsDns1035Label("1web"),
            std::vector<std::string>{
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
                "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
                "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"});
}

TEST(Validation, QualifiedNamesAndLabelValues) {
  EXPECT_TRUE(IsQualifiedName("app.kubernetes.io/name").empty());
  EXPECT_TRUE(IsQualifiedName("My_Key.1").empty());
  auto empty_prefix = IsQualifiedName("/x");
  ASSERT_EQ(empty_prefix.size(), 1u);
  EXPECT_EQ(empty_prefix[0], "prefix part must be non-empty");
  auto bad_name = IsQualifiedName("a/-x");
  ASSERT_EQ(bad_name.size(), 1u);
  EXPECT_EQ(bad_name[0],
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  EXPECT_EQ(IsQualifiedName("a/b/c")[0].rfind("a qualified name must consist of", 0), 0u);
  EXPECT_EQ(IsQualifiedName("").size(), 2u);  // non-empty and the regex
  EXPECT_EQ(IsQualifiedName("Upper.Case/x")[0].rfind("prefix part a lowercase RFC 1123 subdomain", 0), 0u);
  EXPECT_TRUE(IsValidLabelValue("").empty());
  EXPECT_TRUE(IsValidLabelValue("v1.2_x").empty());
  EXPECT_EQ(IsValidLabelValue("-x").size(), 1u);
  EXPECT_EQ(IsValidLabelValue(std::string(64, 'a'))[0], "must be no more than 63 characters");
}

TEST(Validation, ConfigKeysEnvNamesPorts) {
  EXPECT_TRUE(IsConfigMapKey("app.properties").empty());
  EXPECT_EQ(IsConfigMapKey(".."), std::vector<std::string>{"must not be '..'"});
  EXPECT_EQ(IsConfigMapKey("..x"), std::vector<std::string>{"must not start with '..'"});
  EXPECT_EQ(IsConfigMapKey("a b")[0].rfind("a valid config key must consist of", 0), 0u);
  EXPECT_TRUE(IsEnvVarName("1_RELAXED-name.ok").empty());
  EXPECT_FALSE(IsEnvVarName("A=B").empty());
  EXPECT_TRUE(IsValidPortNum(80).empty());
  EXPECT_EQ(IsValidPortNum(0), std::vector<std::string>{"must be between 1 and 65535, inclusive"});
  EXPECT_TRUE(IsValidPortName("http-alt").empty());
  EXPECT_EQ(IsValidPortName("80"), std::vector<std::string>{"must contain at least one letter (a-z)"});
  EXPECT_EQ(IsValidPortName("a--b"), std::vector<std::string>{"must not contain consecutive hyphens"});
  EXPECT_EQ(IsValidPortName("abcdefghijklmnop")[0], "must be no more than 15 characters");
  EXPECT_TRUE(IsValidIp("10.0.0.1").empty());
  EXPECT_TRUE(IsValidIp("2001:db8::1").empty());
  EXPECT_FALSE(IsValidIp("10.0.0.256").empty());
  EXPECT_FALSE(IsValidIp(std::string("1.2.3.4\0x", 9)).empty());
  EXPECT_EQ(MaskTrailingDash("web-"), "weba");
  EXPECT_EQ(MaskTrailingDash("-"), "-");
}

TEST(Validation, GoRendering) {
  EXPECT_EQ(GoQuote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\x01\"");
  EXPECT_EQ(GoQuote("héllo"), "\"héllo\"");
  EXPECT_EQ(GoQuote("\xff"), "\"\\xff\"");
  EXPECT_EQ(GoStringMap(json::parse(R"({"b":"2","a":"1"})")), "map[string]string{\"a\":\"1\", \"b\":\"2\"}");
  EXPECT_EQ(GoStringMap(json()), "map[string]string(nil)");
  EXPECT_EQ(GoLabelSelector(json::parse(R"({"matchLabels":{"app":"web"}})")),
            "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\"}, "
            "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}");
  EXPECT_EQ(GoLabelSelector(json::parse(R"({"matchExpressions":[{"key":"a","operator":"In","values":["x"]}]})")),
            "v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{"
            "v1.LabelSelectorRequirement{Key:\"a\", Operator:\"In\", Values:[]string{\"x\"}}}}");
  EXPECT_EQ(GoValue(json(3)), "3");
  EXPECT_EQ(GoValue(json("x")), "\"x\"");
}

TEST(Validation, FieldErrorBodies) {
  EXPECT_EQ(Required("spec.containers").message, "Required value");
  EXPECT_EQ(Required("metadata.name", "name or generateName is required").message,
            "Required value: name or generateName is required");
  auto inv = Invalid("spec.replicas", "-1", "must be greater than or equal to 0");
  EXPECT_EQ(inv.type, "FieldValueInvalid");
  EXPECT_EQ(inv.message, "Invalid value: -1: must be greater than or equal to 0");
  EXPECT_EQ(inv.field, "spec.replicas");
  EXPECT_EQ(NotSupported("spec.restartPolicy", "\"X\"", {"Always", "OnFailure", "Never"}).message,
            "Unsupported value: \"X\": supported values: \"Always\", \"OnFailure\", \"Never\"");
  EXPECT_EQ(Duplicate("f", "\"c\"").message, "Duplicate value: \"c\"");
  EXPECT_EQ(Forbidden("f", "nope").type, "FieldValueForbidden");
  EXPECT_EQ(TooLong("metadata.annotations", 262144).message, "Too long: may not be more than 262144 bytes");
  EXPECT_EQ(NotFoundValue("f", "\"v\"").message, "Not found: \"v\"");
}

TEST(Validation, LabelSelectorAndMaps) {
  Errors errs;
  ValidateLabelSelector(json::parse(R"({"matchLabels":{"-bad":"ok"},"matchExpressions":[
      {"key":"a","operator":"In"},{"key":"b","operator":"Exists","values":["x"]},{"key":"c","operator":"Foo"}]})"),
                        "spec.selector", errs);
  ASSERT_EQ(errs.size(), 4u);
  EXPECT_EQ(errs[0].field, "spec.selector.matchLabels");
  EXPECT_EQ(errs[1].field, "spec.selector.matchExpressions[0].values");
  EXPECT_EQ(errs[1].message, "Required value: must be specified when `operator` is 'In' or 'NotIn'");
  EXPECT_EQ(errs[2].message, "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
  EXPECT_EQ(errs[3].message, "Invalid value: \"Foo\": not a valid selector operator");

  Errors ann;
  ValidateAnnotations(json{{"k", std::string(kMaxAnnotationsBytes, 'x')}}, "metadata.annotations", ann);
  ASSERT_EQ(ann.size(), 1u);
  EXPECT_EQ(ann[0].type, "FieldValueTooLong");
  Errors upper;
  ValidateAnnotations(json{{"Example.COM/Key", "v"}}, "metadata.annotations", upper);
  EXPECT_TRUE(upper.empty());  // annotation keys are checked lower-cased
}

TEST(Validation, GoBase64Decoding) {
  EXPECT_TRUE(DecodeBase64Size("").ok);
  auto abc = DecodeBase64Size("YWJj");
  EXPECT_TRUE(abc.ok);
  EXPECT_EQ(abc.decoded_size, 3u);
  EXPECT_EQ(DecodeBase64Size("YQ==").decoded_size, 1u);
  EXPECT_EQ(DecodeBase64Size("YWI=").decoded_size, 2u);
  EXPECT_EQ(DecodeBase64Size("YWJj\nZGVm").decoded_size, 6u);
  auto short_input = DecodeBase64Size("YWJ");
  EXPECT_FALSE(short_input.ok);
  EXPECT_EQ(short_input.error_offset, 0u);
  auto bad_char = DecodeBase64Size("YW*j");
  EXPECT_FALSE(bad_char.ok);
  EXPECT_EQ(bad_char.error_offset, 2u);
  EXPECT_EQ(DecodeBase64Size("YW=j").error_offset, 2u);
  EXPECT_EQ(DecodeBase64Size("YQ==YQ==").error_offset, 4u);  // data after padding
  EXPECT_FALSE(DecodeBase64Size("hello world").ok);
}

}  // namespace
}  // namespace vkube::resource::validation
