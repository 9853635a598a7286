import numpy as np

from layer import Layer


def correlate2d_valid(x, k):
    """Cross-correlation of (h, w) with (kh, kw), 'valid' (what scipy.signal.correlate2d gives)."""
    windows = np.lib.stride_tricks.sliding_window_view(x, k.shape)
    return np.einsum("ijkl,kl->ij", windows, k)


def convolve2d_full(x, k):
    """Convolution of (h, w) with (kh, kw), 'full' (scipy.signal.convolve2d)."""
    padded = np.pad(x, ((k.shape[0] - 1,) * 2, (k.shape[1] - 1,) * 2))
    return correlate2d_valid(padded, k[::-1, ::-1])


class Convolutional(Layer):
    """input: (depth_in, h, w); kernels: (depth, depth_in, k, k); biases: (depth, h - k + 1, w - k + 1)."""

    def __init__(self, input_shape, kernel_size, depth):
        input_depth, input_height, input_width = input_shape
        self.depth, self.input_depth, self.input_shape = depth, input_depth, input_shape
        self.output_shape = (depth, input_height - kernel_size + 1, input_width - kernel_size + 1)
        self.kernels = np.random.randn(depth, input_depth, kernel_size, kernel_size)
        self.biases = np.random.randn(*self.output_shape)

    def forward(self, input):
        self.input = input
        output = np.copy(self.biases)
        for i in range(self.depth):
            for j in range(self.input_depth):
                output[i] += correlate2d_valid(self.input[j], self.kernels[i, j])
        return output

    def backward(self, output_gradient, learning_rate):
        kernels_gradient = np.zeros(self.kernels.shape)
        input_gradient = np.zeros(self.input_shape)
        for i in range(self.depth):
            for j in range(self.input_depth):
                kernels_gradient[i, j] = correlate2d_valid(self.input[j], output_gradient[i])
                input_gradient[j] += convolve2d_full(output_gradient[i], self.kernels[i, j])
        self.kernels -= learning_rate * kernels_gradient
        self.biases -= learning_rate * output_gradient
        return input_gradient
