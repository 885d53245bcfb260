"""Every learner of the project, registered: import this module to see the whole registry.

Importing it imports each module that registers learners (the rate network package, the recurrent
spiking networks and the spiking declarations), so that :func:`snnlearn.registry.registered` is complete. Adding a
learner: one class (or file) that calls :func:`snnlearn.registry.register`, imported here if its
module is not already.
"""

from __future__ import annotations

from . import ratenet, recurrent_snn, spiking_learners
from .registry import PROPERTY_TITLES, Properties, Registration, registered, registration

__all__ = [
    "PROPERTY_TITLES",
    "Properties",
    "Registration",
    "ratenet",
    "recurrent_snn",
    "registered",
    "registration",
    "spiking_learners",
]
