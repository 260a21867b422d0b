#include "libs/kubeclient/kube_config.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <optional>

namespace vkube::kube {
namespace {

// Kubeconfigs, certificates and tokens are small; a larger file is a mistake, not something to load.
constexpr std::size_t kMaxFileBytes = 4 * 1024 * 1024;

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::Make(ErrorCode::kNotFound, "cannot read " + path);
  std::string out;
  std::array<char, 16384> chunk;
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
    out.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (out.size() > kMaxFileBytes) {
      return Error::Make(ErrorCode::kBadRequest, path + " is larger than " + std::to_string(kMaxFileBytes) + " bytes");
    }
  }
  if (in.bad()) return Error::Make(ErrorCode::kNotFound, "cannot read " + path);
  return out;
}

Result<std::string> DecodeBase64(const std::string& in, const std::string& what) {
  std::string clean;
  for (char c : in) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') clean.push_back(c);
  }
  if (clean.size() % 4 != 0) return Error::Make(ErrorCode::kBadRequest, "kubeconfig: " + what + " is not base64");
  std::string out(clean.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
  if (n < 0) return Error::Make(ErrorCode::kBadRequest, "kubeconfig: " + what + " is not base64");
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  if (!clean.empty() && clean.back() == '=') --len;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return base_dir + "/" + path;
}

std::string Str(const YAML::Node& n, const char* key) {
  const YAML::Node v = n[key];
  if (!v || !v.IsScalar()) return {};
  return v.as<std::string>();
}

// `NAME-data` (base64) wins over `NAME` (a file), as in client-go.
Result<std::string> DataOrFile(const YAML::Node& n, const std::string& key, const std::string& base_dir) {
  if (auto data = Str(n, (key + "-data").c_str()); !data.empty()) return DecodeBase64(data, key + "-data");
  if (auto file = Str(n, key.c_str()); !file.empty()) return ReadWholeFile(Resolve(base_dir, file));
  return std::string();
}

// The `cluster`/`user`/`context` body of the named entry of a kubeconfig list; nullopt when no
// entry has that name. (A default YAML::Node is a *defined* null node, so it cannot stand for
// "missing": `!node` would be false and a missing context would read as an empty one.) An entry
// without a body reads as an empty mapping, as client-go's decoder sees it.
std::optional<YAML::Node> Named(const YAML::Node& list, const std::string& name, const char* body) {
  if (!list || !list.IsSequence()) return std::nullopt;
  for (const auto& entry : list) {
    if (!entry.IsMap() || Str(entry, "name") != name) continue;
    const YAML::Node b = entry[body];
    if (b && b.IsMap()) return b;
    return YAML::Node(YAML::NodeType::Map);
  }
  return std::nullopt;
}

