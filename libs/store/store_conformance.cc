#include "libs/store/store_conformance.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

namespace vkube::store {
namespace {

using nlohmann::json;

json Obj(const std::string& name, const std::string& value = "v") {
  return json{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}, {"data", {{"k", value}}}};
}

Key K(const std::string& name, const std::string& ns = "default") { return Key{"configmaps", ns, name}; }

Attrs Labels(std::vector<std::pair<std::string, std::string>> l) { return Attrs{std::move(l), {}}; }

std::vector<Event> Drain(Watcher& w, std::size_t want, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  std::vector<Event> out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < want && std::chrono::steady_clock::now() < deadline) {
    if (w.Poll(out, want - out.size()) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return out;
}

std::string RvOf(const ObjectPtr& o) { return json::parse(o->json)["metadata"]["resourceVersion"]; }

}  // namespace

void StoreConformance::SetUp() {
  char tmpl[] = "/tmp/vkube-store-XXXXXX";
  dir_ = mkdtemp(tmpl);
  if (GetParam().ready && !GetParam().ready()) GTEST_FAIL() << GetParam().name << ": the store's server is not up";
}

void StoreConformance::TearDown() { std::filesystem::remove_all(dir_); }

TEST_P(StoreConformance, CreateGetUpdateDeleteWithRevisions) {
  auto s = Open();
  auto a = s->Create(K("a"), Obj("a"), {});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(RvOf(*a), std::to_string((*a)->revision));
  auto got = s->Get(K("a"));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)->json, (*a)->json);
  EXPECT_EQ(s->Create(K("a"), Obj("a"), {}).error().code, ErrorCode::kAlreadyExists);
  auto u = s->Update(K("a"), (*a)->revision, Obj("a", "v2"), {});
  ASSERT_TRUE(u.ok());
  EXPECT_GT((*u)->revision, (*a)->revision);
  EXPECT_EQ((*u)->create_revision, (*a)->revision);
  // stale precondition → Conflict, unconditional → ok
  EXPECT_EQ(s->Update(K("a"), (*a)->revision, Obj("a", "v3"), {}).error().code, ErrorCode::kConflict);
  EXPECT_TRUE(s->Update(K("a"), 0, Obj("a", "v3"), {}).ok());
  EXPECT_EQ(s->Update(K("missing"), 0, Obj("missing"), {}).error().code, ErrorCode::kNotFound);
  auto d = s->Delete(K("a"), 0);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(RvOf(*d), std::to_string((*d)->revision));
  EXPECT_EQ(s->CurrentRevision(), (*d)->revision);
  EXPECT_EQ(s->Get(K("a")).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s->Delete(K("a"), 0).error().code, ErrorCode::kNotFound);
  auto nf = s->Get(Key{"apps/deployments", "ns", "x"});
  EXPECT_EQ(nf.error().details.group, "apps");
  EXPECT_EQ(nf.error().details.kind, "deployments");
  EXPECT_EQ(nf.error().details.name, "x");
}

TEST_P(StoreConformance, DeletePreconditionConflicts) {
  auto s = Open();
  auto a = s->Create(K("a"), Obj("a"), {});
  ASSERT_TRUE(s->Update(K("a"), 0, Obj("a", "2"), {}).ok());
  EXPECT_EQ(s->Delete(K("a"), (*a)->revision).error().code, ErrorCode::kConflict);
}

TEST_P(StoreConformance, ListOrdersFiltersAndPages) {
  auto s = Open();
  for (std::string ns : {"b", "a", "a-b"}) {
    for (std::string n : {"z", "m", "a"}) {
      ASSERT_TRUE(s->Create(K(n, ns), Obj(n), Labels({{"ns", ns}})).ok());
    }
  }
  ASSERT_TRUE(s->Create(Key{"secrets", "a", "x"}, Obj("x"), {}).ok());
  ListOptions all{.resource = "configmaps"};
  auto l = s->List(all);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->items.size(), 9u);
  EXPECT_EQ(l->revision, s->CurrentRevision());
  std::vector<std::string> order;
  for (auto& o : l->items) order.push_back(o->key.ns + "/" + o->key.name);
  EXPECT_EQ(order, (std::vector<std::string>{"a/a", "a/m", "a/z", "a-b/a", "a-b/m", "a-b/z", "b/a", "b/m", "b/z"}));
  auto in_a = s->List(ListOptions{.resource = "configmaps", .ns = "a"});
  EXPECT_EQ(in_a->items.size(), 3u);
  auto pred = s->List(ListOptions{.resource = "configmaps", .predicate = [](const Object& o) {
                                    return o.attrs.labels.size() == 1 && o.attrs.labels[0].second == "b";
                                  }});
  EXPECT_EQ(pred->items.size(), 3u);
  // pages of 4: 4 + 4 + 1
  ListOptions page{.resource = "configmaps", .limit = 4};
  std::vector<std::string> paged;
  std::vector<std::size_t> remaining;
  for (;;) {
    auto p = s->List(page);
    ASSERT_TRUE(p.ok());
    for (auto& o : p->items) paged.push_back(o->key.ns + "/" + o->key.name);
    remaining.push_back(p->remaining);
    if (p->continue_after.empty()) break;
    page.continue_after = p->continue_after;
  }
  EXPECT_EQ(paged, order);
  EXPECT_EQ(remaining, (std::vector<std::size_t>{5, 1, 0}));
}

