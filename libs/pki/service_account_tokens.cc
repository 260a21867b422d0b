#include "libs/pki/service_account_tokens.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

#include "libs/pki/openssl_handles.h"

namespace vkube::pki {
namespace {

using json = nlohmann::json;

using PKeyCtx = std::unique_ptr<EVP_PKEY_CTX, OpenSslDeleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, OpenSslDeleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using Bn = std::unique_ptr<BIGNUM, OpenSslDeleter<BIGNUM, BN_free>>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, OpenSslDeleter<ECDSA_SIG, ECDSA_SIG_free>>;

constexpr std::size_t kMaxTokenSize = 16 * 1024;
constexpr std::size_t kMaxKeyPemSize = 64 * 1024;
constexpr std::int64_t kLeewaySeconds = 60;                  // go-jose's DefaultLeeway, as kube-apiserver uses it
constexpr int kCoordinateSize = 32;                          // one P-256 field element
constexpr std::size_t kSignatureSize = 2 * kCoordinateSize;  // JWS ES256 is r || s (RFC 7518 §3.4), not DER
// Larger "exp"/"iat"/"nbf" would overflow system_clock::time_point (nanoseconds in libstdc++).
constexpr std::int64_t kMaxUnixSeconds =
    std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::duration::max()).count();

// Pops whatever OpenSSL pushed onto this thread's error queue: a stale entry left by a failed
// verification would otherwise surface as a bogus error in the next TLS call on this thread.
class ErrorQueueMark {
 public:
  ErrorQueueMark() { ERR_set_mark(); }
  ~ErrorQueueMark() { ERR_pop_to_mark(); }
  ErrorQueueMark(const ErrorQueueMark&) = delete;
  ErrorQueueMark& operator=(const ErrorQueueMark&) = delete;
};

Error Unauthorized(std::string_view why) {
  return Error::Make(ErrorCode::kUnauthorized, "service account token: " + std::string(why));
}
Error Invalid(std::string_view why) {
  return Error::Make(ErrorCode::kInvalid, "service account key: " + std::string(why));
}

constexpr char kBase64UrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string Base64UrlEncode(std::string_view in) {
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kBase64UrlAlphabet[(acc >> bits) & 0x3f]);
    }
    acc &= (1u << bits) - 1;
  }
  if (bits > 0) out.push_back(kBase64UrlAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

// Unpadded base64url only. Non-zero leftover bits are rejected too, so every byte string has exactly
// one accepted encoding.
std::optional<std::string> Base64UrlDecode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = Base64UrlValue(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
    acc &= (1u << bits) - 1;
  }
  if (acc != 0) return std::nullopt;
  return out;
}

std::string Sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1) return {};
  return std::string(reinterpret_cast<const char*>(md), len);
}

// A random RFC 4122 version 4 UUID, as kube-apiserver's uuid.New() makes for "jti".
std::optional<std::string> NewUuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return std::nullopt;
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xf]);
  }
  return out;
}

std::int64_t ToUnix(std::chrono::system_clock::time_point t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point FromUnix(std::int64_t s) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(s));
}

// ES256 signature of `input` as the 64-byte JWS r || s.
std::optional<std::string> SignEs256(EVP_PKEY* key, std::string_view input) {
  MdCtx ctx(EVP_MD_CTX_new());
  std::size_t der_len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    return std::nullopt;
  }
  std::string der(der_len, '\0');
  auto* der_out = reinterpret_cast<unsigned char*>(der.data());
  if (EVP_DigestSign(ctx.get(), der_out, &der_len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    return std::nullopt;
  }
  const unsigned char* p = der_out;
  EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_len)));
  if (!sig) return std::nullopt;
  std::string out(kSignatureSize, '\0');
  auto* raw = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw, kCoordinateSize) != kCoordinateSize ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw + kCoordinateSize, kCoordinateSize) != kCoordinateSize) {
    return std::nullopt;
  }
  return out;
}

