"""The base of every layer: ``forward(input)`` returns the output, ``backward(output_gradient,
learning_rate)`` updates the layer's own parameters and returns the input gradient (the style of
The Independent Code's "Neural Network from Scratch" and Omar Aflak's "Neural Network from scratch
in Python"). One sample at a time, a column vector (n, 1)."""


class Layer:
    def __init__(self):
        self.input = None
        self.output = None

    def forward(self, input):
        raise NotImplementedError

    def backward(self, output_gradient, learning_rate):
        raise NotImplementedError
