#include "libs/pki/credentials.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "libs/pki/service_account_tokens.h"

namespace vkube::pki {
namespace {

bool LooksLikeIp(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

std::string RandomToken() {
  unsigned char raw[32];
  RAND_bytes(raw, sizeof raw);
  std::string b64 = Base64(std::string(reinterpret_cast<char*>(raw), sizeof raw));
  // base64url without padding: safe in headers and YAML
  std::string out;
  for (char c : b64) {
    if (c == '+') out += '-';
    else if (c == '/') out += '_';
    else if (c != '=') out += c;
  }
  return out;
}

Result<KeyPair> ReadPair(const std::string& dir, const std::string& name) {
  auto cert = ReadFile(dir + "/" + name + ".crt");
  if (!cert) return cert.take_error();
  auto key = ReadFile(dir + "/" + name + ".key");
  if (!key) return key.take_error();
  return KeyPair{*cert, *key};
}

Status WritePair(const std::string& dir, const std::string& name, const KeyPair& kp) {
  if (auto s = WriteFileAtomic(dir + "/" + name + ".crt", kp.cert_pem, 0644); !s) return s;
  return WriteFileAtomic(dir + "/" + name + ".key", kp.key_pem, 0600);
}

}  // namespace

std::string Base64(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::Make(ErrorCode::kNotFound, "cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteFileAtomic(const std::string& path, const std::string& content, unsigned mode) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Error::Make(ErrorCode::kInternal, "cannot write " + tmp);
  std::size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n <= 0) {
      ::close(fd);
      return Error::Make(ErrorCode::kInternal, "write failed: " + tmp);
    }
    off += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, mode);
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Error::Make(ErrorCode::kInternal, "rename failed: " + path);
  return {};
}

Result<Credentials> LoadOrCreate(const std::string& data_dir, const std::vector<std::string>& extra_sans) {
  const std::string dir = data_dir + "/pki";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error::Make(ErrorCode::kInternal, "cannot create " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);

  Credentials creds;
  auto ca_pair = ReadPair(dir, "ca");
  Result<CertificateAuthority> ca = ca_pair ? CertificateAuthority::Load(*ca_pair)
                                            : CertificateAuthority::Create("vkube-ca");
  if (!ca) return ca.take_error();
  creds.ca = ca->pem();
  if (!ca_pair) {
    if (auto s = WritePair(dir, "ca", creds.ca); !s) return s.take_error();
  }

  std::vector<std::string> dns = {"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"};
  std::vector<std::string> ips = {"127.0.0.1"};
  for (const auto& s : extra_sans) (LooksLikeIp(s) ? ips : dns).push_back(s);
  auto server = ReadPair(dir, "server");
  bool reissue = !server || !ca_pair;
  if (server && !reissue) {
    auto have = SubjectAltNames(server->cert_pem);
    for (const auto& want : extra_sans) {
      if (std::find(have.begin(), have.end(), want) == have.end()) reissue = true;
    }
  }
  if (reissue) {
    auto issued = ca->Issue(CertRequest{"vkube-apiserver", {}, dns, ips, true, std::chrono::hours(24 * 365)});
    if (!issued) return issued.take_error();
    if (auto s = WritePair(dir, "server", *issued); !s) return s.take_error();
    creds.server = *issued;
  } else {
    creds.server = *server;
  }

  auto admin = ReadPair(dir, "admin");
  if (!admin || !ca_pair) {
    auto issued = ca->Issue(CertRequest{"kubernetes-admin", {"system:masters"}, {}, {}, false, std::chrono::hours(24 * 365)});
    if (!issued) return issued.take_error();
    if (auto s = WritePair(dir, "admin", *issued); !s) return s.take_error();
    creds.admin = *issued;
  } else {
    creds.admin = *admin;
  }

  auto token = LoadOrCreateToken(dir + "/admin.token");
  if (!token) return token.take_error();
  creds.admin_token = std::move(*token);
  auto sa_key = ReadFile(dir + "/sa.key");
  if (!sa_key || sa_key->empty() || !ca_pair) {
    auto tokens = ServiceAccountTokens::Generate();
    if (!tokens) return tokens.take_error();
    sa_key = (*tokens)->KeyPem();
    if (auto s = WriteFileAtomic(dir + "/sa.key", *sa_key, 0600); !s) return s.take_error();
  }
  creds.service_account_key_pem = std::move(*sa_key);
  return creds;
}

Result<std::string> LoadOrCreateToken(const std::string& path) {
  auto token = ReadFile(path);
  if (token && !token->empty()) {
    std::string t = std::move(*token);
    while (!t.empty() && (t.back() == '\n')) t.pop_back();
    return t;
  }
  std::string t = RandomToken();
  if (auto s = WriteFileAtomic(path, t, 0600); !s) return s.take_error();
  return t;
}

}  // namespace vkube::pki