TEST_P(StoreConformance, WatchFromNowDeliversOnlyFutureInOrder) {
  auto s = Open();
  ASSERT_TRUE(s->Create(K("before"), Obj("before"), {}).ok());
  auto w = s->Watch(WatchOptions{.resource = "configmaps", .ns = "default"});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(s->Create(K("a"), Obj("a"), {}).ok());
  ASSERT_TRUE(s->Create(K("other", "elsewhere"), Obj("other"), {}).ok());
  ASSERT_TRUE(s->Update(K("a"), 0, Obj("a", "2"), {}).ok());
  ASSERT_TRUE(s->Delete(K("a"), 0).ok());
  auto ev = Drain(**w, 3);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].type, EventType::kAdded);
  EXPECT_EQ(ev[1].type, EventType::kModified);
  EXPECT_EQ(ev[2].type, EventType::kDeleted);
  EXPECT_LT(ev[0].object->revision, ev[1].object->revision);
  EXPECT_LT(ev[1].object->revision, ev[2].object->revision);
  EXPECT_EQ(RvOf(ev[2].object), std::to_string(ev[2].object->revision));
  std::vector<Event> none;
  EXPECT_EQ((*w)->Poll(none, 10), 0u);
}

TEST_P(StoreConformance, WatchOfEveryResourceSeesAllKindsInRevisionOrder) {
  auto s = Open();
  ASSERT_TRUE(s->Create(K("old"), Obj("old"), {}).ok());
  ASSERT_TRUE(s->Create(Key{"pods", "default", "p0"}, Obj("p0"), {}).ok());
  auto w = s->Watch(WatchOptions{.resource = "", .send_initial = true});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(s->Create(Key{"apps/deployments", "default", "d"}, Obj("d"), {}).ok());
  ASSERT_TRUE(s->Delete(K("old"), 0).ok());
  auto ev = Drain(**w, 4);
  ASSERT_EQ(ev.size(), 4u);
  std::set<std::string> initial = {ev[0].object->key.resource, ev[1].object->key.resource};
  EXPECT_EQ(initial, (std::set<std::string>{"configmaps", "pods"}));
  EXPECT_EQ(ev[2].object->key.resource, "apps/deployments");
  EXPECT_EQ(ev[3].type, EventType::kDeleted);
  EXPECT_EQ(ev[3].object->key.name, "old");
}

TEST_P(StoreConformance, WatchResumesFromRevisionAndReportsGone) {
  auto s = Open(/*history=*/5);
  auto first = s->Create(K("a"), Obj("a"), {});
  ASSERT_TRUE(first.ok());
  std::vector<Revision> revs;
  for (int i = 0; i < 3; ++i) revs.push_back((*s->Update(K("a"), 0, Obj("a", std::to_string(i)), {}))->revision);
  auto w = s->Watch(WatchOptions{.resource = "configmaps", .from_revision = (*first)->revision});
  ASSERT_TRUE(w.ok());
  auto ev = Drain(**w, 3);
  ASSERT_EQ(ev.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ev[i].object->revision, revs[i]);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(s->Update(K("a"), 0, Obj("a", "x" + std::to_string(i)), {}).ok());
  auto gone = s->Watch(WatchOptions{.resource = "configmaps", .from_revision = (*first)->revision});
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kGone);
  EXPECT_GT(s->CompactedRevision(), (*first)->revision);
}

TEST_P(StoreConformance, SendInitialHasNoGapUnderConcurrentWrites) {
  auto s = Open(100000);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(s->Create(K("pre-" + std::to_string(i)), Obj("p"), {}).ok());
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop && i < 400; ++i) (void)s->Create(K("live-" + std::to_string(i)), Obj("l"), {});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto w = s->Watch(WatchOptions{.resource = "configmaps", .send_initial = true});
  ASSERT_TRUE(w.ok());
  writer.join();
  stop = true;
  std::vector<Event> ev;
  auto total = s->List(ListOptions{.resource = "configmaps"})->items.size();
  ev = Drain(**w, total, std::chrono::seconds(5));
  std::set<std::string> names;
  for (auto& e : ev) {
    EXPECT_EQ(e.type, EventType::kAdded);
    EXPECT_TRUE(names.insert(e.object->key.name).second) << "duplicate " << e.object->key.name;
  }
  EXPECT_EQ(names.size(), total);
}

