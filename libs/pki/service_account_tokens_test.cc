#include "libs/pki/service_account_tokens.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

namespace vkube::pki {
namespace {

using json = nlohmann::json;
using namespace std::string_literals;
using std::chrono::hours;
using std::chrono::seconds;
using TimePoint = std::chrono::system_clock::time_point;

const TimePoint kT = TimePoint(seconds(1'700'000'000));
constexpr std::int64_t kTs = 1'700'000'000;

// --- independent helpers (deliberately not the implementation's) ---

std::string B64Encode(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    std::uint32_t v = (std::uint32_t(std::uint8_t(in[i])) << 16) | (std::uint32_t(std::uint8_t(in[i + 1])) << 8) |
                      std::uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (in.size() - i == 1) {
    std::uint32_t v = std::uint32_t(std::uint8_t(in[i])) << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (in.size() - i == 2) {
    std::uint32_t v = (std::uint32_t(std::uint8_t(in[i])) << 16) | (std::uint32_t(std::uint8_t(in[i + 1])) << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::string B64Decode(std::string_view in) {
  std::string s(in);
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (s.size() % 4 != 0) s.push_back('=');
  std::string out(s.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  EXPECT_GE(n, 0);
  auto pad = static_cast<std::size_t>(std::count(s.begin(), s.end(), '='));
  out.resize(static_cast<std::size_t>(n) - pad);  // DecodeBlock counts the padding as zero bytes
  return out;
}

std::vector<std::string> Split(const std::string& token) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = token.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(token.substr(start, dot - start));
  }
  parts.push_back(token.substr(start));
  return parts;
}

struct PKeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PKey = std::unique_ptr<EVP_PKEY, PKeyFree>;

PKey ReadKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  PKey key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return key;
}

std::string WritePem(EVP_PKEY* key, bool traditional = false) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (traditional) {
    PEM_write_bio_PrivateKey_traditional(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  } else {
    PEM_write_bio_PKCS8PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return out;
}

// ES256 over `header.payload` with OpenSSL directly, DER signature converted to JWS r || s.
std::string SignRaw(EVP_PKEY* key, const std::string& header, const std::string& payload) {
  std::string input = B64Encode(header) + "." + B64Encode(payload);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  EXPECT_EQ(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key), 1);
  EXPECT_EQ(EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()), 1);
  std::vector<unsigned char> der(len);
  EXPECT_EQ(EVP_DigestSign(ctx, der.data(), &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()),
            1);
  EVP_MD_CTX_free(ctx);
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return input + "." + B64Encode(raw);
}

bool VerifyRaw(EVP_PKEY* key, const std::string& token) {
  auto parts = Split(token);
  std::string raw = B64Decode(parts[2]);
  if (raw.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr),
                 BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  std::string input = parts[0] + "." + parts[1];
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, der, static_cast<std::size_t>(der_len),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  return ok;
}

std::string Sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

ServiceAccountClaims Claims(bool bound = false) {
  ServiceAccountClaims c;
  c.audiences = {std::string(kDefaultServiceAccountIssuer), "vault"};
  c.ns = "team-a";
  c.service_account = "builder";
  c.service_account_uid = "0b9e1c44-sa";
  if (bound) {
    c.pod = "web-0";
    c.pod_uid = "5f1a2b3c-pod";
  }
  c.issued_at = kT;
  c.expires_at = kT + hours(1);
  return c;
}

// The claims Issue writes for Claims(), as JSON, for hand-made variations signed by SignRaw.
json KubeClaims() {
  return json::parse(R"({"aud":["https://kubernetes.default.svc.cluster.local"],"exp":1700003600,"iat":1700000000,
    "iss":"https://kubernetes.default.svc.cluster.local","jti":"j-1","kubernetes.io":{"namespace":"team-a",
    "serviceaccount":{"name":"builder","uid":"0b9e1c44-sa"}},"nbf":1700000000,
    "sub":"system:serviceaccount:team-a:builder"})");
}

const std::string kHeader = R"({"alg":"ES256","typ":"JWT"})";
const std::string kAud(kDefaultServiceAccountIssuer);

class ServiceAccountTokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = ServiceAccountTokens::Generate();
    ASSERT_TRUE(t.ok()) << t.error().message;
    tokens_ = *t;
    key_ = ReadKey(tokens_->KeyPem());
    ASSERT_TRUE(key_);
  }

  // Signs arbitrary claims with the tokens' own key.
  std::string Forge(const json& claims, const std::string& header = kHeader) const {
    return SignRaw(key_.get(), header, claims.dump());
  }

  // Verify fails with Unauthorized, and the message does not quote the token.
  ::testing::AssertionResult Rejected(std::string_view token, std::string_view audience = kAud,
                                      TimePoint now = kT) const {
    auto r = tokens_->Verify(token, audience, now);
    if (r.ok()) return ::testing::AssertionFailure() << "accepted: " << token.substr(0, 200);
    if (r.error().code != ErrorCode::kUnauthorized) return ::testing::AssertionFailure() << "not Unauthorized";
    if (token.size() >= 8 && r.error().message.find(token) != std::string::npos) {
      return ::testing::AssertionFailure() << "message echoes the token";
    }
    return ::testing::AssertionSuccess();
  }

  std::shared_ptr<const ServiceAccountTokens> tokens_;
  PKey key_;
};

TEST_F(ServiceAccountTokensTest, RoundTripReturnsTheSameClaims) {
  for (bool bound : {false, true}) {
    ServiceAccountClaims in = Claims(bound);
    auto token = tokens_->Issue(in);
    ASSERT_TRUE(token.ok()) << token.error().message;
    EXPECT_TRUE(LooksLikeJwt(*token));
    auto out = tokens_->Verify(*token, "vault", kT + seconds(10));
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(out->issuer, kDefaultServiceAccountIssuer);
    EXPECT_EQ(out->audiences, in.audiences);
    EXPECT_EQ(out->ns, in.ns);
    EXPECT_EQ(out->service_account, in.service_account);
    EXPECT_EQ(out->service_account_uid, in.service_account_uid);
    EXPECT_EQ(out->pod, in.pod);
    EXPECT_EQ(out->pod_uid, in.pod_uid);
    EXPECT_EQ(out->issued_at, in.issued_at);
    EXPECT_EQ(out->expires_at, in.expires_at);
    EXPECT_TRUE(
        std::regex_match(out->id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
        << out->id;
    EXPECT_EQ(out->Subject(), "system:serviceaccount:team-a:builder");
  }
  // A fresh jti per token; a caller-provided one is kept.
  auto a = tokens_->Verify(*tokens_->Issue(Claims()), kAud, kT);
  auto b = tokens_->Verify(*tokens_->Issue(Claims()), kAud, kT);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->id, b->id);
  ServiceAccountClaims with_id = Claims();
  with_id.id = "my-id";
  auto c = tokens_->Verify(*tokens_->Issue(with_id), kAud, kT);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->id, "my-id");
}

TEST_F(ServiceAccountTokensTest, PartsDecodeToKubeApiserverLayout) {
  ServiceAccountClaims in = Claims();
  in.audiences = {std::string(kDefaultServiceAccountIssuer)};
  in.id = "2c5f8a1e-8f3b-4c1d-9e2a-7b6c5d4e3f21";
  in.issuer = "https://ignored.example";  // the signer's issuer wins
  auto token = tokens_->Issue(in);
  ASSERT_TRUE(token.ok());
  auto parts = Split(*token);
  ASSERT_EQ(parts.size(), 3u);
  for (const auto& p : parts) EXPECT_EQ(p.find('='), std::string::npos);  // unpadded

  json header = json::parse(B64Decode(parts[0]));
  EXPECT_EQ(header, (json{{"alg", "ES256"}, {"kid", tokens_->KeyId()}, {"typ", "JWT"}}));

  // Byte for byte what kube-apiserver 1.32 emits (go-jose marshals maps: keys sorted at every level).
  EXPECT_EQ(B64Decode(parts[1]),
            R"({"aud":["https://kubernetes.default.svc.cluster.local"],"exp":1700003600,"iat":1700000000,)"
            R"("iss":"https://kubernetes.default.svc.cluster.local","jti":"2c5f8a1e-8f3b-4c1d-9e2a-7b6c5d4e3f21",)"
            R"("kubernetes.io":{"namespace":"team-a","serviceaccount":{"name":"builder","uid":"0b9e1c44-sa"}},)"
            R"("nbf":1700000000,"sub":"system:serviceaccount:team-a:builder"})");
  json unbound = json::parse(B64Decode(parts[1]));
  EXPECT_FALSE(unbound["kubernetes.io"].contains("pod"));

  auto bound_token = tokens_->Issue(Claims(true));
  ASSERT_TRUE(bound_token.ok());
  json bound = json::parse(B64Decode(Split(*bound_token)[1]));
  EXPECT_EQ(bound["kubernetes.io"], json::parse(R"({"namespace":"team-a","pod":{"name":"web-0","uid":"5f1a2b3c-pod"},)"
                                                R"("serviceaccount":{"name":"builder","uid":"0b9e1c44-sa"}})"));
  EXPECT_EQ(bound["aud"], json::array({kAud, "vault"}));
  EXPECT_EQ(bound["exp"], kTs + 3600);
  EXPECT_EQ(bound["iat"], kTs);
  EXPECT_EQ(bound["nbf"], kTs);
  EXPECT_EQ(bound["iss"], kAud);
  EXPECT_EQ(bound["sub"], "system:serviceaccount:team-a:builder");
  EXPECT_TRUE(bound["jti"].is_string());
  EXPECT_EQ(bound.size(), 8u);

  // The signature is a plain 64-byte r || s that any ES256 implementation accepts.
  EXPECT_EQ(B64Decode(parts[2]).size(), 64u);
  EXPECT_TRUE(VerifyRaw(key_.get(), *token));
}

TEST_F(ServiceAccountTokensTest, SubSecondTimesAreTruncated) {
  ServiceAccountClaims in = Claims();
  in.issued_at = kT + std::chrono::milliseconds(900);
  in.expires_at = kT + hours(1) + std::chrono::milliseconds(999);
  auto token = tokens_->Issue(in);
  ASSERT_TRUE(token.ok());
  json claims = json::parse(B64Decode(Split(*token)[1]));
  EXPECT_EQ(claims["iat"], kTs);
  EXPECT_EQ(claims["exp"], kTs + 3600);
}

TEST_F(ServiceAccountTokensTest, LoadedKeyVerifiesTokensOfTheOriginal) {
  std::string pem = tokens_->KeyPem();
  EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u) << pem;
  auto loaded = ServiceAccountTokens::Load(pem);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ((*loaded)->KeyId(), tokens_->KeyId());
  EXPECT_EQ((*loaded)->Jwks(), tokens_->Jwks());
  EXPECT_EQ((*loaded)->KeyPem(), pem);
  auto token = tokens_->Issue(Claims());
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE((*loaded)->Verify(*token, kAud, kT).ok());
  auto back = (*loaded)->Issue(Claims(true));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(tokens_->Verify(*back, kAud, kT).ok());

