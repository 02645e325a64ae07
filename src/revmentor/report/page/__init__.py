"""The HTML report: ``results/report/index.html`` for the consortium and
``results/sites/<site_id>/report.html`` for each hospital.

The words are built by plain functions (:mod:`.answer`, :mod:`.methods`,
:mod:`.content`) and laid out by Jinja2 templates (``templates/``) that both pages share.
"""
