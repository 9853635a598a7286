"""The lab: training presets, the classic experiments, plots and the optimizer-path picture, and
the commands train, search, experiment and optim-paths. It uses the gate (lockstep); never the reverse."""