  // The traditional SEC1 "EC PRIVATE KEY" form of the same key works too.
  std::string sec1 = WritePem(key_.get(), /*traditional=*/true);
  ASSERT_EQ(sec1.rfind("-----BEGIN EC PRIVATE KEY-----", 0), 0u) << sec1;
  auto from_sec1 = ServiceAccountTokens::Load(sec1, "https://issuer.example");
  ASSERT_TRUE(from_sec1.ok()) << from_sec1.error().message;
  EXPECT_EQ((*from_sec1)->KeyId(), tokens_->KeyId());
  EXPECT_EQ((*from_sec1)->issuer(), "https://issuer.example");
}

TEST_F(ServiceAccountTokensTest, LoadRejectsOtherKeysAndGarbage) {
  PKey rsa(EVP_RSA_gen(2048));
  PKey p384(EVP_EC_gen("P-384"));
  PKey ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  ASSERT_TRUE(rsa && p384 && ed25519);
  for (EVP_PKEY* k : {rsa.get(), p384.get(), ed25519.get()}) {
    auto r = ServiceAccountTokens::Load(WritePem(k));
    EXPECT_FALSE(r.ok()) << EVP_PKEY_get0_type_name(k);
  }
  for (std::string pem : {std::string(), std::string("garbage"), std::string("-----BEGIN PRIVATE KEY-----\nAAAA\n"),
                          tokens_->KeyPem().substr(0, 100)}) {
    EXPECT_FALSE(ServiceAccountTokens::Load(pem).ok()) << pem;
  }
  EXPECT_FALSE(ServiceAccountTokens::Load(tokens_->KeyPem(), "").ok());
  EXPECT_FALSE(ServiceAccountTokens::Generate("").ok());

  // An encrypted key fails instead of prompting for a passphrase on the terminal.
  BIO* bio = BIO_new(BIO_s_mem());
  char pass[] = "secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio, key_.get(), EVP_aes_256_cbc(), pass, 6, nullptr, nullptr), 1);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string encrypted(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  EXPECT_FALSE(ServiceAccountTokens::Load(encrypted).ok());
}

TEST_F(ServiceAccountTokensTest, TokenOfAnotherKeyFails) {
  auto other = ServiceAccountTokens::Generate();
  ASSERT_TRUE(other.ok());
  EXPECT_NE((*other)->KeyId(), tokens_->KeyId());
  auto token = (*other)->Issue(Claims());
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE((*other)->Verify(*token, kAud, kT).ok());
  EXPECT_TRUE(Rejected(*token));
}

TEST_F(ServiceAccountTokensTest, TamperedPayloadFails) {
  auto token = tokens_->Issue(Claims());
  ASSERT_TRUE(token.ok());
  auto parts = Split(*token);
  json claims = json::parse(B64Decode(parts[1]));
  auto resign = [&](const json& c) { return parts[0] + "." + B64Encode(c.dump()) + "." + parts[2]; };
  json longer = claims;
  longer["exp"] = kTs + 10 * 365 * 86400;
  EXPECT_TRUE(Rejected(resign(longer)));
  json other_ns = claims;
  other_ns["kubernetes.io"]["namespace"] = "kube-system";
  other_ns["sub"] = "system:serviceaccount:kube-system:builder";
  EXPECT_TRUE(Rejected(resign(other_ns)));
  EXPECT_TRUE(Rejected(resign(claims) + "A"));  // the untouched claims, re-encoded identically, plus a byte
  EXPECT_TRUE(tokens_->Verify(resign(claims), kAud, kT).ok());  // re-encoding itself is lossless
}

TEST_F(ServiceAccountTokensTest, OnlyEs256IsAccepted) {
  auto token = tokens_->Issue(Claims());
  ASSERT_TRUE(token.ok());
  auto parts = Split(*token);
  std::string input_payload = parts[1];
  for (std::string alg : {"none", "None", "HS256", "ES384", "es256", "RS256", ""}) {
    std::string header = B64Encode(json{{"alg", alg}, {"kid", tokens_->KeyId()}, {"typ", "JWT"}}.dump());
    EXPECT_TRUE(Rejected(header + "." + input_payload + "." + parts[2]));
    EXPECT_TRUE(Rejected(header + "." + input_payload + "."));
    // Even a valid ES256 signature by our key does not make another "alg" acceptable.
    EXPECT_TRUE(Rejected(Forge(KubeClaims(), json{{"alg", alg}, {"typ", "JWT"}}.dump()))) << alg;
  }
  EXPECT_TRUE(Rejected(Forge(KubeClaims(), R"({"typ":"JWT"})")));
  EXPECT_TRUE(Rejected(Forge(KubeClaims(), R"({"alg":null})")));
  EXPECT_TRUE(Rejected(B64Encode(R"({"typ":"JWT"})") + "." + input_payload + "." + parts[2]));
  EXPECT_TRUE(Rejected(B64Encode(R"({"alg":["ES256"]})") + "." + input_payload + "." + parts[2]));

  // HS256 "signed" with the public key material an attacker can fetch (JWKS, public PEM).
  std::string hs_input = B64Encode(R"({"alg":"HS256","typ":"JWT"})") + "." + input_payload;
  for (const std::string& secret : {tokens_->Jwks(), tokens_->KeyId()}) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(hs_input.data()), hs_input.size(), mac, &mac_len);
    EXPECT_TRUE(Rejected(hs_input + "." + B64Encode(std::string(reinterpret_cast<char*>(mac), mac_len))));
  }

  // Correctly signed, but with a critical extension nobody here understands.
  EXPECT_TRUE(Rejected(Forge(KubeClaims(), R"({"alg":"ES256","crit":["exp"],"exp":1})")));
  // The forging helper itself produces acceptable tokens (so the rejections above are meaningful).
  EXPECT_TRUE(tokens_->Verify(Forge(KubeClaims()), kAud, kT).ok());
}

