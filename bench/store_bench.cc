// Store micro-benchmarks: fsync'd creates (group commit with 1 vs many writers), GET, LIST of 100.
// Run: build/bin/store_bench --benchmark_out=bench/results/store.json
#include <benchmark/benchmark.h>

#include <atomic>
#include <filesystem>

#include "libs/store/sqlite_store.h"

namespace {

using vkube::store::Key;
using vkube::store::SqliteStore;

std::unique_ptr<SqliteStore> OpenFresh() {
  char tmpl[] = "/tmp/vkube-bench-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  auto s = SqliteStore::Open(vkube::store::SqliteStoreOptions{dir + "/store.db"});
  return std::move(*s);
}

nlohmann::json Cm(const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}, {"namespace", "b"}}},
          {"data", {{"k", "v"}}}};
}

SqliteStore* g_store = nullptr;
std::atomic<int> g_seq{0};

void BM_CreateDurable(benchmark::State& state) {
  if (state.thread_index() == 0) g_store = OpenFresh().release();
  for (auto _ : state) {
    std::string name = "c" + std::to_string(g_seq++);
    auto r = g_store->Create(Key{"configmaps", "b", name}, Cm(name), {});
    if (!r.ok()) state.SkipWithError("create failed");
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    state.counters["revision"] = static_cast<double>(g_store->CurrentRevision());
  }
}
BENCHMARK(BM_CreateDurable)->Threads(1)->Threads(16)->UseRealTime()->MinTime(2.0);

void BM_GetAndList(benchmark::State& state) {
  auto s = OpenFresh();
  for (int i = 0; i < 100; ++i) (void)s->Create(Key{"pods", "b", "p" + std::to_string(i)}, Cm("p" + std::to_string(i)), {});
  const bool list = state.range(0) == 1;
  for (auto _ : state) {
    if (list) {
      auto r = s->List(vkube::store::ListOptions{.resource = "pods", .ns = "b"});
      benchmark::DoNotOptimize(r);
    } else {
      auto r = s->Get(Key{"pods", "b", "p42"});
      benchmark::DoNotOptimize(r);
    }
  }
}
BENCHMARK(BM_GetAndList)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
