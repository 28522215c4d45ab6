// A persistent, process-wide thread pool shared by every kernel family.
//
// parallel_for() may be called from several threads at once (the JS main thread for sync calls, libuv workers for
// async calls): each call is a job in a queue, workers take tasks from the oldest job with tasks left, and the
// calling thread runs tasks of its own job too, so a caller never waits on a pool that is busy elsewhere with
// nothing to do itself. The pool is never destroyed (threads are detached) because an addon's static destructors
// can run after Node has torn the environment down.
#pragma once
#include <cstdint>
#include <functional>

namespace sk {

// Number of threads work is split over (the caller counts as one). Defaults to the cores this process may use; a
// ThreadCap on the calling thread lowers it for the work that thread starts.
int pool_threads();

// Caps the threads the work started on this thread is split over (n <= 0: no cap) while it lives: the `threads`
// option of one kernel call. Restores the previous cap when destroyed.
class ThreadCap {
 public:
  explicit ThreadCap(int n);
  ~ThreadCap();
  ThreadCap(const ThreadCap&) = delete;
  ThreadCap& operator=(const ThreadCap&) = delete;

 private:
  int previous_;
};
// Sets it (clamped to [1, kMaxThreads]). Safe while work is in flight: running jobs keep the split they started with.
void set_pool_threads(int n);
constexpr int kMaxThreads = 256;

// Keeps the pool's idle threads spinning (not sleeping) between the parallel calls of a sequence made by one caller,
// such as the layers of one model prediction, for at most kHoldMicros after the last job of the sequence: a thread
// woken from sleep joins tens of microseconds late, and the caller then does most of the work alone. Holds nest;
// pool_hold(false) releases one. Returns the holds now on.
int pool_hold(bool on);

// Runs fn(task) for every task in [0, ntasks) and returns when all have finished, on at most max_threads threads
// (the caller included; <= 0: as many as the pool has), each taking the next task left. If a task throws
// (std::bad_alloc), the first exception is rethrown here, in the caller, once every task has finished.
void parallel_for(int ntasks, const std::function<void(int)>& fn, int max_threads = 0);

}  // namespace sk
