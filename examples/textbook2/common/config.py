"""As in "Deep Learning from Scratch 2" (common/config.py): GPU selects CuPy in common/np.py."""
GPU = False