TEST_F(ServiceAccountTokensTest, AudienceMustBeAmongAud) {
  auto token = tokens_->Issue(Claims());
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(tokens_->Verify(*token, kAud, kT).ok());
  EXPECT_TRUE(tokens_->Verify(*token, "vault", kT).ok());
  EXPECT_TRUE(Rejected(*token, "vaul"));
  EXPECT_TRUE(Rejected(*token, "https://kubernetes.default.svc"));
  EXPECT_TRUE(Rejected(*token, ""));

  json single = KubeClaims();
  single["aud"] = "api";  // a plain string is a valid "aud" too
  auto r = tokens_->Verify(Forge(single), "api", kT);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->audiences, std::vector<std::string>{"api"});
  EXPECT_TRUE(Rejected(Forge(single), kAud));
  json none = KubeClaims();
  none["aud"] = json::array();
  EXPECT_TRUE(Rejected(Forge(none)));

  ServiceAccountClaims no_aud = Claims();
  no_aud.audiences.clear();
  auto empty = tokens_->Issue(no_aud);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(json::parse(B64Decode(Split(*empty)[1]))["aud"], json::array());  // still an array
  EXPECT_TRUE(Rejected(*empty));
}

TEST_F(ServiceAccountTokensTest, TimeWindowHasSixtySecondsLeeway) {
  auto token = tokens_->Issue(Claims());  // iat = nbf = kT, exp = kT + 1h
  ASSERT_TRUE(token.ok());
  TimePoint exp = kT + hours(1);
  EXPECT_TRUE(tokens_->Verify(*token, kAud, kT).ok());
  EXPECT_TRUE(tokens_->Verify(*token, kAud, exp - seconds(1)).ok());
  EXPECT_TRUE(tokens_->Verify(*token, kAud, exp + seconds(59)).ok());
  EXPECT_TRUE(tokens_->Verify(*token, kAud, exp + seconds(60) - std::chrono::milliseconds(1)).ok());
  EXPECT_TRUE(Rejected(*token, kAud, exp + seconds(60)));
  EXPECT_TRUE(Rejected(*token, kAud, exp + hours(24)));
  EXPECT_TRUE(tokens_->Verify(*token, kAud, kT - seconds(60)).ok());
  EXPECT_TRUE(Rejected(*token, kAud, kT - seconds(60) - std::chrono::milliseconds(1)));
  EXPECT_TRUE(Rejected(*token, kAud, kT - seconds(61)));
  EXPECT_TRUE(Rejected(*token, kAud, kT - hours(1)));

  // "iat" in the future is refused on its own, even with an acceptable "nbf".
  json future_iat = KubeClaims();
  future_iat["iat"] = kTs + 120;
  EXPECT_TRUE(Rejected(Forge(future_iat)));
  json future_nbf = KubeClaims();
  future_nbf["nbf"] = kTs + 120;
  EXPECT_TRUE(Rejected(Forge(future_nbf)));
  future_nbf["nbf"] = kTs + 61;
  EXPECT_TRUE(Rejected(Forge(future_nbf)));
  future_nbf["nbf"] = kTs + 60;
  EXPECT_TRUE(tokens_->Verify(Forge(future_nbf), kAud, kT).ok());
  // Default `now` is the real clock: a token issued now verifies, one from 2023 does not.
  ServiceAccountClaims current = Claims();
  current.issued_at = std::chrono::system_clock::now();
  current.expires_at = current.issued_at + hours(1);
  EXPECT_TRUE(tokens_->Verify(*tokens_->Issue(current), kAud).ok());
  EXPECT_FALSE(tokens_->Verify(*token, kAud).ok());
}

