"""As in "Deep Learning from Scratch 2" (common/np.py): NumPy, or CuPy when config.GPU."""
from common.config import GPU

if GPU:
    import cupy as np
    np.cuda.set_allocator(np.cuda.MemoryPool().malloc)
    np.add.at = np.scatter_add
    print('\033[92m' + '-' * 60 + '\033[0m')
else:
    import numpy as np
