from .data_operation import accuracy_score
from .data_manipulation import make_diagonal, normalize, batch_iterator, to_categorical
