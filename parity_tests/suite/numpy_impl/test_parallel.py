"""numpy_impl.parallel: the threaded layers give the same bits whatever the number of threads, and
errors in a worker reach the caller."""
import numpy as np
import pytest

import numpy_impl as ni
from numpy_impl import parallel
from numpy_impl.losses import softmax_loss


@pytest.fixture
def always_threaded(monkeypatch):
    """Thread even the small test inputs, in blocks of a few rows."""
    monkeypatch.setattr(parallel, "MIN_BYTES_PER_THREAD", 1)
    before = parallel.set_threads(1)
    yield
    parallel.set_threads(before)


def _run(make, x, g, small_blocks):
    layer = make()
    if small_blocks:
        layer.block_bytes = 1
    out = layer.forward(x)
    dx = layer.backward(g)
    return [out, dx] + [layer.grads[k] for k in sorted(layer.grads)]


@pytest.mark.parametrize("make, shape", [
    (lambda: ni.BatchNorm2d(3), (7, 3, 5, 6)),
    (lambda: ni.BatchNorm1d(4), (9, 4)),
    (lambda: ni.LayerNorm(6), (7, 5, 6)),
    (lambda: ni.Conv2d(3, 4, 3, padding=1, rng=0), (7, 3, 6, 5)),
    (lambda: ni.Conv2d(2, 3, (2, 3), stride=(2, 1), padding=(1, 0), dilation=(1, 2), rng=0), (5, 2, 7, 8)),
    (lambda: ni.MaxPool2d(2), (6, 3, 8, 8)),
    (lambda: ni.MaxPool2d(3, 1, 1), (6, 3, 7, 8)),
])
def test_threads_change_no_bit(always_threaded, make, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) * 2 + 0.5
    g = rng.standard_normal(make().forward(x).shape)
    x0, g0 = x.copy(), g.copy()
    reference = _run(make, x, g, small_blocks=True)
    for n in (2, 3, 5):
        parallel.set_threads(n)
        got = _run(make, x, g, small_blocks=True)
        assert all(np.array_equal(a, b) for a, b in zip(reference, got)), n
    assert np.array_equal(x, x0) and np.array_equal(g, g0)


def test_softmax_loss_threads_change_no_bit(always_threaded, monkeypatch):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((300, 7)), rng.integers(0, 7, 300)
    reference = softmax_loss(x, y)
    parallel.set_threads(3)
    loss, dx = softmax_loss(x, y)
    assert loss == reference[0] and np.array_equal(dx, reference[1])


def test_a_worker_error_reaches_the_caller(always_threaded):
    parallel.set_threads(2)

    def fn(s):
        if s.start >= 2:
            raise ValueError("block failed")
        return s.start

    with pytest.raises(ValueError, match="block failed"):
        parallel.run(fn, parallel.blocks(4, 1, 1), 1 << 30)
    assert parallel.run(lambda s: s.start, parallel.blocks(4, 1, 1), 1 << 30) == [0, 1, 2, 3]


def test_the_work_really_spreads_over_threads_and_calls_from_inside_run_inline(always_threaded):
    import threading
    parallel.set_threads(3)
    names = parallel.run(lambda s: threading.current_thread().name, parallel.blocks(6, 1, 1), 1 << 30)
    assert names[:2] == [threading.current_thread().name] * 2 and len(set(names)) == 3
    nested = parallel.run(lambda s: parallel.run(lambda t: threading.current_thread().name, [0, 1], 1 << 30),
                          parallel.blocks(3, 1, 1), 1 << 30)
    assert all(len(set(inner)) == 1 for inner in nested)        # no thread waits on itself


def test_two_callers_at_once_both_get_their_results(always_threaded):
    from concurrent.futures import ThreadPoolExecutor
    parallel.set_threads(2)
    with ThreadPoolExecutor(4) as ex:
        got = list(ex.map(lambda k: parallel.run(lambda s: s.start * k, parallel.blocks(8, 1, 1), 1 << 30), range(40)))
    assert got == [[i * k for i in range(8)] for k in range(40)]


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_starts_its_own_threads(always_threaded):
    import multiprocessing
    parallel.set_threads(2)
    parallel.run(lambda s: s.start, parallel.blocks(4, 1, 1), 1 << 30)      # the parent's threads exist
    with multiprocessing.get_context("fork").Pool(1) as pool:
        result = pool.apply_async(_threaded_sum, (np.arange(10.0),))
        assert result.get(timeout=60) == 45.0


def _threaded_sum(a):
    parallel.MIN_BYTES_PER_THREAD = 1
    parallel.set_threads(2)
    return float(sum(parallel.run(lambda s: a[s].sum(), parallel.blocks(len(a), 8, 16), 1 << 30)))


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_threads_refuses_non_counts(bad):
    with pytest.raises(ValueError, match="set_threads"):
        parallel.set_threads(bad)


def test_environment_variable_is_checked(monkeypatch):
    monkeypatch.setenv("NUMPY_IMPL_THREADS", "two")
    with pytest.raises(ValueError, match="NUMPY_IMPL_THREADS"):
        parallel._default_threads()
    monkeypatch.setenv("NUMPY_IMPL_THREADS", "3")
    assert parallel._default_threads() == 3


