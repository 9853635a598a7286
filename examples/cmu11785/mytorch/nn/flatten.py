class Flatten:

    def forward(self, A):
        """A: (N, C, W) -> (N, C * W)"""
        self.shape = A.shape
        return A.reshape(A.shape[0], -1)

    def backward(self, dLdZ):
        return dLdZ.reshape(self.shape)