bool VerifyEs256(EVP_PKEY* key, std::string_view input, std::string_view signature) {
  if (signature.size() != kSignatureSize) return false;
  const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
  EcdsaSig sig(ECDSA_SIG_new());
  Bn r(BN_bin2bn(raw, kCoordinateSize, nullptr));
  Bn s(BN_bin2bn(raw + kCoordinateSize, kCoordinateSize, nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return false;
  r.release();  // now owned by sig
  s.release();
  int der_len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (der_len <= 0) return false;
  std::string der(static_cast<std::size_t>(der_len), '\0');
  auto* der_out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &der_out) != der_len) return false;
  MdCtx ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

// Accessors that never throw: nullptr / nullopt when the member is missing or of another type.
const std::string* StringMember(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_string()) return nullptr;
  return &it->get_ref<const std::string&>();
}

const json* ObjectMember(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_object()) return nullptr;
  return &*it;
}

// NumericDate as kube writes it: a non-negative integer.
std::optional<std::int64_t> TimeMember(const json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->is_number_unsigned()) return std::nullopt;
  auto v = it->get<std::uint64_t>();
  if (v > static_cast<std::uint64_t>(kMaxUnixSeconds)) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

// "aud" is a string or an array of strings (RFC 7519 §4.1.3).
std::optional<std::vector<std::string>> AudienceMember(const json& obj) {
  auto it = obj.find("aud");
  if (it == obj.end()) return std::nullopt;
  if (it->is_string()) return std::vector<std::string>{it->get_ref<const std::string&>()};
  if (!it->is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& a : *it) {
    if (!a.is_string()) return std::nullopt;
    out.push_back(a.get_ref<const std::string&>());
  }
  return out;
}

bool IsP256(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC") != 1) return false;
  char group[64] = {};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1) return false;
  return OBJ_txt2nid(group) == NID_X9_62_prime256v1 || EC_curve_nist2nid(group) == NID_X9_62_prime256v1;
}

std::optional<std::string> Coordinate(EVP_PKEY* key, const char* param) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &bn) != 1) return std::nullopt;
  Bn owner(bn);
  std::string out(kCoordinateSize, '\0');
  if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), kCoordinateSize) != kCoordinateSize) {
    return std::nullopt;
  }
  return out;
}

int NoPassword(char*, int, int, void*) { return -1; }  // never prompt on a terminal for an encrypted PEM

}  // namespace

// Immutable after Make(): shared by concurrent Issue/Verify calls, which each create their own
// EVP contexts.
struct ServiceAccountTokens::Key {
  PKey pkey;
  std::string kid;
  std::string header;  // base64url JWS header: the same for every token of this key
  std::string jwks;

  static Result<std::unique_ptr<Key>> Make(PKey pkey) {
    if (!pkey || !IsP256(pkey.get())) return Invalid("not an ECDSA P-256 private key");
    PKeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey.get(), nullptr));
    if (!check || EVP_PKEY_check(check.get()) != 1) return Invalid("inconsistent EC key");

    // The kid hashes the uncompressed-point SPKI, as Go's x509.MarshalPKIXPublicKey writes it,
    // even for a SEC1 PEM that asked for compressed points.
    char uncompressed[] = "uncompressed";
    EVP_PKEY_set_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, uncompressed);
    int spki_len = i2d_PUBKEY(pkey.get(), nullptr);
    if (spki_len <= 0) return SslError("cannot encode public key");
    std::string spki(static_cast<std::size_t>(spki_len), '\0');
    auto* spki_out = reinterpret_cast<unsigned char*>(spki.data());
    if (i2d_PUBKEY(pkey.get(), &spki_out) != spki_len) return SslError("cannot encode public key");
    std::string digest = Sha256(spki);
    auto x = Coordinate(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X);
    auto y = Coordinate(pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y);
    if (digest.empty() || !x || !y) return SslError("cannot read public key");

    auto key = std::make_unique<Key>();
    key->kid = Base64UrlEncode(digest);
    key->header = Base64UrlEncode(json{{"alg", "ES256"}, {"kid", key->kid}, {"typ", "JWT"}}.dump());
    json jwk = {
        {"kty", "EC"},  {"crv", "P-256"}, {"x", Base64UrlEncode(*x)}, {"y", Base64UrlEncode(*y)}, {"kid", key->kid},
        {"use", "sig"}, {"alg", "ES256"}};
    key->jwks = json{{"keys", json::array({jwk})}}.dump();
    key->pkey = std::move(pkey);
    return key;
  }
};