def test_a_bad_thread_count_is_one_usage_line(monkeypatch, capsys):
    from parity_tests.cli import main
    monkeypatch.setenv("NUMPY_IMPL_THREADS", "0")
    monkeypatch.setattr(parallel, "_threads", None)
    assert main(["check", "--only", "LayerNorm", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NUMPY_IMPL_THREADS" in err


@pytest.mark.parametrize("make, shape, training", [
    (lambda: ni.LayerNorm(3), (0, 3), True),
    (lambda: ni.BatchNorm2d(2), (0, 2, 4, 4), False),
    (lambda: ni.MaxPool2d(2), (0, 2, 4, 4), True),
    (lambda: ni.Conv2d(2, 3, 3, padding=1), (0, 2, 4, 4), True),
])
def test_an_empty_batch_gives_empty_results_and_zero_gradients_like_torch(make, shape, training):
    layer = make()
    y = layer.forward(np.zeros(shape), training=training)
    dx = layer.backward(np.ones_like(y))
    assert y.shape[0] == 0 and dx.shape == shape
    assert all(g.shape == layer.params[k].shape and not g.any() for k, g in layer.grads.items())


def _passes(make, x, g):
    if make is None:
        return list(softmax_loss(x, g))
    return _run(make, x, g, small_blocks=False)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("make, shape", [
    (lambda d: ni.BatchNorm2d(3, dtype=d), (4, 3, 20, 40)),        # rows of 800 values
    (lambda d: ni.BatchNorm1d(900, dtype=d), (6, 900)),
    (None, (5, 1000)),                                              # softmax_loss
])
def test_unbuffered_broadcasts_change_no_bit_and_leave_the_callers_buffer_alone(monkeypatch, make, shape, dtype):
    from numpy_impl import rows
    rng = np.random.default_rng(2)
    x = (rng.standard_normal(shape) * 2 + 0.5).astype(dtype)
    g = rng.integers(0, shape[1], shape[0]) if make is None else rng.standard_normal(shape).astype(dtype)
    layer = (lambda: make(dtype)) if make else None
    before = np.setbufsize(4096)                    # a caller's own setting must survive the call
    try:
        monkeypatch.setattr(rows, "UNBUFFERED_ROW_BYTES", 1 << 60)
        buffered = _passes(layer, x, g)
        monkeypatch.setattr(rows, "UNBUFFERED_ROW_BYTES", 1)
        straight = _passes(layer, x, g)
        assert np.getbufsize() == 4096
        with pytest.raises(ZeroDivisionError), rows.unbuffered(x):
            assert np.getbufsize() < 4096
            1 / 0
        assert np.getbufsize() == 4096
    finally:
        np.setbufsize(before)
    assert all(np.array_equal(a, b) for a, b in zip(buffered, straight))


def test_no_worker_keeps_the_callers_arrays_alive(always_threaded):
    import gc
    import weakref
    parallel.set_threads(2)
    a = np.ones(8)
    ref = weakref.ref(a)
    fn = (lambda arr: lambda s: float(arr[s].sum()))(a)         # holds the array itself, not a cell
    assert parallel.run(fn, parallel.blocks(8, 8, 16), 1 << 30) == [2.0] * 4
    del a, fn
    gc.collect()
    assert ref() is None


def test_errors_everywhere_leave_no_array_held_and_the_callers_error_first(always_threaded):
    import gc
    import weakref
    parallel.set_threads(3)
    a = np.ones(12)
    ref = weakref.ref(a)

    def fn(s, arr=a):
        part = arr[s] * 2                             # the frames of the errors see an array
        raise ValueError(f"block {s.start} failed")

    with pytest.raises(ValueError, match="block 0 failed"):
        parallel.run(fn, parallel.blocks(12, 8, 16), 1 << 30)
    del a, fn
    gc.collect()
    assert ref() is None
    assert parallel.run(lambda s: s.start, parallel.blocks(6, 1, 1), 1 << 30) == list(range(6))


def test_an_interrupted_wait_retires_the_workers_and_the_next_call_works(always_threaded):
    parallel.set_threads(2)
    parallel.run(lambda s: s.start, parallel.blocks(4, 1, 1), 1 << 30)
    worker = parallel._workers[0]
    real = worker.done

    class Interrupting:                               # Ctrl-C while the caller waits for the worker
        release = real.release

        def acquire(self):
            real.acquire()
            raise KeyboardInterrupt

    worker.done = Interrupting()
    with pytest.raises(KeyboardInterrupt):
        parallel.run(lambda s: s.start, parallel.blocks(4, 1, 1), 1 << 30)
    worker.thread.join(5)
    assert not worker.thread.is_alive() and worker.result is None and parallel._workers == []
    assert parallel.run(lambda s: 2 * s.start, parallel.blocks(4, 1, 1), 1 << 30) == [0, 2, 4, 6]


def test_workers_follow_the_callers_errstate(always_threaded):
    parallel.set_threads(2)
    x = np.zeros(8)
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        parallel.run(lambda s: 1 / x[s], [slice(0, 0), slice(0, 8)], 1 << 30)   # the error is a worker's
    with np.errstate(divide="ignore"):
        assert parallel.run(lambda s: (1 / x[s]).tolist(), [slice(0, 1), slice(1, 2)], 1 << 30) == [[np.inf]] * 2


def test_unbuffered_only_for_long_rows_of_one_dtype():
    from numpy_impl import rows
    long64, long32 = np.zeros((2, 1000)), np.zeros((2, 1000), dtype=np.float32)
    assert rows.unbuffered(long64, np.zeros((2, 1))).on
    assert not rows.unbuffered(long64, long32).on          # a cast runs through the buffer
    assert not rows.unbuffered(np.zeros((2, 100))).on       # short rows: one call per row costs more
