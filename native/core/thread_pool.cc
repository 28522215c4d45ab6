#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define SK_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define SK_PAUSE() __asm__ __volatile__("yield")
#else
#define SK_PAUSE() std::this_thread::yield()
#endif

namespace sk {
namespace {

int default_threads() {
#if defined(__linux__)
  // Honour CPU affinity (taskset, containers with cpusets) rather than the machine's core count.
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

// The holds on (pool_hold): while any is, idle threads spin up to kHoldMicros instead of kSpinMicros.
std::atomic<int> pool_holds{0};

struct Job {
  const std::function<void(int)>* fn;
  int ntasks;
  int room;  // pool threads that may still join (under Pool::mu_)
  std::atomic<int> next{0};
  std::atomic<int> done{0};
  std::mutex mu;
  std::condition_variable finished;
  std::exception_ptr error;  // the first exception a task threw (under mu)
};

class Pool {
 public:
  Pool() : threads_(default_threads()) {}

  int threads() const { return threads_.load(std::memory_order_relaxed); }

  void set_threads(int n) {
    if (n < 1) n = 1;
    if (n > kMaxThreads) n = kMaxThreads;
    threads_.store(n);
  }

  void run(int ntasks, const std::function<void(int)>& fn, int max_threads) {
    if (ntasks <= 0) return;
    const int width = std::min({threads(), max_threads > 0 ? max_threads : kMaxThreads, ntasks});
    if (width == 1) {  // on the caller alone: no job, no lock
      for (int t = 0; t < ntasks; ++t) fn(t);
      return;
    }
    auto job = std::make_shared<Job>();
    job->fn = &fn;
    job->ntasks = ntasks;
    job->room = width - 1;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Workers are created lazily and never shrink: an idle worker costs nothing but a sleeping thread.
      const int wanted = job->room;
      while (static_cast<int>(workers_) < wanted) {
        std::thread(&Pool::worker_loop, this).detach();
        ++workers_;
      }
      queue_.push_back(job);
      pushed_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    // The caller works on its own job until no task is left to start.
    work_on(*job);
    // The last tasks are usually nearly done: spin before sleeping, as waking this thread again costs more.
    spin_while([&] { return job->done.load(std::memory_order_acquire) != job->ntasks; });
    std::unique_lock<std::mutex> lock(job->mu);
    job->finished.wait(lock, [&] { return job->done.load() == job->ntasks; });
    if (job->error) std::rethrow_exception(job->error);
  }

 private:
  // Spins (with a pause hint) while `busy` holds, for at most kSpinMicros; the caller then sleeps if still needed.
  // Longer spins were measured and rejected: on SMT siblings a spinning thread slows the JS thread next to it.
  // While a hold is on (pool_hold), the spin lasts up to kHoldMicros instead.
  template <typename Busy>
  static void spin_while(Busy busy) {
    const auto start = std::chrono::steady_clock::now();
    const auto until = start + std::chrono::microseconds(kSpinMicros), held_until = start + std::chrono::microseconds(kHoldMicros);
    for (int spins = 0; busy(); ++spins) {
      SK_PAUSE();
      if ((spins & 255) == 0) {
        const auto now = std::chrono::steady_clock::now();
        if (now > until && (pool_holds.load(std::memory_order_relaxed) == 0 || now > held_until)) return;
      }
    }
  }

  static void work_on(Job& job) {
    for (;;) {
      int task = job.next.fetch_add(1);
      if (task >= job.ntasks) return;
      try {
        (*job.fn)(task);
      } catch (...) {
        // Kept for the caller: an exception must not escape a worker thread (that would terminate the process).
        std::lock_guard<std::mutex> lock(job.mu);
        if (!job.error) job.error = std::current_exception();
      }
      if (job.done.fetch_add(1) + 1 == job.ntasks) {
        std::lock_guard<std::mutex> lock(job.mu);
        job.finished.notify_all();
      }
    }
  }

  void worker_loop() {
    for (;;) {
      // Spin briefly before sleeping: kernels are often called back to back (a training step, a benchmark), and
      // waking a sleeping thread costs tens of microseconds, more than a small kernel takes.
      const uint64_t seen = pushed_.load(std::memory_order_acquire);
      spin_while([&] { return pushed_.load(std::memory_order_acquire) == seen; });
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        // Sleep until a job has tasks left or something was pushed since `seen`. A thread woken from sleep often
        // finds the job it was woken for already finished by the caller (waking it took longer than the job): it
        // then spins again rather than sleeping, or every later back-to-back call whose wake-up outlasts it would
        // find it asleep and run on the caller alone. (Timed on spmv 1024x1024, 2 threads, in 20 ms slices between
        // 1-thread slices: within the VM's noise; both reach 1.9x the 1-thread time at best.)
        wake_.wait(lock, [&] {
          job = take_job();
          return job != nullptr || pushed_.load(std::memory_order_relaxed) != seen;
        });
        if (!job) continue;
      }
      work_on(*job);
    }
  }

  // The oldest job with a task left and room for one more thread, its room taken; null if none. Under mu_.
  std::shared_ptr<Job> take_job() {
    while (!queue_.empty() && queue_.front()->next.load() >= queue_.front()->ntasks) queue_.pop_front();
    for (const std::shared_ptr<Job>& j : queue_) {
      if (j->room > 0 && j->next.load() < j->ntasks) {
        --j->room;
        return j;
      }
    }
    return nullptr;
  }

  static constexpr int kSpinMicros = 50;
  static constexpr int kHoldMicros = 2000;
  std::atomic<int> threads_;
  std::atomic<uint64_t> pushed_{0};
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;
  size_t workers_ = 0;
};

Pool& pool() {
  static Pool* p = new Pool();  // intentionally leaked, see the header
  return *p;
}

thread_local int call_cap = 0;  // the ThreadCap of this thread, 0: none

}  // namespace

ThreadCap::ThreadCap(int n) : previous_(call_cap) { call_cap = n > 0 ? n : 0; }
ThreadCap::~ThreadCap() { call_cap = previous_; }

int pool_threads() {
  const int n = pool().threads();
  return call_cap > 0 && call_cap < n ? call_cap : n;
}
void set_pool_threads(int n) { pool().set_threads(n); }
int pool_hold(bool on) {
  if (on) return pool_holds.fetch_add(1, std::memory_order_relaxed) + 1;
  int n = pool_holds.load(std::memory_order_relaxed);
  while (n > 0 && !pool_holds.compare_exchange_weak(n, n - 1, std::memory_order_relaxed)) {
  }
  return n > 0 ? n - 1 : 0;  // a release without a hold is a no-op
}
void parallel_for(int ntasks, const std::function<void(int)>& fn, int max_threads) { pool().run(ntasks, fn, max_threads); }

}  // namespace sk
