"""Row blocks of one array spread over a few threads.

NumPy releases the GIL inside its loops, so two threads each running the elementwise passes of
their own rows use two cores; torch does the same for its elementwise kernels. The layers whose
time is such passes over large arrays (the norm layers, softmax cross-entropy) cut their rows into
blocks with ``blocks`` and run them with ``run``.

Results never depend on the number of threads: the blocks are cut by size alone, a block is
computed by the same code whichever thread runs it, and ``run`` returns the blocks' results in
block order, so partial reductions are summed in the same order every time.

``threads()`` is the number used: ``NUMPY_IMPL_THREADS`` if set, else the CPUs this process may
run on, at most 4. ``set_threads(n)`` changes it (1 turns threading off).
"""
import os
import threading

import numpy as np

MAX_DEFAULT = 4
# Below this many bytes per thread a second thread costs more (the GIL handoff, ~10-50 us) than it saves.
MIN_BYTES_PER_THREAD = 1 << 18

_threads = None


def _default_threads():
    env = os.environ.get("NUMPY_IMPL_THREADS")
    if env:
        try:
            n = int(env)
        except ValueError:
            raise ValueError(f"NUMPY_IMPL_THREADS must be an integer >= 1, got {env!r}") from None
        if n < 1:
            raise ValueError(f"NUMPY_IMPL_THREADS must be an integer >= 1, got {env!r}")
        return n
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:                          # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT, cpus))


def threads():
    """How many threads ``run`` uses."""
    global _threads
    if _threads is None:
        _threads = _default_threads()
    return _threads


def set_threads(n):
    """Use ``n`` threads from now on (1: no threading). Returns the previous number."""
    global _threads
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_threads: n must be an integer >= 1, got {n!r}")
    before = threads()
    _threads = n
    return before


def blocks(n, row_bytes, block_bytes):
    """Slices of ``n`` rows of ``row_bytes`` each, about ``block_bytes`` per slice (at least one row)."""
    step = max(1, block_bytes // max(1, row_bytes))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def over_rows(fn, a, block_bytes):
    """``fn(slice)`` over blocks of the rows of ``a`` (its first axis), about ``block_bytes`` a block,
    spread over threads; the results in block order (none for an empty ``a``)."""
    row_bytes = a.itemsize * int(np.prod(a.shape[1:], dtype=np.int64))
    return run(fn, blocks(len(a), row_bytes, block_bytes), len(a) * row_bytes)


class _Worker:
    """A thread that runs one share of ``run`` at a time. It sleeps on a lock the caller releases to
    start it and releases another when done: a call takes ~10-20 us, where a ThreadPoolExecutor's
    submit and wait took ~40 us (measured on a 2-core VM), a cost paid by every threaded call."""

    def __init__(self, i):
        self.go, self.done = threading.Lock(), threading.Lock()
        self.go.acquire()
        self.done.acquire()
        self.job = self.result = self.error = None
        self.retired = False
        self.thread = threading.Thread(target=self._loop, name=f"numpy_impl-{i}", daemon=True)
        self.thread.start()

    def _loop(self):
        while True:
            self.go.acquire()
            if self.retired:
                break
            fn, parts, err = self.job
            try:
                with np.errstate(**err):            # the caller's floating-point error handling
                    self.result, self.error = [fn(p) for p in parts], None
            except BaseException as e:              # handed to the caller
                self.result, self.error = None, e
            fn = parts = None                       # hold no array of the caller's while asleep
            if self.retired:
                break
            self.done.release()
        self.job = self.result = self.error = None

    def retire(self):
        """Let the thread end once its share (if any) is done, keeping nothing."""
        self.retired = True
        try:
            self.go.release()                       # wakes it if asleep
        except RuntimeError:                        # it has not taken its start yet: it will see the flag
            pass


_workers = []
_busy = threading.Lock()                            # one ``run`` at a time uses the workers


def _forget_workers():                              # a forked child has none of the threads
    global _workers, _busy
    _workers, _busy = [], threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_workers)


def _collect(started):
    """Wait for each started worker; their ``(result, error)``, cleared from the workers. Interrupted
    while waiting (Ctrl-C), retire every worker: later calls start new ones."""
    got = []
    try:
        for w in started:
            w.done.acquire()
            got.append((w.result, w.error))
            w.job = w.result = w.error = None
    except BaseException:
        for w in _workers:
            w.retire()
        del _workers[:]
        raise
    return got


def run(fn, parts, total_bytes):
    """``[fn(p) for p in parts]``, the parts shared out in contiguous runs over ``threads()`` threads
    (the caller's thread takes the first run); one thread when ``total_bytes`` is too small to pay,
    inside a worker, or while another thread's ``run`` holds the workers. Workers run under the
    caller's ``np.errstate``; the first error (the caller's own, else in block order) propagates."""
    t = min(threads(), len(parts), max(1, total_bytes // MIN_BYTES_PER_THREAD))
    if t <= 1 or not _busy.acquire(blocking=False):
        return [fn(p) for p in parts]
    started, got = [], []
    try:
        while len(_workers) < t - 1:
            _workers.append(_Worker(len(_workers)))
        cuts = [len(parts) * i // t for i in range(t + 1)]
        err = np.geterr()
        for i, w in enumerate(_workers[:t - 1]):
            w.job = (fn, parts[cuts[i + 1]:cuts[i + 2]], err)
            started.append(w)                       # before the start: a started worker is always waited on
            w.go.release()
        out = [fn(p) for p in parts[cuts[0]:cuts[1]]]
    finally:
        try:
            got = _collect(started)                 # never leave a thread writing after we return
        finally:
            _busy.release()
    for result, error in got:                       # block order; a worker's exception propagates here
        if error is not None:
            raise error
        out += result
    return out
