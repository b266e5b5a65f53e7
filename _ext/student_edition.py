"""Hide gated solutions (``solution-start`` ... ``solution-end``) in the student edition.

sphinx-exercise 1.2.1 honours ``hide_solutions: true`` for ``{solution}`` blocks,
but for the gated form it drops only the ``solution-start`` marker: the code
cells of the solution stay on the page and the ``solution-end`` node breaks the
HTML writer ("unknown node type: solution_end_node").  With ``hide_solutions``
on, this extension replaces the start directive by a marker and removes
everything from the marker to the matching ``solution-end``.  With it off, it
does nothing.
"""
from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx_exercise.directive import SolutionStartDirective
from sphinx_exercise.nodes import solution_end_node


class hidden_solution_start(nodes.Element):
    """Marks where a hidden gated solution begins (removed before writing)."""


class HiddenSolutionStart(SolutionStartDirective):
    def run(self):
        super().run()          # keeps sphinx-exercise's gated-structure bookkeeping
        return [hidden_solution_start()]


class RemoveHiddenSolutions(SphinxTransform):
    # Before sphinx-exercise merges gated solutions (priority 10).
    default_priority = 9

    def apply(self):
        for start in list(self.document.findall(hidden_solution_start)):
            parent = start.parent
            first = parent.index(start)
            for last in range(first, len(parent)):
                if isinstance(parent[last], solution_end_node):
                    break
            else:
                raise ValueError(f"solution-start without solution-end in {self.env.docname}")
            del parent[first:last + 1]


def _install(app, config):
    if config.hide_solutions:
        app.add_directive("solution-start", HiddenSolutionStart, override=True)


def setup(app):
    app.add_node(hidden_solution_start)
    app.add_transform(RemoveHiddenSolutions)
    app.connect("config-inited", _install)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
