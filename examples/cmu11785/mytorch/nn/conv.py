import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mytorch.nn.resampling import Downsample1d, Downsample2d


class Conv1d_stride1:

    def __init__(self, in_channels, out_channels, kernel_size, weight_init_fn=None, bias_init_fn=None):
        self.kernel_size = kernel_size
        if weight_init_fn is None:
            self.W = np.random.normal(0, 1.0, (out_channels, in_channels, kernel_size))
        else:
            self.W = weight_init_fn(out_channels, in_channels, kernel_size)
        self.b = np.zeros(out_channels) if bias_init_fn is None else bias_init_fn(out_channels)
        self.dLdW = np.zeros(self.W.shape)
        self.dLdb = np.zeros(self.b.shape)

    def forward(self, A):
        """A: (N, C_in, W_in) -> Z: (N, C_out, W_in - K + 1)"""
        self.A = A
        windows = sliding_window_view(A, self.kernel_size, axis=2)      # (N, C_in, W_out, K)
        return np.einsum("ncwk,ock->now", windows, self.W) + self.b[None, :, None]

    def backward(self, dLdZ):
        windows = sliding_window_view(self.A, self.kernel_size, axis=2)
        self.dLdW = np.einsum("ncwk,now->ock", windows, dLdZ)
        self.dLdb = dLdZ.sum(axis=(0, 2))
        K = self.kernel_size
        padded = np.pad(dLdZ, ((0, 0), (0, 0), (K - 1, K - 1)))
        return np.einsum("nowk,ock->ncw", sliding_window_view(padded, K, axis=2), self.W[:, :, ::-1])


class Conv1d:

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding=0,
                 weight_init_fn=None, bias_init_fn=None):
        self.stride = stride
        self.pad = padding
        self.conv1d_stride1 = Conv1d_stride1(in_channels, out_channels, kernel_size, weight_init_fn, bias_init_fn)
        self.downsample1d = Downsample1d(stride)

    def forward(self, A):
        A = np.pad(A, ((0, 0), (0, 0), (self.pad, self.pad)))
        return self.downsample1d.forward(self.conv1d_stride1.forward(A))

    def backward(self, dLdZ):
        dLdA = self.conv1d_stride1.backward(self.downsample1d.backward(dLdZ))
        return dLdA[:, :, self.pad:dLdA.shape[2] - self.pad]


class Conv2d_stride1:

    def __init__(self, in_channels, out_channels, kernel_size, weight_init_fn=None, bias_init_fn=None):
        self.kernel_size = kernel_size
        if weight_init_fn is None:
            self.W = np.random.normal(0, 1.0, (out_channels, in_channels, kernel_size, kernel_size))
        else:
            self.W = weight_init_fn(out_channels, in_channels, kernel_size, kernel_size)
        self.b = np.zeros(out_channels) if bias_init_fn is None else bias_init_fn(out_channels)
        self.dLdW = np.zeros(self.W.shape)
        self.dLdb = np.zeros(self.b.shape)

    def forward(self, A):
        """A: (N, C_in, H, W) -> Z: (N, C_out, H - K + 1, W - K + 1)"""
        self.A = A
        windows = sliding_window_view(A, (self.kernel_size, self.kernel_size), axis=(2, 3))
        return np.einsum("nchwij,ocij->nohw", windows, self.W) + self.b[None, :, None, None]

    def backward(self, dLdZ):
        K = self.kernel_size
        windows = sliding_window_view(self.A, (K, K), axis=(2, 3))
        self.dLdW = np.einsum("nchwij,nohw->ocij", windows, dLdZ)
        self.dLdb = dLdZ.sum(axis=(0, 2, 3))
        padded = np.pad(dLdZ, ((0, 0), (0, 0), (K - 1, K - 1), (K - 1, K - 1)))
        flipped = self.W[:, :, ::-1, ::-1]
        return np.einsum("nohwij,ocij->nchw", sliding_window_view(padded, (K, K), axis=(2, 3)), flipped)


class Conv2d:

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding=0,
                 weight_init_fn=None, bias_init_fn=None):
        self.stride = stride
        self.pad = padding
        self.conv2d_stride1 = Conv2d_stride1(in_channels, out_channels, kernel_size, weight_init_fn, bias_init_fn)
        self.downsample2d = Downsample2d(stride)

    def forward(self, A):
        p = self.pad
        A = np.pad(A, ((0, 0), (0, 0), (p, p), (p, p)))
        return self.downsample2d.forward(self.conv2d_stride1.forward(A))

    def backward(self, dLdZ):
        dLdA = self.conv2d_stride1.backward(self.downsample2d.backward(dLdZ))
        p = self.pad
        return dLdA[:, :, p:dLdA.shape[2] - p, p:dLdA.shape[3] - p]
