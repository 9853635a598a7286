from mytorch.nn.activation import ReLU
from mytorch.nn.linear import Linear


class MLP0:

    def __init__(self, debug=False):
        self.layers = [Linear(2, 3)]
        self.f = [ReLU()]

    def forward(self, A0):
        return self.f[0].forward(self.layers[0].forward(A0))

    def backward(self, dLdA1):
        return self.layers[0].backward(self.f[0].backward(dLdA1))


class MLP4:

    def __init__(self, debug=False):
        sizes = [2, 4, 8, 8, 4, 2]
        self.layers = [Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
        self.f = [ReLU() for _ in self.layers]

    def forward(self, A):
        for layer, f in zip(self.layers, self.f):
            A = f.forward(layer.forward(A))
        return A

    def backward(self, dLdA):
        for layer, f in zip(reversed(self.layers), reversed(self.f)):
            dLdA = layer.backward(f.backward(dLdA))
        return dLdA
