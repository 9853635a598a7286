"""The deep-learning part of Erik Linder-Norén's ML-From-Scratch (MIT licence, see LICENSE beside this
package): layers with ``forward_pass(X, training)`` and ``backward_pass(accum_grad)`` that step their
weights with the optimizer ``initialize(optimizer)`` gives them, activations with ``__call__(x)`` and
``gradient(x)``, losses with ``loss(y, y_pred)`` and ``gradient(y, y_pred)``, and optimizers whose
``update(w, grad_wrt_w)`` returns the next weight. Written after the repository's
``mlfromscratch/deep_learning`` for ``parity scan`` (its network class and recurrent layer left out), with
two of its lines corrected, since this folder's code passes:

* its ``Adam`` divides by ``1 - b1`` and ``1 - b2``: the step count t is missing from the bias
  corrections (here ``self.t``);
* its ``Softmax`` activation returns ``p * (1 - p)``, the Jacobian's diagonal alone, which no elementwise
  ``gradient(x)`` can make right: left out here (and from ``Activation``'s names).

``parity_tests/suite/gate/test_scan_ml_from_scratch.py`` puts both back as the repository writes them and
sees each fail with a note naming it. Its own conventions: ``running_var=biased`` (BatchNormalization),
``dropout=classic`` (Dropout), ``mse_scale=half`` (SquareLoss), ``sqrt_eps=inside`` (Adagrad, RMSprop) and
``momentum=average`` (StochasticGradientDescent)."""