TEST_P(StoreConformance, PredicateTransitionsBecomeAddedAndDeleted) {
  auto s = Open();
  auto sel = [](const Object& o) {
    for (auto& [k, v] : o.attrs.labels)
      if (k == "app" && v == "web") return true;
    return false;
  };
  auto w = s->Watch(WatchOptions{.resource = "configmaps", .predicate = sel});
  ASSERT_TRUE(s->Create(K("a"), Obj("a"), Labels({{"app", "db"}})).ok());
  ASSERT_TRUE(s->Update(K("a"), 0, Obj("a"), Labels({{"app", "web"}})).ok());       // enters → ADDED
  ASSERT_TRUE(s->Update(K("a"), 0, Obj("a", "2"), Labels({{"app", "web"}})).ok());  // MODIFIED
  ASSERT_TRUE(s->Update(K("a"), 0, Obj("a"), Labels({{"app", "db"}})).ok());        // leaves → DELETED
  ASSERT_TRUE(s->Delete(K("a"), 0).ok());                                           // not matching → nothing
  auto ev = Drain(**w, 4, std::chrono::milliseconds(500));
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0].type, EventType::kAdded);
  EXPECT_EQ(ev[1].type, EventType::kModified);
  EXPECT_EQ(ev[2].type, EventType::kDeleted);
}

TEST_P(StoreConformance, SlowWatcherIsClosedNotBuffered) {
  auto s = Open();
  auto w = s->Watch(WatchOptions{.resource = "configmaps", .max_queue = 10});
  std::atomic<int> notified{0};
  (*w)->SetNotify([&] { ++notified; });
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(s->Create(K("c" + std::to_string(i)), Obj("c"), {}).ok());
  EXPECT_EQ((*w)->close_reason(), WatchCloseReason::kTooSlow);
  std::vector<Event> ev;
  EXPECT_LE((*w)->Poll(ev, 100), 10u);
  EXPECT_GT(notified.load(), 0);
}

TEST_P(StoreConformance, ConcurrentWritersGetUniqueRevisions) {
  auto s = Open(100000);
  constexpr int kThreads = 8, kPer = 100;
  std::vector<std::thread> ts;
  std::mutex mu;
  std::set<Revision> revs;
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < kPer; ++i) {
        auto r = s->Create(K("t" + std::to_string(t) + "-" + std::to_string(i)), Obj("x"), {});
        ASSERT_TRUE(r.ok());
        std::lock_guard lock(mu);
        EXPECT_TRUE(revs.insert((*r)->revision).second);
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(revs.size(), static_cast<std::size_t>(kThreads * kPer));
  EXPECT_EQ(*revs.rbegin(), s->CurrentRevision());
  EXPECT_EQ(s->List(ListOptions{.resource = "configmaps"})->items.size(), revs.size());
}

TEST_P(StoreConformance, DurableAcrossReopen) {
  Revision last = 0;
  std::string json_a;
  {
    auto s = Open();
    json_a = (*s->Create(K("a"), Obj("a"), Labels({{"x", "y"}})))->json;
    ASSERT_TRUE(s->Create(K("b"), Obj("b"), {}).ok());
    last = (*s->Delete(K("b"), 0))->revision;
    s->Close();
  }
  auto s = Open();
  EXPECT_EQ(s->CurrentRevision(), last);
  auto a = s->Get(K("a"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->json, json_a);
  EXPECT_EQ((*a)->attrs.labels, (std::vector<std::pair<std::string, std::string>>{{"x", "y"}}));
  EXPECT_EQ(s->Get(K("b")).error().code, ErrorCode::kNotFound);
  EXPECT_GT((*s->Create(K("c"), Obj("c"), {}))->revision, last);
}

TEST_P(StoreConformance, CloseEndsWatchersAndRefusesWrites) {
  auto s = Open();
  auto w = s->Watch(WatchOptions{.resource = "configmaps"});
  s->Close();
  EXPECT_EQ((*w)->close_reason(), WatchCloseReason::kStoreClosed);
  EXPECT_EQ(s->Create(K("a"), Obj("a"), {}).error().code, ErrorCode::kServiceUnavailable);
}

}  // namespace vkube::store