TEST_F(ServiceAccountTokensTest, WrongIssuerFails) {
  auto elsewhere = ServiceAccountTokens::Load(tokens_->KeyPem(), "https://elsewhere.example");
  ASSERT_TRUE(elsewhere.ok());
  auto token = (*elsewhere)->Issue(Claims());
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(json::parse(B64Decode(Split(*token)[1]))["iss"], "https://elsewhere.example");
  EXPECT_TRUE((*elsewhere)->Verify(*token, kAud, kT).ok());
  EXPECT_TRUE(Rejected(*token));  // same key, other issuer
  json no_iss = KubeClaims();
  no_iss["iss"] = "https://kubernetes.default.svc.cluster.local/";
  EXPECT_TRUE(Rejected(Forge(no_iss)));
}

TEST_F(ServiceAccountTokensTest, SubMustMatchKubernetesClaims) {
  json c = KubeClaims();
  c["sub"] = "system:serviceaccount:kube-system:builder";
  EXPECT_TRUE(Rejected(Forge(c)));
  c = KubeClaims();
  c["sub"] = "system:serviceaccount:team-a:admin";
  EXPECT_TRUE(Rejected(Forge(c)));
  c = KubeClaims();
  c["sub"] = "system:admin";
  EXPECT_TRUE(Rejected(Forge(c)));
  c = KubeClaims();
  c["kubernetes.io"]["namespace"] = "kube-system";
  EXPECT_TRUE(Rejected(Forge(c)));
  c = KubeClaims();
  c["kubernetes.io"]["serviceaccount"]["name"] = "admin";
  EXPECT_TRUE(Rejected(Forge(c)));
}