Result<KubeConfig> ParseKubeconfigNode(const YAML::Node& root, const std::string& base_dir,
                                       const std::string& context) {
  if (!root.IsMap()) return Error::Make(ErrorCode::kBadRequest, "kubeconfig: not a YAML mapping");
  std::string ctx_name = context.empty() ? Str(root, "current-context") : context;
  if (ctx_name.empty()) return Error::Make(ErrorCode::kBadRequest, "kubeconfig: no current-context");
  const auto ctx_entry = Named(root["contexts"], ctx_name, "context");
  if (!ctx_entry) return Error::Make(ErrorCode::kNotFound, "kubeconfig: context " + ctx_name + " not found");
  const YAML::Node& ctx = *ctx_entry;
  const std::string cluster_name = Str(ctx, "cluster");
  const auto cluster_entry = Named(root["clusters"], cluster_name, "cluster");
  if (!cluster_entry) return Error::Make(ErrorCode::kNotFound, "kubeconfig: cluster " + cluster_name + " not found");
  const YAML::Node& cluster = *cluster_entry;
  KubeConfig c;
  c.server = Str(cluster, "server");
  if (c.server.empty())
    return Error::Make(ErrorCode::kBadRequest, "kubeconfig: cluster " + cluster_name + " has no server");
  c.tls_server_name = Str(cluster, "tls-server-name");
  c.insecure_skip_tls_verify = Str(cluster, "insecure-skip-tls-verify") == "true";
  auto ca = DataOrFile(cluster, "certificate-authority", base_dir);
  if (!ca) return ca.take_error();
  c.ca_pem = std::move(*ca);
  c.default_namespace = Str(ctx, "namespace");
  if (const std::string user_name = Str(ctx, "user"); !user_name.empty()) {
    const auto user_entry = Named(root["users"], user_name, "user");
    if (!user_entry) return Error::Make(ErrorCode::kNotFound, "kubeconfig: user " + user_name + " not found");
    const YAML::Node& user = *user_entry;
    auto cert = DataOrFile(user, "client-certificate", base_dir);
    if (!cert) return cert.take_error();
    auto key = DataOrFile(user, "client-key", base_dir);
    if (!key) return key.take_error();
    c.client_cert_pem = std::move(*cert);
    c.client_key_pem = std::move(*key);
    if (c.client_cert_pem.empty() != c.client_key_pem.empty()) {
      return Error::Make(ErrorCode::kBadRequest,
                         "kubeconfig: user " + user_name + " needs both client certificate and key");
    }
    c.token = Str(user, "token");
    if (auto file = Str(user, "tokenFile"); !file.empty()) c.token_file = Resolve(base_dir, file);
  }
  return c;
}

}  // namespace

Result<KubeConfig> ParseKubeconfig(std::string_view yaml, const std::string& base_dir, const std::string& context) {
  // yaml-cpp reports malformed documents and mistyped nodes (a scalar where a mapping belongs) by
  // throwing; here they become values.
  try {
    return ParseKubeconfigNode(YAML::Load(std::string(yaml)), base_dir, context);
  } catch (const YAML::Exception& e) {
    return Error::Make(ErrorCode::kBadRequest, std::string("kubeconfig: ") + e.what());
  }
}

Result<KubeConfig> LoadKubeconfigFile(const std::string& path, const std::string& context) {
  auto text = ReadWholeFile(path);
  if (!text) return text.take_error();
  const auto slash = path.rfind('/');
  std::string dir;
  if (slash != std::string::npos) dir = path.substr(0, slash);
  return ParseKubeconfig(*text, dir, context);
}

Result<KubeConfig> LoadInClusterConfig(const InClusterOptions& o) {
  std::string host = o.host;
  std::string port = o.port;
  if (host.empty()) {
    const char* h = std::getenv("KUBERNETES_SERVICE_HOST");
    if (h != nullptr) host = h;
  }
  if (port.empty()) {
    const char* p = std::getenv("KUBERNETES_SERVICE_PORT");
    if (p != nullptr) port = p;
  }
  if (host.empty() || port.empty()) {
    return Error::Make(ErrorCode::kNotFound,
                       "not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set");
  }
  KubeConfig c;
  // An IPv6 service host needs brackets in the URL.
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  c.server = "https://" + host + ":" + port;
  c.token_file = o.service_account_dir + "/token";
  auto token = ReadWholeFile(c.token_file);
  if (!token || token->empty())
    return Error::Make(ErrorCode::kNotFound, "not in a cluster: no service account token at " + c.token_file);
  auto ca = ReadWholeFile(o.service_account_dir + "/ca.crt");
  if (!ca) return ca.take_error();
  c.ca_pem = std::move(*ca);
  if (auto ns = ReadWholeFile(o.service_account_dir + "/namespace")) {
    c.default_namespace = std::move(*ns);
    while (!c.default_namespace.empty() && (c.default_namespace.back() == '\n' || c.default_namespace.back() == ' ')) {
      c.default_namespace.pop_back();
    }
  }
  return c;
}

}  // namespace vkube::kube
