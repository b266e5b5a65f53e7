"""The classroom edition (issue 11): nbgrader assignments built from the chapter notebooks.

``make assignments`` runs :mod:`classroom.make_source` and ``make grade`` runs
:mod:`classroom.grade`; :mod:`classroom.parse` recognises the exercises of a
chapter and writes its nbgrader source notebook.  The chapter notebooks are
never edited: everything here is built from them.  See book/teachers-guide.md.
"""