TEST_F(ServiceAccountTokensTest, MissingOrMistypedClaimsFail) {
  ASSERT_TRUE(tokens_->Verify(Forge(KubeClaims()), kAud, kT).ok());
  std::vector<std::string> paths = {"/aud",
                                    "/exp",
                                    "/iat",
                                    "/nbf",
                                    "/iss",
                                    "/sub",
                                    "/kubernetes.io",
                                    "/kubernetes.io/namespace",
                                    "/kubernetes.io/serviceaccount",
                                    "/kubernetes.io/serviceaccount/name",
                                    "/kubernetes.io/serviceaccount/uid"};
  for (const auto& path : paths) {
    json c = KubeClaims();
    c.at(json::json_pointer(path).parent_pointer()).erase(json::json_pointer(path).back());
    EXPECT_TRUE(Rejected(Forge(c)));
    for (const json& wrong : {json(nullptr), json(1), json("x"), json::array(), json::object(), json(true)}) {
      json w = KubeClaims();
      w[json::json_pointer(path)] = wrong;
      // Well-typed replacements that are legitimately accepted.
      if (path == "/kubernetes.io/serviceaccount/uid" && wrong.is_string()) continue;
      if ((path == "/iat" || path == "/nbf") && wrong.is_number()) continue;
      EXPECT_TRUE(Rejected(Forge(w))) << path << " = " << wrong.dump();
    }
  }
  auto with = [](const char* pointer, json value) {
    json c = KubeClaims();
    c[json::json_pointer(pointer)] = std::move(value);
    return c;
  };
  EXPECT_TRUE(Rejected(Forge(with("/exp", 1700003600.5))));
  EXPECT_TRUE(Rejected(Forge(with("/exp", "1700003600"))));
  EXPECT_TRUE(Rejected(Forge(with("/iat", -1))));
  EXPECT_TRUE(Rejected(Forge(with("/exp", std::numeric_limits<std::uint64_t>::max()))));
  EXPECT_TRUE(Rejected(Forge(with("/aud", json::array({kAud, 7})))));
  EXPECT_TRUE(Rejected(Forge(with("/kubernetes.io/namespace", ""))));
  EXPECT_TRUE(Rejected(Forge(with("/kubernetes.io/serviceaccount/uid", ""))));
  EXPECT_TRUE(Rejected(Forge(with("/kubernetes.io/pod", "web-0"))));
  EXPECT_TRUE(Rejected(Forge(with("/kubernetes.io/pod", json{{"name", "web-0"}}))));
  EXPECT_TRUE(Rejected(Forge(with("/kubernetes.io/pod", json{{"uid", "u"}}))));
  EXPECT_TRUE(Rejected(Forge(with("/jti", 5))));
  auto pod = tokens_->Verify(Forge(with("/kubernetes.io/pod", json{{"name", "web-0"}, {"uid", "u"}})), kAud, kT);
  ASSERT_TRUE(pod.ok());
  EXPECT_EQ(pod->pod, "web-0");
  EXPECT_EQ(pod->pod_uid, "u");
  json no_jti = KubeClaims();
  no_jti.erase("jti");
  EXPECT_TRUE(tokens_->Verify(Forge(no_jti), kAud, kT).ok());  // jti is informational
  // Payloads that are not JSON objects at all.
  for (std::string body : {""s, "null"s, "[]"s, "\"x\""s, "{"s, "{\"aud\":"s, "\xff\xfe"s}) {
    EXPECT_TRUE(Rejected(SignRaw(key_.get(), kHeader, body)));
  }
  for (std::string header : {"", "null", "[]", "{", "\"ES256\"", R"({"alg":"ES256")"}) {
    EXPECT_TRUE(Rejected(SignRaw(key_.get(), header, KubeClaims().dump())));
  }
}

