import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mytorch.nn.resampling import Downsample2d


class MaxPool2d_stride1:

    def __init__(self, kernel):
        self.kernel = kernel

    def forward(self, A):
        """A: (N, C, H, W) -> (N, C, H - k + 1, W - k + 1)"""
        self.A = A
        k = self.kernel
        windows = sliding_window_view(A, (k, k), axis=(2, 3))
        flat = windows.reshape(windows.shape[:4] + (k * k,))
        self.arg = flat.argmax(axis=4)                      # the first maximum of each window
        return flat.max(axis=4)

    def backward(self, dLdZ):
        k = self.kernel
        N, C, Ho, Wo = dLdZ.shape
        n, c, i, j = np.indices((N, C, Ho, Wo))
        dLdA = np.zeros(self.A.shape)
        np.add.at(dLdA, (n, c, i + self.arg // k, j + self.arg % k), dLdZ)
        return dLdA


class MeanPool2d_stride1:

    def __init__(self, kernel):
        self.kernel = kernel

    def forward(self, A):
        self.shape = A.shape
        k = self.kernel
        return sliding_window_view(A, (k, k), axis=(2, 3)).mean(axis=(4, 5))

    def backward(self, dLdZ):
        k = self.kernel
        padded = np.pad(dLdZ, ((0, 0), (0, 0), (k - 1, k - 1), (k - 1, k - 1)))
        return sliding_window_view(padded, (k, k), axis=(2, 3)).sum(axis=(4, 5)) / (k * k)


class MaxPool2d:

    def __init__(self, kernel, stride):
        self.maxpool2d_stride1 = MaxPool2d_stride1(kernel)
        self.downsample2d = Downsample2d(stride)

    def forward(self, A):
        return self.downsample2d.forward(self.maxpool2d_stride1.forward(A))

    def backward(self, dLdZ):
        return self.maxpool2d_stride1.backward(self.downsample2d.backward(dLdZ))


class MeanPool2d:

    def __init__(self, kernel, stride):
        self.meanpool2d_stride1 = MeanPool2d_stride1(kernel)
        self.downsample2d = Downsample2d(stride)

    def forward(self, A):
        return self.downsample2d.forward(self.meanpool2d_stride1.forward(A))

    def backward(self, dLdZ):
        return self.meanpool2d_stride1.backward(self.downsample2d.backward(dLdZ))