ServiceAccountTokens::ServiceAccountTokens(std::unique_ptr<Key> key, std::string issuer)
    : key_(std::move(key)), issuer_(std::move(issuer)), kid_(key_->kid) {}

ServiceAccountTokens::~ServiceAccountTokens() = default;

Result<std::shared_ptr<const ServiceAccountTokens>> ServiceAccountTokens::Generate(std::string issuer) {
  ErrorQueueMark mark;
  if (issuer.empty()) return Invalid("empty issuer");
  PKey pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!pkey) return SslError("service account key generation failed");
  auto key = Key::Make(std::move(pkey));
  if (!key) return key.take_error();
  return std::shared_ptr<const ServiceAccountTokens>(new ServiceAccountTokens(std::move(*key), std::move(issuer)));
}

Result<std::shared_ptr<const ServiceAccountTokens>> ServiceAccountTokens::Load(std::string_view key_pem,
                                                                               std::string issuer) {
  ErrorQueueMark mark;
  if (issuer.empty()) return Invalid("empty issuer");
  if (key_pem.empty() || key_pem.size() > kMaxKeyPemSize) return Invalid("cannot parse private key PEM");
  Bio bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  PKey pkey(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr) : nullptr);
  if (!pkey) return Invalid("cannot parse private key PEM");
  auto key = Key::Make(std::move(pkey));
  if (!key) return key.take_error();
  return std::shared_ptr<const ServiceAccountTokens>(new ServiceAccountTokens(std::move(*key), std::move(issuer)));
}