TEST_F(ServiceAccountTokensTest, GarbageNeverVerifiesNorCrashes) {
  auto issued = tokens_->Issue(Claims());
  ASSERT_TRUE(issued.ok());
  const std::string& token = *issued;
  auto parts = Split(token);
  for (std::string bad : {"", ".", "..", "...", "a", "a.b", "a.b.", ".b.c", "a..c", "a.b.c", "a.b.c.d", "a.b.c.",
                          "Bearer x", "eyJ.eyJ.sig"}) {
    EXPECT_TRUE(Rejected(bad));
  }
  EXPECT_TRUE(Rejected(token + "." + parts[2]));
  EXPECT_TRUE(Rejected(parts[0] + "." + parts[1]));
  EXPECT_TRUE(Rejected(parts[0] + ".." + parts[2]));
  EXPECT_TRUE(Rejected(std::string(20 * 1024, 'A') + "." + parts[1] + "." + parts[2]));
  EXPECT_TRUE(Rejected(parts[0] + "." + parts[1] + std::string(20 * 1024, 'A') + "." + parts[2]));
  EXPECT_TRUE(Rejected(token + std::string(20 * 1024, 'A')));

  // Characters outside unpadded base64url, anywhere.
  for (std::string c : {"+"s, "/"s, "="s, "=="s, " "s, "\n"s, "%"s, "\0"s, "\xc3\xa9"s}) {
    EXPECT_TRUE(Rejected(parts[0] + c + "." + parts[1] + "." + parts[2]));
    EXPECT_TRUE(Rejected(parts[0] + "." + parts[1] + c + "." + parts[2]));
    EXPECT_TRUE(Rejected(parts[0] + "." + parts[1] + "." + parts[2] + c));
  }
  // Standard base64 of the same bytes (sigs contain '+' or '/' with overwhelming likelihood).
  std::string std_sig = parts[2];
  for (char& c : std_sig) c = c == '-' ? '+' : c == '_' ? '/' : c;
  if (std_sig != parts[2]) {
    EXPECT_TRUE(Rejected(parts[0] + "." + parts[1] + "." + std_sig));
  }

  // Signatures of the wrong length, including DER (what a naive signer produces).
  std::string raw = B64Decode(parts[2]);
  ASSERT_EQ(raw.size(), 64u);
  EXPECT_TRUE(Rejected(parts[0] + "." + parts[1] + "." + B64Encode(raw.substr(0, 63))));
  EXPECT_TRUE(Rejected(parts[0] + "." + parts[1] + "." + B64Encode(raw + "\x01")));
  EXPECT_TRUE(Rejected(parts[0] + "." + parts[1] + "." + B64Encode(std::string(1, '\0') + raw)));
  EXPECT_TRUE(Rejected(parts[0] + "." + parts[1] + "." + B64Encode(raw + raw)));
  EXPECT_TRUE(Rejected(parts[0] + "." + parts[1] + "." + B64Encode(std::string(64, '\0'))));
  EXPECT_TRUE(Rejected(parts[0] + "." + parts[1] + "." + B64Encode(std::string(64, '\xff'))));
  EXPECT_TRUE(Rejected(parts[0] + "." + parts[1] + "." + B64Encode(raw.substr(32) + raw.substr(0, 32))));  // s || r

  // Every single-character change and every truncation of a good token fails.
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string mutated = token;
    mutated[i] = kAlphabet[(std::string_view(kAlphabet).find(token[i]) + 1 + i % 7) % 65];
    EXPECT_TRUE(Rejected(mutated));
    EXPECT_TRUE(Rejected(std::string_view(token).substr(0, i)));
  }
  EXPECT_TRUE(tokens_->Verify(token, kAud, kT).ok());
}

