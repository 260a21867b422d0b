#pragma once
// What a crashed vkube leaves behind: the reason (the escaping exception, or the signal) and the
// stack that led there, on stderr, before the process aborts (and the pod restarts). A crash
// without its stack cost us a day of guessing (a cancelled coroutine that threw out of a thread).

namespace vkube {

// std::set_terminate plus SIGSEGV/SIGBUS/SIGILL/SIGFPE handlers (each once, then the default
// action). For the binary's main only: sanitizer builds and tests keep their own.
void InstallCrashReport();

}  // namespace vkube