std::string ServiceAccountTokens::KeyPem() const {
  ErrorQueueMark mark;
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key_->pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return {};
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string ServiceAccountTokens::Jwks() const { return key_->jwks; }

Result<std::string> ServiceAccountTokens::Issue(const ServiceAccountClaims& claims) const {
  ErrorQueueMark mark;
  if (claims.ns.empty() || claims.service_account.empty() || claims.service_account_uid.empty()) {
    return Error::Make(ErrorCode::kInvalid, "service account token: namespace, name and uid are required");
  }
  std::string jti = claims.id;
  if (jti.empty()) {
    auto uuid = NewUuid();
    if (!uuid) return SslError("no randomness for jti");
    jti = std::move(*uuid);
  }
  std::string payload;
  try {
    // nlohmann's objects are ordered maps, so keys come out sorted at every level — what Go's
    // map marshalling in go-jose produces for kube-apiserver.
    json kube = json::object();
    kube["namespace"] = claims.ns;
    kube["serviceaccount"] = {{"name", claims.service_account}, {"uid", claims.service_account_uid}};
    if (!claims.pod.empty()) kube["pod"] = {{"name", claims.pod}, {"uid", claims.pod_uid}};
    json body = json::object();
    body["aud"] = claims.audiences;
    body["exp"] = ToUnix(claims.expires_at);
    body["iat"] = ToUnix(claims.issued_at);
    body["iss"] = issuer_;
    body["jti"] = jti;
    body["kubernetes.io"] = std::move(kube);
    body["nbf"] = ToUnix(claims.issued_at);
    body["sub"] = claims.Subject();
    payload = body.dump();
  } catch (const json::exception&) {  // dump() throws on invalid UTF-8
    return Error::Make(ErrorCode::kInvalid, "service account token: claims are not valid UTF-8");
  }
  std::string token = key_->header + "." + Base64UrlEncode(payload);
  auto signature = SignEs256(key_->pkey.get(), token);
  if (!signature) return SslError("service account token signing failed");
  token += "." + Base64UrlEncode(*signature);
  if (token.size() > kMaxTokenSize) return Error::Make(ErrorCode::kInvalid, "service account token: too large");
  return token;
}

Result<ServiceAccountClaims> ServiceAccountTokens::Verify(std::string_view token, std::string_view audience,
                                                          std::chrono::system_clock::time_point now) const {
  ErrorQueueMark mark;
  if (token.size() > kMaxTokenSize) return Unauthorized("too large");
  std::size_t dot1 = token.find('.');
  std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos || dot1 == 0 ||
      dot2 == dot1 + 1 || dot2 + 1 == token.size()) {
    return Unauthorized("malformed");
  }
  auto header_text = Base64UrlDecode(token.substr(0, dot1));
  auto payload_text = Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = Base64UrlDecode(token.substr(dot2 + 1));
  if (!header_text || !payload_text || !signature) return Unauthorized("malformed");

  // The header decides nothing but must say ES256: "none" and HS* (keyed with our public key)
  // are the classic forgeries.
  json header = json::parse(*header_text, nullptr, /*allow_exceptions=*/false);
  if (!header.is_object()) return Unauthorized("malformed header");
  const std::string* alg = StringMember(header, "alg");
  if (alg == nullptr || *alg != "ES256") return Unauthorized("unsupported algorithm");
  if (header.contains("crit")) return Unauthorized("unsupported critical header");
  if (signature->size() != kSignatureSize) return Unauthorized("malformed signature");
  if (!VerifyEs256(key_->pkey.get(), token.substr(0, dot2), *signature)) return Unauthorized("invalid signature");

  json body = json::parse(*payload_text, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return Unauthorized("malformed claims");
  const std::string* iss = StringMember(body, "iss");
  const std::string* sub = StringMember(body, "sub");
  auto aud = AudienceMember(body);
  auto exp = TimeMember(body, "exp");
  auto iat = TimeMember(body, "iat");
  auto nbf = TimeMember(body, "nbf");
  const json* kube = ObjectMember(body, "kubernetes.io");
  if (iss == nullptr || sub == nullptr || !aud || !exp || !iat || !nbf || kube == nullptr) {
    return Unauthorized("missing or malformed claims");
  }
  if (*iss != issuer_) return Unauthorized("wrong issuer");
  if (std::find(aud->begin(), aud->end(), audience) == aud->end()) return Unauthorized("audience not accepted");
  // Whole seconds suffice: with integer claims, now < exp + leeway <=> floor(now) - leeway < exp.
  std::int64_t now_s = ToUnix(now);
  if (now_s - kLeewaySeconds >= *exp) return Unauthorized("expired");
  if (*nbf > now_s + kLeewaySeconds) return Unauthorized("not valid yet");
  if (*iat > now_s + kLeewaySeconds) return Unauthorized("issued in the future");

  ServiceAccountClaims out;
  const std::string* ns = StringMember(*kube, "namespace");
  const json* sa = ObjectMember(*kube, "serviceaccount");
  const std::string* sa_name = sa ? StringMember(*sa, "name") : nullptr;
  const std::string* sa_uid = sa ? StringMember(*sa, "uid") : nullptr;
  if (ns == nullptr || ns->empty() || sa_name == nullptr || sa_name->empty() || sa_uid == nullptr || sa_uid->empty()) {
    return Unauthorized("missing service account claims");
  }
  out.ns = *ns;
  out.service_account = *sa_name;
  out.service_account_uid = *sa_uid;
  if (*sub != out.Subject()) return Unauthorized("sub does not match the service account claims");
  if (kube->contains("pod")) {
    const json* pod = ObjectMember(*kube, "pod");
    const std::string* pod_name = pod ? StringMember(*pod, "name") : nullptr;
    const std::string* pod_uid = pod ? StringMember(*pod, "uid") : nullptr;
    if (pod_name == nullptr || pod_name->empty() || pod_uid == nullptr) return Unauthorized("malformed pod claim");
    out.pod = *pod_name;
    out.pod_uid = *pod_uid;
  }
  if (body.contains("jti")) {
    const std::string* jti = StringMember(body, "jti");
    if (jti == nullptr) return Unauthorized("malformed jti");
    out.id = *jti;
  }
  out.issuer = *iss;
  out.audiences = std::move(*aud);
  out.issued_at = FromUnix(*iat);
  out.expires_at = FromUnix(*exp);
  return out;
}

bool LooksLikeJwt(std::string_view token) {
  int dots = 0;
  std::size_t part = 0;
  for (char c : token) {
    if (c == '.') {
      if (part == 0 || ++dots > 2) return false;
      part = 0;
    } else if (Base64UrlValue(c) < 0) {
      return false;
    } else {
      ++part;
    }
  }
  return dots == 2 && part > 0;
}

}  // namespace vkube::pki