TEST_F(ServiceAccountTokensTest, ValidTokensAboveSixteenKibAreRefused) {
  auto padded = [&](std::size_t n) {
    json c = KubeClaims();
    c["padding"] = std::string(n, 'p');
    return Forge(c);
  };
  std::string small = padded(11 * 1024);
  std::string large = padded(12 * 1024);
  ASSERT_LE(small.size(), 16u * 1024);
  ASSERT_GT(large.size(), 16u * 1024);
  EXPECT_TRUE(tokens_->Verify(small, kAud, kT).ok());
  EXPECT_TRUE(Rejected(large));
}

TEST_F(ServiceAccountTokensTest, ErrorsNeverEchoTheToken) {
  auto token = tokens_->Issue(Claims());
  ASSERT_TRUE(token.ok());
  auto parts = Split(*token);
  for (TimePoint now : {kT, kT + hours(48), kT - hours(48)}) {
    for (std::string_view aud : {std::string_view(kAud), std::string_view("nope")}) {
      auto r = tokens_->Verify(*token, aud, now);
      if (r.ok()) continue;
      for (const auto& p : parts) EXPECT_EQ(r.error().message.find(p.substr(0, 16)), std::string::npos);
      EXPECT_EQ(r.error().message.find("team-a"), std::string::npos);
    }
  }
}

TEST_F(ServiceAccountTokensTest, IssueRejectsUnusableClaims) {
  for (auto field : {&ServiceAccountClaims::ns, &ServiceAccountClaims::service_account,
                     &ServiceAccountClaims::service_account_uid}) {
    ServiceAccountClaims c = Claims();
    c.*field = "";
    EXPECT_FALSE(tokens_->Issue(c).ok());
  }
  ServiceAccountClaims bad_utf8 = Claims();
  bad_utf8.pod = "web-\xff";
  auto r = tokens_->Issue(bad_utf8);  // nlohmann would throw; Issue must not
  EXPECT_FALSE(r.ok());
  ServiceAccountClaims huge = Claims();
  huge.audiences.assign(2000, "https://audience.example");
  EXPECT_FALSE(tokens_->Issue(huge).ok());  // larger than Verify accepts
}

