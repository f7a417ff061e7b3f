"""Screening virtual libraries: spec -> Cartesian product -> chunked predictions (local
processes or Spark) -> ranking by an objective, the σ–window–strength Pareto front, a plot.

``spepred.api.screen`` is the entry point; the pieces are usable on their own:
:func:`load_spec` (library specs), :func:`pareto_front` (fronts of millions of points),
:class:`Objective` / :class:`Threshold` (what "best" means).
"""

from spepred.screen.objectives import Objective, Threshold
from spepred.screen.pareto import pareto_front, pareto_front_2d
from spepred.screen.spec import Library, LibrarySpecError, load_spec

__all__ = [
    "Library",
    "LibrarySpecError",
    "Objective",
    "Threshold",
    "load_spec",
    "pareto_front",
    "pareto_front_2d",
]
