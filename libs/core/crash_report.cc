#include "libs/core/crash_report.h"

#include <execinfo.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <typeinfo>

namespace vkube {
namespace {

void Write(const char* text) {
  if (::write(STDERR_FILENO, text, std::strlen(text)) < 0) {
  }
}

// Async-signal-safe: backtrace() was called once at install (it loads libgcc then, not here).
void WriteStack() {
  void* frames[64];
  const int n = ::backtrace(frames, 64);
  Write("stack (addr2line -Cfe vkube ADDRESS):\n");
  ::backtrace_symbols_fd(frames, n, STDERR_FILENO);
}

void OnTerminate() {
  Write("vkube: fatal: std::terminate");
  if (std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      Write(": uncaught ");
      Write(typeid(ex).name());
      Write(": ");
      Write(ex.what());
    } catch (...) {
      Write(": uncaught exception of unknown type");
    }
  }
  Write("\n");
  WriteStack();
  std::abort();
}

void OnSignal(int sig) {
  Write("vkube: fatal: ");
  Write(::strsignal(sig));
  Write("\n");
  WriteStack();
  ::raise(sig);  // SA_RESETHAND: the default action now (core dump, exit status)
}

}  // namespace

void InstallCrashReport() {
  void* warm[1];
  ::backtrace(warm, 1);
  std::set_terminate(OnTerminate);
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sa.sa_flags = SA_RESETHAND | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE}) ::sigaction(sig, &sa, nullptr);
}

}  // namespace vkube