TEST(LooksLikeJwt, Shapes) {
  EXPECT_TRUE(LooksLikeJwt("a.b.c"));
  EXPECT_TRUE(LooksLikeJwt("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.AbC-_9"));
  EXPECT_FALSE(LooksLikeJwt(""));
  EXPECT_FALSE(LooksLikeJwt("abc"));
  EXPECT_FALSE(LooksLikeJwt("a.b"));
  EXPECT_FALSE(LooksLikeJwt("a.b.c.d"));
  EXPECT_FALSE(LooksLikeJwt("a..c"));
  EXPECT_FALSE(LooksLikeJwt(".b.c"));
  EXPECT_FALSE(LooksLikeJwt("a.b."));
  EXPECT_FALSE(LooksLikeJwt(".."));
  EXPECT_FALSE(LooksLikeJwt("a.b.c="));
  EXPECT_FALSE(LooksLikeJwt("a+.b.c"));
  EXPECT_FALSE(LooksLikeJwt("a/.b.c"));
  EXPECT_FALSE(LooksLikeJwt("a.b c.d"));
  EXPECT_FALSE(LooksLikeJwt("a.b.c\n"));
  EXPECT_FALSE(LooksLikeJwt("0123456789abcdef0123456789abcdef"));  // a static admin token
}

TEST_F(ServiceAccountTokensTest, JwksDescribesThePublicKey) {
  json jwks = json::parse(tokens_->Jwks(), nullptr, false);
  ASSERT_TRUE(jwks.is_object()) << tokens_->Jwks();
  ASSERT_EQ(jwks.size(), 1u);
  ASSERT_TRUE(jwks["keys"].is_array());
  ASSERT_EQ(jwks["keys"].size(), 1u);
  const json& jwk = jwks["keys"][0];
  EXPECT_EQ(jwk["kty"], "EC");
  EXPECT_EQ(jwk["crv"], "P-256");
  EXPECT_EQ(jwk["kid"], tokens_->KeyId());
  EXPECT_EQ(jwk["use"], "sig");
  EXPECT_EQ(jwk["alg"], "ES256");
  EXPECT_FALSE(jwk.contains("d"));  // never the private scalar
  std::string x = B64Decode(jwk["x"].get<std::string>());
  std::string y = B64Decode(jwk["y"].get<std::string>());
  ASSERT_EQ(x.size(), 32u);
  ASSERT_EQ(y.size(), 32u);

  // Rebuild the public key from the JWK alone: it verifies tokens, and its SPKI hashes to the kid.
  std::string point = "\x04" + x + y;
  char group[] = "prime256v1";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end(),
  };
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* raw_pub = nullptr;
  ASSERT_EQ(EVP_PKEY_fromdata_init(ctx), 1);
  ASSERT_EQ(EVP_PKEY_fromdata(ctx, &raw_pub, EVP_PKEY_PUBLIC_KEY, params), 1);
  EVP_PKEY_CTX_free(ctx);
  PKey pub(raw_pub);
  auto token = tokens_->Issue(Claims());
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(VerifyRaw(pub.get(), *token));
  unsigned char* spki = nullptr;
  int spki_len = i2d_PUBKEY(pub.get(), &spki);
  ASSERT_GT(spki_len, 0);
  std::string der(reinterpret_cast<char*>(spki), static_cast<std::size_t>(spki_len));
  OPENSSL_free(spki);
  EXPECT_EQ(tokens_->KeyId(), B64Encode(Sha256(der)));
  EXPECT_EQ(tokens_->KeyId().size(), 43u);
}

TEST_F(ServiceAccountTokensTest, ConcurrentIssueAndVerify) {
  constexpr int kThreads = 4;
  constexpr int kTokens = 200;
  std::vector<std::string> shared;
  for (int i = 0; i < kTokens; ++i) {
    ServiceAccountClaims c = Claims(i % 2 == 0);
    c.service_account = "sa-" + std::to_string(i);
    auto t = tokens_->Issue(c);
    ASSERT_TRUE(t.ok());
    shared.push_back(*t);
  }
  std::atomic<int> verified{0};
  std::atomic<int> issued{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kTokens; ++i) {
        int k = (i + t * 50) % kTokens;
        auto r = tokens_->Verify(shared[static_cast<std::size_t>(k)], kAud, kT);
        if (r.ok() && r->service_account == "sa-" + std::to_string(k)) ++verified;
        ServiceAccountClaims c = Claims();
        c.ns = "ns-" + std::to_string(t);
        auto own = tokens_->Issue(c);
        if (own.ok() && tokens_->Verify(*own, "vault", kT).ok()) ++issued;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(verified.load(), kThreads * kTokens);
  EXPECT_EQ(issued.load(), kThreads * kTokens);
}

}  // namespace
}  // namespace vkube::pki
