"""Bibliography entries as ARIA list items, so that the references page has a valid list.

docutils' HTML writer (0.21, ``_html_base.HTMLTranslator.visit_citation``) wraps a
run of citations in ``<div role="list" class="citation-list">`` and gives each
entry ``role="doc-biblioentry"``. DPUB-ARIA 1.1 deprecates that role and it is
not a list item, so for assistive technology (and axe-core's
``aria-required-children``, impact critical) the list has no items: its
children are the entries' links. sphinxcontrib-bibtex's ``{bibliography}``
produces exactly such citations (book/references.md).

This extension writes ``role="listitem"`` instead, keeping the same element,
classes and ids (the entries' anchors, which citations link to, are unchanged)
and the enclosing ``role="list"``. Only the HTML builders are affected.
"""

from docutils import nodes
from docutils.writers._html_base import HTMLTranslator


def visit_citation(self, node):
    # as docutils' visit_citation, with role="listitem" for the deprecated doc-biblioentry
    if not isinstance(node.previous_sibling(), type(node)):
        self.body.append('<div role="list" class="citation-list">\n')
    self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))


def setup(app):
    app.add_node(nodes.citation, override=True,
                 html=(visit_citation, HTMLTranslator.depart_citation))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
