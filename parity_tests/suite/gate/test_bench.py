import json

import numpy as np

from parity_tests.cli import main
from parity_tests.gate import bench


def test_bench_json_and_markdown(tmp_path, capsys):
    j = tmp_path / "b.json"
    assert main(["bench", "--quick", "--only", "softmax CE (128,10),train step softmax", "--json", str(j)]) == 0
    out = capsys.readouterr().out
    assert "NumPy" in out and "BLAS" in out and "threads" in out and "softmax CE" in out
    data = json.loads(j.read_text())
    h = data["header"]
    assert h["cpu"] and h["simd"] and h["numpy_blas"]["internal_api"] and h["torch_blas"]["num_threads"] >= 1
    cases = {(r["case"], r["dtype"]) for r in data["rows"]}
    assert len(cases) == 4 and all(r["ratio"] > 0 for r in data["rows"])
    step = next(r for r in data["rows"] if r["kind"] == "step")
    assert step["peak_alloc_bytes"] > 0 and step["activation_bytes"] > 0
    assert main(["bench", "--markdown", str(j), str(j)]) == 0
    table = capsys.readouterr().out
    assert "| softmax CE (128,10) |" in table and "BLAS" in table and "peak alloc" in table


def test_bench_markdown_bad_file_is_usage_error(tmp_path, capsys):
    assert main(["bench", "--markdown", str(tmp_path / "missing.json")]) == 2


def test_conv_traffic_counts_the_column_buffer():
    # (C*k*k, N*H*W) float64 columns, five passes, plus 2*k*k passes over the padded input gradient
    assert bench.conv_traffic(1, 1, 4, 4, 1, 8) == 5 * 9 * 16 * 8 + 18 * 36 * 8
    # a bias is a row of ones in the buffer: written, read by the forward matmul and by dW's
    assert bench.conv_traffic(1, 1, 4, 4, 1, 8, bias=True) == 5 * 9 * 16 * 8 + 3 * 16 * 8 + 18 * 36 * 8


def test_gemm_shapes_are_the_layers_own():
    import numpy_impl as ni
    with_bias, without = ni.Conv2d(3, 4, 3, padding=1, rng=0), ni.Conv2d(3, 4, 3, padding=1, bias=False, rng=0)
    assert bench.gemm_shapes(with_bias, (2, 3, 5, 5)) == [(4, 28, 50), (4, 50, 28), (27, 4, 50)]
    assert bench.gemm_shapes(without, (2, 3, 5, 5)) == [(4, 27, 50), (4, 50, 27), (27, 4, 50)]
    for layer in (with_bias, without):                  # the column buffer the matmuls really use
        layer.forward(np.zeros((2, 3, 5, 5)))
        assert layer._cache[2].shape == bench.gemm_shapes(layer, (2, 3, 5, 5))[0][1:]


def test_every_case_name_is_selectable(capsys):
    names = bench.case_names()
    assert len(names) == len(bench.LAYERS) + len(bench.LOSSES) + len(bench.STEPS)
    assert sum(n.startswith("train step ") for n in names) == len(bench.STEPS)
    assert main(["bench", "--only", "no such case"]) == 2
    assert "train step mlp" in capsys.readouterr().err


def test_header_records_the_spin_settings():
    h = bench.header(bandwidth=False)
    assert set(h["spin"]) == {"OPENBLAS_THREAD_TIMEOUT", "GOMP_SPINCOUNT"}
    assert all(h["spin"].values())
    assert "idle threads' spin" in bench.format_header(h)
    assert "NOT applied" in bench.format_header({**h, "loaded_before_settings": ["torch"]})


def test_every_floor_entry_names_a_case_and_known_pass_kinds():
    names = set(bench.case_names())
    for name, (row, passes, block_bytes) in bench.PASSES.items():
        assert name in names
        assert row > 0 and block_bytes > 0 and all(n > 0 for stage in passes for n in stage.values())
        assert bench.passes_time((4, row), "float64", row, passes, block_bytes, repeat=1) > 0


def test_the_passes_run_in_their_stages_in_order():
    # each stage sweeps every block before the next stage begins (the data forces that order)
    from numpy_impl import parallel
    seen = []
    real = parallel.run

    def spy(fn, parts, nbytes):
        seen.append(fn)
        return real(fn, parts, nbytes)
    parallel.run = spy
    try:
        bench.passes_runner((8, 4), "float64", 4, ({"rowsum": 1}, {"col": 2}, {"same": 1}), 64)()
    finally:
        parallel.run = real
    assert len(seen) == 3 and len(set(seen)) == 3
    assert bench.passes_text(({"rowsum": 1}, {"col": 2, "same": 1})) == "rowsum 1 | col 2 + same 1"
    assert bench.passes_text({"exp": 1}) == "exp 1"


def test_a_floor_is_timed_in_the_rounds_of_its_row():
    calls = []
    t = bench.interleave(lambda: calls.append("n"), lambda: calls.append("t"), repeat=3, warmup=1,
                         floor=lambda: calls.append("f"))
    assert "".join(calls) == "ntft" * 4
    assert set(t) >= {"numpy_ms", "torch_ms", "passes_row_ms"}
    assert "passes_row_ms" not in bench.interleave(lambda: None, lambda: None, repeat=1, warmup=0)


def test_a_floor_is_the_best_of_its_runs_and_torch_counts_its_runs_after_numpy():
    import itertools
    clock = itertools.count()                     # each _time call spans the ticks its function takes
    floors = iter([9, 3, 9])                       # the floor's three runs: its best is 3, its median 9
    ticks = {"n": lambda: 5, "t1": lambda: 1, "f": lambda: next(floors), "t2": lambda: 100}
    order = itertools.cycle(["n", "t1", "f", "t2"])

    def tick():
        for _ in range(ticks[next(order)]() - 1):
            next(clock)
    real = bench.CLOCK["wall"]
    bench.CLOCK["wall"] = lambda: next(clock) / 1e3   # seconds: one tick is 1 ms
    try:
        t = bench.interleave(tick, tick, repeat=3, warmup=0, floor=tick)
    finally:
        bench.CLOCK["wall"] = real
    assert round(t["torch_ms"], 9) == 1 and round(t["numpy_ms"], 9) == 5 and round(t["passes_row_ms"], 9) == 3


def test_passes_time_refuses_an_unknown_kind():
    import pytest
    with pytest.raises(ValueError, match="unknown pass kind.*'fma'"):
        bench.passes_time((4, 8), "float64", 8, {"fma": 1})


def test_a_target_below_the_floor_is_raised_and_the_issue_target_kept():
    row, notes = {"torch_ms": 2.0, "target": 1.0}, []
    bench._floor(row, 3.0, notes, "passes")
    assert row["target"] == 1.5 and row["issue_target"] == 1.0 and row["numpy_floor_ratio"] == 1.5
    row, notes = {"torch_ms": 2.0, "target": 1.0}, []
    bench._floor(row, 1.0, notes, "passes")
    assert row["target"] == 1.0 and "issue_target" not in row


def test_no_training_step_allocates_more_than_twice_its_activations_and_parameters():
    # tracemalloc counts bytes, not time: deterministic. The softmax regression's activations are
    # tiny beside its weights, so its bound is activations + parameters (README, Speed).
    for kind, sample, batch, opt_name, lr, mom, reg, _ in bench.STEPS:
        model, x, run_numpy, _ = bench.step_runners(kind, sample, batch, opt_name, lr, mom, reg, "float64")
        held = bench.activation_bytes(model, x) + sum(p.nbytes for p in model.named_parameters().values())
        assert bench.peak_alloc(run_numpy) <= 2 * held, kind
